"""ghpkg.verbs.doctor against a scripted instance: what it asks, and what it finds."""

from __future__ import annotations

import pytest

from ghpkg.doctor_report import Status, TokenFacts
from ghpkg.outputs import Log, Unfinished
from ghpkg.secret import Secret
from ghpkg.settings import EngineAccess, Package, Remote
from ghpkg.tokens import TokenKind
from ghpkg.verbs.checklist import DoctorRequest
from ghpkg.verbs.doctor import doctor
from tests.unit.registry_fake import Answer, Fake, Seen

CLASSIC = "ghp_" + "a" * 36
NO_ENGINE = "tcp://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


def _instance(seen: Seen) -> Answer:
    """GET /user names the token's owner and scopes; no registry answers (HTTP 404)."""
    if seen.path == "/api/v3/user":
        headers = {"X-OAuth-Scopes": "read:packages", "Content-Type": "application/json"}
        return Answer(200, headers, b'{"login": "octocat"}')
    return Answer(404)


def test_doctor_asks_get_user_once_and_judges_each_action_by_it(fake: Fake) -> None:
    fake.answer(_instance)
    remote = Remote(fake.host, "octocat", Secret(CLASSIC), fake.ca_file, timeout=10, retries=0)
    request = DoctorRequest(Package("o", "r", "i"), engine=EngineAccess(docker_host=NO_ENGINE))
    with pytest.raises(Unfinished) as failed:
        doctor(request, remote, Log(quiet=True))
    assert [(s.method, s.path) for s in fake.seen].count(("GET", "/api/v3/user")) == 1
    report = failed.value.result.doctor
    assert report is not None
    assert report.token == TokenFacts(TokenKind.CLASSIC_PAT, "octocat", ("read:packages",))
    assert (report.registry, report.subdomain_isolation, report.engine) == (None, None, None)
    checks = {check.name: check for check in report.checks}
    assert checks["token"].text == (
        "classic personal access token (ghp_) of octocat, scopes: read:packages"
    )
    assert checks["push"].status is Status.FAIL
    assert checks["push"].text.startswith(
        "the classic personal access token (ghp_) lacks the write:packages and repo scopes"
    )
    assert (checks["pull"].status, checks["pull"].text) == (
        Status.OK,
        "read:packages allows it on o/r",
    )
