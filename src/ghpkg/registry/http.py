"""One request to the registry: credentials attached, temporary failures retried with backoff,
a refusal turned into one error that says what to do."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from ghpkg.errors import RegistryError
from ghpkg.progress import Lines
from ghpkg.registry.answers import status_error, transport_error, web_page
from ghpkg.registry.credentials import Credentials
from ghpkg.registry.session import downgrade
from ghpkg.retry import backoff_delay, retried, retry_line

CHUNK_SIZE = 1 << 20


class Http:
    """The requests to one registry host, over one session (TLS: the private CA, if any)."""

    def __init__(
        self,
        credentials: Credentials,
        session: requests.Session,
        *,
        timeout: float,
        retries: int,
        log: Lines,
    ) -> None:
        self.host = credentials.host
        self.credentials = credentials
        self.session = session
        self.timeout = timeout
        self.retries = max(0, retries)
        self.log = log
        self.intent = "pull"  # what a refusal names: a HEAD during a push is part of a push
        self.backoff_base = 1.0
        self.sleep: Callable[[float], None] = time.sleep

    def call(
        self,
        method: str,
        target: str,
        *,
        path: str,
        action: str,
        what: str,
        ok: Iterable[int] = (200,),
        retry: bool = True,
        not_found: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, retrying temporary failures; map refusals to errors."""
        url = urljoin(f"https://{self.host}/", target)
        if urlsplit(url).scheme != "https":
            raise downgrade(f"https://{self.host}/", url)
        accepted = set(ok)

        def once() -> requests.Response:
            response = self._send(method, url, path, action, dict(headers or {}), kwargs)
            if response.status_code in accepted:
                return response
            error = self.status_error(response, what, action)
            response.close()
            if response.status_code == 404 and web_page(response, error):
                raise RegistryError(
                    f"{self.host} answered with a web page, not the registry API ({what})",
                    error.cause,
                    "check --subdomain-isolation and that the site administrator enabled "
                    "GitHub Packages' Docker registry",
                    status=404,
                )
            if response.status_code == 404 and not_found:
                raise RegistryError(
                    not_found[0], error.cause, not_found[1], status=404, codes=error.codes
                )
            raise error

        if not retry:
            return once()
        return retried(once, self.retries, lambda n, exc: self.pause(n, exc.retry_after, what, exc))

    def status_error(self, response: requests.Response, what: str, action: str) -> RegistryError:
        """The error for an unwanted answer, naming the operation this client is part of."""
        action = "push" if self.intent == "push" else action
        return status_error(response, self.host, what, action, self.credentials.token)

    def pause(self, attempt: int, retry_after: float | None, what: str, exc: Exception) -> None:
        """Wait before the next attempt (Retry-After, else backoff with jitter), saying so."""
        delay = backoff_delay(attempt, retry_after, base=self.backoff_base)
        text = str(exc) if str(exc).startswith(what) else f"{what}: {exc}"
        self.log(retry_line(text, attempt, self.retries, delay))
        self.sleep(delay)

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        action: str,
        headers: dict[str, str],
        kwargs: dict[str, Any],
    ) -> requests.Response:
        """One request with credentials; does the Bearer token exchange once if challenged."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", method == "GET")
        credentials = self.credentials
        auth = credentials.auth_for(url, path)
        try:
            response = self.session.request(method, url, headers=headers, auth=auth, **kwargs)
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code == 401 and not credentials.trusted(response.url):
                response.close()
                raise credentials.foreign(response.url, "answered HTTP 401 after a redirect")
            if response.status_code == 401 and challenge.lower().startswith("bearer"):
                data = kwargs.get("data")
                if data is None or isinstance(data, (bytes, FileBody)):  # can be sent again
                    response.close()
                    intent = "push" if self.intent == "push" else action
                    credentials.exchange(self.session, path, challenge, intent, self.timeout)
                    auth = credentials.auth_for(url, path)
                    response = self.session.request(
                        method, url, headers=headers, auth=auth, **kwargs
                    )
        except requests.RequestException as exc:
            raise transport_error(self.host, url, exc) from None
        return response


class FileBody:
    """A file read in 1 MiB pieces with a known length, so requests sends Content-Length."""

    def __init__(self, file: Path) -> None:
        self._file = file
        self._size = file.stat().st_size

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        with self._file.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk


def with_query(url: str, **params: str) -> str:
    """url with more query parameters."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
