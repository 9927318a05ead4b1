"""The registry transport: ghpkg reads `docker save` and writes `docker load` itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ghpkg.engine import Engine
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.transports import Pulled, ReadBack


class RegistryTransport:
    """Blobs through ghpkg's own registry client; the engine only saves and loads."""

    name = "registry"

    def __init__(
        self,
        registry: RegistryClient,
        engine: Engine,
        log: Callable[[str], None],
        cache_dir: Path | None = None,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self._registry = registry
        self._engine = engine
        self._log = log
        self._cache_dir = cache_dir
        self._status = status  # a terminal's progress bar

    def push(self, image_id: str, refs: list[Reference]) -> ReadBack:
        """Compress and upload what the registry lacks, then one schema-2 manifest per tag (read
        back by `verbs.push.verify`: nothing read here)."""
        from ghpkg.registry_transport.blobcache import (
            BlobCache,  # deferred: only this transport needs them
        )
        from ghpkg.registry_transport.push import push_image

        cache = BlobCache(self._cache_dir) if self._cache_dir else None
        push_image(self._registry, self._engine, image_id, refs, self._log, cache=cache)
        return {}

    def pull(self, reference: Reference) -> Pulled:
        """Stream the tag's layers into `docker load`, checked on the way."""
        from ghpkg.registry_transport.pull import (
            pull_image,  # deferred: only this transport needs it
        )

        return pull_image(self._registry, self._engine, reference, self._log, self._status)
