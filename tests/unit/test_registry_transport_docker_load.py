"""The `docker load` tar stream written from a manifest, a config and streamed layers."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator

import pytest

from ghpkg.errors import GhpkgError
from ghpkg.manifest import (
    CONFIG,
    LAYER_GZIP,
    SCHEMA2,
    Descriptor,
    Manifest,
    blob_path,
    build_schema2,
)
from ghpkg.registry_transport.docker_load import (
    Member,
    docker_archive,
    header,
    tar_stream,
)

REF = "docker.ghes.test/octo-org/hello-world/hello:1.0"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _image(*layers: bytes) -> tuple[bytes, dict[str, bytes], Manifest]:
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": ["x"] * len(layers)}}).encode()
    descriptors = [Descriptor(LAYER_GZIP, len(data), _digest(data)) for data in layers]
    manifest = build_schema2(Descriptor(CONFIG, len(config), _digest(config)), descriptors)
    return config, {_digest(data): data for data in layers}, manifest


def _chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(name)
    assert handle is not None
    return handle.read()


def _archive(layers: tuple[bytes, ...], chunk: int = 7) -> tuple[bytes, Manifest, bytes]:
    config, blobs, manifest = _image(*layers)
    stream = docker_archive(
        manifest,
        SCHEMA2,
        config,
        lambda _index, layer: _chunked(blobs[layer.digest], chunk),
        REF,
    )
    return b"".join(stream), manifest, config


def test_archive_is_a_tar_with_both_layouts_and_manifest_json_last() -> None:
    data, manifest, config = _archive((b"layer one" * 100, b"layer two"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
        files = {m.name: _read(tar, m.name) for m in tar.getmembers() if m.isfile()}
    assert names[-1] == "manifest.json"
    assert names[-2] == "index.json"
    assert names[:2] == ["blobs", "blobs/sha256"]
    legacy = json.loads(files["manifest.json"])
    assert legacy == [
        {
            "Config": blob_path(manifest.config.digest),
            "RepoTags": [REF],
            "Layers": [blob_path(layer.digest) for layer in manifest.layers],
        }
    ]
    assert files[blob_path(manifest.config.digest)] == config
    assert files[blob_path(manifest.digest)] == manifest.raw
    assert files["oci-layout"] == b'{"imageLayoutVersion":"1.0.0"}'
    index = json.loads(files["index.json"])
    entry = index["manifests"][0]
    assert entry["digest"] == manifest.digest
    assert entry["mediaType"] == SCHEMA2
    assert entry["size"] == len(manifest.raw)
    assert entry["annotations"] == {
        "io.containerd.image.name": REF,
        "org.opencontainers.image.ref.name": "1.0",
    }
    for layer in manifest.layers:
        assert _digest(files[blob_path(layer.digest)]) == layer.digest


def test_a_layer_named_twice_is_stored_once() -> None:
    data, _manifest, _config = _archive((b"same", b"other", b"same"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
        legacy = json.loads(_read(tar, "manifest.json"))
    assert names.count(blob_path(_digest(b"same"))) == 1
    assert len(legacy[0]["Layers"]) == 3


def test_layer_chunks_pass_through_without_being_joined() -> None:
    config, blobs, manifest = _image(b"a" * 5000)
    chunks = list(
        docker_archive(
            manifest,
            SCHEMA2,
            config,
            lambda _i, layer: _chunked(blobs[layer.digest], 1000),
            REF,
        )
    )
    assert max(len(chunk) for chunk in chunks) <= 1024
    assert sum(len(chunk) for chunk in chunks) % 512 == 0


def test_layers_are_opened_only_when_reached() -> None:
    config, blobs, manifest = _image(b"first", b"second")
    opened: list[int] = []

    def open_layer(index: int, layer: Descriptor) -> Iterator[bytes]:
        opened.append(index)
        yield blobs[layer.digest]

    stream = docker_archive(manifest, SCHEMA2, config, open_layer, REF)
    assert opened == []
    for chunk in stream:
        if chunk == b"first":
            break
    assert opened == [0]


def test_a_failing_layer_stops_the_stream_before_manifest_json() -> None:
    config, blobs, manifest = _image(b"good", b"bad")

    def open_layer(index: int, layer: Descriptor) -> Iterator[bytes]:
        yield blobs[layer.digest][:2]
        if index == 1:
            raise GhpkgError("blob does not match")
        yield blobs[layer.digest][2:]

    sent: list[bytes] = []
    stream = docker_archive(manifest, SCHEMA2, config, open_layer, REF)
    with pytest.raises(GhpkgError, match="does not match"):
        sent.extend(stream)
    assert b'"RepoTags"' not in b"".join(sent)


@pytest.mark.parametrize(("data", "cause"), [(b"abc", "3 bytes instead of 4"), (b"abcde", "more")])
def test_member_size_is_enforced(data: bytes, cause: str) -> None:
    member = Member("x", 4, lambda: [data])
    with pytest.raises(GhpkgError, match=cause):
        b"".join(tar_stream([], [member]))


def test_headers_are_ustar_blocks_with_fixed_metadata() -> None:
    block = header("blobs/sha256/" + "a" * 64, 1234)
    assert len(block) == 512
    info = tarfile.TarInfo.frombuf(block, "utf-8", "strict")
    assert (info.size, info.mtime, info.mode, info.uid) == (1234, 0, 0o644, 0)
    directory = tarfile.TarInfo.frombuf(header("blobs", directory=True), "utf-8", "strict")
    assert directory.isdir()
    assert directory.name == "blobs"


def test_a_layer_over_8_gib_gets_a_pax_size() -> None:
    size = 9 * 1024**3
    data = header("big", size)
    assert len(data) % 512 == 0
    assert len(data) > 512  # a pax extended header carries the size
