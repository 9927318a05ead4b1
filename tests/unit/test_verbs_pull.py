"""pull once connected (verbs.pull.fetch): which tag it pulls, and the name the image gets."""

from __future__ import annotations

import io

import pytest

from ghpkg.errors import RegistryError
from ghpkg.manifest import SCHEMA2
from ghpkg.outputs import Log
from ghpkg.reference import Reference
from ghpkg.settings import Operation, PullRequest, Registry, Remote, Settings
from ghpkg.verbs.connect import Connected
from ghpkg.verbs.pull import fetch
from tests.unit.fakes import FakeEngine, FakeRegistry, FakeTransport, manifest_of, settings

PATH = "octo-org/hello-world/app"
NAME = f"docker.ghes.test/{PATH}:1.0"
PLAIN, ARM = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def _settings(registry: Registry = Registry.DOCKER) -> Settings:
    return settings(Operation.PULL, "1.0", registry=registry)


def _request(settings: Settings) -> tuple[PullRequest, Remote]:
    """What the faces make of the settings: pull's request and the shared remote."""
    return PullRequest(settings.package, settings.versions[0], settings.engine), settings.remote


def _setup(arch: str, settings: Settings) -> tuple[Connected, FakeEngine, FakeTransport]:
    engine = FakeEngine({}, arch=arch)
    registry = FakeRegistry()
    transport = FakeTransport(registry, engine)
    refs = settings.references(True)
    path = refs[0].path
    registry.manifests[(path, "1.0")] = (manifest_of(PLAIN), SCHEMA2)
    registry.manifests[(path, "1.0-linux-arm64")] = (manifest_of(ARM), SCHEMA2)
    return Connected(registry, refs, engine, transport), engine, transport


def test_an_engine_of_a_platform_with_its_own_tag_pulls_that_tag_under_the_versions_name() -> None:
    connected, engine, transport = _setup("arm64", _settings())
    result = fetch(*_request(_settings()), Log(stream=io.StringIO()), connected)
    assert transport.pulled == ["1.0-linux-arm64"]
    assert result.image_id == ARM
    assert engine.images[NAME] == ARM  # the version's own name, not the platform tag's
    assert engine.untagged == [f"{NAME}-linux-arm64"]
    assert result.images == (NAME,)


def test_without_a_platform_tag_the_version_itself_is_pulled() -> None:
    connected, engine, transport = _setup("amd64", _settings())
    result = fetch(*_request(_settings()), Log(stream=io.StringIO()), connected)
    assert transport.pulled == ["1.0"]
    assert result.image_id == engine.images[NAME] == PLAIN
    assert engine.untagged == []


def test_a_refused_platform_tag_lookup_ends_the_pull_with_the_registrys_error() -> None:
    connected, _engine, transport = _setup("amd64", _settings())

    class Refusing(FakeRegistry):
        def get_manifest(self, path: str, tag: str) -> tuple[bytes, str]:
            raise RegistryError("denied", "the token may not read", status=403)

    refusing = Connected(Refusing(), connected.refs, connected.engine, transport)
    with pytest.raises(RegistryError, match="denied"):
        fetch(*_request(_settings()), Log(stream=io.StringIO()), refusing)
    assert transport.pulled == []


def test_the_container_registry_pulls_the_tag_and_leaves_the_platform_to_the_index() -> None:
    settings = _settings(Registry.CONTAINER)
    connected, _engine, transport = _setup("arm64", settings)
    result = fetch(*_request(settings), Log(stream=io.StringIO()), connected)
    assert transport.pulled == ["1.0"]
    assert result.images == (str(Reference("containers.ghes.test", "octo-org", "", "app", "1.0")),)
