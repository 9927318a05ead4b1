"""The registry transport (registry_transport.push) against the GHES-like bed, on every engine."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from docker.models.images import Image

from ghpkg.engine import Engine
from ghpkg.errors import GhpkgError
from ghpkg.manifest import LAYER_FOREIGN, LAYER_GZIP, OCI_LAYER_GZIP, OCI_MANIFEST, SCHEMA2
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.registry_transport.blobcache import BlobCache
from ghpkg.registry_transport.push import push_image
from ghpkg.registry_transport.uploads import Limits
from ghpkg.secret import Secret
from testbed.bed import Testbed
from testbed.images import busybox_path
from testbed.pytest_engines import EngineUnderTest

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"
GREETING = "pushed through the registry API"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def registry(bed: Testbed) -> Iterator[RegistryClient]:
    """A registry client for the bed's registry, with a token that may push."""
    client = RegistryClient(
        bed.registry_host, bed.user("write"), Secret(bed.token("write")), ca_file=bed.ca_file
    )
    yield client
    client.close()


@pytest.fixture
def image_name(engine: EngineUnderTest) -> str:
    """An image name no other test or engine uses."""
    return f"transport-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"


def _refs(bed: Testbed, image: str, *versions: str) -> list[Reference]:
    return [Reference(bed.registry_host, OWNER, REPOSITORY, image, v) for v in versions]


def _build(client: docker.DockerClient, context: Path, tag: str) -> str:
    """A FROM scratch image: static busybox, an incompressible and a text layer, a CMD."""
    context.mkdir()
    shutil.copy2(busybox_path(), context / "busybox")
    seed = uuid.uuid4().bytes
    noise = b"".join(hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(65536))
    (context / "noise.bin").write_bytes(noise)  # 2 MiB that gzip cannot shrink
    (context / "words.txt").write_bytes(
        b"".join(b"%d ghpkg layer text\n" % i for i in range(60000))
    )
    (context / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        "COPY noise.bin /data/noise.bin\n"
        "COPY words.txt /data/words.txt\n"
        f'CMD ["/bin/busybox", "echo", "{GREETING}"]\n'
    )
    image, _logs = client.images.build(path=str(context), tag=tag, rm=True, network_mode="none")
    assert image.id
    return str(image.id)


def _backend(bed: Testbed, path: str, what: str, **headers: str) -> requests.Response:
    return requests.get(f"{bed.backend_url}/v2/{path}/{what}", headers=headers, timeout=30)


def _gunzip_digest(data: bytes) -> str:
    """sha256 of a (multi-member) gzip stream's content, decompressed as Go's reader would."""
    digest = hashlib.sha256()
    while data:
        inflater = zlib.decompressobj(31)
        digest.update(inflater.decompress(data))
        data = inflater.unused_data
    return "sha256:" + digest.hexdigest()


def _check_stored(
    bed: Testbed, engine: EngineUnderTest, path: str, tag: str, image_id: str
) -> dict[str, Any]:
    """The backend serves a schema-2 manifest of this image; its layers unpack to the diff_ids."""
    answer = _backend(bed, path, f"manifests/{tag}", Accept=SCHEMA2)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == SCHEMA2
    manifest = answer.json()
    config_raw = _backend(bed, path, f"blobs/{manifest['config']['digest']}").content
    assert _digest(config_raw) == manifest["config"]["digest"]
    attrs = engine.client.images.get(image_id).attrs
    if not Engine(engine.client).info().containerd_store:
        assert manifest["config"]["digest"] == image_id  # the classic store's image ID
    diff_ids = json.loads(config_raw)["rootfs"]["diff_ids"]
    assert diff_ids == attrs["RootFS"]["Layers"]
    assert len(manifest["layers"]) == len(diff_ids)
    for layer, diff_id in zip(manifest["layers"], diff_ids, strict=True):
        assert layer["mediaType"] == LAYER_GZIP
        blob = _backend(bed, path, f"blobs/{layer['digest']}").content
        assert len(blob) == layer["size"]
        assert _gunzip_digest(blob) == diff_id
    return dict(manifest)


def _blob_bytes(manifest: dict[str, Any]) -> int:
    sizes = {item["digest"]: item["size"] for item in [manifest["config"], *manifest["layers"]]}
    return sum(sizes.values())


def test_push_pull_back_and_run(
    bed: Testbed, engine: EngineUnderTest, registry: RegistryClient, image_name: str, tmp_path: Path
) -> None:
    image_id = _build(engine.client, tmp_path / "context", f"local/{image_name}:src")
    path = f"{OWNER}/{REPOSITORY}/{image_name}"
    cache = BlobCache(tmp_path / "cache")
    lines: list[str] = []
    first = push_image(
        registry,
        Engine(engine.client),
        image_id,
        _refs(bed, image_name, "1.0", "latest"),
        lines.append,
        Limits(image_warn=1 << 20),
        cache,
    )
    manifest = _check_stored(bed, engine, path, "1.0", image_id)
    assert _backend(bed, path, "manifests/latest", Accept=SCHEMA2).content == first.manifest
    assert first.digest == _digest(first.manifest)
    # Two versions in one call: every blob went up once.
    assert first.uploaded_bytes == _blob_bytes(manifest)
    assert any(line.startswith("warning: the image is") for line in lines)
    assert bed.token("write") not in "\n".join(lines)

    again = push_image(
        registry, Engine(engine.client), image_id, _refs(bed, image_name, "1.1"), print, cache=cache
    )
    uncached = push_image(
        registry,
        Engine(engine.client),
        image_id,
        _refs(bed, image_name, "1.2"),
        print,
        cache=BlobCache(tmp_path / "fresh-cache"),
    )
    for result in (again, uncached):
        assert (result.digest, result.uploaded_bytes) == (first.digest, 0)
        assert result.skipped_blobs == len({d["digest"] for d in manifest["layers"]}) + 1

    pulled = f"127.0.0.1:5000/{path}"
    for chunk in engine.client.api.pull(pulled, tag="1.1", stream=True, decode=True):
        assert "error" not in chunk, chunk
    try:
        output = engine.client.containers.run(f"{pulled}:1.1", remove=True, network_mode="none")
        assert output.decode().strip() == GREETING
    finally:
        engine.client.images.remove(f"{pulled}:1.1", force=True)
        engine.client.images.remove(image_id, force=True)


