"""An instance's migration over an Actions matrix: owners split into shards by the bytes they
have to send, and the shards' reports merged into one.

An owner's images stay in one shard, so a blob another of its images already took to the
Container registry is mounted there, not sent again: each blob goes once per owner. The plan (a
dry run with `--shards N`) fixes the split, and each matrix entry carries its shard's owners, so
every runner takes the plan's split whatever changed since. Pure: no network, no files.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ghpkg.errors import UsageError
from ghpkg.progress import size
from ghpkg.settings import Scope

MAX_SHARDS = 256  # GitHub: "A matrix can generate a maximum of 256 jobs per workflow run"
STATUSES = ("copied", "skipped", "planned", "conflict", "failed")
_MOVED = ("copied", "skipped")
_RANK = {status: rank for rank, status in enumerate(("copied", "skipped", "conflict", "failed"))}
_LABEL = re.compile(r"([0-9]{1,3})/([0-9]{1,3})")

Document = dict[str, Any]


@dataclass(frozen=True)
class OwnerWork:
    """One owner's part of the plan: its images and the bytes they have to send."""

    scope: Scope  # org or user
    name: str
    images: int
    bytes: int


@dataclass(frozen=True)
class Shard:
    """The owners one matrix job migrates."""

    number: int
    count: int
    owners: tuple[OwnerWork, ...]

    @property
    def label(self) -> str:
        """K/N, as --shard takes it."""
        return f"{self.number}/{self.count}"

    def entry(self) -> dict[str, str]:
        """The matrix entry: the label and the owners, as the inputs org and user take them."""
        names = {
            scope: ",".join(o.name for o in self.owners if o.scope is scope)
            for scope in (Scope.ORG, Scope.USER)
        }
        return {"shard": self.label, "org": names[Scope.ORG], "user": names[Scope.USER]}

    def describe(self) -> Document:
        """The shard in the plan document."""
        return self.entry() | {
            "images": sum(o.images for o in self.owners),
            "bytes": sum(o.bytes for o in self.owners),
        }


def shard_count(text: str) -> int:
    """--shards N: 1 to 256 (the most jobs a matrix makes)."""
    value = int(text) if text.strip().isdigit() else 0
    if not 1 <= value <= MAX_SHARDS:
        raise UsageError(
            f"--shards {text!r} is not a number from 1 to {MAX_SHARDS}",
            "it is how many matrix jobs share the migration",
            "e.g. --shards 3 with --dry-run",
        )
    return value


def shard_label(text: str) -> tuple[int, int]:
    """--shard K/N: the K-th of N shards, 1 <= K <= N."""
    match = _LABEL.fullmatch(text.strip())
    number, count = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= number <= count <= MAX_SHARDS:
        raise UsageError(
            f"--shard {text!r} is not K/N with 1 <= K <= N <= {MAX_SHARDS}",
            "it names the matrix job's shard of the plan",
            "pass the plan's matrix entry, e.g. --shard ${{ matrix.shard }} (2/3)",
        )
    return number, count


def split(owners: Sequence[OwnerWork], count: int) -> list[Shard]:
    """At most `count` shards (none empty), balanced by bytes: the largest owner first, each to
    the shard with the fewest bytes (then images, then the lowest number). The same owners give
    the same shards on every runner; an owner is never split."""
    used = min(count, len(owners))
    loads = [(0, 0)] * used  # bytes, images
    members: list[list[OwnerWork]] = [[] for _ in range(used)]
    for owner in sorted(owners, key=lambda o: (-o.bytes, -o.images, o.scope.value, o.name)):
        index = min(range(used), key=lambda i: (*loads[i], i))
        loads[index] = (loads[index][0] + owner.bytes, loads[index][1] + owner.images)
        members[index].append(owner)
    return [Shard(index + 1, used, tuple(group)) for index, group in enumerate(members)]


def uneven(shards: Sequence[Shard]) -> list[str]:
    """One line for each owner too big for a fair split (more bytes than a shard's fair share)."""
    total = sum(o.bytes for shard in shards for o in shard.owners)
    if not shards or not total:
        return []
    fair = total / shards[0].count
    return [
        f"{owner.scope} {owner.name} has {size(owner.bytes)} of {size(total)} to send, more "
        f"than a fair share ({size(int(fair))}): its images stay together (mounts), so shard "
        f"{shard.label} takes longest"
        for shard in shards
        for owner in shard.owners
        if owner.bytes > fair and len(shards) > 1
    ]


