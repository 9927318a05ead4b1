"""Reading `docker save` streams: the legacy layout, the OCI layout of Engine 25+, containerd's."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import pytest

from ghpkg.errors import EngineError
from ghpkg.manifest import LAYER_FOREIGN, OCI_INDEX, OCI_LAYER_TAR, OCI_MANIFEST
from ghpkg.registry_transport.docker_save import LayerEntry, SaveArchive, SavedImage

T = TypeVar("T")


def _layer(name: str, content: bytes) -> bytes:
    """A small layer tar holding one file."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return out.getvalue()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _config(*layers: bytes) -> bytes:
    body = {"os": "linux", "rootfs": {"type": "layers", "diff_ids": [_digest(x) for x in layers]}}
    return json.dumps(body).encode()


class _Tar:
    """Writes a save archive in the order given, as the engine would stream it."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.out, mode="w")  # noqa: SIM115 - closed by stream()

    def file(self, name: str, data: bytes) -> _Tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))
        return self

    def json(self, name: str, body: Any) -> _Tar:
        return self.file(name, json.dumps(body).encode())

    def symlink(self, name: str, target: str) -> _Tar:
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        self.tar.addfile(info)
        return self

    def stream(self, piece: int = 7000) -> Iterator[bytes]:
        self.tar.close()
        raw = self.out.getvalue()
        for start in range(0, len(raw), piece):
            yield raw[start : start + piece]


def _record(entry: LayerEntry) -> tuple[str, str, bytes]:
    return entry.name, entry.kind, b"".join(entry.chunks())


A = _layer("a.txt", b"alpha\n" * 1000)
B = _layer("b.bin", bytes(range(256)) * 64)


def test_legacy_layout_with_a_symlinked_duplicate() -> None:
    config = _config(A, B, A)
    archive = (
        _Tar()
        .file("aaa/VERSION", b"1.0")
        .file("aaa/json", b"{}")
        .file("aaa/layer.tar", A)
        .file(f"{_hex(config)}.json", config)
        .symlink("ccc/layer.tar", "../aaa/layer.tar")
        .file("bbb/layer.tar", B)
        .json(
            "manifest.json",
            [
                {
                    "Config": f"{_hex(config)}.json",
                    "Layers": ["aaa/layer.tar", "bbb/layer.tar", "ccc/layer.tar"],
                }
            ],
        )
        .file("repositories", b"{}")
    )
    image = _read_save(archive.stream(), _record)
    assert image.layout == "docker"
    assert image.config == config
    assert image.diff_ids == (_digest(A), _digest(B), _digest(A))
    assert image.layers == (
        ("aaa/layer.tar", "tar", A),
        ("bbb/layer.tar", "tar", B),
        ("aaa/layer.tar", "tar", A),
    )
    assert image.foreign == ()


def _oci(config: bytes, layers: list[bytes], media_type: str = OCI_LAYER_TAR) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": _digest(config),
            "size": len(config),
        },
        "layers": [{"mediaType": media_type, "digest": _digest(x), "size": len(x)} for x in layers],
    }


def test_oci_layout_of_engine_25_and_later() -> None:
    config = _config(A, B)
    manifest = json.dumps(_oci(config, [A, B])).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": _digest(manifest), "size": len(manifest)}
        ],
    }
    sources = {
        _digest(x): {"mediaType": OCI_LAYER_TAR, "size": len(x), "digest": _digest(x)}
        for x in (A, B)
    }
    archive = (
        _Tar()
        .file(f"blobs/sha256/{_hex(B)}", B)
        .file(f"blobs/sha256/{_hex(config)}", config)
        .file(f"blobs/sha256/{_hex(manifest)}", manifest)
        .file(f"blobs/sha256/{_hex(A)}", A)
        .json("index.json", index)
        .json(
            "manifest.json",
            [
                {
                    "Config": f"blobs/sha256/{_hex(config)}",
                    "Layers": [f"blobs/sha256/{_hex(x)}" for x in (A, B)],
                    "LayerSources": sources,
                }
            ],
        )
        .file("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    )
    seen: list[LayerEntry] = []

    def keep(entry: LayerEntry) -> str | None:
        seen.append(entry)
        return entry.blob_digest

    image = _read_save(archive.stream(), keep)
    assert image.layout == "oci"
    assert image.layers == (_digest(A), _digest(B))
    assert image.foreign == ()  # LayerSources of plain OCI layers are not foreign
    assert {entry.kind for entry in seen} == {"tar"}


def test_containerd_store_keeps_gzip_layers() -> None:
    za, zb = gzip.compress(A, mtime=0), gzip.compress(B, mtime=0)
    config = _config(A, B)
    archive = (
        _Tar()
        .file(f"blobs/sha256/{_hex(za)}", za)
        .file(f"blobs/sha256/{_hex(config)}", config)
        .file(f"blobs/sha256/{_hex(zb)}", zb)
        .json(
            "manifest.json",
            [
                {
                    "Config": f"blobs/sha256/{_hex(config)}",
                    "Layers": [f"blobs/sha256/{_hex(x)}" for x in (za, zb)],
                }
            ],
        )
    )
    image = _read_save(archive.stream(), lambda e: (e.kind, e.blob_digest, e.size))
    assert image.layers == (("gzip", _digest(za), len(za)), ("gzip", _digest(zb), len(zb)))
    assert image.diff_ids == (_digest(A), _digest(B))


def test_index_only_archive_follows_nested_index_and_skips_attestations() -> None:
    config = _config(A)
    manifest = json.dumps(_oci(config, [A])).encode()
    attestation = json.dumps(_oci(b"{}", [])).encode()
    inner = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": _digest(attestation),
                    "size": len(attestation),
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                },
                {"mediaType": OCI_MANIFEST, "digest": _digest(manifest), "size": len(manifest)},
            ],
        }
    ).encode()
    archive = (
        _Tar()
        .file(f"blobs/sha256/{_hex(A)}", A)
        .file(f"blobs/sha256/{_hex(config)}", config)
        .file(f"blobs/sha256/{_hex(manifest)}", manifest)
        .file(f"blobs/sha256/{_hex(attestation)}", attestation)
        .file(f"blobs/sha256/{_hex(inner)}", inner)
        .json(
            "index.json",
            {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [
                    {"mediaType": OCI_INDEX, "digest": _digest(inner), "size": len(inner)}
                ],
            },
        )
    )
    image = _read_save(archive.stream(), lambda e: e.name)
    assert image.layers == (f"blobs/sha256/{_hex(A)}",)
    assert image.config == config


def test_foreign_layers_from_layer_sources_and_oci_media_types() -> None:
    config = _config(A, B)
    legacy = (
        _Tar()
        .file("aaa/layer.tar", A)
        .file("bbb/layer.tar", B)
        .file("c.json", config)
        .json(
            "manifest.json",
            [
                {
                    "Config": "c.json",
                    "Layers": ["aaa/layer.tar", "bbb/layer.tar"],
                    "LayerSources": {
                        _digest(A): {"mediaType": LAYER_FOREIGN, "urls": ["https://x/a"]}
                    },
                }
            ],
        )
    )
    image = _read_save(legacy.stream(), lambda e: e.name)
    assert [(f.index, f.diff_id, f.urls) for f in image.foreign] == [
        (0, _digest(A), ("https://x/a",))
    ]

    manifest = json.dumps(_oci(config, [A, B], LAYER_FOREIGN)).encode()
    oci = (
        _Tar()
        .file(f"blobs/sha256/{_hex(config)}", config)
        .file(f"blobs/sha256/{_hex(manifest)}", manifest)
        .json(
            "index.json",
            {
                "schemaVersion": 2,
                "manifests": [
                    {"mediaType": OCI_MANIFEST, "digest": _digest(manifest), "size": len(manifest)}
                ],
            },
        )
    )
    image = _read_save(oci.stream(), lambda e: e.name)
    assert [f.index for f in image.foreign] == [0, 1]
    assert image.layers == (None, None)  # their bytes are not in the archive


def test_unread_layer_bytes_are_skipped() -> None:
    config = _config(A, B)
    archive = (
        _Tar()
        .file("aaa/layer.tar", A)
        .file("bbb/layer.tar", B)
        .file("c.json", config)
        .json("manifest.json", [{"Config": "c.json", "Layers": ["aaa/layer.tar", "bbb/layer.tar"]}])
    )
    image = _read_save(archive.stream(), lambda e: e.size)
    assert image.layers == (len(A), len(B))


def test_truncated_stream_is_an_engine_error() -> None:
    raw = b"".join(_Tar().file("aaa/layer.tar", A * 20).stream())
    with pytest.raises(EngineError, match="cannot be read"):
        _read_save(iter([raw[: len(raw) // 2]]), lambda e: b"".join(e.chunks()))


@pytest.mark.parametrize(
    ("archive", "cause"),
    [
        (_Tar().file("aaa/layer.tar", A), "neither manifest.json nor index.json"),
        (_Tar().json("manifest.json", [{"Config": "c.json", "Layers": []}]), "c.json is missing"),
        (
            _Tar()
            .file("c.json", _config(A))
            .json("manifest.json", [{"Config": "c.json", "Layers": ["aaa/layer.tar"]}]),
            "not in the archive",
        ),
        (
            _Tar()
            .file("c.json", _config(A))
            .json("manifest.json", [{"Config": "c.json", "Layers": []}]),
            "lists 0 layers, the config 1",
        ),
    ],
)
def test_broken_archives_are_engine_errors(archive: _Tar, cause: str) -> None:
    with pytest.raises(EngineError, match=cause):
        _read_save(archive.stream(), lambda e: e.name)


def _read_save(stream: Iterable[bytes], on_layer: Callable[[LayerEntry], T]) -> SavedImage[T]:
    """Read the whole stream, on_layer taking each layer as it passes (as pushing does)."""
    archive = SaveArchive(stream)
    results = {entry.name: on_layer(entry) for entry in archive.layers()}
    return archive.image(results)