def _nothing_stored(bed: Testbed, path: str) -> None:
    catalog = requests.get(f"{bed.backend_url}/v2/_catalog?n=10000", timeout=30).json()
    assert path not in catalog.get("repositories", [])
    assert _backend(bed, path, "tags/list").status_code == 404


def test_layer_over_the_limit_is_refused_before_any_upload(
    bed: Testbed, engine: EngineUnderTest, registry: RegistryClient, image_name: str, tmp_path: Path
) -> None:
    image_id = _build(engine.client, tmp_path / "context", f"local/{image_name}:big")
    try:
        with pytest.raises(GhpkgError, match=r"accepts layers of at most 1\.5 MB") as caught:
            push_image(
                registry,
                Engine(engine.client),
                image_id,
                _refs(bed, image_name, "1.0"),
                print,
                Limits(layer_max=1_500_000),
            )
        assert "layer 2" in str(caught.value)  # the 2 MiB noise layer
        _nothing_stored(bed, f"{OWNER}/{REPOSITORY}/{image_name}")
    finally:
        engine.client.images.remove(image_id, force=True)


def _tar(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 946_684_800
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def _foreign_archive(tag: str) -> tuple[bytes, bytes]:
    """A save archive whose base layer is foreign, as Windows images are: (archive, legacy)."""
    base = _tar([("base.txt", f"a base layer that is not distributable {uuid.uuid4()}\n".encode())])
    top = _tar([("top.txt", b"a distributable layer\n")])
    gz_base, gz_top = (_gzip(x) for x in (base, top))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [_digest(base), _digest(top)]},
        }
    ).encode()
    urls = ["https://example.invalid/base.tar.gz"]
    layers = [
        {
            "mediaType": LAYER_FOREIGN,
            "digest": _digest(gz_base),
            "size": len(gz_base),
            "urls": urls,
        },
        {"mediaType": OCI_LAYER_GZIP, "digest": _digest(gz_top), "size": len(gz_top)},
    ]
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _digest(config),
                "size": len(config),
            },
            "layers": layers,
        }
    ).encode()
    name, version = tag.rsplit(":", 1)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": _digest(manifest),
                "size": len(manifest),
                "annotations": {
                    "io.containerd.image.name": f"docker.io/{name}:{version}",
                    "org.opencontainers.image.ref.name": version,
                },
            }
        ],
    }
    blobs = {_digest(x).split(":")[1]: x for x in (gz_base, gz_top, config, manifest)}
    entry = {
        "Config": f"blobs/sha256/{_digest(config).split(':')[1]}",
        "RepoTags": [tag],
        "Layers": [f"blobs/sha256/{_digest(x).split(':')[1]}" for x in (gz_base, gz_top)],
        "LayerSources": {_digest(base): layers[0]},
    }
    files = [(f"blobs/sha256/{hex_}", data) for hex_, data in blobs.items()]
    archive = _tar(
        [
            *files,
            ("index.json", json.dumps(index).encode()),
            ("manifest.json", json.dumps([entry]).encode()),
            ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
        ]
    )
    legacy = _tar(
        [
            ("base/layer.tar", base),
            ("top/layer.tar", top),
            ("config.json", config),
            (
                "manifest.json",
                json.dumps(
                    [
                        {
                            **entry,
                            "Config": "config.json",
                            "Layers": ["base/layer.tar", "top/layer.tar"],
                        }
                    ]
                ).encode(),
            ),
        ]
    )
    return archive, legacy


def test_foreign_layers_are_refused_before_any_upload(
    bed: Testbed,
    engine: EngineUnderTest,
    registry: RegistryClient,
    image_name: str,
) -> None:
    tag = f"local/{image_name}:foreign"
    archive, windows_save = _foreign_archive(tag)
    engine.client.images.load(archive)
    image_id = str(engine.client.images.get(tag).id)
    local = Engine(engine.client)
    if not local.info().containerd_store:
        # A classic store on Linux drops foreign sources when loading (only Windows keeps
        # them): show ghpkg the image and archive a Windows engine would.

        class WindowsEngine(Engine):
            def get_image(self, name_or_id: str) -> Image:
                image = super().get_image(name_or_id)
                image.attrs["Os"] = "windows"
                return image

            def save(self, image: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
                return iter([windows_save])

        local = WindowsEngine(engine.client)
    try:
        with pytest.raises(GhpkgError, match="does not currently support foreign layers"):
            push_image(registry, local, image_id, _refs(bed, image_name, "1.0"), print)
        _nothing_stored(bed, f"{OWNER}/{REPOSITORY}/{image_name}")
    finally:
        engine.client.images.remove(image_id, force=True)
