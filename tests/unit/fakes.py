"""Stand-ins for the verbs' unit tests: an engine, a transport and a registry that only script.

They answer the few calls a verb makes once it is connected, so a verb's own decisions (what
it tags, which tag it pulls, what it reports) are checked without an engine or a network.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from ghpkg.engine import Engine, EngineInfo
from ghpkg.errors import RegistryError
from ghpkg.faces.inputs import Call
from ghpkg.manifest import SCHEMA2
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from ghpkg.settings import Package, Registry, Remote
from ghpkg.transports import Pulled, ReadBack
from ghpkg.verbs.copy import CopyRequest
from ghpkg.verbs.join import JoinRequest
from ghpkg.verbs.migrate import MigrateRequest
from ghpkg.verbs.pull import PullRequest
from ghpkg.verbs.push import PushRequest
from ghpkg.verbs.ref import RefRequest
from ghpkg.verbs.serve import ServeRequest


class FakeEngine(Engine):
    """Local images by name or ID; records every tag and untag."""

    def __init__(self, images: dict[str, str], os: str = "linux", arch: str = "amd64") -> None:
        self.images = dict(images)  # name or ID -> image ID
        self.platform_info = EngineInfo("28.5.2", "1.51", False, os, arch)
        self.tagged: list[tuple[str, str]] = []
        self.untagged: list[str] = []

    def info(self) -> EngineInfo:
        return self.platform_info

    def find_image(self, name_or_id: str) -> Any:
        found = self.images.get(name_or_id)
        return SimpleNamespace(id=found, attrs={"Id": found}) if found else None

    def tag(self, image_id: str, reference: str) -> None:
        self.tagged.append((image_id, reference))
        self.images[reference] = image_id

    def untag(self, reference: str) -> None:
        self.untagged.append(reference)
        self.images.pop(reference, None)


class FakeRegistry(RegistryClient):
    """Manifests by (path, tag); a tag it does not hold is a 404, as the registry answers."""

    def __init__(self) -> None:  # no session: nothing goes on the network
        self.manifests: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.asked: list[str] = []

    def get_manifest(self, path: str, tag: str) -> tuple[bytes, str]:
        self.asked.append(tag)
        if (path, tag) not in self.manifests:
            raise RegistryError(f"{path}:{tag} not found", "manifest unknown", status=404)
        return self.manifests[(path, tag)]


class FakeTransport:
    """Stores a manifest for each pushed tag in the FakeRegistry; pulls what it holds."""

    name = "fake"

    def __init__(self, registry: FakeRegistry, engine: FakeEngine) -> None:
        self.registry, self.engine = registry, engine
        self.pushed: list[tuple[str, list[str]]] = []
        self.pulled: list[str] = []

    def push(self, image_id: str, refs: list[Reference]) -> ReadBack:
        self.pushed.append((image_id, [r.version for r in refs]))
        for reference in refs:
            self.registry.manifests[(reference.path, reference.version)] = (
                manifest_of(image_id),
                SCHEMA2,
            )
        return {}  # nothing read back: verify reads each tag

    def pull(self, reference: Reference) -> Pulled:
        self.pulled.append(reference.version)
        raw, _media_type = self.registry.get_manifest(reference.path, reference.version)
        image_id = str(json.loads(raw)["config"]["digest"])
        self.engine.tag(image_id, str(reference))
        return Pulled(f"digest-of-{reference.version}", image_id)


def manifest_of(image_id: str) -> bytes:
    """A schema-2 manifest whose config is the image (the classic store's image ID)."""
    return (
        b'{"schemaVersion": 2, "mediaType": "' + SCHEMA2.encode() + b'", "config": '
        b'{"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, '
        b'"digest": "' + image_id.encode() + b'"}, "layers": []}'
    )


PACKAGE = Package("octo-org", "hello-world", "app")


def shared_remote(registry: Registry = Registry.DOCKER) -> Remote:
    """ghes.test with subdomain isolation on, as the verbs share it."""
    return Remote(
        "ghes.test", "octocat", Secret("ghp_" + "x" * 36), isolation=True, registry=registry
    )


def package_of(call: Call) -> Package:
    """The package a face's call names (serve and migrate name none)."""
    assert not isinstance(call.request, (ServeRequest, MigrateRequest))
    return call.request.package


def references_of(call: Call, isolation: bool) -> list[Reference]:
    """The references a face's call names, on the layout given."""
    request = call.request
    assert isinstance(request, (RefRequest, CopyRequest, PushRequest, JoinRequest, PullRequest))
    versions = (request.version,) if isinstance(request, PullRequest) else request.versions
    return request.package.references(call.remote, versions, isolation)
