"""What the shim stores for a pushed manifest: schema 2 as is, OCI converted, an index reduced.

The GHES Docker registry keeps single-platform Docker v2 schema-2 manifests only. An engine on
the containerd image store pushes OCI manifests, and BuildKit adds an index with attestation
manifests. Both name the same blobs a schema-2 manifest would: only media types change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ghpkg.errors import RegistryError
from ghpkg.manifest import (
    CONFIG,
    FOREIGN_LAYERS,
    LAYER_GZIP,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    SCHEMA1,
    SCHEMA1_SIGNED,
    SCHEMA2,
    SCHEMA2_LIST,
    sha256_digest,
)

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
_LAYERS = {
    LAYER_GZIP: LAYER_GZIP,
    OCI_LAYER_GZIP: LAYER_GZIP,
    LAYER_TAR: LAYER_TAR,
    OCI_LAYER_TAR: LAYER_TAR,
}
_ATTESTATION = "attestation-manifest"
MAX_MANIFEST = 4 << 20  # the distribution registry's own limit on a manifest's size

HeldManifest = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Stored:
    """The schema-2 manifest to store for a tag, and what was changed on the way."""

    raw: bytes
    note: str = ""

    @property
    def digest(self) -> str:
        """The digest the registry will report for it."""
        return sha256_digest(self.raw)


def media_type_of(raw: bytes, content_type: str) -> str:
    """The manifest's own mediaType, else the Content-Type it came with."""
    body = _json(raw, "the manifest")
    return str(body.get("mediaType") or content_type).split(";")[0].strip()


def for_docker_registry(raw: bytes, content_type: str, held: HeldManifest) -> Stored:
    """The schema-2 manifest that stands for a pushed manifest, or a RegistryError saying why not.

    `held` returns a manifest pushed earlier by digest (an index's children), or None.
    """
    kind = media_type_of(raw, content_type)
    if kind == SCHEMA2:
        return Stored(raw)
    if kind == OCI_MANIFEST:
        return Stored(_schema2_from_oci(_json(raw, "the manifest")), "converted OCI to schema 2")
    if kind in (OCI_INDEX, SCHEMA2_LIST):
        return _reduce_index(_json(raw, "the index"), held)
    if kind in (SCHEMA1, SCHEMA1_SIGNED):
        raise _refused("a Docker schema-1 manifest", "schema 1 is deprecated")
    raise _refused(f"a manifest of type {kind or 'unknown'}", "it is not a container image")


def _reduce_index(index: dict[str, Any], held: HeldManifest) -> Stored:
    """The one platform image of an index, its attestation manifests dropped."""
    entries = index.get("manifests")
    if not isinstance(entries, list):
        raise _refused("an index without a manifests list", "it is malformed")
    images, dropped = [], 0
    for entry in entries:
        if not isinstance(entry, dict):
            raise _refused("an index with a malformed entry", "it is malformed")
        annotations = entry.get("annotations") or {}
        platform = entry.get("platform") or {}
        if annotations.get("vnd.docker.reference.type") == _ATTESTATION or (
            platform.get("os") == "unknown"
        ):
            dropped += 1
            continue
        images.append(entry)
    if len(images) != 1:
        names = ", ".join(_platform(entry) for entry in images) or "none"
        raise _refused(
            f"an index of {len(images)} platform images ({names})",
            "the GHES Docker registry keeps one platform per tag",
            "build for one platform (--platform), or push each platform under its own tag",
        )
    digest = str(images[0].get("digest", ""))
    child = held(digest)
    if child is None:
        raise _refused(
            f"an index whose image {digest} was not pushed through this shim",
            "its manifest is needed to store the image under the tag",
            "push the image again through the shim",
        )
    stored = for_docker_registry(child, str(images[0].get("mediaType", "")), held)
    note = f"kept the {_platform(images[0])} image of an index"
    if dropped:
        note += f", dropped {dropped} attestation manifest(s)"
    if stored.note:
        note += f", {stored.note}"
    return Stored(stored.raw, note)


def _schema2_from_oci(body: dict[str, Any]) -> bytes:
    """The same config and layers, under Docker's media types."""
    config = body.get("config")
    layers = body.get("layers")
    if not isinstance(config, dict) or not isinstance(layers, list):
        raise _refused("an OCI manifest without config and layers", "it is malformed")
    if body.get("artifactType") or config.get("mediaType") not in (OCI_CONFIG, CONFIG):
        kind = body.get("artifactType") or config.get("mediaType")
        raise _refused(f"an OCI artifact ({kind})", "only container images can be stored")
    converted = {
        "schemaVersion": 2,
        "mediaType": SCHEMA2,
        "config": _descriptor(config, CONFIG),
        "layers": [_descriptor(layer, _layer_type(layer)) for layer in layers],
    }
    return json.dumps(converted, indent=3).encode()


def _layer_type(layer: Any) -> str:
    kind = str(layer.get("mediaType", "")) if isinstance(layer, dict) else ""
    if kind in FOREIGN_LAYERS:
        raise _refused("an image with foreign layers", "the GHES Docker registry refuses them")
    if kind not in _LAYERS:
        raise _refused(
            f"an image with {kind.rsplit('.', 1)[-1] or 'unknown'} layers ({kind})",
            "the GHES Docker registry takes gzip or plain tar layers only",
            "build with gzip compression (the default)",
        )
    return _LAYERS[kind]


def _descriptor(item: dict[str, Any], media_type: str) -> dict[str, object]:
    try:
        return {"mediaType": media_type, "size": int(item["size"]), "digest": str(item["digest"])}
    except (KeyError, TypeError, ValueError):
        raise _refused("a manifest with a malformed descriptor", "it is malformed") from None


def _platform(entry: dict[str, Any]) -> str:
    platform = entry.get("platform") or {}
    name = f"{platform.get('os', '?')}/{platform.get('architecture', '?')}"
    return name + (f"/{platform['variant']}" if platform.get("variant") else "")


def _json(raw: bytes, what: str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise _refused(f"{what}, which is not JSON", "it is malformed") from None
    if not isinstance(body, dict):
        raise _refused(f"{what}, which is not a JSON object", "it is malformed")
    return body


def _refused(what: str, cause: str, fix: str = "") -> RegistryError:
    return RegistryError(
        f"cannot store {what} in the GHES Docker registry",
        cause,
        fix or "push a single-platform image with gzip layers",
        status=400,
        codes=("MANIFEST_INVALID",),
    )
