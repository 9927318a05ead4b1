"""Blobs into one repository: HEAD before anything, a mount from a sibling, else an upload.

Uploads run on a small thread pool from spooled files, as soon as the push lets them (the
gate): right away when the preflight cannot fail, else once the whole image is checked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from ghpkg.blobcache import BlobCache
from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.spool import MB, LayerBlob, Throttle

UPLOADS = 4

Log = Callable[[str], None]


class Registry(Protocol):
    """What pushing needs of ghpkg.registry.RegistryClient."""

    def blob_size(self, path: str, digest: str) -> int | None: ...

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool: ...

    def open_blob(self, path: str, digest: str, size: int | None = None) -> Iterator[bytes]: ...

    def upload_blob(
        self, path: str, chunks: Iterable[bytes] | bytes, digest: str, size: int | None = None
    ) -> None: ...

    def upload_file(self, path: str, file: Path, digest: str, size: int) -> None: ...

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str: ...


class Target:
    """One repository on one registry: HEAD answers remembered, mounts tried from the cache."""

    def __init__(self, registry: Registry, host: str, path: str, cache: BlobCache | None) -> None:
        self.registry = registry
        self.host = host
        self.path = path
        self.cache = cache
        self._sizes: dict[str, int | None] = {}
        self._unmountable: set[str] = set()  # no sibling would lend it: read it from the engine
        self._lock = threading.Lock()

    def size(self, digest: str) -> int | None:
        """The blob's size in this repository (HEAD, remembered); None if absent, -1 if unsaid."""
        with self._lock:
            if digest in self._sizes:
                return self._sizes[digest]
        size = self.registry.blob_size(self.path, digest)
        with self._lock:
            self._sizes[digest] = size
        return size

    def has(self, digest: str, size: int) -> bool:
        """Whether this repository has the blob (a HEAD without a length counts as yes)."""
        return self.size(digest) in (size, -1)

    def forget(self, digest: str) -> None:
        """Drop a remembered HEAD answer (after an upload or a mount)."""
        with self._lock:
            self._sizes.pop(digest, None)

    def sources(self, digest: str) -> list[str]:
        """Sibling repositories of the same owner where the cache says the blob is.

        Never another owner's: the cache is a file an earlier job could have written.
        """
        if self.cache is None or digest in self._unmountable:
            return []
        owner = self.path.split("/", 1)[0] + "/"
        found = self.cache.repositories(self.host, digest)
        return [p for p in found if p != self.path and p.startswith(owner)]

    def mount(self, digest: str, size: int, log: Log) -> bool:
        """Mount the blob from a sibling repository; True once HEAD confirms it is here."""
        for source in self.sources(digest):
            if self.registry.mount_blob(self.path, digest, source):
                self.forget(digest)
                if self.has(digest, size):
                    log(f"blob {short(digest)}: mounted from {source}")
                    return True
        with self._lock:
            self._unmountable.add(digest)
        return False

    def ensure(self, digest: str, size: int, log: Log) -> bool:
        """Whether the blob is here, or could be mounted here."""
        return self.has(digest, size) or self.mount(digest, size, log)

    def confirm(self, digest: str, size: int) -> None:
        """Raise unless HEAD finds the blob with its size."""
        self.forget(digest)
        if not self.has(digest, size):
            found = self.size(digest)
            raise RegistryError(
                f"blob {short(digest)} is not in {self.host}/{self.path} after its upload",
                f"HEAD answered {'no blob' if found is None else f'{found} bytes'}, "
                f"expected {size}",
                "run the push again; if it persists, the registry is not storing uploads",
            )


class Uploader:
    """Layer uploads in parallel, each blob once; held back until the gate opens."""

    def __init__(
        self, target: Target, log: Log, gate_open: bool, layer_max: int, every: float = 10.0
    ) -> None:
        self.target = target
        self.log = log
        self.gate_open = gate_open
        self.layer_max = layer_max
        self._pool = ThreadPoolExecutor(UPLOADS, thread_name_prefix="ghpkg-upload")
        self._futures: dict[str, Future[int]] = {}
        self._waiting: list[LayerBlob] = []
        self._active: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._every = every
        self._ticker = threading.Thread(target=self._tick, name="ghpkg-progress", daemon=True)
        self._ticker.start()

    def add(self, blob: LayerBlob) -> None:
        """A layer is spooled: upload it now if the gate is open, else when it opens."""
        self._raise_failed()
        if blob.spool is None or blob.missed or blob.digest in self._futures:
            return
        if self.gate_open and blob.size <= self.layer_max:
            self._futures[blob.digest] = self._pool.submit(self._layer, blob)
        else:
            self._waiting.append(blob)

    def open(self) -> None:
        """The preflight passed: send what waited."""
        self.gate_open = True
        waiting, self._waiting = self._waiting, []
        for blob in waiting:
            self.add(blob)

    def finish(self, blobs: list[LayerBlob]) -> tuple[int, int]:
        """Wait until every layer is in the repository: (bytes sent, blobs not sent)."""
        self.open()
        for blob in blobs:
            if blob.digest not in self._futures:
                self._futures[blob.digest] = self._pool.submit(self._layer, blob)
        sent = [future.result() for future in self._futures.values()]
        return sum(sent), sum(1 for amount in sent if amount == 0)

    def config(self, raw: bytes, digest: str) -> int:
        """Upload the config unless the repository has it; the bytes sent."""
        if self.target.ensure(digest, len(raw), self.log):
            return 0
        self.target.registry.upload_blob(self.target.path, raw, digest, len(raw))  # retried
        self.target.confirm(digest, len(raw))
        return len(raw)

    def close(self) -> None:
        """Stop: wait for running uploads, drop those not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._stop.set()
        self._ticker.join()

    def _tick(self) -> None:
        """Every few seconds, name the uploads still running (the client reports no bytes)."""
        while not self._stop.wait(self._every):
            now = time.monotonic()
            with self._lock:
                running = [
                    f"{short(digest)} ({size / MB:.1f} MB, {now - started:.0f} s)"
                    for digest, (started, size) in self._active.items()
                    if now - started >= self._every
                ]
            if running:
                self.log(f"still uploading: {', '.join(running)}")

    def _raise_failed(self) -> None:
        for future in self._futures.values():
            if future.done() and future.exception() is not None:
                future.result()

    def _layer(self, blob: LayerBlob) -> int:
        """Make sure the repository has the blob; return the bytes sent for it."""
        target = self.target
        if target.ensure(blob.digest, blob.size, self.log):
            _drop(blob.spool)
            return 0
        if blob.spool is None:
            raise GhpkgError(
                f"blob {short(blob.digest)} is neither in the registry nor read from the engine",
                "it disappeared from the registry during the push",
                "run the push again",
            )
        throttle = Throttle(self.log, f"blob {short(blob.digest)}")
        throttle.start(f"uploading {blob.size / MB:.1f} MB")
        with self._lock:
            self._active[blob.digest] = (time.monotonic(), blob.size)
        try:
            target.registry.upload_file(target.path, blob.spool, blob.digest, blob.size)
        finally:
            with self._lock:
                self._active.pop(blob.digest, None)
        target.confirm(blob.digest, blob.size)
        throttle.done(f"uploaded {blob.size / MB:.1f} MB", blob.size)
        _drop(blob.spool)
        return blob.size


def _drop(spool: Path | None) -> None:
    if spool is not None:
        spool.unlink(missing_ok=True)


def short(digest: str) -> str:
    """A digest shortened for a message."""
    return digest.split(":", 1)[-1][:12]
