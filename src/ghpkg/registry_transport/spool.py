"""Turn each layer of the save stream into a gzip blob in a temp file, or skip it if known.

Uncompressed layers are gzip-compressed on a thread pool while they stream by; layers the
containerd image store already keeps gzip-compressed are copied as they are. A layer the
registry already has (by its name in the OCI layout, or by the cache) is only read past.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from ghpkg.errors import GhpkgError
from ghpkg.progress import duration, part, rate, size
from ghpkg.registry.answers import short
from ghpkg.registry.blob_writer import BlobWriter
from ghpkg.registry_transport.blobcache import CachedBlob
from ghpkg.registry_transport.compress import DEFAULT_LEVEL, empty_gzip, gzip_stream
from ghpkg.registry_transport.docker_save import LayerEntry, SavedImage

# A legacy-layout layer (named by a v1 ID) this big is matched to a cached layer by its size,
# then checked by its digest as it is read past; smaller ones are simply compressed.
GUESS_MIN = 4 << 20
SPOOL_MARGIN = 16 << 20  # room left beside a layer (gzip's worst case adds ~0.03 %)


@dataclass(frozen=True)
class LayerBlob:
    """What became of one layer: the gzip blob's digest and size, and where it is spooled."""

    name: str
    digest: str
    size: int
    diff_id: str | None
    diff_size: int | None
    spool: Path | None
    missed: bool = False


class Throttle:
    """Progress lines for one piece of work: at start, at most one every `every` s, at end."""

    def __init__(self, log: Callable[[str], None], label: str, every: float = 5.0) -> None:
        self.log = log
        self.label = label
        self.every = every
        self.started = time.monotonic()
        self.last = self.started

    def start(self, text: str) -> None:
        """Say the work begins."""
        self.log(f"{self.label}: {text}")

    def tick(self, verb: str, done: int, total: int) -> None:
        """Say how far it got, unless it said so less than `every` seconds ago."""
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.log(f"{self.label}: {verb} {part(done, total)}")

    def done(self, text: str, amount: int) -> None:
        """Say it is done, with the throughput over `amount` bytes."""
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.log(f"{self.label}: {text} in {duration(elapsed)} ({rate(amount, elapsed)})")


