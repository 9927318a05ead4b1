"""docker/metadata-action's `tags` rules and `flavor` lines, parsed (`tag_eval` applies them).

Mirrors metadata-action's src/tag.ts and src/flavor.ts: types schedule, semver, match, edge,
pep440, ref, raw, sha; prefix, suffix, enable, priority; latest=auto|true|false.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ghpkg.errors import UsageError

PRIORITY = {
    "schedule": 1000,
    "semver": 900,
    "pep440": 900,
    "match": 800,
    "edge": 700,
    "ref": 600,
    "raw": 200,
    "sha": 100,
}
_COMMON = {"type", "enable", "priority", "prefix", "suffix"}
_KEYS = {
    "schedule": {"pattern"},
    "semver": {"pattern", "value", "match"},
    "pep440": {"pattern", "value", "match"},
    "match": {"pattern", "group", "value"},
    "edge": {"branch"},
    "ref": {"event"},
    "raw": {"value"},
    "sha": {"format"},
}
_DEFAULTS = {
    "schedule": {"pattern": "nightly"},
    "semver": {"value": "", "match": ""},
    "pep440": {"value": "", "match": ""},
    "match": {"group": "0", "value": ""},
    "edge": {"branch": ""},
    "raw": {},
    "sha": {"prefix": "sha-", "format": "short"},
}
_REQUIRED = {
    "semver": "pattern",
    "pep440": "pattern",
    "match": "pattern",
    "ref": "event",
    "raw": "value",
}
_CHOICES = {("ref", "event"): ("branch", "tag", "pr"), ("sha", "format"): ("short", "long")}
DEFAULT_RULES = (
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
)


@dataclass(frozen=True)
class Rule:
    """One `tags` line: its type and attributes, defaults filled in as metadata-action does."""

    kind: str
    attrs: dict[str, str] = field(hash=False)
    line: str = ""

    @property
    def priority(self) -> int:
        """Higher first; metadata-action's defaults per type unless `priority=` says."""
        return int(self.attrs["priority"])


@dataclass(frozen=True)
class Flavor:
    """The `flavor` input: when `latest` is added, and a prefix/suffix for every tag."""

    latest: str = "auto"
    prefix: str = ""
    suffix: str = ""
    prefix_latest: bool = False
    suffix_latest: bool = False


def split_lines(text: str) -> list[str]:
    """A multi-line input as its lines: blank lines and `#` comments dropped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def parse_rules(lines: Sequence[str]) -> list[Rule]:
    """Every line a Rule, highest priority first (ties keep their order); none: the defaults."""
    rules = [parse_rule(line) for line in (lines or DEFAULT_RULES)]
    return sorted(rules, key=lambda rule: -rule.priority)


def parse_rule(line: str) -> Rule:
    """`type=semver,pattern={{version}}` -> Rule; a bad line is a UsageError naming it."""
    attrs: dict[str, str] = {}
    kind = "raw"
    for item in _fields(line, "tags"):
        key, eq, value = item.partition("=")
        if not eq:
            attrs["value"] = item.strip()
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "type":
            if value not in PRIORITY:
                raise _bad(line, f"unknown type {value!r}", "types: " + " ".join(PRIORITY))
            kind = value
        else:
            attrs[key] = value
    unknown = sorted(set(attrs) - _COMMON - _KEYS[kind])
    if unknown:
        known = " ".join(sorted(_COMMON | _KEYS[kind]))
        raise _bad(line, f"type={kind} has no attribute {unknown[0]!r}", f"it takes {known}")
    if kind in _REQUIRED and _REQUIRED[kind] not in attrs:
        raise _bad(line, f"type={kind} needs {_REQUIRED[kind]}=", "see docs/tags.md's rule table")
    if kind == "ref" and attrs["event"] == "pr":
        attrs.setdefault("prefix", "pr-")
    for name, default in _DEFAULTS.get(kind, {}).items():
        attrs.setdefault(name, default)
    for (of, name), choices in _CHOICES.items():
        if kind == of and attrs[name] not in choices:
            cause = f"{name}={attrs[name]} is not one of {'|'.join(choices)}"
            raise _bad(line, cause, f"write {name}={choices[0]}")
    if kind == "match" and not attrs["group"].isdigit():
        raise _bad(line, f"group={attrs['group']} is not a number", "write group=1")
    attrs.setdefault("enable", "true")
    attrs.setdefault("priority", str(PRIORITY[kind]))
    if not re.fullmatch(r"-?\d+", attrs["priority"]):
        raise _bad(line, f"priority={attrs['priority']} is not a whole number", "e.g. priority=950")
    return Rule(kind, attrs, line)


def parse_flavor(lines: Sequence[str]) -> Flavor:
    """`latest=auto|true|false`, `prefix=`, `suffix=`, each optionally `,onlatest=true`."""
    values = {"latest": "auto", "prefix": "", "suffix": ""}
    on_latest = {"prefix": False, "suffix": False}
    for line in lines:
        last = ""
        for item in _fields(line, "flavor"):
            key, eq, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not eq or key not in ("latest", "prefix", "suffix", "onlatest"):
                raise UsageError(
                    f"flavor {line!r}: cannot read {item!r}",
                    "flavor takes latest=auto|true|false, prefix=, suffix= and onlatest=",
                    "write e.g. latest=false",
                )
            if key == "latest" and value not in ("auto", "true", "false"):
                raise UsageError(f"flavor {line!r}: latest={value}", "not auto|true|false", "")
            if key == "onlatest":
                if value not in ("true", "false"):
                    raise UsageError(f"flavor {line!r}: onlatest={value}", "not true|false", "")
                if last:
                    on_latest[last] = value == "true"
                continue
            values[key] = value
            last = key if key != "latest" else ""
    return Flavor(
        values["latest"],
        values["prefix"],
        values["suffix"],
        on_latest["prefix"],
        on_latest["suffix"],
    )


def _fields(line: str, what: str) -> list[str]:
    """One CSV record, as metadata-action reads a line (csv-parse: `"` quotes a field)."""
    try:
        rows = list(csv.reader([line], skipinitialspace=False, strict=True))
    except csv.Error:
        raise UsageError(
            f"{what} {line!r} is not valid",
            'a field that starts with " must end with " (then a comma or the end of the line)',
            'quote a whole field, e.g. "value=a,b", or drop the quote',
        ) from None
    return [item for item in rows[0] if item.strip()] if rows else []


def _bad(line: str, cause: str, fix: str) -> UsageError:
    return UsageError(f"tags rule {line!r}", cause, fix)
