"""Push a local image through the registry API as one Docker v2 schema-2 manifest.

From the engine's `docker save` stream, whatever layout the engine writes: layers are
compressed on every core into temp files, checked against the registry's rules, uploaded
in parallel (skipping what the registry has, mounting what a sibling repository has), and
the manifest is PUT by tag once every blob is confirmed. With a BlobCache, a re-push whose
blobs are all in the registry needs no `docker save` at all.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import docker

from ghpkg import engine
from ghpkg.blobcache import BlobCache, CachedBlob
from ghpkg.compress import workers
from ghpkg.errors import GhpkgError, RegistryError, UsageError
from ghpkg.manifest import CONFIG, LAYER_GZIP, SCHEMA2, Descriptor, build_schema2, sha256_digest
from ghpkg.reference import Reference
from ghpkg.save_archive import SavedImage, read_save
from ghpkg.spool import MB, LayerBlob, Spooler, Throttle

UPLOADS = 4
FOREIGN_RULE = (
    'GitHub: "When installing or publishing a Docker image, the Docker registry does not '
    'currently support foreign layers, such as Windows images."'
)
LAYER_RULE = "GitHub Packages' Docker registry accepts layers of at most {limit} (compressed)"
IMAGE_RULE = "GitHub Packages' Docker registry gives images over {limit} degraded service"

Log = Callable[[str], None]


class Registry(Protocol):
    """What pushing needs of ghpkg.registry.RegistryClient."""

    def blob_size(self, path: str, digest: str) -> int | None: ...

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool: ...

    def upload_blob(
        self, path: str, chunks: Iterable[bytes], digest: str, size: int | None = None
    ) -> None: ...

    def upload_file(self, path: str, file: Path, digest: str, size: int) -> None: ...

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str: ...


@dataclass(frozen=True)
class Limits:
    """The registry's size rules: a bigger layer is refused, a bigger image is warned about."""

    layer_max: int = 5 * 1024**3
    image_warn: int = 10 * 1024**3


@dataclass(frozen=True)
class PushResult:
    """What a push did: the manifest's digest and bytes, bytes uploaded, blobs not uploaded."""

    digest: str
    manifest: bytes
    uploaded_bytes: int
    skipped_blobs: int


@dataclass(frozen=True)
class _Facts:
    """What `docker inspect` says before anything is saved."""

    image_id: str
    diff_ids: tuple[str, ...]
    config_digest: str | None


class _Target:
    """One repository on one registry: HEAD results remembered, mounts tried from the cache."""

    def __init__(self, registry: Registry, host: str, path: str, cache: BlobCache | None) -> None:
        self.registry = registry
        self.host = host
        self.path = path
        self.cache = cache
        self._sizes: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def size(self, digest: str) -> int | None:
        """The blob's size in this repository (HEAD, remembered), or None."""
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

    def sources(self, digest: str) -> list[str]:
        """Sibling repositories on this registry where the cache says the blob is."""
        if self.cache is None:
            return []
        return [p for p in self.cache.repositories(self.host, digest) if p != self.path]

    def mount(self, digest: str, size: int, log: Log) -> bool:
        """Mount the blob from a sibling repository; True once HEAD confirms it is here."""
        for source in self.sources(digest):
            if self.registry.mount_blob(self.path, digest, source):
                with self._lock:
                    self._sizes.pop(digest, None)
                if self.has(digest, size):
                    log(f"blob {_short(digest)}: mounted from {source}")
                    return True
        return False

    def forget(self, digest: str) -> None:
        """Drop a remembered HEAD result (after an upload)."""
        with self._lock:
            self._sizes.pop(digest, None)


