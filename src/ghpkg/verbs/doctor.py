"""`ghpkg doctor`: every check a push depends on, in order, one line each with its fix.

The checks reuse what push and pull run (the layout probe, the token checks, the engine query),
so a ✗ line says what the error of a push would say.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ghpkg import auth, diagnosis
from ghpkg.engine import Engine
from ghpkg.errors import GhpkgError
from ghpkg.outputs import Log, Result
from ghpkg.registry.layout import Layout, Seen, probe_layout, resolve
from ghpkg.settings import Settings

if TYPE_CHECKING:
    from ghpkg.registry import RegistryClient


class Status(enum.Enum):
    """How a check ended; the value is its mark on the checklist."""

    OK = "✓"
    WARN = "!"
    FAIL = "✗"


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    status: Status
    text: str

    def line(self) -> str:
        """`✓ name: text`."""
        return f"{self.status.value} {self.name}: {self.text}"


@dataclass
class Findings:
    """The checklist so far and the facts the JSON summary reports."""

    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    blocked: str = ""  # why the network checks after it cannot run ('' while they can)
    report: auth.TokenReport | None = None  # what the REST API said about the token
    refused: GhpkgError | None = None  # the REST API's refusal of the token

    def add(self, name: str, status: Status, text: str) -> Status:
        """Record one check."""
        self.checks.append(Check(name, status, text))
        return status

    def fail(self, name: str, error: GhpkgError) -> Status:
        """Record a check that ends in the error an operation would raise."""
        return self.add(name, Status.FAIL, str(error))

    def skip(self, name: str) -> None:
        """Record a check that an earlier failure leaves unanswered."""
        self.add(name, Status.WARN, f"not checked: {self.blocked}")

    @property
    def ok(self) -> bool:
        """True when no check failed: a push would work."""
        return all(check.status is not Status.FAIL for check in self.checks)


def run(settings: Settings, log: Log) -> Result:
    """Run every check; the Result's lines are the checklist, `failure` set if a push would fail."""
    found = Findings()
    layout = _network(settings, found)
    _token(settings, found, layout)
    _engine(settings, found)
    failed = [check.name for check in found.checks if check.status is Status.FAIL]
    registry = found.facts.get("registry", "")
    summary = {
        "ok": found.ok,
        "hostname": settings.hostname,
        **found.facts,
        "checks": [
            {"name": c.name, "status": c.status.name.lower(), "text": c.text} for c in found.checks
        ],
    }
    failure = ""
    if failed:
        failure = str(
            GhpkgError(
                f"a push to {settings.hostname} would fail",
                f"{len(failed)} check(s) failed: {', '.join(failed)}",
                "fix what the ✗ lines say and run ghpkg doctor again",
            )
        )
    return Result(
        images=(),
        registry=registry,
        package_url=settings.package_url,
        lines=tuple(check.line() for check in found.checks),
        doctor=json.dumps(summary, ensure_ascii=False, separators=(",", ":")),
        failure=failure,
    )


def _network(settings: Settings, found: Findings) -> Layout | None:
    """Host, TLS, registry layout, the Docker registry enabled, and the REST API."""
    hostname = settings.hostname
    addresses, cause = resolve(hostname)
    if not addresses:
        found.fail("host", diagnosis.unresolved(hostname, cause))
        found.blocked = f"{hostname} does not resolve"
        for name in ("tls", "registry", "packages", "api"):
            found.skip(name)
        return None
    found.add("host", Status.OK, f"{hostname} resolves to {', '.join(addresses)}")
    layout = probe_layout(hostname, settings.ca_file, settings.timeout)
    _tls(settings, layout, found)
    if found.blocked:
        for name in ("registry", "packages", "api"):
            found.skip(name)
        return layout
    _registry(settings, layout, found)
    _api(settings, found)
    return layout


