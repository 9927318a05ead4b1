"""doctor's checks of the instance: the host resolves, TLS verifies, the registry and API answer.

They run the layout probe that push and pull run, and name a failure as their errors would.
"""

from __future__ import annotations

from ghpkg import diagnosis
from ghpkg.doctor_report import Status
from ghpkg.errors import GhpkgError
from ghpkg.registry.layout import Layout, Seen, probe_layout, resolve
from ghpkg.rest import auth
from ghpkg.settings import Remote
from ghpkg.verbs.checklist import Findings


def network_checks(remote: Remote, found: Findings) -> Layout | None:
    """Host, TLS, registry layout, the Docker registry enabled, and the REST API."""
    hostname = remote.hostname
    addresses, cause = resolve(hostname)
    if not addresses:
        found.fail("host", diagnosis.unresolved(hostname, cause))
        found.blocked = f"{hostname} does not resolve"
        for name in ("tls", "registry", "packages", "api"):
            found.skip(name)
        return None
    found.add("host", Status.OK, f"{hostname} resolves to {', '.join(addresses)}")
    layout = probe_layout(hostname, remote.ca_file, remote.timeout)
    _tls(remote, layout, found)
    if found.blocked:
        for name in ("registry", "packages", "api"):
            found.skip(name)
        return layout
    _registry(remote, layout, found)
    _api(remote, found)
    return layout


def _tls(remote: Remote, layout: Layout, found: Findings) -> None:
    first = remote.isolation is not False  # the host a push would use comes first
    order = (layout.answer(first), layout.answer(not first))
    for answer in order:
        if answer.seen is Seen.UNTRUSTED:
            found.fail("tls", diagnosis.untrusted(answer, remote.ca_file))
            found.blocked = f"the TLS certificate of {answer.host} is not trusted"
            return
        if answer.seen is Seen.FAILED and answer.error and not answer.error.temporary:
            found.fail("tls", answer.error)
            found.blocked = f"TLS with {answer.host} fails"
            return
    verified = [a.host for a in order if a.status is not None]
    against = f"the CA in {remote.ca_file}" if remote.ca_file else "the default CA bundle"
    if verified:
        found.add("tls", Status.OK, f"{' and '.join(verified)} verify against {against}")
    else:
        found.add("tls", Status.WARN, "not checked: no host answered")


def _registry(remote: Remote, layout: Layout, found: Findings) -> None:
    problem = diagnosis.layout_problem(layout, remote.isolation, remote.ca_file)
    where = layout.found
    if where is None:
        tried = " or ".join(a.describe() for a in (layout.isolated, layout.flat))
        found.add("registry", Status.FAIL, f"no Docker registry answers at {tried}")
        found.fail("packages", problem or diagnosis.no_registry(layout, remote.ca_file))
        return
    chosen, other = layout.answer(where), layout.answer(not where)
    found.registry, found.subdomain_isolation = chosen.host, where
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


def _api(remote: Remote, found: Findings) -> None:
    """The REST API answers; its warning is the one push logs when it cannot check the token."""
    if not remote.token:
        found.add("api", Status.WARN, "not checked: no token")
        return
    warnings: list[str] = []
    found.report = auth.ask_token(remote, warnings.append)  # doctor's one GET /user
    try:
        auth.judge_token(found.report, remote, "pull")
    except GhpkgError as exc:
        found.refused = exc  # the API answered and refused the token: the token check says so
    if warnings:
        found.add("api", Status.WARN, warnings[0])
    else:
        found.add("api", Status.OK, f"{remote.api_url} answers")
