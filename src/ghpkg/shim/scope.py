"""What a shim serves and what it saw: its scope, its upload sessions, its activity."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from ghpkg.errors import GhpkgError

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
WRITES = ("PUT", "POST", "PATCH", "DELETE")


@dataclass(frozen=True)
class Scope:
    """Which repositories the shim serves, and whether it takes pushes."""

    paths: frozenset[str] | None = None  # None: any the token may reach
    writable: bool = True

    def refusal(self, path: str, method: str) -> str:
        """Why a request is refused, or "" when it is in scope."""
        if self.paths is not None and path not in self.paths:
            return f"{path} is not among the repositories this shim serves"
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


@dataclass
class Activity:
    """What the shim saw: for the log, the caller's error and the tests."""

    requests: int = 0
    with_credentials: int = 0
    pushed: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, tag) -> digest
    served: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, tag) -> digest
    failures: list[GhpkgError] = field(default_factory=list)
    missing: list[GhpkgError] = field(default_factory=list)  # 404s: answers, not failures
