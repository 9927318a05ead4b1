"""Plain request and response values passed between the front's server and its rules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qs, urlsplit

DISTRIBUTION_HEADER = ("Docker-Distribution-API-Version", "registry/2.0")
REALM_HEADER = ("WWW-Authenticate", 'Basic realm="GitHub Package Registry"')
UNAUTHORIZED_MESSAGE = (
    "unauthorized: Your request could not be authenticated by the GitHub Packages service. "
    "Please ensure your access token is valid and has the appropriate scopes configured."
)
DENIED_MESSAGE = "denied: permission_denied: The token provided does not match expected scopes."


@dataclass(frozen=True)
class Request:
    """An HTTP request as the front received it."""

    method: str
    target: str
    headers: Message
    body: bytes = b""

    @property
    def path(self) -> str:
        """The path, still percent-encoded."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The decoded query parameters."""
        return parse_qs(urlsplit(self.target).query)

    def header(self, name: str) -> str | None:
        """One header's value, or None."""
        return self.headers.get(name)


@dataclass
class Response:
    """An HTTP response the front sends back."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


Headers = list[tuple[str, str]]


def json_response(status: int, data: object, headers: Headers | None = None) -> Response:
    """A JSON response."""
    extra = [("Content-Type", "application/json; charset=utf-8"), *(headers or [])]
    return Response(status, json.dumps(data).encode(), extra)


def registry_error(status: int, code: str, message: str) -> Response:
    """A registry error in the distribution spec's shape, with the distribution header."""
    body = {"errors": [{"code": code, "message": message}]}
    headers = [DISTRIBUTION_HEADER]
    if status == 401:
        headers.append(REALM_HEADER)
    return json_response(status, body, headers)


def auth_error(status: int) -> Response:
    """The registry's answer to a missing, bad (401) or under-scoped (403) token."""
    if status == 401:
        return registry_error(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE)
    return registry_error(403, "DENIED", DENIED_MESSAGE)
