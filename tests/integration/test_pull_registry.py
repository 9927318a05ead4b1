"""Pull through the registry API (registry_transport.pull) from the bed, into every engine.

Images are pushed once with Engine 20.10's own `docker push` (the write token), removed
locally, and pulled back into the engine under test with `pull_image`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import pytest

from ghpkg.engine import Engine
from ghpkg.errors import AuthError, RegistryError
from ghpkg.manifest import SCHEMA2, parse_schema2
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.registry_transport.pull import pull_image
from ghpkg.secret import Secret
from ghpkg.transports import Pulled
from testbed.bed import Testbed
from testbed.images import busybox_path
from testbed.pytest_engines import EnginePool, EngineUnderTest

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"
PUSHER = "20.10"


@dataclass(frozen=True)
class Published:
    """An image in the bed: where it is, what it prints, its manifest and config digests."""

    ref: Reference
    greeting: str
    manifest_digest: str
    config_digest: str
    layer_digests: tuple[str, ...]


def _build(
    client: docker.DockerClient, directory: Path, tag: str, greeting: str, noise: int
) -> str:
    """FROM scratch: static busybox, a file unique to this image (noise bytes), a CMD."""
    directory.mkdir(parents=True)
    shutil.copy2(busybox_path(), directory / "busybox")
    (directory / "unique.bin").write_bytes(uuid.uuid4().bytes + os.urandom(noise))
    cmd = json.dumps(["/bin/busybox", "echo", greeting])
    (directory / "Dockerfile").write_text(
        f"FROM scratch\nCOPY busybox /bin/busybox\nCOPY unique.bin /unique.bin\nCMD {cmd}\n"
    )
    image, _logs = client.images.build(path=str(directory), tag=tag, rm=True, network_mode="none")
    assert image.id
    return str(image.id)


def _publish(
    bed: Testbed, pusher: docker.DockerClient, directory: Path, noise: int = 0
) -> Published:
    """Build on Engine 20.10, `docker push` it to the bed, and remove it locally."""
    name = f"pull-{uuid.uuid4().hex[:10]}"
    ref = Reference(bed.registry_host, OWNER, REPOSITORY, name, "1.0")
    greeting = f"pulled through the registry API {uuid.uuid4().hex[:6]}"
    image_id = _build(pusher, directory, str(ref), greeting, noise)
    token = Secret(bed.token("write"))
    Engine(pusher).push(str(ref), bed.user("write"), token, lambda _chunk: None)
    with _client(bed, "write") as registry:
        raw, media_type = registry.get_manifest(ref.path, ref.version)
    manifest = parse_schema2(raw, media_type, str(ref))
    assert media_type == SCHEMA2
    assert manifest.config.digest == image_id
    pusher.images.remove(image_id, force=True)
    layers = tuple(layer.digest for layer in manifest.layers)
    return Published(ref, greeting, manifest.digest, manifest.config.digest, layers)


def _client(bed: Testbed, token: str, registry_host: str | None = None) -> RegistryClient:
    return RegistryClient(
        registry_host or bed.registry_host,
        bed.user(token),
        Secret(bed.token(token)),
        ca_file=bed.ca_file,
        retries=1,
    )


def _forget(client: docker.DockerClient, *names: str) -> None:
    """Remove images from an engine if it has them."""
    for name in names:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(name, force=True)


def _containerd(client: docker.DockerClient) -> bool:
    return Engine(client).info().containerd_store


def _run(client: docker.DockerClient, name: str) -> str:
    output = client.containers.run(name, remove=True, network_mode="none")
    return bytes(output).decode().strip()


class Recorder:
    """Collects log lines and counts blob downloads through a registry client."""

    def __init__(self, registry: RegistryClient) -> None:
        self.lines: list[str] = []
        self.blobs: list[str] = []
        original = registry.open_blob

        def counted(path: str, digest: str, size: int | None = None) -> Iterator[bytes]:
            self.blobs.append(digest)
            return original(path, digest, size)

        registry.open_blob = counted  # type: ignore[method-assign]

    def log(self, line: str) -> None:
        """Keep a log line (and show it in pytest's output on failure)."""
        print(line)
        self.lines.append(line)


@pytest.fixture(scope="module")
def published(
    testbed: Testbed, engine_pool: EnginePool, tmp_path_factory: pytest.TempPathFactory
) -> Published:
    """One small image in the bed, pushed by Engine 20.10 and removed from it."""
    pusher = engine_pool.get(PUSHER).client
    return _publish(testbed, pusher, tmp_path_factory.mktemp("published") / "context")


@pytest.fixture
def clean(engine: EngineUnderTest, published: Published) -> Iterator[EngineUnderTest]:
    """The engine under test without the published image, before and after the test."""
    _forget(engine.client, str(published.ref), published.config_digest, published.manifest_digest)
    yield engine
    _forget(engine.client, str(published.ref), published.config_digest, published.manifest_digest)


def test_pull_loads_runs_and_a_second_pull_skips(
    bed: Testbed, clean: EngineUnderTest, published: Published
) -> None:
    client = clean.client
    registry = _client(bed, "write")
    recorder = Recorder(registry)
    started = time.monotonic()
    result = pull_image(registry, Engine(client), published.ref, recorder.log)
    print(f"pulled into {clean.name} in {time.monotonic() - started:.2f}s")
    assert result.digest == published.manifest_digest
    assert _run(client, str(published.ref)) == published.greeting
    local = client.images.get(str(published.ref))
    assert local.id == result.image_id
    if _containerd(client):
        assert result.image_id == published.manifest_digest
    else:
        assert result.image_id == published.config_digest
    assert recorder.blobs == [published.config_digest, *published.layer_digests]
    downloads = [line for line in recorder.lines if ": downloading" in line]
    done = [line for line in recorder.lines if ": done," in line and "B/s)" in line]
    assert len(downloads) == len(done) == len(published.layer_digests)

    again = Recorder(registry)
    second = pull_image(registry, Engine(client), published.ref, again.log)
    assert second == Pulled(result.digest, result.image_id)
    assert again.blobs == []
    assert any("already present" in line for line in again.lines)


def test_pull_retags_an_image_that_is_there_under_no_name(
    bed: Testbed, clean: EngineUnderTest, published: Published
) -> None:
    client = clean.client
    registry = _client(bed, "write")
    first = pull_image(registry, Engine(client), published.ref, print)
    other = published.ref.with_version("renamed")
    Engine(client).tag(first.image_id, str(other))
    client.images.remove(str(published.ref))
    recorder = Recorder(registry)
    result = pull_image(registry, Engine(client), published.ref, recorder.log)
    _forget(client, str(other))
    assert result == Pulled(first.digest, first.image_id)
    assert recorder.blobs == []
    assert client.images.get(str(published.ref)).id == first.image_id


@pytest.mark.parametrize("token", ["read", "actions"])
def test_pull_with_a_read_pat_and_with_the_repositorys_github_token(
    bed: Testbed, clean: EngineUnderTest, published: Published, token: str
) -> None:
    result = pull_image(_client(bed, token), Engine(clean.client), published.ref, print)
    assert result.digest == published.manifest_digest
    assert _run(clean.client, str(published.ref)) == published.greeting


def test_pull_through_the_host_without_subdomain_isolation(
    bed: Testbed, clean: EngineUnderTest, published: Published
) -> None:
    flat = Reference(bed.flat_hostname, OWNER, REPOSITORY, published.ref.image, "1.0")
    try:
        result = pull_image(
            _client(bed, "read", bed.flat_hostname), Engine(clean.client), flat, print
        )
        assert result.digest == published.manifest_digest
        assert _run(clean.client, str(flat)) == published.greeting
    finally:
        _forget(clean.client, str(flat))


def test_a_bad_token_is_refused_with_its_kind(
    bed: Testbed, published: Published, engine: EngineUnderTest
) -> None:
    for value, kind in (
        ("ghp_" + "x" * 36, "classic personal access token (ghp_)"),
        ("ghs_" + "x" * 36, "GITHUB_TOKEN (ghs_)"),
    ):
        registry = RegistryClient(bed.registry_host, "octocat", Secret(value), ca_file=bed.ca_file)
        with pytest.raises(AuthError) as info:
            pull_image(registry, Engine(engine.client), published.ref, print)
        assert info.value.status == 401
        assert kind in str(info.value)
        assert "read:packages" in str(info.value)
        assert value not in str(info.value)


def test_a_github_token_of_another_repository_is_refused(
    bed: Testbed, published: Published, engine: EngineUnderTest
) -> None:
    elsewhere = Reference(bed.registry_host, OWNER, "other-repo", published.ref.image, "1.0")
    with pytest.raises(AuthError, match=r"GITHUB_TOKEN \(ghs_\)") as info:
        pull_image(_client(bed, "actions"), Engine(engine.client), elsewhere, print)
    assert info.value.status == 403


def test_a_missing_tag_is_a_clear_error(
    bed: Testbed, published: Published, engine: EngineUnderTest
) -> None:
    missing = published.ref.with_version("9.9.9")
    with pytest.raises(RegistryError, match="was not found: HTTP 404") as info:
        pull_image(_client(bed, "read"), Engine(engine.client), missing, print)
    assert not info.value.temporary


def _backend_blob(bed: Testbed, digest: str) -> Path:
    hexa = digest.split(":", 1)[1]
    return Path(bed.paths.storage) / f"docker/registry/v2/blobs/sha256/{hexa[:2]}/{hexa}/data"


def test_a_tampered_layer_aborts_the_load_and_leaves_no_tag(
    bed: Testbed, engine: EngineUnderTest, engine_pool: EnginePool, tmp_path: Path
) -> None:
    image = _publish(bed, engine_pool.get(PUSHER).client, tmp_path / "context", noise=4 << 20)
    stored = _backend_blob(bed, image.layer_digests[-1])
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises(RegistryError, match="does not match its manifest: its content has digest"):
        pull_image(_client(bed, "read"), Engine(engine.client), image.ref, print)
    assert Engine(engine.client).find_image(str(image.ref)) is None
    assert Engine(engine.client).find_image(image.config_digest) is None


def test_a_manifest_naming_a_wrong_size_aborts_and_leaves_no_tag(
    bed: Testbed, engine: EngineUnderTest, published: Published
) -> None:
    registry = _client(bed, "write")
    raw, _media_type = registry.get_manifest(published.ref.path, published.ref.version)
    body = json.loads(raw)
    body["layers"][-1]["size"] -= 1
    lying = published.ref.with_version(f"lying-{uuid.uuid4().hex[:6]}")
    registry.put_manifest(lying.path, lying.version, json.dumps(body).encode(), SCHEMA2)
    with pytest.raises(RegistryError, match="does not match its manifest: more than"):
        pull_image(registry, Engine(engine.client), lying, print)
    assert Engine(engine.client).find_image(str(lying)) is None


def test_memory_stays_flat_for_a_large_layer(
    bed: Testbed, engine: EngineUnderTest, engine_pool: EnginePool, tmp_path: Path
) -> None:
    size = 96 << 20
    image = _publish(bed, engine_pool.get(PUSHER).client, tmp_path / "context", noise=size)
    registry = _client(bed, "read")
    _forget(engine.client, str(image.ref))
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = pull_image(registry, Engine(engine.client), image.ref, print)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        elapsed = time.monotonic() - started
    try:
        print(
            f"{engine.name}: {size / 1e6:.0f} MB layer pulled in {elapsed:.1f}s, "
            f"peak Python memory {peak / 1e6:.1f} MB"
        )
        assert peak < 16 << 20
        assert _run(engine.client, str(image.ref)) == image.greeting
        assert hashlib.sha256(b"").hexdigest() not in result.image_id
    finally:
        _forget(engine.client, str(image.ref), image.config_digest, image.manifest_digest)


def test_probe_isolation_finds_both_layouts(bed: Testbed) -> None:
    lines: list[str] = []
    assert probe_isolation(bed.hostname, bed.ca_file, log=lines.append) is True
    assert probe_isolation(bed.flat_hostname, bed.ca_file, log=lines.append) is False
    assert "subdomain isolation on" in lines[0]
    assert "subdomain isolation off" in lines[1]
