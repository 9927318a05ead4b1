"""Which package versions go and which stay, and why: a pure plan from the versions and the rules.

The rules combine so that what is kept wins. A version may go only if it is selected:
tagged versions by `--version` (those tags), else by `--keep N` or `--older-than`; untagged versions
by `--untagged`. A selected version still stays when any keep rule holds: it is a child of the
index of a version that stays, a tag matches `--keep-tags`, it is among the newest N tagged
versions, or it is newer than `--older-than`.

Two versions never go, whatever the rules: `docker-base-layer`, the pseudo-version the Docker
registry keeps in every image (deleting it "triggers a bug in GitHub Packages", as a cleanup
script notes; actions/delete-package-versions#24), and the last version of a package (the last
*tagged* version on the Container registry): GitHub answers 400 "You cannot delete the last
version of a package. You must delete the package instead." (delete-package-versions#231). A
version `--version` names that is the last one is an error before any DELETE.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ghpkg.errors import GhpkgError, RegistryError

_AGE = re.compile(r"(\d+)([smhdw])")
BASE_LAYER = "docker-base-layer"
LAST_KEPT = "kept: the last"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class PackageVersion:
    """One version as the API lists it: its id, its tags, when it was made, and its name.

    The Container registry names a version by its manifest's digest; the Docker registry by its tag.
    """

    id: int
    tags: tuple[str, ...]
    created_at: str
    updated_at: str
    name: str = ""

    @classmethod
    def from_api(cls, data: Any) -> PackageVersion:
        """Read one element of the versions list; tags from metadata, else the name."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise RegistryError("the REST API listed a version without an id", str(data)[:200])
        metadata = data.get("metadata") or {}
        tags = (metadata.get("docker") or {}).get("tag") or (metadata.get("container") or {}).get(
            "tags"
        )
        name = str(data.get("name") or "")
        if not tags and name and not name.startswith("sha256:") and name != BASE_LAYER:
            tags = [name]
        tags = [tag for tag in tags or () if tag != BASE_LAYER]
        return cls(
            data["id"],
            tuple(str(tag) for tag in tags or ()),
            str(data.get("created_at") or ""),
            str(data.get("updated_at") or ""),
            name,
        )

    @property
    def base_layer(self) -> bool:
        """Whether this is the Docker registry's `docker-base-layer` pseudo-version."""
        return self.name == BASE_LAYER

    @property
    def label(self) -> str:
        """`1.0, latest (id 42)` for a log line; an untagged version by its digest."""
        return f"{', '.join(self.tags) or self.name[:19] or 'untagged'} (id {self.id})"

    def line(self) -> str:
        """Tags, id and creation time, tab-separated, for the command's output."""
        return f"{','.join(self.tags) or '-'}\t{self.id}\t{self.created_at}"

    def as_json(self) -> dict[str, object]:
        """The shape of the `versions` and `deleted` outputs."""
        return {
            "id": self.id,
            "tags": list(self.tags),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Rules:
    """What `delete` was asked: the tags to delete, or the retention rules."""

    keep: int | None = None
    keep_tags: tuple[str, ...] = ()  # regular expressions (re.search on each tag)
    older_than: str = ""  # e.g. 30d
    untagged: bool = False
    tags: tuple[str, ...] = ()  # --version: the tags to delete


@dataclass(frozen=True)
class Decision:
    """One version's fate and why, e.g. `kept: newest 5` or `goes: untagged`."""

    version: PackageVersion
    goes: bool
    reason: str


def parse_age(text: str) -> int:
    """`30d`, `12h`, `90m`, `2w`, `45s` -> seconds; ValueError for anything else."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match or int(match[1]) < 1:
        raise ValueError(text)
    return int(match[1]) * _UNITS[match[2]]


def newest_first(versions: Sequence[PackageVersion]) -> list[PackageVersion]:
    """Sort by creation time, newest first; ties keep the API's order (it lists newest first)."""
    return sorted(versions, key=lambda v: v.created_at, reverse=True)


def _created(version: PackageVersion) -> datetime.datetime | None:
    try:
        stamp = datetime.datetime.fromisoformat(version.created_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)


def _selected(version: PackageVersion, rules: Rules) -> str:
    """Why a version may go ("" when it may not), before the keep rules."""
    if version.base_layer:
        return ""
    if not version.tags:
        return "untagged" if rules.untagged else ""
    named = sorted(set(version.tags) & set(rules.tags))
    if named:
        return f"named ({', '.join(named)})"
    if rules.tags:
        return ""
    if rules.keep is not None:
        return f"not among the newest {rules.keep}"
    return f"older than {rules.older_than}" if rules.older_than else ""


def _not_selected(version: PackageVersion, rules: Rules) -> str:
    if version.base_layer:
        return "kept: docker-base-layer, the Docker registry's own (never deleted)"
    if not version.tags:
        return "kept: untagged (--untagged deletes these)"
    return "kept: not named by --version" if rules.tags else "kept: tagged (not selected)"


def plan(
    versions: Sequence[PackageVersion],
    rules: Rules,
    now: datetime.datetime,
    children: Mapping[int, Sequence[str]] | None = None,
    last_tagged: bool = False,
) -> list[Decision]:
    """Each version's decision, newest first. `children`: an index version's id -> its digests;
    `last_tagged`: the package's last tagged version stays (the Container registry), else its
    last version."""
    ordered = newest_first(versions)
    missing = [tag for tag in rules.tags if not any(tag in v.tags for v in ordered)]
    if missing:
        raise GhpkgError(
            f"version {', '.join(missing)} is not in the package",
            f"it has {len(ordered)} version(s); nothing was deleted",
            "see `ghpkg versions` for the tags it has",
        )
    patterns = [re.compile(p) for p in rules.keep_tags]
    age = parse_age(rules.older_than) if rules.older_than else None
    rank = {v.id: i for i, v in enumerate(v for v in ordered if v.tags)}
    reasons: dict[int, str] = {}
    for version in ordered:
        why = _selected(version, rules)
        kept = next(
            (f"kept: matches {p.pattern}" for p in patterns if any(map(p.search, version.tags))),
            "",
        )
        if not kept and rules.keep is not None and rank.get(version.id, rules.keep) < rules.keep:
            kept = f"kept: newest {rules.keep}"
        created = _created(version)
        if (
            not kept
            and age is not None
            and (created is None or (now - created).total_seconds() < age)
        ):
            kept = f"kept: newer than {rules.older_than}"
        reasons[version.id] = (kept or f"goes: {why}") if why else _not_selected(version, rules)
    _protect_children(ordered, reasons, children or {})
    _keep_the_last(ordered, reasons, rules, last_tagged)
    return [Decision(v, reasons[v.id].startswith("goes"), reasons[v.id]) for v in ordered]


def _keep_the_last(
    ordered: list[PackageVersion], reasons: dict[int, str], rules: Rules, last_tagged: bool
) -> None:
    """The newest version that would go stays when no other (tagged) version would be left."""
    counted = [v for v in ordered if v.tags or not last_tagged]
    if not counted or any(not reasons[v.id].startswith("goes") for v in counted):
        return
    newest = counted[0]
    what = "tagged version" if last_tagged else "version"
    named = sorted(set(newest.tags) & set(rules.tags))
    if named:
        raise GhpkgError(
            f"version {', '.join(named)} is the last {what} of the package",
            f"GitHub refuses to delete the last {what} of a package (HTTP 400); nothing was "
            "deleted",
            "delete the package itself in its settings on GitHub, or keep this version",
        )
    reasons[newest.id] = (
        f"{LAST_KEPT} {what} (GitHub refuses to delete it: delete the package instead)"
    )


def _protect_children(
    ordered: list[PackageVersion], reasons: dict[int, str], children: Mapping[int, Sequence[str]]
) -> None:
    """A version used by the index of a version that stays stays too (until nothing changes)."""
    by_name = {v.name: v for v in ordered if v.name}
    changed = True
    while changed:
        changed = False
        for parent in ordered:
            if reasons[parent.id].startswith("goes"):
                continue
            for digest in children.get(parent.id, ()):
                child = by_name.get(digest)
                if child is not None and reasons[child.id].startswith("goes"):
                    owner = parent.tags[0] if parent.tags else parent.name[:19]
                    reasons[child.id] = f"kept: child of {owner}'s index"
                    changed = True


def to_delete(
    versions: Sequence[PackageVersion], keep: int | None, tags: Sequence[str]
) -> list[PackageVersion]:
    """The versions to delete: all but the newest `keep`, or those carrying `tags`."""
    rules = Rules(keep=keep, tags=tuple(tags))
    now = datetime.datetime.now(datetime.timezone.utc)
    return [d.version for d in plan(versions, rules, now) if d.goes]
