"""A pull's platform tag (verbs.pull.platform_tag, asked while connecting) and the pull once
connected (verbs.pull.fetch): which tag it pulls, and the name the image gets."""

from __future__ import annotations

import io

import pytest

from ghpkg.errors import RegistryError
from ghpkg.manifest import SCHEMA2
from ghpkg.outputs import Log
from ghpkg.reference import Reference
from ghpkg.settings import Registry, Remote
from ghpkg.verbs.connect import Connected
from ghpkg.verbs.pull import PullRequest, fetch, platform_tag
from tests.unit.fakes import (
    PACKAGE,
    FakeEngine,
    FakeRegistry,
    FakeTransport,
    manifest_of,
    shared_remote,
)

PATH = "octo-org/hello-world/app"
NAME = f"docker.ghes.test/{PATH}:1.0"
PLAIN, ARM = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def _request(registry: Registry = Registry.DOCKER) -> tuple[PullRequest, Remote]:
    """pull's request for 1.0, and the shared remote."""
    return PullRequest(PACKAGE, "1.0"), shared_remote(registry)


def _setup(
    arch: str, called: tuple[PullRequest, Remote]
) -> tuple[Connected, FakeEngine, FakeTransport]:
    engine = FakeEngine({}, arch=arch)
    registry = FakeRegistry()
    transport = FakeTransport(registry, engine)
    request, shared = called
    refs = request.package.references(shared, (request.version,), True)
    path = refs[0].path
    registry.manifests[(path, "1.0")] = (manifest_of(PLAIN), SCHEMA2)
    registry.manifests[(path, "1.0-linux-arm64")] = (manifest_of(ARM), SCHEMA2)
    source = platform_tag(registry, refs[0], engine.info())  # as prepare finds it
    return Connected(registry, refs, engine, transport, source), engine, transport


def test_an_engine_of_a_platform_with_its_own_tag_pulls_that_tag_under_the_versions_name() -> None:
    connected, engine, transport = _setup("arm64", _request())
    result = fetch(*_request(), Log(stream=io.StringIO()), connected)
    assert transport.pulled == ["1.0-linux-arm64"]
    assert result.image_id == ARM
    assert engine.images[NAME] == ARM  # the version's own name, not the platform tag's
    assert engine.untagged == [f"{NAME}-linux-arm64"]
    assert result.images == (NAME,)


def test_without_a_platform_tag_the_version_itself_is_pulled() -> None:
    connected, engine, transport = _setup("amd64", _request())
    result = fetch(*_request(), Log(stream=io.StringIO()), connected)
    assert transport.pulled == ["1.0"]
    assert result.image_id == engine.images[NAME] == PLAIN
    assert engine.untagged == []


def test_a_refused_platform_tag_lookup_is_the_registrys_error_not_a_missing_tag() -> None:
    connected, engine, _transport = _setup("amd64", _request())

    class Refusing(FakeRegistry):
        def get_manifest(self, path: str, tag: str) -> tuple[bytes, str]:
            raise RegistryError("denied", "the token may not read", status=403)

    with pytest.raises(RegistryError, match="denied"):
        platform_tag(Refusing(), connected.refs[0], engine.info())


def test_the_container_registry_pulls_the_tag_and_leaves_the_platform_to_the_index() -> None:
    called = _request(Registry.CONTAINER)
    connected, _engine, transport = _setup("arm64", called)
    result = fetch(*called, Log(stream=io.StringIO()), connected)
    assert transport.pulled == ["1.0"]
    assert result.images == (str(Reference("containers.ghes.test", "octo-org", "", "app", "1.0")),)
