"""Tag rules applied to a git ref: the tags docker/metadata-action's src/meta.ts would give."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ghpkg.errors import UsageError
from ghpkg.metadata.git_tags import GitRef, parse_semver
from ghpkg.metadata.pep440 import parse_pep440
from ghpkg.metadata.tag_rules import Flavor, Rule
from ghpkg.metadata.tag_template import Helper, date_helper, render

_INVALID = re.compile(r"[^a-zA-Z0-9._-]+")
_RAW_ONLY = re.compile(r"\{\{\s*raw\s*\}\}")
_REGEX_LITERAL = re.compile(r"/(.+)/(\w*)")
# Events that always run on the default branch's last commit (metadata-action's list).
_DEFAULT_BRANCH_EVENTS = ("create", "discussion", "issues", "schedule")


@dataclass(frozen=True)
class TagContext:
    """What the rules read: the workflow's ref and event, and the repository's default branch."""

    event: str
    ref: str
    sha: str
    now: datetime
    base_ref: str = ""
    default_branch: str = ""
    commit_date: datetime | None = None
    short_sha_length: int = 7

    @classmethod
    def from_git_ref(cls, git: GitRef, now: datetime, pr_number: str = "") -> TagContext:
        """From GITHUB_*; on pull_request_target the ref is the pull request's (metadata-action)."""
        ref = git.ref
        if git.event == "pull_request_target" and pr_number:
            ref = f"refs/pull/{pr_number}/merge"
        return cls(git.event, ref, git.sha, now)


@dataclass(frozen=True)
class Version:
    """metadata-action's Version: the main tag, the others, whether `latest` goes with them."""

    main: str | None = None
    partial: tuple[str, ...] = ()
    latest: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)

    def tags(self, flavor: Flavor) -> list[str]:
        """Tag names: main, the others, then latest (with the flavor's affixes if onlatest)."""
        if self.main is None:
            return []
        names = [self.main, *self.partial]
        if self.latest:
            prefix = flavor.prefix if flavor.prefix_latest else ""
            suffix = flavor.suffix if flavor.suffix_latest else ""
            names.append(sanitize_tag(f"{prefix}latest{suffix}"))
        return list(dict.fromkeys(names))


def sanitize_tag(tag: str) -> str:
    """metadata-action's sanitizing: every run of characters a tag cannot hold becomes `-`."""
    return _INVALID.sub("-", tag)


def evaluate(rules: Sequence[Rule], flavor: Flavor, ctx: TagContext) -> Version:
    """Apply `rules` (already in priority order) to `ctx`; the first rule with a tag sets latest."""
    state = _State(flavor, ctx)
    for rule in rules:
        enabled = state.expand(rule.attrs["enable"], rule.line)
        if enabled not in ("true", "false"):
            raise UsageError(f"tags rule {rule.line!r}: enable={enabled}", "not true|false", "")
        if enabled == "true":
            state.apply(rule)
    return Version(state.main, tuple(state.partial), bool(state.latest), tuple(state.notes))


