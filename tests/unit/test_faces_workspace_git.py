"""The workspace's git: `origin` as a GHES location, in the URL shapes git accepts."""

from __future__ import annotations

import pytest

from ghpkg.faces.workspace_git import GitRemote, parse_remote


@pytest.mark.parametrize(
    ("url", "remote"),
    [
        (
            "https://ghes.example.com/Octo-Org/app.git\n",
            GitRemote("ghes.example.com", "Octo-Org", "app"),
        ),
        ("https://ghes.example.com:8443/o/app", GitRemote("ghes.example.com:8443", "o", "app")),
        ("https://user@GHES.example.com/o/app.git", GitRemote("ghes.example.com", "o", "app")),
        ("git@ghes.example.com:o/app.git", GitRemote("ghes.example.com", "o", "app")),
        ("ssh://git@ghes.example.com:2222/o/app.git", GitRemote("ghes.example.com", "o", "app")),
    ],
)
def test_a_remote_names_host_owner_and_repository(url: str, remote: GitRemote) -> None:
    assert parse_remote(url) == remote


@pytest.mark.parametrize(
    "url", ["/srv/git/app.git", "file:///srv/app.git", "https://ghes.example.com/app.git", ""]
)
def test_a_remote_without_host_or_owner_gives_nothing(url: str) -> None:
    assert parse_remote(url) is None
