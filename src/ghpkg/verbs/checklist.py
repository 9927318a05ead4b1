"""doctor's checklist: what it checks (`DoctorRequest`), one line a check (✓, ! or ✗), and what
the checks found."""

from __future__ import annotations

from dataclasses import dataclass, field

from ghpkg.doctor_report import Check, DoctorReport, EngineFacts, Status, TokenFacts
from ghpkg.errors import GhpkgError
from ghpkg.rest import auth
from ghpkg.settings import EngineAccess, Package


@dataclass(frozen=True)
class DoctorRequest:
    """doctor: the package a push would go to, the workflow's repository and the engine."""

    package: Package
    workflow_repository: str = ""  # OWNER/REPOSITORY a GITHUB_TOKEN belongs to
    engine: EngineAccess = field(default_factory=EngineAccess)


@dataclass
class Findings:
    """The checklist so far and what the checks found (DoctorReport's fields, as they come)."""

    checks: list[Check] = field(default_factory=list)
    registry: str | None = None  # the Docker registry's host
    subdomain_isolation: bool | None = None
    token: TokenFacts | None = None
    engine: EngineFacts | None = None
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

    def summary(self, hostname: str) -> DoctorReport:
        """doctor's result: the checks in order, and what they found."""
        return DoctorReport(
            hostname,
            tuple(self.checks),
            self.registry,
            self.subdomain_isolation,
            self.token,
            self.engine,
        )