def _tls(settings: Settings, layout: Layout, found: Findings) -> None:
    first = settings.isolation is not False  # the host a push would use comes first
    order = (layout.answer(first), layout.answer(not first))
    for answer in order:
        if answer.seen is Seen.UNTRUSTED:
            found.fail("tls", diagnosis.untrusted(answer, settings.ca_file))
            found.blocked = f"the TLS certificate of {answer.host} is not trusted"
            return
        if answer.seen is Seen.FAILED and answer.error and not answer.error.temporary:
            found.fail("tls", answer.error)
            found.blocked = f"TLS with {answer.host} fails"
            return
    verified = [a.host for a in order if a.status is not None]
    against = f"the CA in {settings.ca_file}" if settings.ca_file else "the default CA bundle"
    if verified:
        found.add("tls", Status.OK, f"{' and '.join(verified)} verify against {against}")
    else:
        found.add("tls", Status.WARN, "not checked: no host answered")


def _registry(settings: Settings, layout: Layout, found: Findings) -> None:
    problem = diagnosis.layout_problem(layout, settings.isolation, settings.ca_file)
    where = layout.found
    if where is None:
        tried = " or ".join(a.describe() for a in (layout.isolated, layout.flat))
        found.add("registry", Status.FAIL, f"no Docker registry answers at {tried}")
        found.fail("packages", problem or diagnosis.no_registry(layout, settings.ca_file))
        return
    chosen, other = layout.answer(where), layout.answer(not where)
    found.facts["registry"] = chosen.host
    found.facts["subdomain_isolation"] = where
    if problem is not None:
        found.fail("registry", problem)
    else:
        found.add(
            "registry",
            Status.OK,
            f"subdomain isolation {'on' if where else 'off'}: {chosen.url} answers as the "
            f"Docker registry ({chosen.detail}); {other.describe()} does not",
        )
    found.add(
        "packages", Status.OK, f"GitHub Packages' Docker registry is enabled on {layout.hostname}"
    )


def _api(settings: Settings, found: Findings) -> None:
    """The REST API answers; its warning is the one push logs when it cannot check the token."""
    if not settings.token:
        found.add("api", Status.WARN, "not checked: no token")
        return
    warnings: list[str] = []
    try:
        found.report = auth.check_token_remotely(
            settings.api_url,
            settings.token,
            "pull",
            settings.ca_file,
            warnings.append,
            timeout=int(settings.timeout),
            retries=settings.retries,
        )
    except GhpkgError as exc:
        found.refused = exc  # the API answered and refused the token: the token check says so
    if warnings:
        found.add("api", Status.WARN, warnings[0])
    else:
        found.add("api", Status.OK, f"{settings.api_url} answers")


def _token(settings: Settings, found: Findings, layout: Layout | None) -> None:
    """Kind, owner and scopes of the token, whether the registry takes it, push and pull."""
    token = settings.token
    try:
        auth.check_token_locally(token, "push", f"{settings.owner}/{settings.repository}", "")
    except GhpkgError as exc:
        found.fail("token", exc)
        for name in ("login", "push", "pull"):
            found.add(name, Status.WARN, "not checked: no usable token")
        return
    kind = auth.token_kind(token)
    report = found.report if found.report is not None and found.report.checked else None
    scopes = sorted(report.scopes) if report and report.scopes is not None else None
    owner = _owner(settings) if report else None
    found.facts["token"] = {"kind": kind.name.lower(), "owner": owner, "scopes": scopes}
    text = kind.value + (f" of {owner}" if owner else "")
    if kind is auth.TokenKind.GITHUB_TOKEN:
        text += ", no scopes: the workflow's `permissions:` decide"
    elif scopes is not None:
        text += f", scopes: {', '.join(scopes) or 'none'}"
    elif not found.blocked:
        text += ", scopes unknown (the REST API did not answer)"
    if found.refused is not None:
        found.fail("token", found.refused)
    else:
        found.add("token", Status.OK, text)
    _login(settings, found, layout)
    for action in ("push", "pull"):
        online = report is not None or found.refused is not None
        _allowed(settings, found, action, online, layout)


def _owner(settings: Settings) -> str | None:
    """The login the token belongs to; None for a GITHUB_TOKEN or when the API will not say."""
    import github

    client = auth.api_client(
        settings.api_url, settings.token, settings.ca_file, timeout=int(settings.timeout)
    )
    try:
        _headers, data = client.requester.requestJsonAndCheck("GET", "/user")
    except github.GithubException:
        return None
    finally:
        client.close()
    login = data.get("login") if isinstance(data, dict) else None
    return str(login) if login else None


