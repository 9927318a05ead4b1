"""The REST API's client for the instance, and its check of a token's scopes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ghpkg.errors import AuthError, GhpkgError
from ghpkg.settings import Registry, Remote
from ghpkg.tls import trust_store
from ghpkg.tokens import TokenKind, missing_scopes, needed_scopes, refusal_fix, token_kind

if TYPE_CHECKING:
    from github import Github


@dataclass(frozen=True)
class TokenReport:
    """What the REST API said about a token; `scopes` is None when the API sends none, `login`
    when it does not say whose token it is (a GITHUB_TOKEN); `refused`: it answered 401."""

    kind: TokenKind
    scopes: frozenset[str] | None
    checked: bool
    login: str | None = None
    refused: bool = False


def check_token_remotely(
    remote: Remote,
    action: str,
    warn: Callable[[str], None],
    log: Callable[[str], None] = lambda _: None,
    registry: Registry = Registry.DOCKER,
) -> TokenReport:
    """Ask the REST API about the token (`ask_token`) and judge it for `action` (`judge_token`)."""
    report = ask_token(remote, warn, log)
    judge_token(report, remote, action, registry)
    return report


def ask_token(
    remote: Remote, warn: Callable[[str], None], log: Callable[[str], None] = lambda _: None
) -> TokenReport:
    """Which scopes a classic PAT has, and whose it is; advisory if the API cannot answer.

    One GET /user through the instance's PyGithub client: every instance answers it, and
    X-OAuth-Scopes comes with any authenticated answer, where GET /rate_limit is 404 on a default
    GHES ("Rate limiting is not enabled.": rate limits are off by default there). A GITHUB_TOKEN
    has no scopes; /user answers it 403.
    """
    import github  # deferred: `ghpkg --help` imports this module

    api_url = remote.api_url
    kind = token_kind(remote.token)
    client = api_client(remote, log)
    try:
        status, headers, body = client.requester.requestJson("GET", "/user")
    except github.GithubException as exc:  # a 403 the retry judged not a rate limit
        status, headers, body = exc.status, dict(exc.headers or {}), ""
    except GhpkgError:  # an answer over the size cap: a hostile instance, not an unreachable one
        raise
    except Exception as exc:
        warn(
            f"could not reach {api_url} to check the token ({type(exc).__name__}); "
            "the registry decides"
        )
        return TokenReport(kind, None, checked=False)
    finally:
        client.close()
    if status == 401:
        return TokenReport(kind, None, checked=True, refused=True)
    header = next((v for k, v in headers.items() if k.lower() == "x-oauth-scopes"), None)
    answered = status == 200 or (kind is TokenKind.GITHUB_TOKEN and status == 403)
    if header is None and not answered:
        warn(f"could not check the token through {api_url} (HTTP {status}); the registry decides")
        return TokenReport(kind, None, checked=False)
    login = _login(body) if status == 200 else None
    if header is None:
        return TokenReport(kind, None, checked=True, login=login)
    granted = frozenset(scope.strip() for scope in header.split(",") if scope.strip())
    return TokenReport(kind, granted, checked=True, login=login)


def judge_token(
    report: TokenReport, remote: Remote, action: str, registry: Registry = Registry.DOCKER
) -> None:
    """Raise the AuthError `action` would meet: the token refused (401), or scopes it lacks.

    `registry` is `docker` (repository-scoped: upload and delete need `repo`) or `container`.
    """
    api_url, kind = remote.api_url, report.kind
    if report.refused:
        raise AuthError(
            f"the REST API at {api_url} refused the {kind.value}",
            "401 Bad credentials",
            refusal_fix(remote.token, action),
            status=401,
        )
    if report.scopes is None or kind is TokenKind.GITHUB_TOKEN:
        return
    granted = report.scopes
    missing = [n for n in needed_scopes(action, registry) if missing_scopes(set(granted), n)]
    if missing:
        scope = " and ".join(missing)
        raise AuthError(
            f"the {kind.value} lacks the {scope} scope{'s' if len(missing) > 1 else ''}",
            f"it has: {', '.join(sorted(granted)) or 'no scopes'}",
            f"edit the token on https://{_host(api_url)}/settings/tokens and add {scope}",
            status=403,
        )


def api_client(
    remote: Remote, log: Callable[[str], None] = lambda _: None, write_pause: float = 1.0
) -> Github:
    """A PyGithub client for the instance's REST API: the one auth, TLS and retry setup.

    PyGithub waits `write_pause` seconds between two mutating requests (GitHub's best practice
    against secondary rate limits: a second apart).
    """
    import logging  # deferred with github: `ghpkg --help` imports this module

    import github

    from ghpkg.rest import connection
    from ghpkg.rest.retry import github_retry

    connection.install()  # every answer read with a size cap
    # PyGithub logs each 403 at INFO on its own stderr handler; ghpkg's error line says it once.
    logging.getLogger("github").setLevel(logging.WARNING)
    return github.Github(
        base_url=remote.api_url,
        auth=github.Auth.Token(remote.token.reveal()),
        verify=trust_store(remote.ca_file),
        timeout=int(remote.timeout),
        retry=github_retry(log, max(0, remote.retries)),
        seconds_between_writes=write_pause,
    )


def _login(body: str) -> str | None:
    """The `login` of a GET /user answer, if it names one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    login = data.get("login") if isinstance(data, dict) else None
    return str(login) if login else None


def _host(api_url: str) -> str:
    return api_url.split("://", 1)[-1].split("/", 1)[0]
