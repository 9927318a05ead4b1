"""ghpkg's own data paths over the registry API: an image from `docker save` to the registry
and back to `docker load` (gzip on every core, parallel uploads, each blob once), and an image
from one registry to another (`copy`: copy and migrate, each blob streamed or mounted once).
"""