def _client(settings: Settings, found: Findings, layout: Layout | None) -> RegistryClient | None:
    """A client of the registry found, or None when none was."""
    from ghpkg.registry import RegistryClient

    where = layout.found if layout is not None else None
    if found.blocked or layout is None or where is None:
        return None
    return RegistryClient(
        layout.answer(where).host,
        settings.username,
        settings.token,
        ca_file=settings.ca_file,
        timeout=settings.timeout,
        retries=0,
    )


def _login(settings: Settings, found: Findings, layout: Layout | None) -> None:
    """The registry itself takes the token (its ping with credentials)."""
    client = _client(settings, found, layout)
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
    found.add("login", Status.OK, f"{host} accepts the token (user {settings.username})")


def _allowed(
    settings: Settings, found: Findings, action: str, online: bool, layout: Layout | None
) -> None:
    """Whether the token's kind and scopes (a GITHUB_TOKEN: its permissions) allow the action."""
    target = f"{settings.owner}/{settings.repository}"
    scope = auth.scope_list(action)
    try:
        auth.check_token_locally(settings.token, action, target, settings.workflow_repository)
        report = (
            auth.check_token_remotely(
                settings.api_url,
                settings.token,
                action,
                settings.ca_file,
                _ignore,
                timeout=int(settings.timeout),
                retries=settings.retries,
            )
            if online
            else None
        )
    except GhpkgError as exc:
        found.fail(action, exc)
        return
    kind = auth.token_kind(settings.token)
    if kind is auth.TokenKind.GITHUB_TOKEN and action == "push":
        _may_push(settings, found, layout)
    elif kind is auth.TokenKind.GITHUB_TOKEN:
        where = settings.workflow_repository or "its workflow's repository"
        text = f"allowed for {where} with `permissions: packages: read` (or write)"
        found.add(action, Status.OK, text)
    elif found.blocked:
        found.add(action, Status.WARN, f"{scope} not checked: {found.blocked}")
    elif report is None or report.scopes is None:
        found.add(action, Status.WARN, f"{scope} not checked (the REST API did not answer)")
    else:
        verb = "allow" if " and " in scope else "allows"
        found.add(action, Status.OK, f"{scope} {verb} it on {target}")


def _may_push(settings: Settings, found: Findings, layout: Layout | None) -> None:
    """A GITHUB_TOKEN has no scopes to read: ask the registry for an upload session, cancel it."""
    client = _client(settings, found, layout)
    if client is None:
        found.add("push", Status.WARN, "`permissions: packages: write` not checked: no registry")
        return
    image = (settings.image or "ghpkg-doctor").lower()
    target = f"{settings.owner}/{settings.repository}".lower()
    try:
        diagnosis.may_write(client, f"{target}/{image}", settings.token)
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


def _engine(settings: Settings, found: Findings) -> None:
    """The engine's version and image store, and the transport a push will use on it."""
    from ghpkg.transports.choice import choose, unreachable

    try:
        engine = Engine.connect(settings.docker_host, timeout=30)
    except GhpkgError as exc:
        found.fail("engine", exc)
        return
    try:
        info = engine.info()
    except GhpkgError as exc:
        found.fail("engine", exc)
        engine.close()
        return
    try:
        elsewhere = unreachable(engine, settings.engine_elsewhere)
        chosen = choose(settings.transport, "push", info, elsewhere)
    except GhpkgError as exc:
        found.fail("engine", exc)
        return
    finally:
        engine.close()
    store = "containerd" if info.containerd_store else "classic"
    found.facts["engine"] = {
        "version": info.version,
        "containerd_store": info.containerd_store,
        "transport": chosen.name,
    }
    how = (
        "the engine, through ghpkg's loopback registry"
        if chosen.name == "engine"
        else "the registry API"
    )
    found.add(
        "engine",
        Status.OK,
        f"Docker Engine {info.version} (API {info.api_version}), {store} image store: "
        f"push via {how} ({chosen.why})",
    )


def _ignore(_: str) -> None:
    """Drop a warning already reported by the api check."""
