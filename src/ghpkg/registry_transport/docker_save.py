"""Read a `docker save` tar stream once, in order: both the legacy and the OCI layout.

Legacy (Engine < 25): `<id>/layer.tar` (uncompressed; duplicates are symlinks), `<config>.json`,
`manifest.json`. OCI (Engine 25+): `blobs/sha256/<hex>`, `index.json`, `oci-layout` and a
compatible `manifest.json`; the containerd image store keeps layers gzip-compressed there.
The layout files come last, so every layer is yielded as it streams by (what it is is told
from its first bytes) and the image is put together when the stream ends.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ghpkg.errors import EngineError
from ghpkg.manifest import FOREIGN_LAYERS, OCI_INDEX, OCI_MANIFEST, SCHEMA2, SCHEMA2_LIST, blob_path
from ghpkg.registry_transport.compress import sniff

T = TypeVar("T")

READ_SIZE = 1 << 20
METADATA_MAX = 16 << 20
_INDEXES = (OCI_INDEX, SCHEMA2_LIST)
_MANIFESTS = (OCI_MANIFEST, SCHEMA2)


@dataclass
class LayerEntry:
    """A layer as it streams by: its archive name, size, kind (tar, gzip, zstd) and its bytes."""

    name: str
    size: int
    kind: str
    head: bytes
    _rest: Iterator[bytes] = field(repr=False)

    def chunks(self) -> Iterator[bytes]:
        """The layer's bytes in pieces of about 1 MiB; can be iterated once."""
        if self.head:
            head, self.head = self.head, b""
            yield head
        yield from self._rest

    @property
    def blob_digest(self) -> str | None:
        """`sha256:<hex>` when the archive names the blob by its digest (OCI layout)."""
        parts = self.name.split("/")
        if len(parts) == 3 and parts[0] == "blobs":
            return f"{parts[1]}:{parts[2]}"
        return None


@dataclass(frozen=True)
class ForeignLayer:
    """A layer the image's manifest marks as foreign (non-distributable)."""

    index: int
    diff_id: str
    media_type: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class SavedImage(Generic[T]):
    """One image in the archive: its config and, per layer, the caller's result (None only
    for a foreign layer whose bytes are not in the archive)."""

    layout: str
    config: bytes
    diff_ids: tuple[str, ...]
    layers: tuple[T | None, ...]
    foreign: tuple[ForeignLayer, ...]


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


