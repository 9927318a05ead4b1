"""Write a `docker load` tar stream from a registry manifest, its config and streamed layers.

The stream holds both layouts `docker save` of Engine 25+ writes, sharing one copy of each
blob under `blobs/sha256/<hex>`: the legacy `manifest.json` (classic image store, any engine
version) and an OCI layout whose `index.json` names the registry's own manifest (containerd
image store, which then names the image by that manifest's digest, as `docker pull` would).
`manifest.json` comes last: if a blob fails its check, the stream stops and nothing loads.
Pure: takes bytes and iterables, yields bytes; no I/O.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ghpkg.errors import GhpkgError
from ghpkg.manifest import OCI_INDEX, Descriptor, Manifest, blob_path

BLOCK = 512
OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


@dataclass(frozen=True)
class Member:
    """One regular file of the archive; `chunks` is called only when the writer reaches it."""

    name: str
    size: int
    chunks: Callable[[], Iterable[bytes]]


def header(name: str, size: int = 0, *, directory: bool = False) -> bytes:
    """A tar header block for a file (mode 0644) or a directory (0755), mtime 0, owner root."""
    info = tarfile.TarInfo(name.rstrip("/") + ("/" if directory else ""))
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = 0 if directory else size
    info.mtime = 0
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def member_stream(member: Member) -> Iterator[bytes]:
    """Header, data and padding of one member; refuses data that is not exactly `size` bytes."""
    yield header(member.name, member.size)
    written = 0
    for chunk in member.chunks():
        written += len(chunk)
        if written > member.size:
            raise _size_error(member, f"more than {member.size} bytes")
        if chunk:
            yield chunk
    if written != member.size:
        raise _size_error(member, f"{written} bytes instead of {member.size}")
    padding = -member.size % BLOCK
    if padding:
        yield b"\0" * padding


def tar_stream(directories: Iterable[str], members: Iterable[Member]) -> Iterator[bytes]:
    """A whole tar: directory entries, then members in order, then the end-of-archive blocks."""
    for name in directories:
        yield header(name, directory=True)
    for member in members:
        yield from member_stream(member)
    yield b"\0" * (2 * BLOCK)


def docker_archive(
    manifest: Manifest,
    media_type: str,
    config: bytes,
    open_layer: Callable[[int, Descriptor], Iterable[bytes]],
    repo_tag: str,
) -> Iterator[bytes]:
    """The `docker load` tar of one image, named repo_tag (`host/path:tag`), layers streamed."""
    members = [
        Member("oci-layout", len(OCI_LAYOUT), lambda: [OCI_LAYOUT]),
        Member(blob_path(manifest.config.digest), len(config), lambda: [config]),
    ]
    seen = {manifest.config.digest}
    for index, layer in enumerate(manifest.layers):
        if layer.digest not in seen:
            seen.add(layer.digest)
            members.append(_layer_member(index, layer, open_layer))
    if manifest.digest not in seen:
        members.append(
            Member(blob_path(manifest.digest), len(manifest.raw), lambda: [manifest.raw])
        )
    index_json = oci_index(manifest, media_type, repo_tag)
    legacy = legacy_manifest(manifest, repo_tag)
    members.append(Member("index.json", len(index_json), lambda: [index_json]))
    members.append(Member("manifest.json", len(legacy), lambda: [legacy]))
    algorithms = sorted({blob_path(d).rsplit("/", 1)[0] for d in seen | {manifest.digest}})
    return tar_stream(["blobs", *algorithms], members)


def legacy_manifest(manifest: Manifest, repo_tag: str) -> bytes:
    """The `manifest.json` of a legacy `docker save`: config, tags and layer files in order."""
    entry = {
        "Config": blob_path(manifest.config.digest),
        "RepoTags": [repo_tag],
        "Layers": [blob_path(layer.digest) for layer in manifest.layers],
    }
    return json.dumps([entry], separators=(",", ":")).encode()


def oci_index(manifest: Manifest, media_type: str, repo_tag: str) -> bytes:
    """The OCI `index.json` naming the registry's manifest (of media_type) under repo_tag."""
    tag = repo_tag.rpartition(":")[2]
    body = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": media_type,
                "digest": manifest.digest,
                "size": len(manifest.raw),
                "annotations": {
                    "io.containerd.image.name": repo_tag,
                    "org.opencontainers.image.ref.name": tag,
                },
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _layer_member(
    index: int, layer: Descriptor, open_layer: Callable[[int, Descriptor], Iterable[bytes]]
) -> Member:
    return Member(blob_path(layer.digest), layer.size, lambda: open_layer(index, layer))


def _size_error(member: Member, cause: str) -> GhpkgError:
    return GhpkgError(
        f"archive member {member.name} does not match its declared size",
        cause,
        "the stream was stopped so the engine loads nothing; run again",
    )
