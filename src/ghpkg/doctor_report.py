"""doctor's result: its checks in order (`Check`, each with a `Status`), and what they found
(`TokenFacts`, `EngineFacts`), as `DoctorReport`, which `Result.doctor` holds. Only doctor
imports it: the other verbs' start-up makes none of these records."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ghpkg.settings import Transport
    from ghpkg.tokens import TokenKind


class Status(enum.Enum):
    """How one of doctor's checks ended; the value is its mark on the checklist."""

    OK = "✓"
    WARN = "!"
    FAIL = "✗"


@dataclass(frozen=True)
class Check:
    """One of doctor's checks: one line of the checklist."""

    name: str
    status: Status
    text: str

    def line(self) -> str:
        """`✓ name: text`."""
        return f"{self.status.value} {self.name}: {self.text}"


@dataclass(frozen=True)
class TokenFacts:
    """What doctor learned of the token: its kind, whose it is and its scopes (None: unknown)."""

    kind: TokenKind
    owner: str | None
    scopes: tuple[str, ...] | None  # sorted

    def as_json(self) -> dict[str, Any]:
        """The `token` object of the `doctor` output."""
        scopes = None if self.scopes is None else list(self.scopes)
        return {"kind": self.kind.name.lower(), "owner": self.owner, "scopes": scopes}


@dataclass(frozen=True)
class EngineFacts:
    """What doctor learned of the engine: its version, its image store, a push's transport."""

    version: str
    containerd_store: bool
    transport: Transport

    def as_json(self) -> dict[str, Any]:
        """The `engine` object of the `doctor` output."""
        return {
            "version": self.version,
            "containerd_store": self.containerd_store,
            "transport": str(self.transport),
        }


@dataclass(frozen=True)
class DoctorReport:
    """doctor's result: the checks in order, and what they found (None where a check could not
    tell): the Docker registry's host and layout, the token, the engine."""

    hostname: str
    checks: tuple[Check, ...]
    registry: str | None = None  # the Docker registry's host
    subdomain_isolation: bool | None = None  # its layout: docker.HOST (True) or HOST/v2/
    token: TokenFacts | None = None
    engine: EngineFacts | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed: a push would work."""
        return all(check.status is not Status.FAIL for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        """The `doctor` output's document: what was found, and the checks."""
        found = {
            "registry": self.registry,
            "subdomain_isolation": self.subdomain_isolation,
            "token": None if self.token is None else self.token.as_json(),
            "engine": None if self.engine is None else self.engine.as_json(),
        }
        checks = [
            {"name": c.name, "status": c.status.name.lower(), "text": c.text} for c in self.checks
        ]
        known = {name: value for name, value in found.items() if value is not None}
        return {"ok": self.ok, "hostname": self.hostname, **known, "checks": checks}
