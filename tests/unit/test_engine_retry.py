"""Which registry errors in the engine's JSON stream are worth another `docker push`/`pull`."""

from __future__ import annotations

import pytest

from ghpkg.engine import temporary_message


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
