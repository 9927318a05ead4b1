"""Push a local image through the registry API as one Docker v2 schema-2 manifest.

From the engine's `docker save` stream, whatever layout the engine writes: layers are
compressed on every core into temp files, checked against the registry's rules, uploaded
in parallel (skipping what the registry has, mounting what a sibling repository has), and
the manifest is PUT by tag once every blob is confirmed. With a BlobCache, a re-push whose
blobs are all in the registry needs no `docker save` at all.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghpkg.blobcache import BlobCache, CachedBlob
from ghpkg.compress import workers
from ghpkg.engine import Engine
from ghpkg.errors import GhpkgError, UsageError
from ghpkg.manifest import CONFIG, LAYER_GZIP, SCHEMA2, Descriptor, build_schema2, sha256_digest
from ghpkg.pulling import same_config
from ghpkg.reference import Reference
from ghpkg.save_archive import SavedImage, read_save
from ghpkg.spool import LayerBlob, Spooler
from ghpkg.uploads import Registry, Target, Uploader, short

__all__ = ["Limits", "PushResult", "Registry", "push_image"]

FOREIGN_RULE = (
    'GitHub: "When installing or publishing a Docker image, the Docker registry does not '
    'currently support foreign layers, such as Windows images."'
)
LAYER_RULE = "GitHub Packages' Docker registry accepts layers of at most {limit} (compressed)"
IMAGE_RULE = "GitHub Packages' Docker registry gives images over {limit} degraded service"
# Uploads may start before the whole image is read when even twice its unpacked size (tar
# headers, gzip framing) is within the limits: then no size rule can fail.
EARLY_GATE_FACTOR = 2

Log = Callable[[str], None]


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
    early_gate: bool
    containerd: bool = False
    attrs: dict[str, Any] = field(default_factory=dict)  # `docker inspect`, to check a cache


def push_image(
    registry: Registry,
    engine: Engine,
    image_id: str,
    refs: list[Reference],
    log: Log,
    limits: Limits = Limits(),
    cache: BlobCache | None = None,
) -> PushResult:
    """Push a local image under every tag in refs (one repository) as one schema-2 manifest."""
    path = _one_path(refs)
    target = Target(registry, refs[0].registry, path, cache)
    facts = _inspect(engine, image_id, cache, limits)
    fast = _fast_manifest(target, facts, limits, log)
    if fast is not None:
        layers, config = fast
        log("every blob is already in the registry: no `docker save` needed")
        manifest = _finish(target, refs, facts, config, layers, log)
        return PushResult(sha256_digest(manifest), manifest, 0, len(_unique(layers)) + 1)
    known = _known_layers(target, facts)
    uploader = Uploader(target, log, facts.early_gate, limits.layer_max)
    try:
        with tempfile.TemporaryDirectory(prefix="ghpkg-push-") as spool_dir:
            read = _Reading(engine, facts, target, Path(spool_dir), uploader, log)
            image, blobs = read.once(known)
            config = Descriptor(CONFIG, len(image.config), sha256_digest(image.config))
            _check_sizes(blobs, config.size, limits, log)
            if _unresolved(target, blobs, log):
                log("a blob could not be mounted from a sibling repository; reading again")
                present = {d: b for d, b in known.items() if target.has(b.digest, b.size)}
                image, blobs = read.once(present)
                _check_sizes(blobs, config.size, limits, log)
            uploaded, skipped = uploader.finish(blobs)
            config_sent = uploader.config(image.config, config.digest)
    finally:
        uploader.close()
    manifest = _finish(target, refs, facts, config, blobs, log)
    uploaded += config_sent
    skipped += 0 if config_sent else 1
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


def _inspect(engine: Engine, image_id: str, cache: BlobCache | None, limits: Limits) -> _Facts:
    """The image's diff_ids, its config digest where known without saving, and the gate."""
    attrs: dict[str, Any] = engine.get_image(image_id).attrs
    full_id = str(attrs.get("Id", image_id))
    diff_ids = tuple(str(d) for d in (attrs.get("RootFS") or {}).get("Layers") or [])
    containerd = engine.info().containerd_store
    # The cache is a file an earlier job could have written: on the classic store the image ID
    # is the config digest, and on containerd a cached config is checked before it is used.
    cached = cache.config(full_id) if cache else None
    if cache and cached and not containerd and cached.digest != full_id:
        cache.forget_config(full_id)
    config_digest = (cached.digest if cached else None) if containerd else full_id
    # Foreign layers live only in Windows images or the containerd store: elsewhere, and
    # when no layer can break a size rule, uploads need not wait for the whole image.
    bound = EARLY_GATE_FACTOR * int(attrs.get("Size") or 0) + (1 << 20) * len(diff_ids)
    early = (
        not containerd
        and str(attrs.get("Os") or "linux") == "linux"
        and bound <= min(limits.layer_max, limits.image_warn)
    )
    return _Facts(full_id, diff_ids, config_digest, early, containerd, attrs)


