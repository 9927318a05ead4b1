"""doctor's checks of the token: its kind, owner and scopes, the registry's login, push and pull.

They run the token checks that push and pull run, so a ✗ line says what their error would say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghpkg import diagnosis, tokens
from ghpkg.doctor_report import Status, TokenFacts
from ghpkg.errors import GhpkgError
from ghpkg.registry.layout import Layout
from ghpkg.rest import auth
from ghpkg.settings import Remote
from ghpkg.verbs.checklist import DoctorRequest, Findings

if TYPE_CHECKING:
    from ghpkg.registry import RegistryClient


def token_checks(
    request: DoctorRequest, remote: Remote, found: Findings, layout: Layout | None
) -> None:
    """Kind, owner and scopes of the token, whether the registry takes it, push and pull."""
    token = remote.token
    try:
        tokens.check_token_locally(
            token, "push", f"{request.package.owner}/{request.package.repository}", ""
        )
    except GhpkgError as exc:
        found.fail("token", exc)
        for name in ("login", "push", "pull"):
            found.add(name, Status.WARN, "not checked: no usable token")
        return
    kind = tokens.token_kind(token)
    answered = found.report is not None and found.report.checked and found.refused is None
    report = found.report if answered else None
    scopes = tuple(sorted(report.scopes)) if report and report.scopes is not None else None
    owner = report.login if report else None
    found.token = TokenFacts(kind, owner, scopes)
    text = kind.value + (f" of {owner}" if owner else "")
    if kind is tokens.TokenKind.GITHUB_TOKEN:
        text += ", no scopes: the workflow's `permissions:` decide"
    elif scopes is not None:
        text += f", scopes: {', '.join(scopes) or 'none'}"
    elif not found.blocked:
        text += ", scopes unknown (the REST API did not answer)"
    if found.refused is not None:
        found.fail("token", found.refused)
    else:
        found.add("token", Status.OK, text)
    _login(request, remote, found, layout)
    for action in ("push", "pull"):
        _allowed(request, remote, found, action, layout)


def _client(
    request: DoctorRequest, remote: Remote, found: Findings, layout: Layout | None
) -> RegistryClient | None:
    """A client of the registry found, or None when none was."""
    from ghpkg.registry import RegistryClient

    where = layout.found if layout is not None else None
    if found.blocked or layout is None or where is None:
        return None
    return RegistryClient.of(remote, layout.answer(where).host, retries=0)


def _login(request: DoctorRequest, remote: Remote, found: Findings, layout: Layout | None) -> None:
    """The registry itself takes the token (its ping with credentials)."""
    client = _client(request, remote, found, layout)
    if client is None:
        found.add("login", Status.WARN, "not checked: no registry found")
        return
    host = client.host
    try:
        client.ping("push")
    except GhpkgError as exc:
        found.fail("login", exc)
        return
    finally:
        client.close()
    found.add("login", Status.OK, f"{host} accepts the token (user {remote.username})")


def _allowed(
    request: DoctorRequest,
    remote: Remote,
    found: Findings,
    action: str,
    layout: Layout | None,
) -> None:
    """Whether the token's kind and scopes (a GITHUB_TOKEN: its permissions) allow the action."""
    target = f"{request.package.owner}/{request.package.repository}"
    scope = tokens.scope_list(action)
    report = found.report
    try:
        tokens.check_token_locally(remote.token, action, target, request.workflow_repository)
        if report is not None:
            auth.judge_token(report, remote, action)  # what GET /user said, judged for action
    except GhpkgError as exc:
        found.fail(action, exc)
        return
    kind = tokens.token_kind(remote.token)
    if kind is tokens.TokenKind.GITHUB_TOKEN and action == "push":
        _may_push(request, remote, found, layout)
    elif kind is tokens.TokenKind.GITHUB_TOKEN:
        where = request.workflow_repository or "its workflow's repository"
        text = f"allowed for {where} with `permissions: packages: read` (or write)"
        found.add(action, Status.OK, text)
    elif found.blocked:
        found.add(action, Status.WARN, f"{scope} not checked: {found.blocked}")
    elif report is None or report.scopes is None:
        found.add(action, Status.WARN, f"{scope} not checked (the REST API did not answer)")
    else:
        verb = "allow" if " and " in scope else "allows"
        found.add(action, Status.OK, f"{scope} {verb} it on {target}")


def _may_push(
    request: DoctorRequest, remote: Remote, found: Findings, layout: Layout | None
) -> None:
    """A GITHUB_TOKEN has no scopes to read: ask the registry for an upload session, cancel it."""
    client = _client(request, remote, found, layout)
    if client is None:
        found.add("push", Status.WARN, "`permissions: packages: write` not checked: no registry")
        return
    image = (request.package.image or "ghpkg-doctor").lower()
    target = f"{request.package.owner}/{request.package.repository}".lower()
    try:
        diagnosis.may_write(client, f"{target}/{image}", remote.token)
    except GhpkgError as exc:
        found.fail("push", exc)
        return
    finally:
        client.close()
    found.add(
        "push",
        Status.OK,
        f"allowed for {target}: the registry opened an upload session (cancelled, nothing "
        "published), so `permissions: packages: write` is in force",
    )