class _State:
    def __init__(self, flavor: Flavor, ctx: TagContext) -> None:
        self.flavor, self.ctx = flavor, ctx
        self.main: str | None = None
        self.partial: list[str] = []
        self.latest: bool | None = None
        self.notes: list[str] = []

    def apply(self, rule: Rule) -> None:
        ref, attrs = self.ctx.ref, rule.attrs
        value: str | None = None
        auto_latest = False
        if rule.kind == "schedule" and "schedule" in self.ctx.event:
            value = self.expand(attrs["pattern"], rule.line)
        elif rule.kind in ("semver", "pep440", "match"):
            value, auto_latest = self._version(rule)
        elif rule.kind == "ref":
            prefix = {"branch": "refs/heads/", "tag": "refs/tags/", "pr": "refs/pull/"}
            if ref.startswith(prefix[attrs["event"]]):
                value = ref.removeprefix(prefix[attrs["event"]])
                value = value.removesuffix("/merge") if attrs["event"] == "pr" else value
                auto_latest = attrs["event"] == "tag"
        elif rule.kind == "edge" and ref.startswith("refs/heads/"):
            wanted = attrs["branch"] or self.ctx.default_branch
            value = "edge" if ref.removeprefix("refs/heads/") == wanted else None
        elif rule.kind == "raw":
            value = self.expand(attrs["value"], rule.line)
        elif rule.kind == "sha" and self.ctx.sha:
            long = attrs["format"] == "long"
            value = self.ctx.sha if long else self.ctx.sha[: self.ctx.short_sha_length]
        if value is not None:
            self._add(self._affix(value, rule), auto_latest)

    def _version(self, rule: Rule) -> tuple[str | None, bool]:
        attrs = rule.attrs
        if not self.ctx.ref.startswith("refs/tags/") and not attrs["value"]:
            return None, False
        raw = self.expand(attrs["value"], rule.line) or self.ctx.ref.removeprefix("refs/tags/")
        if rule.kind == "match":
            found = self._match(attrs["pattern"], raw, int(attrs["group"]), rule.line)
            return found, found is not None
        if attrs["match"]:
            found = self._match(attrs["match"], raw, 1, rule.line)
            raw = raw if found is None else found
        raw = raw.replace("/", "-")
        if rule.kind == "pep440":
            return self._pep440(raw, attrs["pattern"], rule.line)
        semver = parse_semver(raw) if raw == raw.strip() else None
        if semver is None:
            self.notes.append(f"{raw} is not a valid semver (https://semver.org/); no tag from it")
            return None, False
        values: dict[str, str | Helper] = {"raw": raw, "version": str(semver)}
        values |= {"major": str(semver.major), "minor": str(semver.minor)}
        values["patch"] = str(semver.patch)
        pattern = attrs["pattern"]
        if semver.prerelease and not _RAW_ONLY.fullmatch(pattern.strip()):
            pattern = "{{version}}"
        return render(pattern, values, f"tags rule {rule.line!r}"), not semver.prerelease

    def _pep440(self, raw: str, pattern: str, line: str) -> tuple[str | None, bool]:
        version = parse_pep440(raw)
        if version is None:
            self.notes.append(f"{raw} does not conform to PEP 440; no tag from it")
            return None, False
        if version.prerelease or version.postrelease:
            return (raw if _RAW_ONLY.fullmatch(pattern.strip()) else version.normalized), False
        values: dict[str, str | Helper] = {"raw": raw, "version": version.normalized}
        values |= {"major": version.part(0), "minor": version.part(1), "patch": version.part(2)}
        return render(pattern, values, f"tags rule {line!r}"), True

    def _match(self, pattern: str, text: str, group: int, line: str) -> str | None:
        literal = _REGEX_LITERAL.fullmatch(pattern)
        source, flags = (literal[1], literal[2]) if literal else (pattern, "")
        table = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
        bits = 0
        for flag in flags.replace("g", "").replace("u", ""):
            if flag not in table:
                raise UsageError(f"tags rule {line!r}: regex flag {flag!r}", "known: g i m s u", "")
            bits |= table[flag]
        try:
            regex = re.compile(source, bits)
        except re.error as error:
            raise UsageError(f"tags rule {line!r}: bad regex {source!r}", str(error), "") from None
        if "g" in flags:
            found: list[str | None] = [m[0] for m in regex.finditer(text)]
        else:
            first = regex.search(text)
            found = [first[0], *first.groups()] if first else []
        if not found:
            self.notes.append(f"{pattern} does not match {text}")
            return None
        if group >= len(found) or found[group] is None:
            self.notes.append(f"group {group} does not exist for {pattern}")
            return None
        return found[group]

    def _affix(self, value: str, rule: Rule) -> str:
        prefix = rule.attrs.get("prefix", self.flavor.prefix)
        suffix = rule.attrs.get("suffix", self.flavor.suffix)
        return self.expand(prefix, rule.line) + value + self.expand(suffix, rule.line)

    def _add(self, value: str, auto_latest: bool) -> None:
        if not value:
            return
        value = sanitize_tag(value)
        if self.main is None:
            self.main = value
        elif value != self.main and value not in self.partial:
            self.partial.append(value)
        if self.latest is None:
            self.latest = (
                auto_latest if self.flavor.latest == "auto" else self.flavor.latest == "true"
            )

    def expand(self, text: str, line: str) -> str:
        """metadata-action's global expressions: branch, tag, sha, base_ref, dates, default."""
        ctx = self.ctx
        ref = ctx.ref
        branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else ""
        tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""
        on_base = ref.startswith(("refs/tags/", "refs/pull/"))
        base = ctx.base_ref.removeprefix("refs/heads/") if on_base else ""
        what = f"tags rule {line!r}"
        values: dict[str, str | Helper] = {"branch": branch, "tag": tag, "base_ref": base}
        values["sha"] = ctx.sha[: ctx.short_sha_length]
        default = self._is_default_branch()
        values |= {"is_default_branch": str(default).lower()}
        values |= {"is_not_default_branch": str(not default).lower()}
        values["date"] = date_helper(ctx.now, what)
        values["commit_date"] = date_helper(ctx.commit_date or ctx.now, what)
        return render(text, values, what)

    def _is_default_branch(self) -> bool:
        branch = self.ctx.ref.removeprefix("refs/heads/")
        if not branch:
            return False
        if self.ctx.default_branch and branch == self.ctx.default_branch:
            return True
        return any(word in self.ctx.event for word in _DEFAULT_BRANCH_EVENTS)