def _known_layers(target: Target, facts: _Facts) -> dict[str, CachedBlob]:
    """Cached layers whose blob is in the target repository (HEAD) or a sibling (mountable)."""
    known: dict[str, CachedBlob] = {}
    if target.cache is None:
        return known
    for diff_id in dict.fromkeys(facts.diff_ids):
        blob = target.cache.layer(diff_id)
        if blob is not None and (target.has(blob.digest, blob.size) or target.sources(blob.digest)):
            known[diff_id] = blob
    return known


def _fast_manifest(
    target: Target, facts: _Facts, limits: Limits, log: Log
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
    if facts.containerd and not _config_checks_out(target, facts, config_size):
        target.cache.forget_config(facts.image_id)
        log("the cached config does not match the local image; reading the image")
        return None
    # The cache says which blobs the layers are, and only the image's data could prove it: so
    # only blobs this repository already holds may stand for them (whoever put them here could
    # push here anyway). A mount from a sibling would let an entry another job wrote choose
    # what is published; without one, the image is read and its digests computed.
    if any(not target.has(b.digest, b.size) for b in _unique(blobs)):
        return None
    _check_sizes(blobs, config_size, limits, log)
    if not target.ensure(facts.config_digest, config_size, log):  # checked against the image
        return None
    return blobs, Descriptor(CONFIG, config_size, facts.config_digest)


def _config_checks_out(target: Target, facts: _Facts, size: int) -> bool:
    """Whether the registry's config blob (its digest checked) is the local image's config."""
    assert facts.config_digest is not None
    try:
        raw = b"".join(target.registry.open_blob(target.path, facts.config_digest, size))
        body = json.loads(raw)
    except (GhpkgError, ValueError, RecursionError):
        return False
    return isinstance(body, dict) and same_config(facts.attrs, body)


class _Reading:
    """Reads `docker save` and spools its layers, handing each to the uploader when ready."""

    def __init__(
        self,
        engine: Engine,
        facts: _Facts,
        target: Target,
        directory: Path,
        uploader: Uploader,
        log: Log,
    ) -> None:
        self.engine = engine
        self.facts = facts
        self.target = target
        self.directory = directory
        self.uploader = uploader
        self.log = log

    def skippable(self, digest: str, size: int) -> bool:
        """Whether a blob need not be read: the repository or a sibling has it."""
        return self.target.has(digest, size) or bool(self.target.sources(digest))

    def once(self, known: dict[str, CachedBlob]) -> tuple[SavedImage[LayerBlob], list[LayerBlob]]:
        """Read the image (twice if a guess about a legacy layer was wrong); check it."""
        with ThreadPoolExecutor(workers(), thread_name_prefix="ghpkg-gzip") as pool:
            for guess in (True, False):
                spooler = Spooler(
                    self.directory, pool, self.log, known, self.skippable, guess, self.uploader.add
                )
                self.log(f"reading the image (docker save {short(self.facts.image_id)})")
                stream = self.engine.save(self.facts.image_id)
                image = read_save(stream, spooler, self.facts.config_digest)
                if image.foreign:
                    _refuse_foreign(image)
                blobs = _layer_blobs(image)
                if not any(blob.missed for blob in blobs):
                    return image, blobs
                self.log("a layer was not the one the cache suggested; reading the image again")
                known = {d: b for d, b in known.items() if self.target.has(b.digest, b.size)}
        raise GhpkgError("could not read the image's layers", "the engine's archive changed", "")


def _layer_blobs(image: SavedImage[LayerBlob]) -> list[LayerBlob]:
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
                f"layer {index} ({short(blob.diff_id or blob.digest)}) is "
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


def _unresolved(target: Target, blobs: list[LayerBlob], log: Log) -> bool:
    """Whether a layer that was not read (the cache said the registry has it) is missing."""
    return any(
        not target.ensure(blob.digest, blob.size, log)
        for blob in _unique(blobs)
        if blob.spool is None
    )


def _finish(
    target: Target,
    refs: list[Reference],
    facts: _Facts,
    config: Descriptor,
    blobs: list[LayerBlob],
    log: Log,
) -> bytes:
    """PUT the manifest under every tag, remember what was pushed; return the manifest."""
    manifest = build_schema2(config, [Descriptor(LAYER_GZIP, b.size, b.digest) for b in blobs])
    for ref in refs:
        target.registry.put_manifest(target.path, ref.version, manifest.raw, SCHEMA2)
        log(f"tagged {ref} ({manifest.digest})")
    if target.cache is not None:
        for blob in blobs:
            if blob.diff_id:
                target.cache.record_layer(
                    blob.diff_id, CachedBlob(blob.digest, blob.size, blob.diff_size)
                )
        target.cache.record_config(facts.image_id, CachedBlob(config.digest, config.size))
        target.cache.record_pushed(
            target.host, target.path, [config.digest, *(b.digest for b in blobs)]
        )
        target.cache.save()
    return manifest.raw


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
