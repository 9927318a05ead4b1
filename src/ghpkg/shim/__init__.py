"""A loopback registry that lets any client use the GHES Docker registry (`ghpkg serve`).

`shim.server.Shim` runs it; `shim.scope` holds its login and what it lets through;
`shim.listen` the address it listens on.
"""
