"""Where a Bearer challenge may send the token: the registry host or the instance's own host."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests

from ghpkg.errors import RegistryError
from ghpkg.registry.credentials import Credentials
from ghpkg.secret import Secret


class Recorded(requests.Session):
    """A session that answers every GET with a token and records where it went."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get(self, url: str | bytes, **_kwargs: Any) -> requests.Response:
        self.asked.append(str(url))
        answer = requests.Response()
        answer.status_code = 200
        answer.raw = io.BytesIO(b'{"token": "t"}')
        return answer


def challenge(realm: str) -> str:
    return f'Bearer realm="{realm}",service="reg",scope="repository:o/i:pull"'


@pytest.mark.parametrize(
    "realm",
    [
        "https://containers.ghes.test/token",
        "https://ghes.test/token",
        "https://ghes.test:443/login/oauth/token",
    ],
)
def test_the_registry_host_and_the_instance_host_may_issue_tokens(realm: str) -> None:
    credentials = Credentials("containers.ghes.test", "octocat", Secret("ghp_x"), "ghes.test")
    session = Recorded()
    credentials.exchange(session, "o/i", challenge(realm), "pull", 10)
    assert [url.split("?")[0] for url in session.asked] == [realm]


@pytest.mark.parametrize(
    "realm",
    [
        "https://uploads.ghes.test/token",  # another subdomain of the instance
        "https://evil.docker.ghes.test/token",
        "https://ghes.test:8443/token",  # another port
        "https://ghes.test.evil.example/token",
    ],
)
def test_any_other_host_gets_nothing(realm: str) -> None:
    credentials = Credentials("containers.ghes.test", "octocat", Secret("ghp_x"), "ghes.test")
    session = Recorded()
    with pytest.raises(RegistryError, match="not part of"):
        credentials.exchange(session, "o/i", challenge(realm), "pull", 10)
    assert session.asked == []
