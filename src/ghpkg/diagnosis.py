"""Why a push cannot work, in one place: `ghpkg doctor` and the errors of push and pull share it.

On GHES the same failure in a workflow log can be the site administrator's (GitHub Packages
or its Docker registry not enabled, subdomain isolation the other way round, a private CA) or
the user's (a token of the wrong kind or scope, an engine GitHub calls incompatible).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ghpkg.errors import AuthError, GhpkgError, RegistryError
from ghpkg.reference import registry_host
from ghpkg.registry.answers import CA_FIX
from ghpkg.registry.layout import HostAnswer, Layout, Seen, probe_layout
from ghpkg.retry import TEMPORARY_STATUS
from ghpkg.tokens import refusal_fix, token_kind

if TYPE_CHECKING:
    from ghpkg.registry import RegistryClient
    from ghpkg.secret import Secret
    from ghpkg.settings import Remote

ADMIN_FIX = "ask your site administrator to enable GitHub Packages and its Docker registry"


def diagnose(
    remote: Remote, isolation: bool | None, error: GhpkgError, host: str = ""
) -> GhpkgError:
    """The cause doctor would name for a failed probe or ping of `host`, else `error` itself."""
    if isinstance(error, AuthError) or not isinstance(error, RegistryError):
        return error
    hostname = remote.hostname
    if host and host not in (registry_host(hostname, True), registry_host(hostname, False)):
        return error  # not the Docker registry (the Container registry has no layouts)
    layout = probe_layout(hostname, remote.ca_file, min(remote.timeout, 30.0))
    return layout_problem(layout, isolation, remote.ca_file) or error


def layout_problem(
    layout: Layout, isolation: bool | None, ca_file: Path | None
) -> GhpkgError | None:
    """What stops the registry client on this layout with this `--subdomain-isolation`."""
    if isolation is None:  # auto: docker.HOST, then HOST; an untrusted certificate stops it
        for answer in (layout.isolated, layout.flat):
            if answer.seen is Seen.UNTRUSTED:
                return untrusted(answer, ca_file)
            if answer.seen is Seen.REGISTRY:
                return None
        return no_registry(layout, ca_file)
    chosen, other = layout.answer(isolation), layout.answer(not isolation)
    if chosen.seen is Seen.REGISTRY:
        return None
    if chosen.seen is Seen.UNTRUSTED:
        return untrusted(chosen, ca_file)
    if other.seen is Seen.REGISTRY:
        return wrong_layout(layout.hostname, isolation, chosen, other)
    return no_registry(layout, ca_file)


def no_registry(layout: Layout, ca_file: Path | None) -> GhpkgError:
    """Neither host answers as a registry: no such host, TLS, not enabled, or unreachable."""
    answers = (layout.isolated, layout.flat)
    if layout.flat.seen is Seen.UNRESOLVED:
        return unresolved(layout.hostname, layout.flat.detail.removeprefix("does not resolve: "))
    for answer in answers:
        if answer.seen is Seen.UNTRUSTED:
            return untrusted(answer, ca_file)
    for answer in answers:
        if answer.seen is Seen.FAILED and answer.error and not answer.error.temporary:
            return answer.error  # a TLS handshake that fails for another reason than trust
    tried = " and ".join(a.describe() for a in answers)
    statuses = [a.status for a in answers if a.status is not None]
    if statuses and all(status in TEMPORARY_STATUS for status in statuses):
        return RegistryError(
            f"GitHub Packages' Docker registry on {layout.hostname} is not answering",
            f"tried {tried}",
            "it may be starting or overloaded; try again later, or ask your site administrator",
            status=statuses[-1],
            temporary=True,
        )
    if statuses:
        return not_enabled(layout)
    return RegistryError(
        f"cannot reach {layout.hostname}",
        f"tried {tried}",
        "check the hostname, the network and any proxy between this machine and the instance",
        temporary=True,
    )


def not_enabled(layout: Layout) -> RegistryError:
    """The host serves GHES but no registry: the site administrator has not enabled it."""
    answered = [a for a in (layout.isolated, layout.flat) if a.status is not None]
    status = answered[-1].status
    fix = ADMIN_FIX
    if layout.isolated.seen is Seen.UNRESOLVED:
        fix += f" (with subdomain isolation on, {layout.isolated.host} also needs a DNS record)"
    return RegistryError(
        f"GitHub Packages' Docker registry is not enabled on {layout.hostname} "
        f"(HTTP {status} at /v2/)",
        f"neither {layout.isolated.describe()} nor {layout.flat.describe()} answers as a registry",
        fix,
        status=status,
    )


def wrong_layout(
    hostname: str, isolation: bool, chosen: HostAnswer, other: HostAnswer
) -> RegistryError:
    """The registry answers under the other subdomain isolation than the one asked for."""
    actual = "off on" if isolation else "on for"
    return RegistryError(
        f"subdomain isolation is {actual} {hostname}",
        f"the registry answers at {other.url} ({other.detail}), not at {chosen.describe()}",
        f"pass --subdomain-isolation {'false' if isolation else 'true'} (or auto)",
        status=chosen.status,
    )


def unresolved(hostname: str, cause: str) -> RegistryError:
    """The instance's name has no address."""
    return RegistryError(
        f"{hostname} does not resolve",
        cause,
        "check --hostname (or GITHUB_SERVER_URL) and this machine's DNS",
    )


def untrusted(answer: HostAnswer, ca_file: Path | None) -> RegistryError:
    """The host's certificate does not verify: name the issuer and the CA it was checked against."""
    checked = f"the CA in {ca_file}" if ca_file else "in the default CA bundle"
    if "mismatch" in answer.detail.lower():
        return RegistryError(
            f"TLS certificate of {answer.host} does not name it",
            answer.detail,
            "ask your site administrator for a certificate that covers it "
            "(with subdomain isolation: a wildcard for the subdomains)",
        )
    issuer = f"it is issued by {answer.issuer}, " if answer.issuer else ""
    return RegistryError(
        f"TLS certificate of {answer.host} is not trusted",
        f"{issuer}which is not {checked} ({answer.detail})",
        CA_FIX if ca_file is None else "pass --ca-file with the CA (PEM) that issued it",
    )


def may_write(registry: RegistryClient, path: str, token: Secret) -> None:
    """Whether the registry lets the token push to `path`, learnt without publishing.

    The registry's own answer, for any token (a GITHUB_TOKEN carries no scopes to read: its
    `permissions: packages:` decide; a PAT's scopes would need the REST API). Opening an
    upload session (POST /v2/PATH/blobs/uploads/) needs write; the session is cancelled at once
    (best effort: the registry drops an unfinished one on its own), so nothing is published.
    """
    repository = "/".join(path.split("/")[:2])
    try:
        location = registry.open_upload(path)
    except AuthError as exc:  # the push's own words, naming the repository, not the image
        raise AuthError(
            f"{registry.host} refused the {token_kind(token).value} for push (upload to "
            f"{repository})",
            exc.cause,
            refusal_fix(token, "push"),
            status=exc.status,
            codes=exc.codes,
        ) from None
    if location:
        registry.cancel_upload(path, location)
