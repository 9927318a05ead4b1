"""push_image's decisions, against an in-memory registry and a scripted engine."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ghpkg.engine import Engine, EngineInfo
from ghpkg.errors import GhpkgError
from ghpkg.manifest import LAYER_FOREIGN, LAYER_GZIP, SCHEMA2
from ghpkg.reference import Reference
from ghpkg.registry.blob_writer import BlobWriter
from ghpkg.registry_transport.blobcache import BlobCache
from ghpkg.registry_transport.push import push_image
from ghpkg.registry_transport.spool import LayerBlob
from ghpkg.registry_transport.uploads import Limits, Uploader

HOST = "docker.ghes.test"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _tar(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@dataclass
class FakeRegistry:
    """Blobs and manifests per repository, and a log of what was asked."""

    blobs: dict[str, dict[str, bytes]] = field(default_factory=dict)
    tags: dict[tuple[str, str], bytes] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    uploaded: int = 0
    mountable: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _repo(self, path: str) -> dict[str, bytes]:
        return self.blobs.setdefault(path, {})

    def blob_size(self, path: str, digest: str) -> int | None:
        blob = self._repo(path).get(digest)
        return None if blob is None else len(blob)

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool:
        self.events.append(f"mount {digest[:15]} from {from_path}")
        source = self._repo(from_path).get(digest)
        if source is None or not self.mountable:
            return False
        self._repo(path)[digest] = source
        return True

    def open_blob(self, path: str, digest: str, size: int | None = None) -> Iterator[bytes]:
        yield self._repo(path)[digest]

    def _store(self, path: str, data: bytes, digest: str) -> None:
        assert _digest(data) == digest
        with self.lock:
            self._repo(path)[digest] = data
            self.uploaded += len(data)
            self.events.append(f"upload {digest[:15]}")

    def upload_stream(
        self, path: str, opener: Callable[[], bytes | Iterable[bytes]], digest: str, size: int
    ) -> None:
        self._store(path, _joined(opener()), digest)

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str:
        assert media_type == SCHEMA2
        self.tags[(path, tag)] = raw
        self.events.append(f"manifest {tag}")
        return _digest(raw)


@dataclass
class FakeImage:
    """What the scripted engine holds: layers, config, and the archive `docker save` gives."""

    layers: list[bytes]
    layout: str = "docker"
    foreign: bool = False
    os: str = "linux"

    @property
    def config(self) -> bytes:
        diff_ids = [_digest(layer) for layer in self.layers]
        return json.dumps(
            {"os": self.os, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        ).encode()

    @property
    def image_id(self) -> str:
        return _digest(self.config)

    def sources(self) -> dict[str, Any]:
        if not self.foreign:
            return {}
        return {_digest(self.layers[0]): {"mediaType": LAYER_FOREIGN, "urls": ["https://x"]}}

    def archive(self) -> bytes:
        config = self.config
        if self.layout == "docker":
            names = [f"{i:064x}/layer.tar" for i in range(len(self.layers))]
            entry: dict[str, Any] = {
                "Config": f"{self.image_id[7:]}.json",
                "Layers": names,
                "LayerSources": self.sources(),
            }
            files = [*zip(reversed(names), reversed(self.layers), strict=True)]
            files += [(entry["Config"], config), ("manifest.json", json.dumps([entry]).encode())]
            return _tar(files)
        blobs = [
            gzip.compress(x, mtime=0) if self.layout == "containerd" else x for x in self.layers
        ]
        names = [f"blobs/sha256/{_digest(b)[7:]}" for b in blobs]
        entry = {
            "Config": f"blobs/sha256/{self.image_id[7:]}",
            "Layers": names,
            "LayerSources": self.sources(),
        }
        files = [*zip(names, blobs, strict=True), (entry["Config"], config)]
        return _tar([*files, ("manifest.json", json.dumps([entry]).encode())])


class FakeEngine(Engine):
    """A scripted engine: one image, and a count of `docker save` calls."""

    def __init__(self, image: FakeImage) -> None:  # no docker-py client behind it
        self.image = image
        self.saves = 0
        self.containerd = False

    def info(self) -> EngineInfo:
        return EngineInfo("28.5.2", "1.51", self.containerd)

    def get_image(self, name_or_id: str) -> Any:
        img = self.image
        size = sum(len(layer) for layer in img.layers)
        diff_ids = [_digest(layer) for layer in img.layers]
        image_id = "sha256:" + "c" * 64 if self.containerd else img.image_id
        attrs = {"Id": image_id, "Os": img.os, "Size": size, "RootFS": {"Layers": diff_ids}}
        return SimpleNamespace(id=image_id, attrs=attrs)

    def save(self, image: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        self.saves += 1
        raw = self.image.archive()
        for start in range(0, len(raw), 7777):
            yield raw[start : start + 7777]


@pytest.fixture
def engine() -> FakeEngine:
    """A scripted engine with a two-layer image."""
    return FakeEngine(FakeImage([_tar([("a", b"alpha " * 50000)]), _tar([("b", b"\x07" * 3000)])]))


def _refs(image: str, *versions: str) -> list[Reference]:
    return [Reference(HOST, "octo-org", "hello-world", image, v) for v in versions]


def _push(
    registry: FakeRegistry, engine: FakeEngine, image: str, *versions: str, **kwargs: Any
) -> Any:
    refs = _refs(image, *versions)
    return push_image(registry, engine, engine.image.image_id, refs, lambda _l: None, **kwargs)


def _layers_unpack_to_diff_ids(registry: FakeRegistry, path: str, manifest: bytes) -> None:
    body = json.loads(manifest)
    config = json.loads(registry.blobs[path][body["config"]["digest"]])
    for layer, diff_id in zip(body["layers"], config["rootfs"]["diff_ids"], strict=True):
        assert layer["mediaType"] == LAYER_GZIP
        assert _digest(gzip.decompress(registry.blobs[path][layer["digest"]])) == diff_id


@pytest.mark.parametrize("layout", ["docker", "oci", "containerd"])
def test_push_every_layout_once_for_several_tags(engine: FakeEngine, layout: str) -> None:
    engine.image.layout = layout
    engine.containerd = layout == "containerd"
    registry = FakeRegistry()
    result = _push(registry, engine, "app", "1.0", "latest")
    path = "octo-org/hello-world/app"
    assert registry.tags[(path, "1.0")] == registry.tags[(path, "latest")] == result.manifest
    _layers_unpack_to_diff_ids(registry, path, result.manifest)
    assert (
        result.uploaded_bytes
        == registry.uploaded
        == sum(len(b) for b in registry.blobs[path].values())
    )
    assert result.skipped_blobs == 0
    assert registry.events[-2:] == ["manifest 1.0", "manifest latest"]


def test_repush_with_cache_needs_no_save(engine: FakeEngine, tmp_path: Path) -> None:
    registry = FakeRegistry()
    cache = BlobCache(tmp_path)
    first = _push(registry, engine, "app", "1", cache=cache)
    again = _push(registry, engine, "app", "2", cache=BlobCache(tmp_path))
    assert engine.saves == 1
    assert (again.digest, again.uploaded_bytes, again.skipped_blobs) == (first.digest, 0, 3)


class Waiting(FakeRegistry):
    """Answers a HEAD only once `parties` HEADs wait at once (a barrier that breaks after 10 s:
    HEADs asked one after another break it)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=10)

    def blob_size(self, path: str, digest: str) -> int | None:
        self.barrier.wait()
        return super().blob_size(path, digest)


