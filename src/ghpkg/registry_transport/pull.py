"""Pull one image by tag through the registry API and hand it to the engine with `docker load`.

`docker pull` cannot be used: this registry answers 404 to manifest requests by digest, and
Engine 28.2+ and containerd no longer fall back to the tag. Layers stream straight from the
registry into `docker load`, checked against their digest and size on the way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from ghpkg.engine import Engine
from ghpkg.errors import EngineError, RegistryError
from ghpkg.manifest import (
    CONFIG_MAX,
    FOREIGN_LAYERS,
    Descriptor,
    Manifest,
    choose_platform,
    declared_media_type,
    is_index,
    parse_schema2,
    sha256_digest,
)
from ghpkg.progress import Lines, bar, duration, rate, size
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.registry_transport.docker_load import docker_archive
from ghpkg.transports import Pulled


def pull_image(
    registry: RegistryClient,
    engine: Engine,
    ref: Reference,
    log: Lines,
    status: Lines | None = None,
) -> Pulled:
    """Pull ref by tag into the engine under `str(ref)`; skips the download if it is there.

    The digest is the tag's manifest's; an index (where the registry resolves digests, i.e. the
    Container registry) gives way to its image for the engine's platform.
    """
    raw, content_type = registry.get_manifest(ref.path, ref.version)
    tag_digest = sha256_digest(raw)
    if registry.digests and is_index(raw, content_type):
        os, architecture = engine.info().platform
        child = choose_platform(raw, os, architecture, str(ref))
        log(f"{ref} is a multi-platform index: pulling its {os}/{architecture} image {child}")
        raw, content_type = registry.get_manifest(ref.path, child)
        if sha256_digest(raw) != child:
            raise RegistryError(
                f"the {os}/{architecture} manifest of {ref} does not match its digest",
                f"the index names {child}, the registry sent {sha256_digest(raw)}",
                "publish the image again; if it persists, report it to the site administrator",
            )
    manifest = parse_schema2(raw, content_type, str(ref))
    _check_layers(manifest, str(ref))
    containerd = engine.info().containerd_store
    present = _present_by_id(engine, manifest, containerd)
    config = b""
    if present is None:
        if manifest.config.size > CONFIG_MAX:
            raise RegistryError(
                f"the image config of {ref} is {manifest.config.size} bytes",
                f"ghpkg reads image configs of at most {CONFIG_MAX} bytes",
                "check the image; a Docker image config is a few kilobytes",
            )
        config = b"".join(
            registry.open_blob(ref.path, manifest.config.digest, manifest.config.size)
        )
        _check_config(config, manifest, str(ref))
        if containerd:
            present = _present_by_config(engine, str(ref), config)
    if present is not None:
        engine.tag(present, str(ref))
        log(f"{ref} is already present as {present}; no layers downloaded")
        return Pulled(tag_digest, present)
    total = sum(layer.size for layer in manifest.layers)
    log(f"pulling {ref}: {len(manifest.layers)} layer(s), {size(total)}")
    opener = _LayerOpener(registry, ref.path, len(manifest.layers), log, status)
    stream = docker_archive(
        manifest, declared_media_type(raw, content_type), config, opener, str(ref)
    )
    engine.load(stream)
    image = engine.find_image(str(ref))
    if image is None:
        raise EngineError(
            f"docker load did not create {ref}",
            "the engine accepted the archive but has no image under that name",
            "check the engine's log",
        )
    image_id = str(image.id)
    if not containerd and image_id != manifest.config.digest:
        raise EngineError(
            f"{ref} loaded as {image_id}",
            f"the classic image store should name it by its config {manifest.config.digest}",
            "remove the image and pull again",
        )
    log(f"loaded {ref} as {image_id} (manifest {manifest.digest})")
    return Pulled(tag_digest, image_id)


class _LayerOpener:
    """Opens each layer blob when the archive reaches it, logging its start, size and speed."""

    def __init__(
        self, registry: RegistryClient, path: str, count: int, log: Lines, status: Lines | None
    ) -> None:
        self._registry = registry
        self._path = path
        self._count = count
        self._log = log
        self._status = status  # a terminal's progress bar

    def __call__(self, index: int, layer: Descriptor) -> Iterator[bytes]:
        label = f"layer {index + 1}/{self._count} {layer.digest.split(':')[-1][:12]}"
        self._log(f"{label}: downloading {size(layer.size)}")
        started, drawn = time.monotonic(), 0.0
        received = 0
        for chunk in self._registry.open_blob(self._path, layer.digest, layer.size):
            received += len(chunk)
            if self._status is not None and time.monotonic() - drawn >= 0.2:
                drawn = time.monotonic()
                self._status(f"{label}: {bar(received, layer.size)}")
            yield chunk
        elapsed = max(time.monotonic() - started, 1e-6)
        speed = rate(layer.size, elapsed)
        self._log(f"{label}: done, {size(layer.size)} in {duration(elapsed)} ({speed})")


def _check_layers(manifest: Manifest, where: str) -> None:
    for layer in manifest.layers:
        if layer.media_type in FOREIGN_LAYERS:
            raise RegistryError(
                f"{where} has a foreign (Windows) layer {layer.digest}",
                "the GHES Docker registry does not serve foreign layers",
                "use a Linux image",
            )


def _check_config(config: bytes, manifest: Manifest, where: str) -> None:
    try:
        body = json.loads(config)
        diff_ids = body["rootfs"]["diff_ids"]
        if not isinstance(diff_ids, list):
            raise TypeError("diff_ids")
    except (ValueError, KeyError, TypeError, RecursionError):
        raise RegistryError(
            f"the image config of {where} is not a Docker image config",
            "it has no rootfs.diff_ids",
            "publish the image again with ghpkg or docker push",
        ) from None
    if len(diff_ids) != len(manifest.layers):
        raise RegistryError(
            f"the manifest and config of {where} disagree",
            f"{len(manifest.layers)} layers in the manifest, {len(diff_ids)} in the config",
            "publish the image again",
        )


def _present_by_id(engine: Engine, manifest: Manifest, containerd: bool) -> str | None:
    """The image ID if the engine has it: by config (classic), by manifest (containerd)."""
    wanted = manifest.digest if containerd else manifest.config.digest
    image = engine.find_image(wanted)
    return wanted if image is not None and image.id == wanted else None


def _present_by_config(engine: Engine, name: str, config: bytes) -> str | None:
    """On the containerd store: the image tagged `name`, if built from this very config."""
    image = engine.find_image(name)
    if image is None:
        return None
    return str(image.id) if same_config(image.attrs, json.loads(config)) else None


def same_config(inspect: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether `docker inspect` output shows this config: layers, time, platform, run settings."""
    rootfs = inspect.get("RootFS") or {}
    container = inspect.get("Config") or {}
    wanted = config.get("config") or {}
    return (
        list(rootfs.get("Layers") or []) == list(config.get("rootfs", {}).get("diff_ids") or [])
        and _timestamp(inspect.get("Created")) == _timestamp(config.get("created"))
        and inspect.get("Architecture") == config.get("architecture")
        and inspect.get("Os") == config.get("os")
        and (inspect.get("Variant") or "") == (config.get("variant") or "")
        and (inspect.get("Author") or "") == (config.get("author") or "")
        and isinstance(container, dict)
        and isinstance(wanted, dict)
        and all((container.get(key) or None) == (wanted.get(key) or None) for key in _RUN_KEYS)
    )


# What a container runs with: a release that changes only these is still another image.
_RUN_KEYS = (
    "Cmd", "Entrypoint", "Env", "User", "WorkingDir", "Labels", "ExposedPorts", "Volumes",
    "StopSignal", "Healthcheck", "Shell", "OnBuild",
)  # fmt: skip


def _timestamp(value: object) -> str:
    """An RFC 3339 time with trailing fractional zeros dropped, for comparison."""
    text = str(value or "")
    if "." in text and text.endswith("Z"):
        whole, fraction = text[:-1].split(".", 1)
        fraction = fraction.rstrip("0")
        text = f"{whole}.{fraction}Z" if fraction else f"{whole}Z"
    return text


__all__ = ["pull_image", "same_config"]
