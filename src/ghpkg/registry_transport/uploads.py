"""The layers of a push into one repository: the registry's size rules, then parallel uploads.

Each blob goes through `registry.blob_writer.BlobWriter` (there already, mounted, or uploaded
from its spool file) on a small thread pool, as soon as the push lets it (the gate): right
away when no size rule can fail, else once the whole image is checked.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ghpkg.errors import GhpkgError
from ghpkg.manifest import each_once
from ghpkg.progress import Lines, duration, size
from ghpkg.registry.answers import short
from ghpkg.registry.blob_writer import Blob, BlobWriter
from ghpkg.registry_transport.docker_save import ForeignLayer
from ghpkg.registry_transport.spool import LayerBlob, Throttle

UPLOADS = 4
FOREIGN_RULE = (
    'GitHub: "When installing or publishing a Docker image, the Docker registry does not '
    'currently support foreign layers, such as Windows images."'
)
LAYER_RULE = "GitHub Packages' Docker registry accepts layers of at most {limit} (compressed)"
IMAGE_RULE = "GitHub Packages' Docker registry gives images over {limit} degraded service"


# GitHub states its limits in GB; the bed enforces them in GiB (the larger reading: a layer
# between the two is the registry's to refuse). Printed as GitHub writes them.
STATED = {5 * 1024**3: "5 GB", 10 * 1024**3: "10 GB"}


@dataclass(frozen=True)
class Limits:
    """The registry's size rules: a bigger layer is refused, a bigger image is warned about."""

    layer_max: int = 5 * 1024**3
    image_warn: int = 10 * 1024**3


DEFAULT_LIMITS = Limits()


def check_sizes(blobs: list[LayerBlob], config_size: int, limits: Limits, log: Lines) -> None:
    """The registry's size rules, checked before any byte goes up."""
    for index, blob in enumerate(blobs, 1):
        if blob.size > limits.layer_max:
            raise GhpkgError(
                f"layer {index} ({short(blob.diff_id or blob.digest)}) is "
                f"{size(blob.size)} compressed",
                LAYER_RULE.format(limit=_limit(limits.layer_max)),
                "split the large files over several layers (several COPY/RUN steps) or slim them",
            )
    total = config_size + sum(blob.size for blob in each_once(blobs))
    if total > limits.image_warn:
        log(
            f"warning: the image is {size(total)} compressed; "
            + IMAGE_RULE.format(limit=_limit(limits.image_warn))
        )


def refuse_foreign(foreign: tuple[ForeignLayer, ...]) -> None:
    """The Docker registry takes no foreign (non-distributable) layer."""
    if foreign:
        raise GhpkgError(
            f"the image has {len(foreign)} foreign layer(s), e.g. layer {foreign[0].index + 1} "
            f"({foreign[0].media_type})",
            FOREIGN_RULE,
            "publish it to the Container registry (containers.HOSTNAME) or rebuild it on a base "
            "image whose layers are distributable",
        )


class Uploader:
    """Layer uploads in parallel, each blob once; held back until the gate opens."""

    def __init__(
        self, writer: BlobWriter, log: Lines, gate_open: bool, layer_max: int, every: float = 10.0
    ) -> None:
        self.writer = writer
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

    def finish(self, blobs: list[LayerBlob]) -> tuple[int, int]:
        """Wait until every layer is in the repository: (bytes sent, blobs not sent)."""
        self.gate_open = True  # the preflight passed: send what waited
        waiting, self._waiting = self._waiting, []
        for blob in waiting + blobs:
            if blob.digest not in self._futures:
                self._futures[blob.digest] = self._pool.submit(self._layer, blob)
        sent = [future.result() for future in self._futures.values()]
        return sum(sent), sum(1 for amount in sent if amount == 0)

    def config(self, raw: bytes, digest: str) -> int:
        """Upload the config unless the repository has it; the bytes sent."""
        return self.writer.write(Blob.of_bytes(raw, digest))

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
                    f"{short(digest)} ({size(length)}, {duration(now - started)})"
                    for digest, (started, length) in self._active.items()
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
        if self.writer.ensure(blob.digest, blob.size):
            _drop(blob.spool)
            return 0
        if blob.spool is None:
            raise GhpkgError(
                f"blob {short(blob.digest)} is neither in the registry nor read from the engine",
                "it disappeared from the registry during the push",
                "run the push again",
            )
        throttle = Throttle(self.log, f"blob {short(blob.digest)}")
        throttle.start(f"uploading {size(blob.size)}")
        with self._lock:
            self._active[blob.digest] = (time.monotonic(), blob.size)
        try:
            self.writer.write(Blob.of_file(blob.spool, blob.digest, blob.size))
        finally:
            with self._lock:
                self._active.pop(blob.digest, None)
        throttle.done(f"uploaded {size(blob.size)}", blob.size)
        _drop(blob.spool)
        return blob.size


def _drop(spool: Path | None) -> None:
    if spool is not None:
        spool.unlink(missing_ok=True)


def _limit(value: int) -> str:
    """A limit as GitHub states it ("5 GB"), else in the one unit of every size."""
    return STATED.get(value) or size(value)
