"""A push once connected (verbs.push.publish): the image, its tags, the transport, the answer."""

from __future__ import annotations

import io
import json

import pytest

from ghpkg.errors import EngineError, RegistryError
from ghpkg.manifest import OCI_MANIFEST, SCHEMA2, sha256_digest
from ghpkg.outputs import Log
from ghpkg.reference import Reference
from ghpkg.settings import Registry, Remote
from ghpkg.transports import ReadBack
from ghpkg.verbs.connect import Connected
from ghpkg.verbs.push import PushRequest, publish
from tests.unit.fakes import (
    PACKAGE,
    FakeEngine,
    FakeRegistry,
    FakeTransport,
    manifest_of,
    shared_remote,
)

IMAGE_ID = "sha256:" + "a" * 64


def _request(*versions: str, source: str = "local/app:1") -> PushRequest:
    return PushRequest(PACKAGE, versions, source=source)


def _connected(request: PushRequest, remote: Remote) -> tuple[Connected, FakeEngine, FakeTransport]:
    engine = FakeEngine({"local/app:1": IMAGE_ID, IMAGE_ID: IMAGE_ID})
    registry = FakeRegistry()
    transport = FakeTransport(registry, engine)
    refs = request.package.references(remote, request.versions, True)
    return Connected(registry, refs, engine, transport), engine, transport


def _log() -> Log:
    return Log(stream=io.StringIO())


def test_every_version_is_tagged_pushed_once_and_reported_with_the_registrys_digest() -> None:
    request, remote = _request("1.0", "latest"), shared_remote()
    connected, engine, transport = _connected(request, remote)
    result = publish(request, remote, _log(), connected)
    names = [
        "docker.ghes.test/octo-org/hello-world/app:1.0",
        "docker.ghes.test/octo-org/hello-world/app:latest",
    ]
    assert engine.tagged == [(IMAGE_ID, name) for name in names]
    assert transport.pushed == [(IMAGE_ID, ["1.0", "latest"])]  # one push for every tag
    assert result.images == tuple(names)
    assert result.digest == sha256_digest(manifest_of(IMAGE_ID))
    assert result.image_id == IMAGE_ID
    assert result.package_url == "https://ghes.test/octo-org/hello-world/packages"


def test_a_source_image_that_is_not_there_is_one_engine_error_before_any_push() -> None:
    request, remote = _request("1.0", source="local/missing:1"), shared_remote()
    connected, _engine, transport = _connected(request, remote)
    with pytest.raises(EngineError, match="is not in the local Docker engine"):
        publish(request, remote, _log(), connected)
    assert transport.pushed == []


@pytest.mark.parametrize(
    ("stored", "media_type", "error"),
    [
        ("sha256:" + "b" * 64, SCHEMA2, "the versions point at different manifests"),
        (IMAGE_ID, OCI_MANIFEST, "app:latest was stored as application/vnd.oci"),
    ],
)
def test_tags_that_do_not_serve_the_pushed_schema_2_manifest_are_an_error(
    stored: str, media_type: str, error: str
) -> None:
    """Another push to `latest` meanwhile; or OCI stored where GHES wants schema 2."""
    request, remote = _request("1.0", "latest"), shared_remote()
    connected, _engine, transport = _connected(request, remote)

    class Racing(FakeTransport):
        def push(self, image_id: str, refs: list[Reference]) -> ReadBack:
            super().push(image_id, refs)
            self.registry.manifests[(refs[1].path, "latest")] = (manifest_of(stored), media_type)
            return {}

    racing = Racing(transport.registry, transport.engine)
    connected = Connected(connected.registry, connected.refs, connected.engine, racing)
    with pytest.raises(RegistryError, match=error):
        publish(request, remote, _log(), connected)


def test_the_container_registry_takes_any_manifest_the_tags_agree_on() -> None:
    request, remote = _request("1.0"), shared_remote(Registry.CONTAINER)
    connected, _engine, _transport = _connected(request, remote)
    result = publish(request, remote, _log(), connected)
    assert result.images == ("containers.ghes.test/octo-org/app:1.0",)
    assert result.digest == sha256_digest(manifest_of(IMAGE_ID))


def test_a_push_outputs_build_push_actions_imageid_metadata_and_metadata_actions_version() -> None:
    from ghpkg.verbs.ref import PushResult

    images = ("docker.ghes.test/o/r/app:1.2.3", "docker.ghes.test/o/r/app:latest")
    digest = "sha256:" + "d" * 64
    outputs = PushResult(images=images, digest=digest, image_id="sha256:" + "c" * 64).outputs()
    assert outputs["imageid"] == outputs["image-id"] == "sha256:" + "c" * 64
    assert outputs["version"] == "1.2.3"
    assert json.loads(outputs["metadata"]) == {
        "containerimage.digest": digest,
        "image.name": ",".join(images),
    }
    built = PushResult(images=images[:1], image_id="sha256:" + "c" * 64).outputs()  # push: false
    assert json.loads(built["metadata"]) == {"image.name": images[0]}