def test_a_repush_asks_for_every_blob_at_once(engine: FakeEngine, tmp_path: Path) -> None:
    """The config and both layers: one round trip for the three HEADs, not three."""
    registry = FakeRegistry()
    first = _push(registry, engine, "app", "1", cache=BlobCache(tmp_path))
    waiting = Waiting(3)
    waiting.blobs = registry.blobs
    again = _push(waiting, engine, "app", "2", cache=BlobCache(tmp_path))
    assert (again.digest, again.uploaded_bytes, engine.saves) == (first.digest, 0, 1)


def test_repush_without_cache_sends_nothing(engine: FakeEngine) -> None:
    registry = FakeRegistry()
    first = _push(registry, engine, "app", "1")
    again = _push(registry, engine, "app", "2")
    assert engine.saves == 2  # no cache: the layers are read and compressed again ...
    assert (again.digest, again.uploaded_bytes) == (first.digest, 0)  # ... to the same digests


def test_sibling_repository_blobs_are_mounted(engine: FakeEngine, tmp_path: Path) -> None:
    registry = FakeRegistry()
    cache = BlobCache(tmp_path)
    first = _push(registry, engine, "app", "1", cache=cache)
    other = _push(registry, engine, "other", "1", cache=cache)
    assert engine.saves == 2  # the image is read: only its data says which blobs to mount
    assert other.uploaded_bytes == 0
    assert other.digest == first.digest
    assert sum(e.startswith("mount") for e in registry.events) == 3


def test_a_poisoned_layer_entry_cannot_choose_a_siblings_blob(
    engine: FakeEngine, tmp_path: Path
) -> None:
    """An earlier job's cache entry maps our layer to a blob of another repository."""
    registry = FakeRegistry()
    cache = BlobCache(tmp_path)
    engine.image.layers = [_tar([("evil", b"not our layer")])]
    _push(registry, engine, "sibling", "1", cache=cache)
    evil = cache.layer(_digest(engine.image.layers[0]))
    assert evil is not None
    engine.image.layers = [_tar([("ours", b"our layer")])]
    _push(registry, engine, "app", "1", cache=cache)  # our image, its config now in app
    cache.record_layer(_digest(engine.image.layers[0]), evil)  # then the poisoned entry
    cache.save()
    again = _push(registry, engine, "app", "2", cache=BlobCache(tmp_path))
    _layers_unpack_to_diff_ids(registry, "octo-org/hello-world/app", again.manifest)