def push_image(
    registry: Registry,
    docker_client: docker.DockerClient,
    image_id: str,
    refs: list[Reference],
    log: Log,
    limits: Limits = Limits(),
    cache: BlobCache | None = None,
) -> PushResult:
    """Push a local image under every tag in refs (one repository) as one schema-2 manifest."""
    path = _one_path(refs)
    target = _Target(registry, refs[0].registry, path, cache)
    facts = _inspect(docker_client, image_id, cache)
    fast = _fast_manifest(target, facts, limits, log)
    if fast is not None:
        layers, config = fast
        log("every blob is already in the registry: no `docker save` needed")
        manifest = _finish(target, refs, facts, config, layers, log)
        return PushResult(sha256_digest(manifest), manifest, 0, len(_unique(layers)) + 1)
    known = _known_layers(target, facts)
    with tempfile.TemporaryDirectory(prefix="ghpkg-push-") as spool_dir:
        directory = Path(spool_dir)
        image, blobs = _save_and_spool(docker_client, facts, target, known, directory, log)
        config = Descriptor(CONFIG, len(image.config), sha256_digest(image.config))
        _check_sizes(blobs, config.size, limits, log)
        if _unresolved(target, blobs, log):
            log("a blob could not be mounted from a sibling repository; reading the image again")
            known = {d: b for d, b in known.items() if target.has(b.digest, b.size)}
            image, blobs = _save_and_spool(docker_client, facts, target, known, directory, log)
            config = Descriptor(CONFIG, len(image.config), sha256_digest(image.config))
            _check_sizes(blobs, config.size, limits, log)
        uploaded, skipped = _upload_all(target, blobs, image.config, config, log)
    manifest = _finish(target, refs, facts, config, blobs, log)
    return PushResult(sha256_digest(manifest), manifest, uploaded, skipped)


def _one_path(refs: list[Reference]) -> str:
    if not refs:
        raise UsageError("no version to push", "", "pass at least one --version")
    paths = {(ref.registry, ref.path) for ref in refs}
    if len(paths) != 1:
        raise UsageError(
            "the versions to push name different images",
            ", ".join(sorted(f"{host}/{path}" for host, path in paths)),
            "push one image (one --image) at a time",
        )
    return refs[0].path


def _inspect(client: docker.DockerClient, image_id: str, cache: BlobCache | None) -> _Facts:
    """The image's diff_ids and, where it can be known without saving, its config digest."""
    attrs: dict[str, Any] = engine.get_image(client, image_id).attrs
    full_id = str(attrs.get("Id", image_id))
    diff_ids = tuple(str(d) for d in (attrs.get("RootFS") or {}).get("Layers") or [])
    config_digest: str | None = None
    cached = cache.config(full_id) if cache else None
    if cached is not None:
        config_digest = cached.digest
    elif not engine.info(client).containerd_store:
        config_digest = full_id  # the classic store names an image by its config digest
    return _Facts(full_id, diff_ids, config_digest)


def _known_layers(target: _Target, facts: _Facts) -> dict[str, CachedBlob]:
    """Cached layers whose blob is in the target repository (HEAD) or a sibling (mountable)."""
    known: dict[str, CachedBlob] = {}
    if target.cache is None:
        return known
    for diff_id in dict.fromkeys(facts.diff_ids):
        blob = target.cache.layer(diff_id)
        if blob is None:
            continue
        if target.has(blob.digest, blob.size) or target.sources(blob.digest):
            known[diff_id] = blob
    return known


def _fast_manifest(
    target: _Target, facts: _Facts, limits: Limits, log: Log
) -> tuple[list[LayerBlob], Descriptor] | None:
    """The manifest's parts when the config and every layer are in the registry, else None."""
    if target.cache is None or facts.config_digest is None or not facts.diff_ids:
        return None
    blobs: list[LayerBlob] = []
    for diff_id in facts.diff_ids:
        cached = target.cache.layer(diff_id)
        if cached is None:
            return None
        blobs.append(
            LayerBlob(diff_id, cached.digest, cached.size, diff_id, cached.diff_size, None)
        )
    cached_config = target.cache.config(facts.image_id)
    config_size = target.size(facts.config_digest)
    if config_size is None or config_size < 0:
        if cached_config is None or cached_config.digest != facts.config_digest:
            return None
        config_size = cached_config.size
    missing = [b for b in _unique(blobs) if not target.has(b.digest, b.size)]
    if any(not target.sources(b.digest) for b in missing):
        return None
    _check_sizes(blobs, config_size, limits, log)
    config = Descriptor(CONFIG, config_size, facts.config_digest)
    for blob in [*missing, LayerBlob("config", config.digest, config.size, None, None, None)]:
        if not target.has(blob.digest, blob.size) and not target.mount(blob.digest, blob.size, log):
            return None
    return blobs, config


