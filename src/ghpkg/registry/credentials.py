"""Where the token may go: Basic on the registry host, a Bearer token from a token service on
the registry host or the instance's own host (the one --hostname names, no other subdomain), and
nothing to any host outside the instance (issue 12, issue 25). `challenge` tells what a client
without credentials is asked for, as an engine given the token would be."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import requests.auth

from ghpkg.errors import RegistryError
from ghpkg.manifest import load_object
from ghpkg.registry.answers import bounded, parse_challenge, status_error
from ghpkg.secret import Secret


class Header(requests.auth.AuthBase):
    """Sets one Authorization value; requests drops it on redirects to another host."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "Header('***')"


class Credentials:
    """The user name and token for one registry host, and the Bearer tokens it was given."""

    def __init__(self, host: str, username: str, token: Secret, instance: str = "") -> None:
        self.host = host
        self.instance = instance or _instance(host)  # the host --hostname names
        self.token = token
        self._username = username
        self._bearer: dict[str, str] = {}  # by repository path
        self._realm: tuple[str, str] | None = None  # the token service a challenge named
        self._scopes: dict[str, list[str]] = {}  # what a path's Bearer token was asked for

    def auth_for(self, url: str, path: str) -> requests.auth.AuthBase | None:
        """The Authorization for a request to url: none unless it goes to the registry host."""
        if not same_host(url, self.host):
            return None
        if path in self._bearer:
            return Header(f"Bearer {self._bearer[path]}")
        return self._basic()

    def trusted(self, url: str) -> bool:
        """Whether url is on the instance (its host or a subdomain, same port)."""
        parts = urlsplit(url)
        mine = urlsplit(f"https://{self.host}")
        instance = _instance(mine.hostname or "")
        name = parts.hostname or ""
        return (
            parts.scheme == "https"
            and (parts.port or 443) == (mine.port or 443)
            and (name == instance or name.endswith("." + instance))
        )

    def _realm_trusted(self, url: str) -> bool:
        """Whether a token service URL is on the registry host or the instance's own host."""
        parts = urlsplit(url)
        where = (parts.hostname, parts.port or 443)
        return parts.scheme == "https" and where in {
            _host_port(self.host),
            _host_port(self.instance),
        }

    def foreign(self, url: str, cause: str) -> RegistryError:
        """The error for a host outside the instance that wants credentials: none are sent."""
        parts = urlsplit(url)
        where = f"{parts.scheme}://{parts.netloc}"
        instance = _instance(urlsplit(f"https://{self.host}").hostname or "")
        return RegistryError(
            f"{self.host} wants credentials sent to {where}, which is not part of {instance}",
            f"{where} {cause}",
            f"ghpkg sends the token only to {instance} and its subdomains; check --hostname, "
            "and ask the site administrator to check the registry's token service and storage",
        )

    def exchange(
        self,
        session: requests.Session,
        path: str,
        challenge: str,
        action: str,
        timeout: float,
    ) -> None:
        """Trade Basic credentials for a Bearer token for `path` at the challenge's realm."""
        _scheme, params = parse_challenge(challenge)
        realm = params.get("realm", "")
        if not realm.startswith("https://"):
            raise RegistryError(
                f"{self.host} asked for a token from {realm!r}",
                "",
                "only https token services are used",
            )
        if not self._realm_trusted(realm):
            raise self.foreign(realm, "is the token service its Bearer challenge names")
        self._realm = (realm, params.get("service", ""))
        scopes = params.get("scope", "").split()
        self._trade(session, path, scopes, action, timeout, again=True)

    def widen(
        self, session: requests.Session, path: str, scopes: list[str], action: str, timeout: float
    ) -> bool:
        """Trade again for `path`'s Bearer token, with these scopes too (a mount also reads its
        source, as docker asks); False where no token service has challenged yet (Basic).
        """
        if self._realm is None:
            return False
        self._trade(session, path, scopes, action, timeout)
        return True

    def _trade(
        self,
        session: requests.Session,
        path: str,
        scopes: list[str],
        action: str,
        timeout: float,
        again: bool = False,
    ) -> None:
        """A token for `path` asked for what its last one was asked for, and `scopes` (`again`:
        even if it was, as a challenge says the last one did not do).

        A token only ever gains scopes: a challenge for one request (a DELETE wants `delete`)
        must not leave the uploads that share the path's token without `push`.
        """
        held = self._scopes.get(path, [])
        wanted = held + [scope for scope in scopes if scope not in held]
        if path in self._bearer and wanted == held and not again:
            return  # this token was asked for all of that already
        assert self._realm is not None
        realm, service = self._realm
        query = [("service", service)] if service else []
        self._fetch(session, path, realm, query + [("scope", s) for s in wanted], action, timeout)
        self._scopes[path] = wanted

    def _fetch(
        self,
        session: requests.Session,
        path: str,
        realm: str,
        query: Sequence[tuple[str, str]],
        action: str,
        timeout: float,
    ) -> None:
        response = session.get(realm, params=query, timeout=timeout, auth=self._basic())
        what = f"the answer of the token service of {self.host}"
        with response:
            if response.status_code != 200:
                service = f"token service of {self.host}"
                raise status_error(response, self.host, service, action, self.token)
            body = load_object(bounded(response, 1 << 20, what), what)
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError(f"token service of {self.host} gave no token", "", "")
        self._bearer[path] = str(token)

    def _basic(self) -> Header:
        basic = f"{self._username}:{self.token.reveal()}".encode()
        return Header("Basic " + base64.b64encode(basic).decode())


@dataclass(frozen=True)
class Challenge:
    """What a registry asks a client without credentials for: `scheme` "basic" or "bearer" (""
    where it asks nothing or does not answer), and a Bearer challenge's token service."""

    scheme: str
    realm: str = ""


def challenge(session: requests.Session, host: str, timeout: float) -> Challenge:
    """The registry's challenge to a GET /v2/ without credentials: the first request of an
    engine's push, whose answer decides where the engine sends the credentials it was given."""
    try:
        with session.get(f"https://{host}/v2/", timeout=timeout, allow_redirects=False) as answer:
            header = answer.headers.get("WWW-Authenticate", "") if answer.status_code == 401 else ""
    except requests.RequestException:
        return Challenge("")
    scheme, params = parse_challenge(header)
    if scheme == "bearer":
        return Challenge(scheme, params.get("realm", ""))
    return Challenge("basic" if scheme == "basic" else "")


def same_host(url: str, host: str) -> bool:
    """Whether url goes to exactly this host and port, over https."""
    parts = urlsplit(url)
    mine = urlsplit(f"https://{host}")
    return parts.scheme == "https" and (parts.hostname, parts.port or 443) == (
        mine.hostname,
        mine.port or 443,
    )


def _host_port(host: str) -> tuple[str | None, int]:
    parts = urlsplit(f"https://{host}")
    return parts.hostname, parts.port or 443


def _instance(registry: str) -> str:
    """The instance's host name behind a registry host (docker.H and containers.H -> H)."""
    for prefix in ("docker.", "containers."):
        if registry.startswith(prefix):
            return registry[len(prefix) :]
    return registry