def plan_document(shards: Sequence[Shard]) -> Document:
    """What a dry run with --shards adds to the migration document: the shards, and the value
    a job's `strategy.matrix` takes (`fromJSON`)."""
    return {
        "shards": [shard.describe() for shard in shards],
        "matrix": {"include": [shard.entry() for shard in shards]},
    }


def report_in(name: str, text: str) -> Document | None:
    """The migration report in a file's text: the --json document, the `migration` output
    alone, or the `migration=...` line of an --output-file; None for a run that failed before
    its report (an empty output, or --json's document of the error), which counts as missing."""
    lines = [line for line in text.splitlines() if line.startswith("migration={")]
    try:
        document = json.loads(lines[-1].partition("=")[2] if lines else text)
    except ValueError:
        document = None
    if not text.strip() or (
        isinstance(document, dict) and document.get("ok") is False and "migration" not in document
    ):
        return None
    if isinstance(document, dict) and isinstance(document.get("migration"), dict):
        document = document["migration"]
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("totals"), dict)
        or not isinstance(document.get("images"), list)
        or not all(
            isinstance(i, dict) and isinstance(i.get("source"), str) for i in document["images"]
        )
    ):
        raise UsageError(
            f"{name} is not a migration report",
            "it holds no JSON with totals and images",
            "pass what ghpkg migrate wrote with --json or --output-file, or its migration output",
        )
    return document


def merge(reports: Sequence[Document]) -> tuple[Document, str]:
    """The shards' reports as one, and the failure line ("" when every image moved).

    An image two shards report (moved twice: harmless, done tags are skipped) counts once, by
    its best status. A plan among the reports (a dry run with shards) is the final check: each
    of its images must be in a shard's report, and each of its shards must have reported.
    """
    plans = [r for r in reports if r.get("dry_run") and "shards" in r]
    runs = [r for r in reports if not r.get("dry_run")]
    images: dict[str, Document] = {}
    for report in runs:
        for image in report["images"]:
            known = images.get(image["source"])
            if known is None or _rank(image) < _rank(known):
                images[image["source"]] = image
    labels = sorted({str(r.get("shard")) for r in runs if r.get("shard")})
    expected = {s["shard"] for plan in plans for s in plan["shards"] if isinstance(s, dict)}
    missing = sorted(expected - set(labels))
    lost = [
        image
        for plan in plans
        for image in plan["images"]
        if isinstance(image, dict) and image.get("source") not in images
    ]
    for image in lost:
        images[image["source"]] = image | {
            "status": "failed",
            "note": "planned, but no shard's report has it: run its shard again",
            "bytes_sent": 0,
        }
    merged = list(images.values())
    document: Document = {
        "dry_run": False,
        "totals": _totals(merged, runs),
        "images": merged,
        "shards": {"reported": labels, "missing": missing},
    }
    return document, _failure(merged, missing, len(runs))


def _rank(image: Mapping[str, Any]) -> int:
    return _RANK.get(str(image.get("status")), len(_RANK))


def _totals(images: list[Document], runs: Sequence[Document]) -> dict[str, int]:
    counts = Counter(str(image.get("status")) for image in images)
    tags = Counter(
        str(tag.get("status"))
        for image in images
        for tag in (image.get("tags") or {}).values()
        if isinstance(tag, dict)
    )
    return {status: counts[status] for status in STATUSES} | {
        "images": len(images),
        "tags_copied": tags["copied"],
        "tags_skipped": tags["there"] + tags["state"],
        "bytes_sent": sum(int(image.get("bytes_sent") or 0) for image in images),
        "images_at_once": sum(int(r["totals"].get("images_at_once") or 0) for r in runs),
    }


def _failure(images: list[Document], missing: list[str], runs: int) -> str:
    if not runs:
        return (
            "no shard's report among the files (only plans); pass the reports the shard jobs wrote"
        )
    stuck = [image for image in images if image.get("status") not in _MOVED]
    if not stuck and not missing:
        return ""
    parts = [f"shard(s) {', '.join(missing)} did not report"] if missing else []
    if stuck:
        first = stuck[0]
        parts.append(
            f"{len(stuck)} of {len(images)} image(s) did not move; first: {first['source']}: "
            f"{first.get('note', '')}"
        )
    return "; ".join(parts) + "; see the merged report, fix and run those shards again"


def rows(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The merged report's table: status, source, destination, tags, note (tab-separated)."""
    return tuple(
        f"{image.get('status')}\t{image['source']}\t{image.get('destination', '')}\t"
        f"{','.join(image.get('tags') or {}) or '-'}\t{image.get('note', '')}"
        for image in document["images"]
    )
