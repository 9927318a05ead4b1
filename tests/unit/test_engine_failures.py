"""A broken or timed-out talk with the engine is an EngineError, retried where it may pass;
which registry errors in the engine's JSON stream are worth another `docker push`/`pull`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import docker
import pytest
import requests
import urllib3.exceptions

import ghpkg.engine.failures
from ghpkg.engine import Engine, temporary_message
from ghpkg.errors import EngineError


class BrokenApi:
    """docker-py's APIClient where each stream breaks after its first chunk."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def _broken(self) -> Iterator[dict[str, Any]]:
        self.calls += 1
        yield {"status": "Preparing", "id": "0123456789ab"}
        raise self.error

    def push(self, *_args: Any, **_kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._broken()

    def get_image(self, *_args: Any, **_kwargs: Any) -> Iterator[bytes]:
        self.calls += 1
        yield b"tar"
        raise self.error


class BrokenClient:
    def __init__(self, error: Exception) -> None:
        self.api = BrokenApi(error)


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ReadTimeout("Read timed out. (read timeout=600)"),
        requests.exceptions.ConnectionError("Connection aborted."),
        urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(10 bytes read)"),
    ],
)
def test_a_push_stream_that_breaks_is_retried_then_one_engine_error(
    error: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ghpkg.engine.failures, "backoff_delay", lambda _n: 0.0)
    client = BrokenClient(error)
    said: list[str] = []
    engine = Engine(cast(docker.DockerClient, client))  # a fake client stands in for docker-py's
    with pytest.raises(EngineError) as failed:
        engine.push("127.0.0.1:5/o/r/i:1", "", None, lambda _c: None, retries=1, log=said.append)
    assert client.api.calls == 2
    assert failed.value.temporary
    assert str(failed.value).startswith("docker push of 127.0.0.1:5/o/r/i:1 failed: ")
    assert "(gave up after 2 attempts)" in str(failed.value)
    assert len(said) == 1


def test_a_save_stream_that_breaks_is_an_engine_error_not_an_internal_one() -> None:
    client = BrokenClient(urllib3.exceptions.ProtocolError("Connection broken"))
    with pytest.raises(EngineError) as failed:
        list(Engine(cast(docker.DockerClient, client)).save("sha256:abc"))
    assert str(failed.value) == "docker save of sha256:abc failed: Connection broken"
    assert failed.value.temporary


def test_an_answer_from_the_engine_is_judged_by_its_words_not_retried_as_a_broken_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docker-py's APIError is a requests HTTPError too; a 404 from the engine is final."""
    import docker.errors

    response = requests.Response()
    response.status_code = 404
    client = BrokenClient(docker.errors.NotFound("manifest unknown", response=response))
    monkeypatch.setattr(ghpkg.engine.failures, "backoff_delay", lambda _n: 0.0)
    engine = Engine(cast(docker.DockerClient, client))
    with pytest.raises(EngineError) as failed:
        engine.push("127.0.0.1:5/o/r/i:1", "", None, lambda _c: None, retries=3)
    assert client.api.calls == 1
    assert not failed.value.temporary


@pytest.mark.parametrize(
    "message",
    [
        "received unexpected HTTP status: 502 Bad Gateway",
        "received unexpected HTTP status: 503 Service Unavailable",
        "toomanyrequests: too many requests",
        "Put https://docker.ghes.test/v2/o/r/i/manifests/1: net/http: TLS handshake timeout",
        "read tcp 127.0.0.1:1->127.0.0.1:443: read: connection reset by peer",
        "Get https://docker.ghes.test/v2/: dial tcp 127.0.0.1:443: i/o timeout",
        "Patch https://docker.ghes.test/v2/o/r/i/blobs/uploads/x: EOF",
        "context deadline exceeded",
    ],
)
def test_temporary(message: str) -> None:
    assert temporary_message(message)


@pytest.mark.parametrize(
    "message",
    [
        "unauthorized: Your request could not be authenticated by the GitHub Packages service",
        "denied: permission_denied: The token provided does not match expected scopes.",
        "no basic auth credentials",
        "Get https://docker.ghes.test/v2/: x509: certificate signed by unknown authority",
        "manifest invalid: manifest invalid",
        "manifest for docker.ghes.test/o/r/i:1 not found: manifest unknown",
        "received unexpected HTTP status: 403 Forbidden",
        "an image does not exist locally with the tag: docker.ghes.test/o/r/i",
    ],
)
def test_not_temporary(message: str) -> None:
    assert not temporary_message(message)
