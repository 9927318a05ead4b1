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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from ghpkg.engine import Engine
from ghpkg.errors import GhpkgError, UsageError
from ghpkg.manifest import (
    CONFIG,
    LAYER_GZIP,
    SCHEMA2,
    Descriptor,
    build_schema2,
    each_once,
    sha256_digest,
)
from ghpkg.progress import Lines
from ghpkg.reference import Reference
from ghpkg.registry.answers import short
from ghpkg.registry.blob_writer import BlobStore, BlobWriter
from ghpkg.registry_transport.blobcache import BlobCache, CachedBlob
from ghpkg.registry_transport.compress import workers
from ghpkg.registry_transport.docker_save import SaveArchive, SavedImage
from ghpkg.registry_transport.pull import same_config
from ghpkg.registry_transport.spool import LayerBlob, Spooler, in_order
from ghpkg.registry_transport.uploads import (
    DEFAULT_LIMITS,
    Limits,
    Uploader,
    check_sizes,
    refuse_foreign,
)

__all__ = ["ImageStore", "Pushed", "push_image"]

# Uploads may start before the whole image is read when even twice its unpacked size (tar
# headers, gzip framing) is within the limits: then no size rule can fail.
EARLY_GATE_FACTOR = 2


class ImageStore(BlobStore, Protocol):
    """What a push needs of ghpkg.registry.RegistryClient: blobs, and manifests by tag."""

    def open_blob(self, path: str, digest: str, size: int | None = None) -> Iterator[bytes]: ...

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str: ...


@dataclass(frozen=True)
class _Target:
    """The repository pushed to: its writer and the digest cache."""

    writer: BlobWriter
    registry: ImageStore
    host: str
    path: str
    cache: BlobCache | None


@dataclass(frozen=True)
class Pushed:
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
    registry: ImageStore,
    engine: Engine,
    image_id: str,
    refs: list[Reference],
    log: Lines,
    limits: Limits = DEFAULT_LIMITS,
    cache: BlobCache | None = None,
) -> Pushed:
    """Push a local image under every tag in refs (one repository) as one schema-2 manifest."""
    path = _one_path(refs)
    host = refs[0].registry
    writer = BlobWriter(registry, path, log)
    if cache is not None:  # mounts only from where the cache says this owner pushed the blob
        writer = BlobWriter(registry, path, log, partial(cache.siblings, host, path))
    target = _Target(writer, registry, host, path, cache)
    facts = _inspect(engine, image_id, cache, limits)
    fast = _fast_manifest(target, facts, limits, log)
    if fast is not None:
        layers, config = fast
        log("every blob is already in the registry: no `docker save` needed")
        manifest = _finish(target, refs, facts, config, layers, log)
        return Pushed(sha256_digest(manifest), manifest, 0, len(each_once(layers)) + 1)
    known = _known_layers(target, facts)
    uploader = Uploader(writer, log, facts.early_gate, limits.layer_max)
    try:
        with tempfile.TemporaryDirectory(prefix="ghpkg-push-") as spool_dir:
            read = partial(_read, engine, facts, writer, Path(spool_dir), uploader, log)
            image, blobs = read(known)
            config = Descriptor(CONFIG, len(image.config), sha256_digest(image.config))
            check_sizes(blobs, config.size, limits, log)
            if any(
                not writer.ensure(b.digest, b.size) for b in each_once(blobs) if b.spool is None
            ):
                log("a blob could not be mounted from a sibling repository; reading again")
                present = {d: b for d, b in known.items() if writer.has(b.digest, b.size)}
                image, blobs = read(present)
                check_sizes(blobs, config.size, limits, log)
            uploaded, skipped = uploader.finish(blobs)
            config_sent = uploader.config(image.config, config.digest)
    finally:
        uploader.close()
    manifest = _finish(target, refs, facts, config, blobs, log)
    uploaded += config_sent
    skipped += 0 if config_sent else 1
    return Pushed(sha256_digest(manifest), manifest, uploaded, skipped)


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


def _known_layers(target: _Target, facts: _Facts) -> dict[str, CachedBlob]:
    """Cached layers whose blob is in the target repository (HEAD) or a sibling (mountable)."""
    known: dict[str, CachedBlob] = {}
    if target.cache is None:
        return known
    for diff_id in dict.fromkeys(facts.diff_ids):
        blob = target.cache.layer(diff_id)
        if blob is not None and target.writer.reachable(blob.digest, blob.size):
            known[diff_id] = blob
    return known


def _fast_manifest(
    target: _Target, facts: _Facts, limits: Limits, log: Lines
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
    _ask_sizes(target.writer, [facts.config_digest, *(b.digest for b in blobs)])
    config_size = target.writer.size(facts.config_digest)
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
    if any(not target.writer.has(b.digest, b.size) for b in each_once(blobs)):
        return None
    check_sizes(blobs, config_size, limits, log)
    if not target.writer.ensure(facts.config_digest, config_size):  # checked against the image
        return None
    return blobs, Descriptor(CONFIG, config_size, facts.config_digest)


def _ask_sizes(writer: BlobWriter, digests: list[str]) -> None:
    """One HEAD per blob, all at once (the writer remembers each answer): the checks that follow
    wait for one round trip, not one per blob."""
    unique = list(dict.fromkeys(digests))
    with ThreadPoolExecutor(min(len(unique), 8), thread_name_prefix="ghpkg-head") as pool:
        list(pool.map(writer.size, unique))


def _config_checks_out(target: _Target, facts: _Facts, size: int) -> bool:
    """Whether the registry's config blob (its digest checked) is the local image's config."""
    assert facts.config_digest is not None
    try:
        raw = b"".join(target.registry.open_blob(target.path, facts.config_digest, size))
        body = json.loads(raw)
    except (GhpkgError, ValueError, RecursionError):
        return False
    return isinstance(body, dict) and same_config(facts.attrs, body)


def _read(
    engine: Engine,
    facts: _Facts,
    writer: BlobWriter,
    directory: Path,
    uploader: Uploader,
    log: Lines,
    known: dict[str, CachedBlob],
) -> tuple[SavedImage[LayerBlob], list[LayerBlob]]:
    """Read `docker save` once, each layer spooled then handed to the uploader (read again
    when a guess about a legacy layer was wrong)."""
    with ThreadPoolExecutor(workers(), thread_name_prefix="ghpkg-gzip") as pool:
        for guess in (True, False):
            spooler = Spooler(directory, pool, log, known, writer, guess)
            log(f"reading the image (docker save {short(facts.image_id)})")
            archive = SaveArchive(engine.save(facts.image_id))
            results: dict[str, LayerBlob] = {}
            for entry in archive.layers():
                results[entry.name] = blob = spooler(entry)
                uploader.add(blob)
            image = archive.image(results, facts.config_digest)
            refuse_foreign(image.foreign)
            blobs = in_order(image)
            if not any(blob.missed for blob in blobs):
                return image, blobs
            log("a layer was not the one the cache suggested; reading the image again")
            known = {d: b for d, b in known.items() if writer.has(b.digest, b.size)}
    raise GhpkgError("could not read the image's layers", "the engine's archive changed", "")


def _finish(
    target: _Target,
    refs: list[Reference],
    facts: _Facts,
    config: Descriptor,
    blobs: list[LayerBlob],
    log: Lines,
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
