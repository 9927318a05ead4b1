"""Manifests by digest for a registry that serves them only by tag.

Every manifest the shim fetches by tag or sees pushed is kept by its digest (a bounded cache).
A digest it has not seen is found by reading the repository's tags, newest package versions
first where the REST API lists them, and fetching each tag's manifest until one matches.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ghpkg.errors import RegistryError
from ghpkg.manifest import sha256_digest
from ghpkg.registry import RegistryClient

CACHE_BYTES = 64 << 20
MAX_TAGS_SEARCHED = 500
SEARCH_AGAIN_AFTER = 30.0  # seconds before a repository's tags are read again for a digest

TagLister = Callable[[str], list[str]]


@dataclass(frozen=True)
class Served:
    """A manifest as the shim serves it: bytes, media type and digest."""

    raw: bytes
    media_type: str

    @property
    def digest(self) -> str:
        """sha256 of the bytes: what a client checks."""
        return sha256_digest(self.raw)


class Manifests:
    """The by-digest view of one registry's manifests (thread-safe)."""

    def __init__(self, registry: RegistryClient, tags_of: TagLister | None = None) -> None:
        self._registry = registry
        self._tags_of = tags_of
        self._cache: OrderedDict[tuple[str, str], Served] = OrderedDict()
        self._bytes = 0
        self._searched: dict[str, float] = {}
        self._lock = threading.Lock()
        self._search_lock = threading.Lock()

    def by_tag(self, path: str, tag: str) -> Served:
        """GET the tag from the registry (tags move: never cached) and remember its digest."""
        raw, media_type = self._registry.get_manifest(path, tag)
        served = Served(raw, media_type)
        self.remember(path, served)
        return served

    def by_digest(self, path: str, digest: str, search: bool = True) -> Served | None:
        """A manifest by digest: remembered, served by the registry, or found among the tags."""
        found = self._cached(path, digest)
        if found is not None or not search:
            return found
        if self._registry.digests:  # a registry that resolves digests itself
            try:
                served = Served(*self._registry.get_manifest(path, digest))
            except RegistryError as exc:
                if exc.status != 404:
                    raise
                return None
            if served.digest != digest:
                return None
            self.remember(path, served)
            return served
        with self._search_lock:
            found = self._cached(path, digest)
            if found is None and self._may_search(path):
                found = self._search(path, digest)
        return found

    def remember(self, path: str, served: Served) -> None:
        """Keep a manifest by its digest, dropping the least recently used past the limit."""
        key = (path, served.digest)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return
            self._cache[key] = served
            self._bytes += len(served.raw)
            while self._bytes > CACHE_BYTES and len(self._cache) > 1:
                _key, dropped = self._cache.popitem(last=False)
                self._bytes -= len(dropped.raw)

    def _cached(self, path: str, digest: str) -> Served | None:
        with self._lock:
            found = self._cache.get((path, digest))
            if found is not None:
                self._cache.move_to_end((path, digest))
            return found

    def _may_search(self, path: str) -> bool:
        last = self._searched.get(path)
        return last is None or time.monotonic() - last > SEARCH_AGAIN_AFTER

    def _search(self, path: str, digest: str) -> Served | None:
        """Fetch tags' manifests, newest versions first, until one has the digest."""
        tags = list(self._tags_of(path)) if self._tags_of else []
        tags += [tag for tag in self._registry.tags(path) if tag not in tags]
        self._searched[path] = time.monotonic()
        for tag in tags[:MAX_TAGS_SEARCHED]:
            try:
                if self.by_tag(path, tag).digest == digest:
                    return self._cached(path, digest)
            except RegistryError as exc:
                if exc.status != 404:  # a tag deleted since it was listed is no answer
                    raise
        return None
