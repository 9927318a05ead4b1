"""The one way a blob is written to a repository: exists, mount, upload, confirm, each once.

Push, copy, migrate and the loopback shim all write through `BlobWriter`: a HEAD says whether
the repository has the blob (the answer is remembered), a mount from a sibling repository is
tried where one may lend it (and confirmed by a HEAD), else the bytes are uploaded, streamed
and started again from a new upload session after a temporary failure, and confirmed by the
upload's own HEAD.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ghpkg.errors import RegistryError
from ghpkg.progress import Lines
from ghpkg.registry.answers import short
from ghpkg.registry.http import FileBody


class BlobStore(Protocol):
    """The registry calls a writer makes (`RegistryClient` has them)."""

    def blob_size(self, path: str, digest: str) -> int | None: ...

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool: ...

    def upload_stream(
        self, path: str, opener: Callable[[], bytes | Iterable[bytes]], digest: str, size: int
    ) -> None: ...


@dataclass(frozen=True)
class Blob:
    """A blob to write: its digest, size, and `opener`, which gives its bytes (again per try)."""

    digest: str
    size: int
    opener: Callable[[], bytes | Iterable[bytes]]

    @classmethod
    def of_bytes(cls, data: bytes, digest: str) -> Blob:
        """A blob held in memory (a config)."""
        return cls(digest, len(data), lambda: data)

    @classmethod
    def of_file(cls, file: Path, digest: str, size: int) -> Blob:
        """A blob spooled to a file, sent with its Content-Length."""
        return cls(digest, size, lambda: FileBody(file))


def _no_sources(_digest: str) -> list[str]:
    return []


class BlobWriter:
    """Blobs into one repository (thread-safe): each HEAD answer is remembered."""

    def __init__(
        self,
        store: BlobStore,
        path: str,
        log: Lines = lambda _: None,
        sources: Callable[[str], list[str]] = _no_sources,
    ) -> None:
        self.store = store
        self.path = path
        self.log = log
        self._sources = sources  # repositories that may lend a blob (a mount's `from`)
        self._sizes: dict[str, int | None] = {}
        self._unmountable: set[str] = set()  # no source lent it: not asked again
        self._lock = threading.Lock()

    def size(self, digest: str) -> int | None:
        """The blob's size here (one HEAD, remembered); None if absent, -1 if unsaid."""
        with self._lock:
            if digest in self._sizes:
                return self._sizes[digest]
        size = self.store.blob_size(self.path, digest)
        with self._lock:
            self._sizes[digest] = size
        return size

    def has(self, digest: str, size: int | None) -> bool:
        """Whether the repository has the blob (a HEAD without a length counts as yes)."""
        found = self.size(digest)
        return found is not None and (size is None or found in (size, -1))

    def sources(self, digest: str) -> list[str]:
        """The repositories a mount of the blob may come from (none once all refused)."""
        return [] if digest in self._unmountable else self._sources(digest)

    def reachable(self, digest: str, size: int) -> bool:
        """Whether the blob is here or may be mounted here: its bytes need not be read."""
        return self.has(digest, size) or bool(self.sources(digest))

    def mount(self, digest: str, size: int | None, sources: list[str] | None = None) -> bool:
        """Mount the blob from the first source that lends it; True once a HEAD confirms it."""
        for source in self.sources(digest) if sources is None else sources:
            if self.store.mount_blob(self.path, digest, source) and self.confirmed(digest, size):
                self.log(f"blob {short(digest)}: mounted from {source}")
                return True
        with self._lock:
            self._unmountable.add(digest)
        return False

    def ensure(self, digest: str, size: int) -> bool:
        """Whether the blob is here, or now mounted here."""
        return self.has(digest, size) or self.mount(digest, size)

    def write(self, blob: Blob) -> int:
        """Make sure the repository has the blob: the bytes sent (0 when there or mounted)."""
        if self.ensure(blob.digest, blob.size):
            return 0
        self.store.upload_stream(self.path, blob.opener, blob.digest, blob.size)  # confirms
        with self._lock:
            self._sizes[blob.digest] = blob.size
        return blob.size

    def confirmed(self, digest: str, size: int | None) -> bool:
        """Ask again (one HEAD) whether the blob is here, e.g. after a mount or a relayed PUT."""
        with self._lock:
            self._sizes.pop(digest, None)
        return self.has(digest, size)

    def confirm(self, digest: str, size: int | None) -> None:
        """Raise unless a HEAD finds the blob (with its size) after it was written."""
        if not self.confirmed(digest, size):
            found = self.size(digest)
            raise RegistryError(
                f"blob {short(digest)} is not in {self.path} after its upload",
                f"HEAD answered {'no blob' if found is None else f'{found} bytes'}"
                + (f", expected {size}" if size is not None else ""),
                "run the push again; if it persists, the registry is not storing uploads",
            )
