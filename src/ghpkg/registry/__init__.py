"""The registry API client, in layers, each using only those above it in this list:

- `credentials`: where the token may go (Basic to the registry host, a Bearer token from the
  instance's token service, nothing to any other host);
- `answers`: what an answer means (a refusal as an error, a bounded body);
- `http`: one request with credentials, retries and backoff (`registry_errors`' policy);
- `blobs` (reads, resumed after a break) and `writes` (the upload protocol);
- `client`: `RegistryClient`, the API the rest of ghpkg calls.
"""

from ghpkg.registry.client import RegistryClient
from ghpkg.registry.http import CHUNK_SIZE
from ghpkg.registry_probe import probe_isolation

__all__ = ["CHUNK_SIZE", "RegistryClient", "probe_isolation"]
