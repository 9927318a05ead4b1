"""Where the registry lives: `docker.HOST` (subdomain isolation) or `HOST`, and the session."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests

from ghpkg import __version__
from ghpkg.errors import RegistryError, UsageError
from ghpkg.reference import registry_host
from ghpkg.registry_errors import (
    CA_FIX,
    TEMPORARY_STATUS,
    backoff_delay,
    parse_retry_after,
    transport_error,
)
from ghpkg.tls import trust_store

if TYPE_CHECKING:
    from requests.sessions import _Settings

# Causes that mean "no server here", not "a server in trouble": the probe moves on at once.
_ABSENT = ("Name or service not known", "name resolution", "Connection refused", "No address")
_ENABLE_FIX = (
    "ask the site administrator to enable GitHub Packages' Docker registry, "
    "or pass --subdomain-isolation"
)


class VerifyingSession(requests.Session):
    """A session whose `verify` wins over REQUESTS_CA_BUNDLE (requests lets the env win)."""

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: Any,
        stream: bool | None,
        verify: Any,
        cert: Any,
    ) -> _Settings:
        """Proxies and the rest from the environment, but never the CA bundle."""
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings["verify"] = self.verify if verify is None else verify
        return settings

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """The redirect's target; a step down from https to plain http is refused."""
        target = super().get_redirect_target(resp)
        if target and urlsplit(resp.url).scheme == "https":
            absolute = urljoin(resp.url, target)
            if urlsplit(absolute).scheme != "https":
                raise downgrade(resp.url, absolute)
        return target


def downgrade(origin: str, target: str) -> RegistryError:
    """The error for being sent from https to another scheme (plain http): never followed."""
    where = urlsplit(origin).netloc
    return RegistryError(
        f"{where} sent ghpkg to {urlsplit(target).scheme}://{urlsplit(target).netloc}",
        "a step down from https, which would expose the token or the image",
        "ghpkg talks to the instance over https only; ask the site administrator to fix "
        "the registry's redirects and upload locations",
    )


def new_session(ca_file: Path | None) -> requests.Session:
    """A requests session that always verifies TLS, against ca_file when given."""
    if ca_file is not None and not Path(ca_file).is_file():
        raise UsageError(f"CA file {ca_file} does not exist", "", CA_FIX)
    session = VerifyingSession()
    session.verify = trust_store(ca_file)
    session.headers["User-Agent"] = f"ghpkg/{__version__}"
    return session


def registry_answer(response: requests.Response) -> str | None:
    """Why a /v2/ response comes from a registry API, or None when it does not."""
    if response.headers.get("Docker-Distribution-API-Version"):
        return f"HTTP {response.status_code} with Docker-Distribution-API-Version"
    challenge = response.headers.get("WWW-Authenticate", "").strip().lower()
    if response.status_code == 401 and challenge.startswith(("basic", "bearer")):
        return f"HTTP 401 asking for {challenge.split()[0].capitalize()} credentials"
    return None  # a 200 without the registry API's header is some other web server


def probe_isolation(
    hostname: str,
    ca_file: Path | None,
    timeout: float = 10.0,
    log: Callable[[str], None] = lambda _: None,
    retries: int = 2,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Subdomain isolation "auto": True when docker.HOST answers as a registry, False for HOST."""
    session = new_session(ca_file)
    tried: list[str] = []
    try:
        for isolation in (True, False):
            url = f"https://{registry_host(hostname, isolation)}/v2/"
            answer = _get(session, url, timeout, retries, log, sleep)
            if isinstance(answer, RegistryError):
                tried.append(f"{url} ({answer.cause.split(' (')[0]})")
                continue
            response = answer
            with response:
                reason = registry_answer(response)
            if reason:
                log(
                    f"registry found at {url} ({reason}): subdomain isolation "
                    f"{'on' if isolation else 'off'}"
                )
                return isolation
            tried.append(f"{url} (HTTP {response.status_code}, not a registry)")
    finally:
        session.close()
    raise RegistryError(
        f"no Docker registry found for {hostname}",
        "tried " + " and ".join(tried),
        _ENABLE_FIX,
    )


def _get(
    session: requests.Session,
    url: str,
    timeout: float,
    retries: int,
    log: Callable[[str], None],
    sleep: Callable[[float], None],
) -> requests.Response | RegistryError:
    """GET url, retrying 5xx, 429, resets and timeouts; a temporary error once retries end."""
    host = urlsplit(url).netloc
    for attempt in range(retries + 1):
        try:
            response = session.get(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            error = transport_error(host, url, exc)
            if not error.temporary:
                raise error from None
            if attempt >= retries or any(text in error.cause for text in _ABSENT):
                return error
            wait = backoff_delay(attempt)
        else:
            if response.status_code not in TEMPORARY_STATUS or attempt >= retries:
                return response
            response.close()
            error = RegistryError(f"probe of {url}", f"HTTP {response.status_code}")
            wait = backoff_delay(attempt, parse_retry_after(response.headers.get("Retry-After")))
        log(f"{error}; retry {attempt + 1}/{retries} in {wait:.1f}s")
        sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
