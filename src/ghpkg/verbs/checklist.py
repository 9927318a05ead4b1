"""doctor's checklist: one line a check (✓, ! or ✗), and the facts its JSON summary reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ghpkg.errors import GhpkgError
from ghpkg.outputs import Check, Status
from ghpkg.rest import auth


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
