"""Checks of single input values: each bad one is a UsageError (what, cause, fix), exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from ghpkg.errors import UsageError
from ghpkg.settings import Choice

C = TypeVar("C", bound=Choice)
T = TypeVar("T")


class Problems:
    """The UsageErrors of checks that do not depend on each other, to report them all at once."""

    def __init__(self) -> None:
        self.errors: list[UsageError] = []

    def check(self, run: Callable[[], T], fallback: T) -> T:
        """`run()`'s value, or `fallback` after noting its UsageError."""
        try:
            return run()
        except UsageError as exc:
            self.errors.append(exc)
            return fallback

    def raise_them(self) -> None:
        """Raise what was noted: one error as it is, several as one numbered line (exit 2)."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise UsageError(
                f"{len(self.errors)} options need fixing",
                " ".join(f"({number}) {error}" for number, error in enumerate(self.errors, 1)),
            )


def engine_elsewhere(docker_host: str) -> bool:
    """Whether the engine may not share this process's loopback (a container, a remote host)."""
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists():
        return True
    host = urlsplit(docker_host).hostname if "://" in docker_host else None
    return bool(host) and host not in ("localhost", "::1") and not str(host).startswith("127.")


def choice(value: str, kind: type[C], what: str) -> C:
    """The member of `kind` the word names (any case)."""
    text = value.strip().lower()
    if text not in kind.words():
        raise UsageError(
            f"{what} {value!r} is not known", "", f"use one of: {', '.join(kind.words())}"
        )
    return kind(text)


def pairs(items: list[str], what: str) -> tuple[tuple[str, str], ...]:
    """KEY=VALUE items as pairs (build args, labels)."""
    found = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} {item!r} is not KEY=VALUE", "", f"e.g. --{what} VERSION=1.0")
        found.append((key.strip(), value))
    return tuple(found)


def count(value: str) -> int:
    """--retries: a whole number from 0 to 20."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 20:
        raise UsageError(f"retries {value!r} is not a number from 0 to 20", "", "e.g. --retries 4")
    return number


def seconds(value: str) -> float:
    """--timeout: seconds from 1 to 3600."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 1 <= number <= 3600:
        raise UsageError(
            f"timeout {value!r} is not a number of seconds from 1 to 3600", "", "e.g. --timeout 60"
        )
    return number


def existing_file(value: str, what: str) -> Path:
    """A file that exists (the CA file)."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"{what} {value!r} does not exist", "", "give the path of a PEM file")
    return path