def _save_and_spool(
    client: docker.DockerClient,
    facts: _Facts,
    target: _Target,
    known: dict[str, CachedBlob],
    directory: Path,
    log: Log,
) -> tuple[SavedImage[LayerBlob], list[LayerBlob]]:
    """Read `docker save` once (twice if a guess about a legacy layer was wrong)."""

    def skippable(digest: str, size: int) -> bool:
        return target.has(digest, size) or bool(target.sources(digest))

    with ThreadPoolExecutor(workers(), thread_name_prefix="ghpkg-gzip") as pool:
        for attempt in (1, 2):
            spooler = Spooler(directory, pool, log, known, skippable, guess=attempt == 1)
            log(f"reading the image from the engine (docker save {_short(facts.image_id)})")
            image = read_save(engine.save(client, facts.image_id), spooler, facts.config_digest)
            if image.foreign:
                _refuse_foreign(image)
            blobs = _layer_blobs(image)
            if not any(blob.missed for blob in blobs):
                return image, blobs
            log("a layer was not the one the cache suggested; reading the image again")
            known = {d: b for d, b in known.items() if target.has(b.digest, b.size)}
    raise GhpkgError("could not read the image's layers", "the engine's archive changed", "")


def _layer_blobs(image: SavedImage[LayerBlob]) -> list[LayerBlob]:
    """The layers in order, each checked against the config's diff_id where it was hashed."""
    blobs: list[LayerBlob] = []
    for diff_id, blob in zip(image.diff_ids, image.layers, strict=True):
        if blob is None:  # pragma: no cover - only foreign layers lack bytes, refused before
            raise GhpkgError("a layer is missing from the engine's archive", diff_id, "")
        if blob.diff_id is not None and blob.diff_id != diff_id and not blob.missed:
            raise GhpkgError(
                f"layer {_short(diff_id)} does not match the image config",
                f"its content has digest {blob.diff_id}",
                "the engine's image store may be damaged; rebuild the image",
            )
        blobs.append(
            LayerBlob(
                blob.name, blob.digest, blob.size, diff_id, blob.diff_size, blob.spool, blob.missed
            )
        )
    return blobs


def _refuse_foreign(image: SavedImage[Any]) -> None:
    layer = image.foreign[0]
    raise GhpkgError(
        f"the image has {len(image.foreign)} foreign layer(s), e.g. layer {layer.index + 1} "
        f"({layer.media_type})",
        FOREIGN_RULE,
        "publish it to the Container registry (containers.HOSTNAME) or rebuild it on a base "
        "image whose layers are distributable",
    )


def _check_sizes(blobs: list[LayerBlob], config_size: int, limits: Limits, log: Log) -> None:
    """The registry's size rules, checked before any byte goes up."""
    for index, blob in enumerate(blobs, 1):
        if blob.size > limits.layer_max:
            raise GhpkgError(
                f"layer {index} ({_short(blob.diff_id or blob.digest)}) is "
                f"{_human(blob.size)} compressed",
                LAYER_RULE.format(limit=_human(limits.layer_max)),
                "split the large files over several layers (several COPY/RUN steps) or slim them",
            )
    total = config_size + sum(blob.size for blob in _unique(blobs))
    if total > limits.image_warn:
        log(
            f"warning: the image is {_human(total)} compressed; "
            + IMAGE_RULE.format(limit=_human(limits.image_warn))
        )


