"""What a shim serves, to whom, and what it saw: its scope, its login, its uploads, its activity."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from ghpkg.errors import GhpkgError
from ghpkg.secret import Secret

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
WRITES = ("PUT", "POST", "PATCH", "DELETE")


@dataclass(frozen=True)
class Login:
    """The one user name and password a shim takes (Basic): made at random for each run."""

    username: str
    password: Secret

    @classmethod
    def random(cls) -> Login:
        """A fresh login, 256 bits of password: nobody who was not handed it can guess it."""
        return cls("ghpkg", Secret(secrets.token_urlsafe(32)))

    def accepts(self, authorization: str) -> bool:
        """Whether an Authorization header carries this login (compared in constant time)."""
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = f"{self.username}:{self.password.reveal()}".encode()
        return hmac.compare_digest(given, expected)


@dataclass(frozen=True)
class Reach:
    """Which repositories the shim serves, and whether it takes pushes.

    `paths`: exactly these repositories (None: any the token may reach, narrowed by `owners`
    and `images`: a repository's first part must be one of the owners, its last one of the
    images, where those are given).
    """

    paths: frozenset[str] | None = None
    writable: bool = True
    owners: frozenset[str] = frozenset()
    images: frozenset[str] = frozenset()

    def refusal(self, path: str, method: str) -> str:
        """Why a request is refused, or "" when it is in scope."""
        if self.paths is not None and path not in self.paths:
            return f"{path} is not among the repositories this shim serves"
        if self.owners and path.split("/", 1)[0] not in self.owners:
            return f"{path} is not of an owner this shim serves ({', '.join(sorted(self.owners))})"
        if self.images and path.rsplit("/", 1)[-1] not in self.images:
            return f"{path} is not an image this shim serves ({', '.join(sorted(self.images))})"
        if method in WRITES and not self.writable:
            return "this shim serves pulls only"
        return ""

    def may_mount_from(self, source: str, path: str) -> bool:
        """Cross-repository mounts only from a repository of the same owner."""
        return source.split("/", 1)[0] == path.split("/", 1)[0]


@dataclass
class Upload:
    """One client upload session and where its bytes go upstream."""

    path: str
    location: str
    received: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)


@dataclass(frozen=True)
class Received:
    """A manifest a client pushed by tag: its digest as sent, and its image's config digest."""

    digest: str
    config: str


@dataclass
class Activity:
    """What the shim saw: for the log, the caller's error and the tests."""

    requests: int = 0
    with_credentials: int = 0
    pushed: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, tag) -> digest
    served: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, tag) -> digest
    received: dict[tuple[str, str], Received] = field(default_factory=dict)  # (path, tag)
    refused: int = 0  # requests without the login, from a browser, or for another host
    failures: list[GhpkgError] = field(default_factory=list)
    missing: list[GhpkgError] = field(default_factory=list)  # 404s: answers, not failures
