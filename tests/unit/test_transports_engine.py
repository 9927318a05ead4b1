"""The engine transport's push counts only what the engine pushed (through its shim, or straight
to the instance), of the local image: a tag holding another manifest, or another image, fails the
push; a straight push the instance refuses goes through the shim instead."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from ghpkg.errors import EngineError
from ghpkg.manifest import SCHEMA2, sha256_digest
from ghpkg.reference import Reference
from ghpkg.secret import Secret
from ghpkg.shim.scope import Login
from ghpkg.transports import ReadBack
from ghpkg.transports.engine import EngineTransport
from ghpkg.verbs.push import verify
from tests.unit.fakes import FakeEngine, FakeRegistry, manifest_of

LOCAL = "sha256:" + "1" * 64
OTHER = "sha256:" + "2" * 64
REF = Reference("docker.ghes.test", "octo-org", "hello-world", "app", "1.0")


class Stored(FakeRegistry):
    """Keeps what the shim PUTs."""

    digests = False
    host = "docker.ghes.test"

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
    with pytest.raises(EngineError, match="holds a manifest the engine did not push"):
        push(engine)


def test_a_manifest_of_another_image_fails_the_push() -> None:
    with pytest.raises(EngineError, match=f"holds config {OTHER}, not the local image"):
        push(Pushing(manifest_of(OTHER)))


INSTANCE = Login("octocat", Secret("ghp_" + "a" * 36))


class Straight(Pushing):
    """An engine that pushes straight to the instance (storing `sent` in `registry`), or fails
    there with `refusal`; through a shim (127.0.0.1) it pushes as Pushing does."""

    def __init__(self, registry: Stored, sent: bytes, refusal: EngineError | None = None) -> None:
        super().__init__(sent)
        self.registry, self.refusal = registry, refusal

    def push(
        self, reference: str, username: str, token: Secret | None, *args: Any, **kw: Any
    ) -> str:
        if reference.startswith("127.0.0.1:"):
            return super().push(reference, username, token, *args, **kw)
        assert token is not None
        self.logins.append((username, token.reveal()))
        if self.refusal:
            raise self.refusal
        self.registry.manifests[(REF.path, REF.version)] = (self.sent, SCHEMA2)
        return sha256_digest(manifest_of(LOCAL))  # what it pushed: the local image


def push_straight(engine: Straight, lines: list[str]) -> ReadBack:
    transport = EngineTransport(engine.registry, engine, lines.append, straight=INSTANCE)
    return transport.push(LOCAL, [REF])


def test_a_straight_push_uses_the_instances_login_and_no_shim() -> None:
    registry, lines = Stored(), list[str]()
    engine = Straight(registry, manifest_of(LOCAL))
    read = push_straight(engine, lines)
    # The tag's check read its manifest once; push's verify checks those bytes, asks no more.
    assert verify(registry, [REF], read=read) == sha256_digest(manifest_of(LOCAL))
    assert registry.asked == ["1.0"]
    assert engine.logins == [("octocat", INSTANCE.password.reveal())]
    assert engine.tagged == []  # verbs.push tagged the references; the push asks no tag again
    assert lines == ["The engine pushes straight to docker.ghes.test (it trusts its certificate)"]


def test_a_straight_push_whose_tag_serves_another_image_fails() -> None:
    engine = Straight(Stored(), manifest_of(OTHER))
    with pytest.raises(EngineError, match="holds a manifest the engine did not push"):
        push_straight(engine, [])
    assert len(engine.logins) == 1  # no second try through the shim


def test_a_refused_straight_push_goes_through_the_shim_and_says_so() -> None:
    refusal = EngineError("docker push failed", "manifest invalid: manifest invalid")
    registry, lines = Stored(), list[str]()
    engine = Straight(registry, manifest_of(LOCAL), refusal)
    push_straight(engine, lines)
    assert [login[0] for login in engine.logins] == ["octocat", "ghpkg"]
    assert lines[1] == (
        "the engine's own push to docker.ghes.test was refused (manifest invalid: manifest "
        "invalid); pushing through ghpkg's loopback registry instead"
    )
    assert registry.manifests[(REF.path, "1.0")][0] == manifest_of(LOCAL)


def test_a_straight_push_that_keeps_failing_on_the_network_is_not_tried_again_via_the_shim() -> (
    None
):
    broken = EngineError("docker push failed", "503 Service Unavailable", temporary=True)
    engine = Straight(Stored(), manifest_of(LOCAL), broken)
    with pytest.raises(EngineError, match="503"):
        push_straight(engine, [])
    assert len(engine.logins) == 1


class Failing(FakeEngine):
    """An engine whose pull fails on its own, naming the reference it was given (the shim's)."""

    def pull(self, reference: str, *_args: Any, **_kw: Any) -> None:
        raise EngineError(f"docker pull of {reference} failed", f"{reference}: no space left")


def test_a_failed_pull_names_the_instances_reference_not_the_shims() -> None:
    transport = EngineTransport(Stored(), Failing({}), log=lambda _: None)
    with pytest.raises(EngineError) as failed:
        transport.pull(REF)
    assert str(failed.value).startswith(f"docker pull of {REF} failed: {REF}: no space left")
    assert "127.0.0.1" not in str(failed.value)


class Overwritten(Stored):
    """A registry whose tag serves another manifest than the one the shim stored (another push
    to the same tag landed meanwhile)."""

    def get_manifest(self, path: str, tag: str) -> tuple[bytes, str]:
        return manifest_of(OTHER), SCHEMA2


def test_a_tag_that_serves_another_manifest_than_the_shim_stored_fails_the_push() -> None:
    engine = Pushing(manifest_of(LOCAL))
    transport = EngineTransport(Overwritten(), engine, log=lambda _: None)
    with pytest.raises(EngineError, match="holds a manifest the engine did not push"):
        transport.push(LOCAL, [REF])
    (shim_name,) = engine.untagged  # the engine keeps no loopback name either way
    assert shim_name.startswith("127.0.0.1:")
