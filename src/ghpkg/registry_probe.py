"""Where the registry lives: `docker.HOST` (subdomain isolation) or `HOST`, and the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from ghpkg import __version__
from ghpkg.errors import RegistryError, UsageError
from ghpkg.reference import registry_host
from ghpkg.registry_errors import CA_FIX, transport_error

if TYPE_CHECKING:
    from requests.sessions import _Settings

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


def new_session(ca_file: Path | None) -> requests.Session:
    """A requests session that always verifies TLS, against ca_file when given."""
    if ca_file is not None and not Path(ca_file).is_file():
        raise UsageError(f"CA file {ca_file} does not exist", "", CA_FIX)
    session = VerifyingSession()
    session.verify = str(ca_file) if ca_file is not None else True
    session.headers["User-Agent"] = f"ghpkg/{__version__}"
    return session


def registry_answer(response: requests.Response) -> str | None:
    """Why a /v2/ response comes from a registry API, or None when it does not."""
    if response.headers.get("Docker-Distribution-API-Version"):
        return f"HTTP {response.status_code} with Docker-Distribution-API-Version"
    challenge = response.headers.get("WWW-Authenticate", "").strip().lower()
    if response.status_code == 401 and challenge.startswith(("basic", "bearer")):
        return f"HTTP 401 asking for {challenge.split()[0].capitalize()} credentials"
    content_type = response.headers.get("Content-Type", "")
    if response.status_code == 200 and "html" not in content_type:
        return "HTTP 200"
    return None


def probe_isolation(
    hostname: str,
    ca_file: Path | None,
    timeout: float = 10.0,
    log: Callable[[str], None] = lambda _: None,
) -> bool:
    """Subdomain isolation "auto": True when docker.HOST answers as a registry, False for HOST."""
    session = new_session(ca_file)
    tried: list[str] = []
    try:
        for isolation in (True, False):
            url = f"https://{registry_host(hostname, isolation)}/v2/"
            try:
                response = session.get(url, timeout=timeout, allow_redirects=False)
            except requests.RequestException as exc:
                error = transport_error(registry_host(hostname, isolation), url, exc)
                if not error.temporary:
                    raise error from None
                tried.append(f"{url} ({error.cause.split(' (')[0]})")
                continue
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