class Spooler:
    """Each layer of the save stream, as it passes: skipped, copied or compressed."""

    def __init__(
        self,
        directory: Path,
        pool: Executor,
        log: Callable[[str], None],
        known: dict[str, CachedBlob],
        writer: BlobWriter,
        guess: bool = True,
        level: int = DEFAULT_LEVEL,
        every: float = 5.0,
    ) -> None:
        self.directory = directory
        self.pool = pool
        self.log = log
        self.known = known
        self.writer = writer  # what the repository has, or may mount, need not be read
        self.guess = guess
        self.level = level
        self.every = every

    def __call__(self, entry: LayerEntry) -> LayerBlob:
        """Handle one layer as it streams by."""
        name = entry.blob_digest
        if entry.kind == "zstd":
            raise GhpkgError(
                f"layer {short(name or entry.name)} is zstd-compressed",
                "Docker v2 schema-2 manifests (all this registry stores) carry gzip layers",
                "build the image with gzip layer compression (the default) and push again",
            )
        if entry.kind == "gzip":
            return self._gzip(entry, name)
        if name and name in self.known:
            blob = self.known[name]
            self.log(f"layer {short(name)}: already in the registry, not compressed")
            return LayerBlob(entry.name, blob.digest, blob.size, name, entry.size, None)
        if not name and self.guess and entry.size >= GUESS_MIN:
            candidates = [d for d, b in self.known.items() if b.diff_size == entry.size]
            if len(candidates) == 1:
                return self._read_past(entry)
        return self._compress(entry, name)

    def _gzip(self, entry: LayerEntry, name: str | None) -> LayerBlob:
        if name and self.writer.reachable(name, entry.size):
            self.log(f"layer {short(name)}: already in the registry")
            return LayerBlob(entry.name, name, entry.size, None, None, None)
        path = self._path(entry.size)
        throttle = Throttle(self.log, f"layer {short(name or entry.name)}", self.every)
        throttle.start(f"copying {size(entry.size)} (already gzip-compressed)")
        digest = hashlib.sha256()
        written = 0
        with path.open("wb") as out:
            for chunk in entry.chunks():
                digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
                throttle.tick("copied", written, entry.size)
        actual = "sha256:" + digest.hexdigest()
        if name and actual != name:
            raise GhpkgError(
                f"layer {short(name)} read from the engine has digest {short(actual)}",
                "the `docker save` stream was damaged",
                "run the push again",
            )
        throttle.done(f"copied {size(written)}", written)
        return LayerBlob(entry.name, actual, written, None, None, path)

    def _read_past(self, entry: LayerEntry) -> LayerBlob:
        """A legacy layer whose size matches a cached one: hash it to be sure, do not compress."""
        digest = hashlib.sha256()
        for chunk in entry.chunks():
            digest.update(chunk)
        diff_id = "sha256:" + digest.hexdigest()
        blob = self.known.get(diff_id)
        if blob is None:
            return LayerBlob(entry.name, "", 0, diff_id, entry.size, None, missed=True)
        self.log(f"layer {short(diff_id)}: already in the registry, not compressed")
        return LayerBlob(entry.name, blob.digest, blob.size, diff_id, entry.size, None)

    def _compress(self, entry: LayerEntry, name: str | None) -> LayerBlob:
        path = self._path(entry.size)
        throttle = Throttle(self.log, f"layer {short(name or entry.name)}", self.every)
        throttle.start(f"compressing {size(entry.size)}")
        diff = hashlib.sha256()
        blob = hashlib.sha256()
        read = 0
        written = 0

        # The OCI layout names an uncompressed layer by its digest (the diff_id): the engine
        # vouches for it, so the bytes are not hashed a second time; the legacy layout's are.
        named = name is not None and name.startswith("sha256:")

        def counted(chunks: Iterable[bytes]) -> Iterator[bytes]:
            nonlocal read
            for chunk in chunks:
                if not named:
                    diff.update(chunk)
                read += len(chunk)
                yield chunk

        with path.open("wb") as out:
            for member in gzip_stream(counted(entry.chunks()), self.pool, self.level):
                blob.update(member)
                out.write(member)
                written += len(member)
                throttle.tick("compressed", read, entry.size)
            if written == 0:
                member = empty_gzip()
                blob.update(member)
                out.write(member)
                written = len(member)
        throttle.done(f"{size(read)} -> {size(written)}", read)
        diff_id = name if named and name else "sha256:" + diff.hexdigest()
        digest = "sha256:" + blob.hexdigest()
        return LayerBlob(entry.name, digest, written, diff_id, read, path)

    def _path(self, needed: int) -> Path:
        """A new spool file where a layer of `needed` bytes fits (gzip never grows it much)."""
        free = shutil.disk_usage(self.directory).free
        if free < needed + SPOOL_MARGIN:
            raise GhpkgError(
                f"no room to spool a {size(needed)} layer in {self.directory}",
                f"{size(free)} free there",
                "free some space, point TMPDIR at a larger disk, or push with "
                "--transport engine, which spools nothing",
            )
        handle, name = tempfile.mkstemp(prefix="layer-", suffix=".gz", dir=self.directory)
        os.close(handle)
        return Path(name)


def in_order(image: SavedImage[LayerBlob]) -> list[LayerBlob]:
    """The layers in order, each checked against the config's diff_id where it was hashed."""
    blobs: list[LayerBlob] = []
    for diff_id, blob in zip(image.diff_ids, image.layers, strict=True):
        if blob is None:  # pragma: no cover - only foreign layers lack bytes, refused before
            raise GhpkgError("a layer is missing from the engine's archive", diff_id, "")
        if blob.diff_id is not None and blob.diff_id != diff_id and not blob.missed:
            raise GhpkgError(
                f"layer {short(diff_id)} does not match the image config",
                f"its content has digest {blob.diff_id}",
                "the engine's image store may be damaged; rebuild the image",
            )
        blobs.append(
            LayerBlob(
                blob.name, blob.digest, blob.size, diff_id, blob.diff_size, blob.spool, blob.missed
            )
        )
    return blobs
