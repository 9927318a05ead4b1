"""delete's rules from the inputs: --keep, --keep-tags, --older-than, --untagged, --delete-pause.

Checked before any network (exit 2); how they combine is ghpkg.retention's docstring.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ghpkg.errors import UsageError
from ghpkg.faces.readers import RawInputs
from ghpkg.settings import Operation, Registry

_FLAGS = ("keep", "keep_tags", "older_than", "untagged")


class RetentionInputs(NamedTuple):
    """The checked values, as delete's request carries them."""

    keep: int | None = None
    keep_tags: tuple[str, ...] = ()
    older_than: str = ""
    untagged: bool = False
    delete_pause: float = 1.0


def _given(raw: RawInputs) -> list[str]:
    """The rule options given, as flags."""
    values = {
        "keep": raw.text("keep").strip(),
        "keep_tags": raw.items("keep_tags"),
        "older_than": raw.text("older_than").strip(),
        "untagged": raw.flag("untagged"),
    }
    return [f"--{name.replace('_', '-')}" for name in _FLAGS if values[name]]


def retention_inputs(
    raw: RawInputs, operation: Operation, registry: Registry, versions: tuple[str, ...]
) -> RetentionInputs:
    """delete: the rules, checked; any other command: none of them."""
    if operation is not Operation.DELETE:
        given = _given(raw)
        if given:
            raise UsageError(f"{', '.join(given)}: for delete, not {operation}", "", "drop them")
        return RetentionInputs()
    keep_text = raw.text("keep").strip()
    older_than = raw.text("older_than").strip()
    untagged = raw.flag("untagged")
    if keep_text and versions:
        raise UsageError(
            "delete takes --keep N or --version V, not both",
            "--version names the versions to delete; --keep keeps the newest N",
            "drop one of them",
        )
    if not (keep_text or versions or older_than or untagged):
        raise UsageError(
            "delete needs --keep N, --version V, --older-than AGE or --untagged",
            "none given: nothing says which versions go",
            "pass --keep 5 to keep the newest five, or --version V for each version to delete",
        )
    if untagged and registry is not Registry.CONTAINER:
        raise UsageError(
            "--untagged is for the Container registry",
            "on the Docker registry every version is a tag",
            "add --registry container, or drop --untagged",
        )
    return RetentionInputs(
        keep=_keep(keep_text) if keep_text else None,
        keep_tags=tuple(_pattern(text) for text in raw.items("keep_tags")),
        older_than=_age(older_than) if older_than else "",
        untagged=untagged,
        delete_pause=_pause(raw.text("delete_pause").strip() or "1"),
    )


def _keep(text: str) -> int:
    number = int(text) if text.isdigit() else 0
    if number < 1:
        raise UsageError(
            f"keep {text!r} is not a whole number from 1",
            "the newest N versions stay; a package cannot lose its last version",
            "e.g. --keep 5",
        )
    return number


def _pattern(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise UsageError(
            f"--keep-tags {text!r} is not a regular expression",
            str(exc),
            "e.g. --keep-tags '^v\\d+\\.\\d+\\.\\d+$' (Python's re syntax)",
        ) from None
    return text


def _age(text: str) -> str:
    from ghpkg.retention import parse_age  # delete only: not imported by the other verbs

    try:
        parse_age(text)
    except ValueError:
        raise UsageError(
            f"--older-than {text!r} is not an age",
            "an age is a whole number from 1 and a unit: s, m, h, d or w",
            "e.g. --older-than 30d",
        ) from None
    return text.lower()


def _pause(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 60:
        raise UsageError(
            f"delete-pause {text!r} is not a number of seconds from 0 to 60",
            "GitHub asks for about a second between mutating requests",
            "e.g. --delete-pause 1",
        )
    return number
