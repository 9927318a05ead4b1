"""The distribution registries behind the bed's front (Docker registry and Container registry).

Each is `docker-registry serve CONFIG` on a loopback port with a storage folder of its own;
this module writes that config.
"""

from __future__ import annotations

import secrets
from pathlib import Path

_CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: {secret}
health:
  storagedriver:
    enabled: false
"""


def write_config(config: Path, storage: Path, port: int) -> list[str]:
    """Write a registry's config (a fresh HTTP secret each time); return the command serving it."""
    secret = secrets.token_hex(16)
    config.write_text(_CONFIG.format(storage=storage, port=port, secret=secret))
    return ["docker-registry", "serve", str(config)]