def _unresolved(target: _Target, blobs: list[LayerBlob], log: Log) -> bool:
    """Whether a layer that was not read (the cache said the registry has it) is missing."""
    return any(
        not target.has(blob.digest, blob.size) and not target.mount(blob.digest, blob.size, log)
        for blob in _unique(blobs)
        if blob.spool is None
    )


def _upload_all(
    target: _Target, blobs: list[LayerBlob], config_raw: bytes, config: Descriptor, log: Log
) -> tuple[int, int]:
    """Upload every layer not in the repository (in parallel), then the config; confirm each."""
    unique = _unique(blobs)
    with ThreadPoolExecutor(UPLOADS, thread_name_prefix="ghpkg-upload") as pool:
        sent = list(pool.map(lambda blob: _ensure_layer(target, blob, log), unique))
    uploaded = sum(sent)
    skipped = sum(1 for amount in sent if amount == 0)
    if target.has(config.digest, config.size) or target.mount(config.digest, config.size, log):
        skipped += 1
    else:
        target.registry.upload_blob(target.path, [config_raw], config.digest, config.size)
        target.forget(config.digest)
        _confirm(target, config.digest, config.size)
        uploaded += config.size
    return uploaded, skipped


def _ensure_layer(target: _Target, blob: LayerBlob, log: Log) -> int:
    """Make sure the repository has the blob; return the bytes sent for it."""
    if target.has(blob.digest, blob.size):
        return 0
    if target.mount(blob.digest, blob.size, log):
        return 0
    if blob.spool is None:
        raise GhpkgError(
            f"blob {_short(blob.digest)} is neither in the registry nor read from the engine",
            "it disappeared from the registry during the push",
            "run the push again",
        )
    throttle = Throttle(log, f"blob {_short(blob.digest)}")
    throttle.start(f"uploading {blob.size / MB:.1f} MB")
    target.registry.upload_file(target.path, blob.spool, blob.digest, blob.size)
    target.forget(blob.digest)
    _confirm(target, blob.digest, blob.size)
    throttle.done(f"uploaded {blob.size / MB:.1f} MB", blob.size)
    blob.spool.unlink(missing_ok=True)
    return blob.size


def _confirm(target: _Target, digest: str, size: int) -> None:
    if not target.has(digest, size):
        found = target.size(digest)
        raise RegistryError(
            f"blob {_short(digest)} is not in {target.host}/{target.path} after its upload",
            f"HEAD answered {'no blob' if found is None else f'{found} bytes'}, expected {size}",
            "run the push again; if it persists, the registry is not storing uploads",
        )


def _finish(
    target: _Target,
    refs: list[Reference],
    facts: _Facts,
    config: Descriptor,
    blobs: list[LayerBlob],
    log: Log,
) -> bytes:
    """PUT the manifest under every tag, remember what was pushed; return the manifest."""
    manifest = build_schema2(config, [Descriptor(LAYER_GZIP, b.size, b.digest) for b in blobs])
    for ref in refs:
        digest = target.registry.put_manifest(target.path, ref.version, manifest.raw, SCHEMA2)
        if digest and digest != manifest.digest:
            raise RegistryError(
                f"the registry stored {ref} as {digest}",
                f"ghpkg sent a manifest with digest {manifest.digest}",
                "run the push again",
            )
        log(f"tagged {ref} ({manifest.digest})")
    if target.cache is not None:
        for blob in blobs:
            if blob.diff_id:
                target.cache.record_layer(blob.diff_id, _cached(blob))
        target.cache.record_config(facts.image_id, CachedBlob(config.digest, config.size))
        target.cache.record_pushed(
            target.host, target.path, [config.digest, *(b.digest for b in blobs)]
        )
        target.cache.save()
    return manifest.raw


def _cached(blob: LayerBlob) -> CachedBlob:
    return CachedBlob(blob.digest, blob.size, blob.diff_size)


def _unique(blobs: list[LayerBlob]) -> list[LayerBlob]:
    seen: dict[str, LayerBlob] = {}
    for blob in blobs:
        seen.setdefault(blob.digest, blob)
    return list(seen.values())


def _human(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]
