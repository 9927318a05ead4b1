"""The bed's token table and GitHub's rules for what each token may do."""

from __future__ import annotations

import base64
import secrets
import string
import zlib
from dataclasses import asdict, dataclass
from typing import Any

READ, WRITE, DELETE = "read", "write", "delete"
ACTIONS_REPOSITORY = "octo-org/hello-world"
_BASE62 = string.digits + string.ascii_letters


@dataclass(frozen=True)
class Token:
    """One token: its value, the user it belongs to, its scopes, and a bound repository."""

    value: str
    user: str
    scopes: tuple[str, ...] = ()
    repository: str | None = None

    @property
    def kind(self) -> str:
        """`classic` (ghp_), `actions` (ghs_) or `fine-grained` (github_pat_)."""
        if self.value.startswith("ghs_"):
            return "actions"
        if self.value.startswith("github_pat_"):
            return "fine-grained"
        return "classic"

    def to_json(self) -> dict[str, Any]:
        """Return the token as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Token:
        """Rebuild a token saved by `to_json`."""
        return cls(data["value"], data["user"], tuple(data["scopes"]), data.get("repository"))


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


def _random(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def _github_style(prefix: str) -> str:
    """A token shaped like GitHub's: 30 random base62 characters and a CRC32 checksum."""
    body = _random(30)
    return f"{prefix}{body}{_base62(zlib.crc32(body.encode()), 6)}"


def generate() -> dict[str, Token]:
    """Make a fresh token table with random, realistic values."""
    rw = ("read:packages", "write:packages", "repo")
    return {
        "write": Token(_github_style("ghp_"), "octocat", rw),
        "read": Token(_github_style("ghp_"), "reader", ("read:packages",)),
        "noscope": Token(_github_style("ghp_"), "octocat", ("repo",)),
        "delete": Token(_github_style("ghp_"), "octocat", ("delete:packages", *rw)),
        "actions": Token(_github_style("ghs_"), "octocat", repository=ACTIONS_REPOSITORY),
        "finegrained": Token(f"github_pat_{_random(22)}_{_random(59)}", "octocat"),
    }


class TokenTable:
    """Looks tokens up by value, as GitHub does (any username goes)."""

    def __init__(self, tokens: dict[str, Token]) -> None:
        self._by_value = {token.value: token for token in tokens.values()}

    def find(self, value: str) -> Token | None:
        """Return the token with this value, or None."""
        return self._by_value.get(value)

    def from_basic(self, header: str | None) -> Token | None:
        """Return the token of a `Basic user:token` Authorization header, or None."""
        scheme, _, credentials = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except ValueError:
            return None
        user, _, value = decoded.partition(":")
        return self.find(value) if user else None

    def from_api_header(self, header: str | None) -> Token | None:
        """Return the token of a `token X`, `Bearer X` or Basic Authorization header."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() in ("token", "bearer"):
            return self.find(value.strip())
        return self.from_basic(header)


def registry_status(token: Token | None, action: str, repository: str) -> int:
    """200 if `token` may do `action` on `repository` (OWNER/REPO), else 401 or 403."""
    if token is None or token.kind == "fine-grained":
        return 401
    if token.kind == "actions":
        own = token.repository is not None and repository.lower() == token.repository.lower()
        return 200 if own and action in (READ, WRITE) else 403
    needed = {
        READ: {"read:packages"},
        WRITE: {"write:packages", "repo"},
        DELETE: {"delete:packages"},
    }[action]
    return 200 if needed <= effective_scopes(token) else 403


def effective_scopes(token: Token) -> set[str]:
    """A classic token's scopes, with read:packages implied by write:packages as on GitHub."""
    scopes = set(token.scopes)
    return scopes | {"read:packages"} if "write:packages" in scopes else scopes
