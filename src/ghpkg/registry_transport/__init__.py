"""The registry transport's own data path: ghpkg reads `docker save`, writes `docker load`
and talks to the registry API itself (gzip on every core, parallel uploads, each blob once).
"""
