"""copy_image between two real CNCF distribution registries: blob to blob, digest preserved."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ghpkg.errors import RegistryError
from ghpkg.manifest import CONFIG, LAYER_GZIP, SCHEMA2, Descriptor, build_schema2
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.registry.blob_writer import Blob, BlobWriter
from ghpkg.registry_transport.copy import copy_image
from ghpkg.secret import Secret
from tests.unit.registry_server import REGISTRY_BINARY, RawRegistry, raw_registry

pytestmark = pytest.mark.skipif(
    not REGISTRY_BINARY.exists(), reason="needs Debian's docker-registry package"
)
TOKEN = Secret("ghp_" + "a" * 36)
SOURCE = "octo-org/hello-world/app"
TARGET = "octo-org/app"


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawRegistry, ...]]:
    """Two registries, each with its own CA: the Docker registry and the Container registry."""
    with (
        raw_registry(tmp_path_factory.mktemp("docker")) as docker,
        raw_registry(tmp_path_factory.mktemp("containers")) as containers,
    ):
        yield docker, containers


@pytest.fixture
def clients(registries: tuple[RawRegistry, ...]) -> Iterator[tuple[RegistryClient, ...]]:
    """A client for each registry; the destination resolves manifests by digest."""
    docker, containers = registries
    source = RegistryClient(docker.host, "octocat", TOKEN, ca_file=docker.ca_file)
    destination = RegistryClient(
        containers.host, "octocat", TOKEN, ca_file=containers.ca_file, digests=True
    )
    with source, destination:
        yield source, destination


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _push(client: RegistryClient, path: str, tag: str, layer_size: int) -> bytes:
    """Push a config and one gzip layer of random bytes under path:tag; the manifest bytes."""
    layer = gzip.compress(os.urandom(layer_size), compresslevel=1)
    rootfs = {"type": "layers", "diff_ids": [_digest(tag.encode())]}
    config = json.dumps({"rootfs": rootfs}).encode()
    for blob in (layer, config):
        BlobWriter(client, path).write(Blob.of_bytes(blob, _digest(blob)))
    manifest = build_schema2(
        Descriptor(CONFIG, len(config), _digest(config)),
        [Descriptor(LAYER_GZIP, len(layer), _digest(layer))],
    )
    client.put_manifest(path, tag, manifest.raw, SCHEMA2)
    return manifest.raw


def _refs(registries: tuple[RawRegistry, ...], tag: str) -> tuple[Reference, Reference]:
    docker, containers = registries
    return (
        Reference(docker.host, "octo-org", "hello-world", "app", tag),
        Reference(containers.host, "octo-org", "", "app", tag),
    )


def _blob_file(registry: RawRegistry, digest: str) -> Path:
    hexa = digest.split(":")[1]
    return registry.storage / f"docker/registry/v2/blobs/sha256/{hexa[:2]}/{hexa}/data"


def test_copy_keeps_the_manifest_bytes_and_sends_every_blob_once(
    registries: tuple[RawRegistry, ...], clients: tuple[RegistryClient, ...]
) -> None:
    source, destination = clients
    raw = _push(source, SOURCE, "1.0", 3 * 1024 * 1024)
    src, dst = _refs(registries, "1.0")
    lines: list[str] = []

    first = copy_image(source, destination, src, dst, lines.append)

    assert first.digest == _digest(raw)
    assert (first.copied_blobs, first.skipped_blobs) == (2, 0)
    served, media_type = destination.get_manifest(TARGET, first.digest)
    assert (served, media_type) == (raw, SCHEMA2)
    layer = json.loads(raw)["layers"][0]["digest"]
    assert (
        _blob_file(registries[1], layer).read_bytes()
        == _blob_file(registries[0], layer).read_bytes()
    )
    again = copy_image(source, destination, src, dst, lines.append)
    assert (again.digest, again.copied_blobs, again.skipped_blobs) == (first.digest, 0, 2)
    assert any("2 blob(s) copied" in line for line in lines)


def test_several_tags_share_the_blobs_already_copied(
    registries: tuple[RawRegistry, ...], clients: tuple[RegistryClient, ...]
) -> None:
    source, destination = clients
    raw = _push(source, SOURCE, "2.0", 1024)
    source.put_manifest(SOURCE, "latest", raw, SCHEMA2)
    done: set[str] = set()
    results = [
        copy_image(source, destination, *_refs(registries, tag), lambda _: None, done)
        for tag in ("2.0", "latest")
    ]
    assert [r.copied_blobs for r in results] == [2, 0]
    assert {r.digest for r in results} == {_digest(raw)}
    assert destination.get_manifest(TARGET, "latest")[0] == raw


def test_a_missing_tag_is_a_clear_error(
    registries: tuple[RawRegistry, ...], clients: tuple[RegistryClient, ...]
) -> None:
    source, destination = clients
    with pytest.raises(RegistryError, match="was not found"):
        copy_image(source, destination, *_refs(registries, "9.9"), lambda _: None)


def test_memory_stays_flat_while_a_big_layer_streams_through(
    registries: tuple[RawRegistry, ...], clients: tuple[RegistryClient, ...]
) -> None:
    """A 48 MB layer is copied with a few MB of Python memory at most: no buffering, no file."""
    source, destination = clients
    raw = _push(source, SOURCE, "big", 48 * 1024 * 1024)
    src, dst = _refs(registries, "big")
    tracemalloc.start()
    try:
        copied = copy_image(source, destination, src, dst, lambda _: None)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert copied.digest == _digest(raw)
    assert copied.copied_bytes > 48 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
