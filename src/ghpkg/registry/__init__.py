"""The registry API, in layers, each using only those above it in this list:

- `errors`: what a failure means (error bodies, redaction, transport failures) and the one
  retry policy (backoff with jitter, Retry-After) that the REST API and the engine use too;
- `session`: TLS against the private CA (or the system's), never a step down from https;
- `layout`: where the registry lives (docker.HOST or HOST), asked without credentials;
- `answers`: an answer read (a refusal as an error, a bounded body);
- `credentials`: where the token may go (Basic to the registry host, a Bearer token from the
  instance's token service, nothing to any other host);
- `http`: one request with credentials, retries and backoff;
- `blobs` (reads, resumed after a break) and `writes` (the upload protocol);
- `client`: `RegistryClient`, the API the rest of ghpkg calls;
- `blob_writer`: `BlobWriter`, the one way a blob is written (exists, mount, upload, confirm),
  over the client's calls.

`RegistryClient`, `CHUNK_SIZE` and `probe_isolation` are imported on first use, so that the
engine and the REST API can take the retry policy from `errors` without loading the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ghpkg.registry.client import RegistryClient
    from ghpkg.registry.http import CHUNK_SIZE
    from ghpkg.registry.layout import probe_isolation

__all__ = ["CHUNK_SIZE", "RegistryClient", "probe_isolation"]

_HOMES = {
    "RegistryClient": "ghpkg.registry.client",
    "CHUNK_SIZE": "ghpkg.registry.http",
    "probe_isolation": "ghpkg.registry.layout",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ghpkg.registry' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