class SaveArchive:
    """One pass over a `docker save` stream: its layers as they pass by, then its image."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream
        self.links: dict[str, str] = {}
        self.files: dict[str, bytes] = {}

    def layers(self) -> Iterator[LayerEntry]:
        """Each layer as it streams by; what the caller leaves unread is skipped."""
        reader = io.BufferedReader(_ChunkReader(self._stream), READ_SIZE)
        try:
            with tarfile.open(fileobj=reader, mode="r|", bufsize=READ_SIZE) as archive:
                for member in archive:
                    name = posixpath.normpath(member.name.lstrip("./") or ".")
                    if member.issym() or member.islnk():
                        self.links[name] = _link_target(name, member)
                    elif member.isfile():
                        entry = self._file(archive, member, name)
                        if entry is not None:
                            yield entry
                            for _ in entry.chunks():  # whatever the caller left unread
                                pass
        except tarfile.TarError as exc:
            raise _broken(str(exc)) from None

    def image(self, results: Mapping[str, T], config_digest: str | None = None) -> SavedImage[T]:
        """The image, once the stream is read: per layer, `results` for its archive name."""
        if "manifest.json" in self.files:
            config, names, sources = _docker_entry(self.files, config_digest)
        elif "index.json" in self.files:
            config, names, sources = _oci_entry(self.files)
        else:
            raise _broken("it has neither manifest.json nor index.json")
        diff_ids = _diff_ids(config)
        if len(names) != len(diff_ids):
            raise _broken(f"the archive lists {len(names)} layers, the config {len(diff_ids)}")
        foreign = _foreign(self.files, diff_ids, sources)
        skipped = {layer.index for layer in foreign}
        found = [self._resolve(name, results) for name in names]
        for i, name in enumerate(found):
            if name not in results and i not in skipped:
                raise _broken(f"layer {names[i]} is listed but not in the archive")
        layers = tuple(results.get(name) for name in found)
        layout = "oci" if "index.json" in self.files else "docker"
        return SavedImage(layout, config, diff_ids, layers, foreign)

    def _file(
        self, archive: tarfile.TarFile, member: tarfile.TarInfo, name: str
    ) -> LayerEntry | None:
        handle = archive.extractfile(member)
        if handle is None:  # pragma: no cover - regular files always have a handle
            return None
        base = posixpath.basename(name)
        if base == "layer.tar":
            return _entry(name, member.size, handle, handle.read(READ_SIZE), "tar")
        if name.startswith("blobs/"):
            head = handle.read(READ_SIZE)
            kind = sniff(head)
            if kind != "metadata":
                return _entry(name, member.size, handle, head, kind)
            if member.size <= METADATA_MAX:
                self.files[name] = head + handle.read()
        elif "/" not in name and base.endswith(".json") and member.size <= METADATA_MAX:
            self.files[name] = handle.read()
        return None

    def _resolve(self, name: str, results: Mapping[str, Any]) -> str:
        seen = {name}
        while name not in results and name in self.links:
            name = self.links[name]
            if name in seen:
                break
            seen.add(name)
        return name


def _entry(name: str, size: int, handle: Any, head: bytes, kind: str) -> LayerEntry:
    def rest() -> Iterator[bytes]:
        while chunk := handle.read(READ_SIZE):
            yield chunk

    return LayerEntry(name=name, size=size, kind=kind, head=head, _rest=rest())


def _link_target(name: str, member: tarfile.TarInfo) -> str:
    if member.islnk():
        return posixpath.normpath(member.linkname.lstrip("./"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))


def _docker_entry(
    files: dict[str, bytes], config_digest: str | None
) -> tuple[bytes, list[str], dict[str, Any]]:
    entries = _json(files["manifest.json"], "manifest.json")
    if not isinstance(entries, list) or not entries:
        raise _broken("manifest.json lists no image")
    hex_part = (config_digest or "").split(":", 1)[-1]
    chosen = [e for e in entries if isinstance(e, dict) and hex_part in str(e.get("Config", ""))]
    entry = chosen[0] if config_digest and chosen else entries[0]
    if not isinstance(entry, dict) or "Config" not in entry:
        raise _broken("manifest.json has no Config")
    config = _file(files, posixpath.normpath(str(entry["Config"])))
    names = [posixpath.normpath(str(name)) for name in entry.get("Layers") or []]
    sources = entry.get("LayerSources") or {}
    return config, names, sources if isinstance(sources, dict) else {}


def _oci_entry(files: dict[str, bytes]) -> tuple[bytes, list[str], dict[str, Any]]:
    manifest = _oci_manifest(files)
    if manifest is None:
        raise _broken("index.json names no image manifest")
    config = _file(files, blob_path(str(manifest["config"]["digest"])))
    names = [blob_path(str(desc["digest"])) for desc in manifest.get("layers") or []]
    return config, names, {}


def _foreign(
    files: dict[str, bytes], diff_ids: tuple[str, ...], sources: dict[str, Any]
) -> tuple[ForeignLayer, ...]:
    """Foreign layers, from manifest.json's LayerSources and the OCI manifest's media types."""
    found: dict[int, ForeignLayer] = {}
    for i, diff_id in enumerate(diff_ids):
        desc = sources.get(diff_id)
        if isinstance(desc, dict) and desc.get("mediaType") in FOREIGN_LAYERS:
            urls = tuple(desc.get("urls") or ())
            found[i] = ForeignLayer(i, diff_id, str(desc["mediaType"]), urls)
    for i, desc in enumerate((_oci_manifest(files) or {}).get("layers") or []):
        media_type = str(desc.get("mediaType", ""))
        if media_type in FOREIGN_LAYERS and i < len(diff_ids) and i not in found:
            found[i] = ForeignLayer(i, diff_ids[i], media_type, tuple(desc.get("urls") or ()))
    return tuple(found[i] for i in sorted(found))


def _oci_manifest(files: dict[str, bytes]) -> dict[str, Any] | None:
    """The image manifest index.json leads to (first image, attestations skipped)."""
    if "index.json" not in files:
        return None
    node: Any = _json(files["index.json"], "index.json")
    for _depth in range(4):
        kind = node.get("mediaType", OCI_INDEX) if isinstance(node, dict) else ""
        if kind in _MANIFESTS or (isinstance(node, dict) and "config" in node):
            return dict(node)
        if kind not in _INDEXES and "manifests" not in node:
            return None
        images = [
            item
            for item in node.get("manifests") or []
            if (item.get("annotations") or {}).get("vnd.docker.reference.type")
            != "attestation-manifest"
        ]
        if not images:
            return None
        name = blob_path(str(images[0]["digest"]))
        if name not in files:
            return None
        node = _json(files[name], name)
    return None


def _file(files: dict[str, bytes], name: str) -> bytes:
    if name not in files:
        raise _broken(f"{name} is missing")
    return files[name]


def _diff_ids(config: bytes) -> tuple[str, ...]:
    body = _json(config, "the image config")
    try:
        return tuple(str(item) for item in body["rootfs"]["diff_ids"])
    except (KeyError, TypeError):
        raise _broken("the image config has no rootfs.diff_ids") from None


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise _broken(f"{what} is not JSON") from None


def _broken(cause: str) -> EngineError:
    return EngineError(
        "the engine's `docker save` archive cannot be read",
        cause,
        "check that the image exists and the engine is healthy, then run again",
    )
