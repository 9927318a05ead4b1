"""Copy one image between registries blob to blob: no engine, no temp file, memory flat.

GitHub's recommended migration from the Docker registry to the Container registry: the
manifest is read by tag from the source, every blob the destination lacks is streamed from a
source GET through the destination's `BlobWriter`, and the same manifest bytes are PUT by tag,
so the digest is preserved.
"""

from __future__ import annotations

from dataclasses import dataclass

from ghpkg.errors import RegistryError
from ghpkg.manifest import (
    Descriptor,
    declared_media_type,
    each_once,
    parse_schema2,
    sha256_digest,
)
from ghpkg.progress import Lines, size
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.registry.answers import short
from ghpkg.registry.blob_writer import Blob, BlobWriter


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
    log: Lines,
    done: set[str] | None = None,
    writer: BlobWriter | None = None,
) -> CopyResult:
    """Copy src to dst by tag; `done` holds blob digests already copied (several tags)."""
    done = set() if done is None else done
    writer = writer or BlobWriter(destination, dst.path)
    raw, content_type = source.get_manifest(src.path, src.version)
    manifest = parse_schema2(raw, content_type, str(src))
    copied = skipped = sent = 0
    for blob in each_once((manifest.config, *manifest.layers)):
        if blob.digest not in done and writer.write(_streamed(source, src, blob)):
            log(f"blob {short(blob.digest)}: copied {size(blob.size)}")
            copied, sent = copied + 1, sent + blob.size
        else:
            skipped += 1
        done.add(blob.digest)
    media_type = declared_media_type(raw, content_type)
    destination.put_manifest(dst.path, dst.version, raw, media_type)
    served, _ = destination.get_manifest(dst.path, dst.version)
    if sha256_digest(served) != manifest.digest:
        raise RegistryError(
            f"{dst} serves another manifest than {src}",
            f"{sha256_digest(served)} instead of {manifest.digest}",
            "another push to the same tag ran at the same time; run the copy again",
        )
    log(f"{dst}: {copied} blob(s) copied ({size(sent)}), {skipped} already there")
    return CopyResult(manifest.digest, copied, sent, skipped)


def _streamed(source: RegistryClient, src: Reference, blob: Descriptor) -> Blob:
    """The blob as a source GET streams it (a new GET per attempt)."""
    return Blob(blob.digest, blob.size, lambda: source.open_blob(src.path, blob.digest, blob.size))


__all__ = ["CopyResult", "copy_image"]
