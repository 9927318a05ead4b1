"""`ghpkg doctor`: every check a push depends on, in order, one line each with its fix.

The checks reuse what push and pull run (the layout probe, the token checks, the engine query),
so a ✗ line says what the error of a push would say: `verbs.doctor_network` checks the instance,
`verbs.doctor_token` the token, this module the engine, and reports the checklist.
"""

from __future__ import annotations

from ghpkg.doctor_report import EngineFacts, Status
from ghpkg.engine import Engine
from ghpkg.errors import GhpkgError
from ghpkg.outputs import Log, Result, Unfinished
from ghpkg.settings import Remote, Transport
from ghpkg.verbs.checklist import DoctorRequest, Findings
from ghpkg.verbs.doctor_network import network_checks
from ghpkg.verbs.doctor_token import token_checks


def doctor(request: DoctorRequest, remote: Remote, log: Log) -> Result:
    """Run every check; the Result's lines are the checklist, `failure` set if a push would fail."""
    found = Findings()
    layout = network_checks(remote, found)
    token_checks(request, remote, found, layout)
    _engine(request, found)
    failed = [check.name for check in found.checks if check.status is Status.FAIL]
    summary = found.summary(remote.hostname)
    result = Result(
        images=(),
        registry=summary.registry or "",
        package_url=request.package.url(remote.hostname),
        lines=tuple(check.line() for check in found.checks),
        doctor=summary,
    )
    if failed:
        error = GhpkgError(
            f"a push to {remote.hostname} would fail",
            f"{len(failed)} check(s) failed: {', '.join(failed)}",
            "fix what the ✗ lines say and run ghpkg doctor again",
        )
        raise Unfinished(str(error), result)
    return result


def _engine(request: DoctorRequest, found: Findings) -> None:
    """The engine's version and image store, and the transport a push will use on it."""
    from ghpkg.transports.choice import choose, unreachable

    try:
        engine = Engine.connect(request.engine, timeout=30)
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
        elsewhere = unreachable(engine, request.engine.elsewhere)
        chosen = choose(request.engine.transport, "push", info, elsewhere)
    except GhpkgError as exc:
        found.fail("engine", exc)
        return
    finally:
        engine.close()
    store = "containerd" if info.containerd_store else "classic"
    found.engine = EngineFacts(info.version, info.containerd_store, chosen.transport)
    how = (
        "the engine, through ghpkg's loopback registry"
        if chosen.transport is Transport.ENGINE
        else "the registry API"
    )
    found.add(
        "engine",
        Status.OK,
        f"Docker Engine {info.version} (API {info.api_version}), {store} image store: "
        f"push via {how} ({chosen.why})",
    )
