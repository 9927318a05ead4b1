"""The HTTP session every request to the instance goes over: TLS verified against the private
CA (or the system's), never a step down from https, ghpkg's User-Agent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests

from ghpkg.errors import RegistryError, UsageError
from ghpkg.registry.answers import CA_FIX
from ghpkg.tls import trust_store
from ghpkg.version import __version__

if TYPE_CHECKING:
    from requests.sessions import _Settings


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
