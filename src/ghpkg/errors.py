"""One base error; each subclass carries the thing, the cause and the fix, and an exit code."""

from __future__ import annotations


class GhpkgError(Exception):
    """An expected failure: rendered as one line `what: cause; fix`, never as a traceback."""

    exit_code = 1
    temporary = False  # another try may pass (5xx, 429, a broken connection)
    retry_after: float | None = None  # seconds the other side asked to wait, if it said

    def __init__(self, what: str, cause: str = "", fix: str = "") -> None:
        self.what = what
        self.cause = cause
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.what
        if self.cause:
            text += f": {self.cause}"
        if self.fix:
            text += f"; {self.fix}"
        return " ".join(text.split())


class UsageError(GhpkgError):
    """Bad input that is judged before any network call or build (exit 2)."""

    exit_code = 2


class RegistryError(GhpkgError):
    """The registry or the REST API answered with an error, or could not be reached."""

    def __init__(
        self,
        what: str,
        cause: str = "",
        fix: str = "",
        *,
        status: int | None = None,
        codes: tuple[str, ...] = (),
        temporary: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.codes = codes
        self.temporary = temporary
        self.retry_after = retry_after
        super().__init__(what, cause, fix)


class AuthError(RegistryError):
    """The token was refused (401/403) or lacks a scope."""


class EngineError(GhpkgError):
    """The Docker engine refused, failed or could not be reached."""

    def __init__(
        self, what: str, cause: str = "", fix: str = "", *, temporary: bool = False
    ) -> None:
        self.temporary = temporary
        super().__init__(what, cause, fix)


class BuildError(EngineError):
    """`docker build` failed; the cause holds the build's last lines."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind (temp files, upload sessions, the shim) and exit 143.

    A BaseException, so no `except Exception` on the way swallows it.
    """
