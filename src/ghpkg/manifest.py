"""Docker v2 schema-2 manifests: the only kind the GHES Docker registry stores safely."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ghpkg.errors import RegistryError
from ghpkg.reference import is_digest

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
SCHEMA2_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
LAYER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
FOREIGN_LAYERS = (
    LAYER_FOREIGN,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
)
# The distribution registry refuses manifests over 4 MiB (maxManifestBodySize); configs are
# small too. Anything larger from a registry is refused before it is parsed.
MANIFEST_MAX = 4 << 20
CONFIG_MAX = 8 << 20
ACCEPT = ", ".join((SCHEMA2, SCHEMA2_LIST, OCI_MANIFEST, OCI_INDEX, SCHEMA1_SIGNED, SCHEMA1))


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of data."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    """A blob as a manifest names it."""

    media_type: str
    size: int
    digest: str

    def to_json(self) -> dict[str, object]:
        """The descriptor as it stands in a manifest."""
        return {"mediaType": self.media_type, "size": self.size, "digest": self.digest}


@dataclass(frozen=True)
class Manifest:
    """A schema-2 image manifest: one config and its layers, plus the exact bytes served."""

    raw: bytes
    config: Descriptor
    layers: tuple[Descriptor, ...]

    @property
    def digest(self) -> str:
        """The manifest digest the registry stores (sha256 of the raw bytes)."""
        return sha256_digest(self.raw)


def build_schema2(config: Descriptor, layers: list[Descriptor]) -> Manifest:
    """Serialise a schema-2 manifest for a config and its gzip layers."""
    body = {
        "schemaVersion": 2,
        "mediaType": SCHEMA2,
        "config": config.to_json(),
        "layers": [layer.to_json() for layer in layers],
    }
    raw = json.dumps(body, indent=3).encode()
    return Manifest(raw=raw, config=config, layers=tuple(layers))


def check_digest(digest: object, where: str) -> str:
    """`sha256:<64 lowercase hex>`, or a clear error: a digest may become a file name."""
    if not isinstance(digest, str) or not is_digest(digest):
        shown = repr(digest)[:80]
        raise RegistryError(
            f"{where} names an invalid digest {shown}",
            "a digest must be sha256: and 64 lowercase hex digits",
            "publish the image again; if it persists, report it to the site administrator",
        )
    return digest


def load_object(raw: bytes, what: str) -> dict[str, Any]:
    """A JSON object from the network; not JSON, too deep or not an object is a clear error."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise RegistryError(
            f"{what} is not a JSON object",
            f"{len(raw)} bytes that do not parse as one",
            "publish the image again; if it persists, report it to the site administrator",
        )
    return body


def parse_schema2(raw: bytes, media_type: str, where: str) -> Manifest:
    """Parse a manifest served for a tag; anything but one schema-2 image is a clear error."""
    body = load_object(raw, f"the manifest of {where}")
    kind = str(body.get("mediaType") or media_type).split(";")[0].strip()
    if kind in (SCHEMA2_LIST, OCI_INDEX):
        raise RegistryError(
            f"{where} is a multi-platform list ({kind})",
            "the GHES Docker registry serves single-platform Docker v2 schema-2 images only",
            "publish it again with ghpkg, which pushes one schema-2 manifest",
        )
    if kind in (SCHEMA1, SCHEMA1_SIGNED) or body.get("schemaVersion") == 1:
        raise RegistryError(
            f"{where} has a Docker schema-1 manifest",
            "schema 1 is deprecated and not supported by ghpkg",
            "publish it again with a current Docker engine or with ghpkg",
        )
    if kind not in (SCHEMA2, OCI_MANIFEST):
        raise RegistryError(f"{where} has an unknown manifest type {kind!r}", "", "")
    try:
        config = _descriptor(body["config"], where)
        layers = body["layers"]
        if not isinstance(layers, list):
            raise TypeError("layers")
        parsed = tuple(_descriptor(item, where) for item in layers)
    except (KeyError, TypeError, ValueError):
        raise RegistryError(f"the manifest of {where} is malformed", "", "") from None
    return Manifest(raw=raw, config=config, layers=parsed)


def is_index(raw: bytes, media_type: str) -> bool:
    """Whether a manifest is a multi-platform list (Docker manifest list or OCI index)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    if not isinstance(body, dict):
        return False
    kind = str(body.get("mediaType") or media_type).split(";")[0].strip()
    return kind in (SCHEMA2_LIST, OCI_INDEX) or (kind == "" and "manifests" in body)


def choose_platform(raw: bytes, os: str, architecture: str, where: str) -> str:
    """The digest of an index's image for this platform (attestations and others skipped)."""
    entries = load_object(raw, f"the index of {where}").get("manifests") or []
    seen = []
    for entry in entries if isinstance(entries, list) else []:
        platform = (entry.get("platform") if isinstance(entry, dict) else None) or {}
        if not isinstance(platform, dict):
            continue
        name = f"{platform.get('os')}/{platform.get('architecture')}"
        seen.append(name)
        if platform.get("os") == os and platform.get("architecture") == architecture:
            return check_digest(entry.get("digest"), f"the index of {where}")
    raise RegistryError(
        f"{where} has no image for {os}/{architecture}",
        f"it lists {', '.join(seen) or 'no images'}",
        f"publish a {os}/{architecture} image under this tag, or pull on a matching engine",
    )


def _descriptor(item: object, where: str) -> Descriptor:
    if not isinstance(item, dict):
        raise TypeError("descriptor")
    size = item["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError("size")
    digest = check_digest(item["digest"], f"the manifest of {where}")
    return Descriptor(str(item["mediaType"]), size, digest)


class _Blob(Protocol):
    @property
    def digest(self) -> str: ...


B = TypeVar("B", bound=_Blob)


def each_once(blobs: Iterable[B]) -> list[B]:
    """Each blob once (by digest), in the order first seen."""
    seen: dict[str, B] = {}
    for blob in blobs:
        seen.setdefault(blob.digest, blob)
    return list(seen.values())


def blob_path(digest: str) -> str:
    """Where an OCI layout (and `docker save`/`docker load`) keeps a blob: `blobs/sha256/<hex>`."""
    algorithm, _, encoded = digest.partition(":")
    return f"blobs/{algorithm}/{encoded}"


def declared_media_type(raw: bytes, content_type: str) -> str:
    """A manifest's own mediaType, else the Content-Type it was served with (else OCI's)."""
    try:
        declared = json.loads(raw).get("mediaType")
    except (ValueError, AttributeError):
        declared = None
    return str(declared or content_type or OCI_MANIFEST)
