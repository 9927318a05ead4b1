"""A loopback registry that lets any client use the GHES Docker registry (`ghpkg serve`)."""

from ghpkg.shim.server import Activity, Login, Scope, Shim

__all__ = ["Activity", "Login", "Scope", "Shim"]
