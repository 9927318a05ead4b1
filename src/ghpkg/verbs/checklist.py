"""doctor's checklist: one line a check (✓, ! or ✗), and the facts its JSON summary reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ghpkg.errors import GhpkgError
from ghpkg.rest import auth


class Status(enum.Enum):
    """How a check ended; the value is its mark on the checklist."""

    OK = "✓"
    WARN = "!"
    FAIL = "✗"


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    status: Status
    text: str

    def line(self) -> str:
        """`✓ name: text`."""
        return f"{self.status.value} {self.name}: {self.text}"


@dataclass
class Findings:
    """The checklist so far and the facts the JSON summary reports."""

    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    blocked: str = ""  # why the network checks after it cannot run ('' while they can)
    report: auth.TokenReport | None = None  # what the REST API said about the token
    refused: GhpkgError | None = None  # the REST API's refusal of the token

    def add(self, name: str, status: Status, text: str) -> Status:
        """Record one check."""
        self.checks.append(Check(name, status, text))
        return status

    def fail(self, name: str, error: GhpkgError) -> Status:
        """Record a check that ends in the error an operation would raise."""
        return self.add(name, Status.FAIL, str(error))

    def skip(self, name: str) -> None:
        """Record a check that an earlier failure leaves unanswered."""
        self.add(name, Status.WARN, f"not checked: {self.blocked}")

    @property
    def ok(self) -> bool:
        """True when no check failed: a push would work."""
        return all(check.status is not Status.FAIL for check in self.checks)
