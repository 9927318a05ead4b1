"""The token check: one GET /user through the instance's PyGithub client, against a scripted API."""

from __future__ import annotations

import json

import pytest

from ghpkg.errors import AuthError
from ghpkg.rest.auth import check_token_remotely
from ghpkg.secret import Secret
from ghpkg.settings import Remote
from ghpkg.tokens import TokenKind
from tests.unit.registry_fake import Answer, Fake

CLASSIC = "ghp_" + "a" * 36
GITHUB_TOKEN = "ghs_" + "b" * 36


def _remote(fake: Fake, token: str, retries: int = 0) -> Remote:
    return Remote(fake.host, "octocat", Secret(token), fake.ca_file, timeout=10, retries=retries)


def _user(scopes: str) -> Answer:
    headers = {"X-OAuth-Scopes": scopes, "Content-Type": "application/json"}
    return Answer(200, headers, b'{"login": "octocat"}')


def test_the_scopes_of_a_classic_token_are_read_from_get_user(fake: Fake) -> None:
    fake.answer(lambda _seen: _user("repo, write:packages"))
    report = check_token_remotely(_remote(fake, CLASSIC), "push", pytest.fail)
    assert report.checked
    assert report.kind is TokenKind.CLASSIC_PAT
    assert report.scopes == frozenset({"repo", "write:packages"})
    assert report.login == "octocat"
    (seen,) = fake.seen
    assert (seen.method, seen.path) == ("GET", "/api/v3/user")
    assert seen.headers["Authorization"] == f"token {CLASSIC}"


def test_a_missing_scope_is_refused_and_named(fake: Fake) -> None:
    fake.answer(lambda _seen: _user("read:packages"))
    with pytest.raises(AuthError, match="lacks the write:packages and repo scopes"):
        check_token_remotely(_remote(fake, CLASSIC), "push", pytest.fail)


def test_bad_credentials_are_refused_at_once(fake: Fake) -> None:
    fake.answer(lambda _seen: Answer(401, body=b'{"message": "Bad credentials"}'))
    with pytest.raises(AuthError, match="refused the classic personal access token"):
        check_token_remotely(_remote(fake, CLASSIC, retries=3), "pull", pytest.fail)
    assert len(fake.seen) == 1


def test_a_github_token_answered_403_has_no_scopes_to_check(fake: Fake) -> None:
    body = json.dumps({"message": "Resource not accessible by integration"}).encode()
    fake.answer(lambda _seen: Answer(403, {"Content-Type": "application/json"}, body))
    report = check_token_remotely(_remote(fake, GITHUB_TOKEN, retries=3), "push", pytest.fail)
    assert (report.checked, report.scopes, report.login) == (True, None, None)
    assert len(fake.seen) == 1


def test_a_temporary_failure_is_retried_with_one_line(fake: Fake) -> None:
    answers = iter([Answer(502), _user("read:packages")])
    fake.answer(lambda _seen: next(answers))
    lines: list[str] = []
    report = check_token_remotely(_remote(fake, CLASSIC, 2), "pull", pytest.fail, lines.append)
    assert report.scopes == frozenset({"read:packages"})
    assert len(fake.seen) == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"REST API GET https://{fake.host}/api/v3/user: HTTP 502")


def test_an_api_that_cannot_be_reached_leaves_the_decision_to_the_registry(fake: Fake) -> None:
    fake.answer(lambda _seen: Answer(404, body=b"<html>not here</html>"))
    warnings: list[str] = []
    report = check_token_remotely(_remote(fake, CLASSIC), "pull", warnings.append)
    assert not report.checked
    assert warnings == [
        f"could not check the token through https://{fake.host}/api/v3 (HTTP 404); "
        "the registry decides"
    ]
