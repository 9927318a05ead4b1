"""The engine transport's push counts only what the engine pushed through its shim, of the
local image: a tag stored from another manifest, or from another image, fails the push."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from ghpkg.errors import EngineError
from ghpkg.manifest import SCHEMA2, sha256_digest
from ghpkg.reference import Reference
from ghpkg.secret import Secret
from ghpkg.transports.engine import EngineTransport
from tests.unit.fakes import FakeEngine, FakeRegistry, manifest_of

LOCAL = "sha256:" + "1" * 64
OTHER = "sha256:" + "2" * 64
REF = Reference("docker.ghes.test", "octo-org", "hello-world", "app", "1.0")


class Stored(FakeRegistry):
    """Keeps what the shim PUTs."""

    digests = False

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str:
        self.manifests[(path, tag)] = (raw, media_type)
        return sha256_digest(raw)


class Pushing(FakeEngine):
    """An engine whose push PUTs `sent` to the shim with the login it was given, and reports
    `reported` (default: the digest of what it sent)."""

    def __init__(self, sent: bytes, reported: str = "") -> None:
        super().__init__({LOCAL: LOCAL})
        self.sent, self.reported = sent, reported
        self.logins: list[tuple[str, str]] = []

    def push(
        self, reference: str, username: str, token: Secret | None, *_args: Any, **_kw: Any
    ) -> str:
        assert token is not None
        self.logins.append((username, token.reveal()))
        name, _colon, tag = reference.rpartition(":")
        host, _slash, path = name.partition("/")
        answer = requests.put(
            f"http://{host}/v2/{path}/manifests/{tag}",
            data=self.sent,
            headers={"Content-Type": SCHEMA2},
            auth=(username, token.reveal()),
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return self.reported or sha256_digest(self.sent)


def push(engine: Pushing) -> Stored:
    registry = Stored()
    EngineTransport(registry, engine, log=lambda _: None).push(LOCAL, [REF])
    return registry


def test_the_engine_logs_in_with_a_one_time_login_and_its_push_counts() -> None:
    engine = Pushing(manifest_of(LOCAL))
    registry = push(engine)
    assert registry.manifests[(REF.path, "1.0")][0] == manifest_of(LOCAL)
    (login,) = engine.logins
    assert login[0] == "ghpkg"
    assert len(login[1]) >= 40


def test_a_manifest_the_engine_did_not_push_fails_the_push() -> None:
    engine = Pushing(manifest_of(LOCAL), reported="sha256:" + "9" * 64)
    with pytest.raises(EngineError, match="stored from a manifest the engine did not push"):
        push(engine)


def test_a_manifest_of_another_image_fails_the_push() -> None:
    with pytest.raises(EngineError, match=f"stored with config {OTHER}, not the local image"):
        push(Pushing(manifest_of(OTHER)))