def test_failed_mount_falls_back_to_reading_the_image(engine: FakeEngine, tmp_path: Path) -> None:
    registry = FakeRegistry()
    cache = BlobCache(tmp_path)
    first = _push(registry, engine, "app", "1", cache=cache)
    registry.mountable = False
    other = _push(registry, engine, "other", "1", cache=cache)
    assert other.digest == first.digest
    assert other.uploaded_bytes == first.uploaded_bytes
    _layers_unpack_to_diff_ids(registry, "octo-org/hello-world/other", other.manifest)


def test_changed_top_layer_reuses_the_base(engine: FakeEngine, tmp_path: Path) -> None:
    registry = FakeRegistry()
    cache = BlobCache(tmp_path)
    base = _tar([("big", bytes(range(256)) * 40000)])  # 10 MB: matched by size in the cache
    engine.image.layers = [base, _tar([("v", b"1")])]
    _push(registry, engine, "app", "1", cache=cache)
    engine.image.layers = [base, _tar([("v", b"2")])]
    sent = registry.uploaded
    second = _push(registry, engine, "app", "2", cache=cache)
    assert second.uploaded_bytes == registry.uploaded - sent < 10_000
    _layers_unpack_to_diff_ids(registry, "octo-org/hello-world/app", second.manifest)


def test_wrong_size_guess_reads_the_image_again(engine: FakeEngine, tmp_path: Path) -> None:
    registry = FakeRegistry()
    cache = BlobCache(tmp_path)
    base = _tar([("big", b"\x01" * (5 << 20))])
    engine.image.layers = [base]
    _push(registry, engine, "app", "1", cache=cache)
    # A new layer of the very size of the cached one comes first in the legacy archive.
    engine.image.layers = [base, _tar([("big", b"\x02" * (5 << 20))])]
    second = _push(registry, engine, "app", "2", cache=cache)
    assert engine.saves == 3
    _layers_unpack_to_diff_ids(registry, "octo-org/hello-world/app", second.manifest)


def test_layer_over_the_limit_is_refused_before_any_upload(engine: FakeEngine) -> None:
    registry = FakeRegistry()
    noise = random.Random(1).randbytes(64 << 10)  # noqa: S311 - test data
    engine.image.layers = [_tar([("small", b"s")]), _tar([("noise", noise)])]
    with pytest.raises(GhpkgError, match=r"layer 2 .* accepts layers of at most 20\.0 kB"):
        _push(registry, engine, "app", "1", limits=Limits(layer_max=20_000))
    assert registry.events == []


def test_big_image_is_warned_about(engine: FakeEngine) -> None:
    lines: list[str] = []
    refs = _refs("app", "1")
    push_image(FakeRegistry(), engine, "x", refs, lines.append, Limits(image_warn=1000))
    assert any("warning: the image is" in line and "over 1.0 kB" in line for line in lines)


@pytest.mark.parametrize("layout", ["docker", "oci"])
def test_foreign_layers_are_refused_before_any_upload(engine: FakeEngine, layout: str) -> None:
    engine.image.layout = layout
    engine.image.foreign = True
    engine.image.os = "windows"
    registry = FakeRegistry()
    with pytest.raises(GhpkgError, match="does not currently support foreign layers"):
        _push(registry, engine, "app", "1")
    assert registry.events == []


def test_refs_must_name_one_image(engine: FakeEngine) -> None:
    refs = _refs("a", "1") + _refs("b", "1")
    with pytest.raises(GhpkgError, match="different images"):
        push_image(FakeRegistry(), engine, "x", refs, print)


def test_long_uploads_are_reported_while_they_run(tmp_path: Path) -> None:
    class SlowRegistry(FakeRegistry):
        def upload_stream(
            self, path: str, opener: Callable[[], bytes | Iterable[bytes]], digest: str, size: int
        ) -> None:
            time.sleep(0.3)
            super().upload_stream(path, opener, digest, size)

    registry = SlowRegistry()
    spool = tmp_path / "layer.gz"
    spool.write_bytes(b"blob")
    lines: list[str] = []
    uploader = Uploader(BlobWriter(registry, "o/r/app"), lines.append, True, 1 << 20, 0.05)
    try:
        uploader.add(LayerBlob("l", _digest(b"blob"), 4, None, None, spool))
        assert uploader.finish([]) == (4, 0)
    finally:
        uploader.close()
    assert any(line.startswith("still uploading: ") for line in lines)
    assert lines[-1].startswith(f"blob {_digest(b'blob')[7:19]}: uploaded")
    assert not spool.exists()


def _joined(body: bytes | Iterable[bytes]) -> bytes:
    return body if isinstance(body, bytes) else b"".join(body)
