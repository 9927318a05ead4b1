"""Copy one image between registries blob to blob: no engine, no temp file, memory flat.

GitHub's recommended migration from the Docker registry to the Container registry: the
manifest is read by tag from the source, every blob the destination lacks is streamed from a
source GET straight into a destination upload, and the same manifest bytes are PUT by tag, so
the digest is preserved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from ghpkg.errors import RegistryError
from ghpkg.manifest import OCI_MANIFEST, Descriptor, parse_schema2, sha256_digest
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient

Log = Callable[[str], None]


@dataclass(frozen=True)
class CopyResult:
    """What a copy did: the manifest digest, blobs and bytes sent, blobs already there."""

    digest: str
    copied_blobs: int
    copied_bytes: int
    skipped_blobs: int


def copy_image(
    source: RegistryClient,
    destination: RegistryClient,
    src: Reference,
    dst: Reference,
    log: Log,
    done: set[str] | None = None,
) -> CopyResult:
    """Copy src to dst by tag; `done` holds blob digests already copied (several tags)."""
    done = set() if done is None else done
    raw, content_type = source.get_manifest(src.path, src.version)
    manifest = parse_schema2(raw, content_type, str(src))
    copied = skipped = sent = 0
    for blob in _unique((manifest.config, *manifest.layers)):
        if blob.digest in done or destination.blob_size(dst.path, blob.digest) is not None:
            skipped += 1
        else:
            _copy_blob(source, destination, src, dst, blob)
            log(f"blob {_short(blob.digest)}: copied {blob.size / 1e6:.1f} MB")
            copied, sent = copied + 1, sent + blob.size
        done.add(blob.digest)
    media_type = _media_type(raw, content_type)
    destination.put_manifest(dst.path, dst.version, raw, media_type)
    served, _ = destination.get_manifest(dst.path, dst.version)
    if sha256_digest(served) != manifest.digest:
        raise RegistryError(
            f"{dst} serves another manifest than {src}",
            f"{sha256_digest(served)} instead of {manifest.digest}",
            "another push to the same tag ran at the same time; run the copy again",
        )
    log(f"{dst}: {copied} blob(s) copied ({sent / 1e6:.1f} MB), {skipped} already there")
    return CopyResult(manifest.digest, copied, sent, skipped)


def _copy_blob(
    source: RegistryClient,
    destination: RegistryClient,
    src: Reference,
    dst: Reference,
    blob: Descriptor,
) -> None:
    """Stream one blob from a source GET into a destination upload (a new GET per attempt)."""
    destination.upload_stream(
        dst.path, lambda: source.open_blob(src.path, blob.digest, blob.size), blob.digest, blob.size
    )


def _unique(blobs: tuple[Descriptor, ...]) -> list[Descriptor]:
    return list({blob.digest: blob for blob in blobs}.values())


def _media_type(raw: bytes, content_type: str) -> str:
    """The manifest's own mediaType, else the Content-Type it was served with."""
    try:
        declared = json.loads(raw).get("mediaType")
    except (ValueError, AttributeError):
        declared = None
    return str(declared or content_type or OCI_MANIFEST)


def _short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


__all__ = ["CopyResult", "copy_image"]
