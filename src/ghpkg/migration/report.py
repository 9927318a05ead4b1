"""The migration's report: typed records of each image and tag, a readable table, the one
failure line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ghpkg.migration.plan import DONE, STUCK, ImagePlan, ImageStatus, TagStatus
from ghpkg.progress import size


@dataclass(frozen=True)
class TagReport:
    """One tag of a migrated image: its fate and its manifest's digest."""

    tag: str
    status: TagStatus
    digest: str


@dataclass(frozen=True)
class ImageReport:
    """One image: where from, where to, its fate, its tags and what a reader needs about it."""

    source: str  # OWNER/REPOSITORY/IMAGE on the Docker registry
    destination: str  # containers.HOST/OWNER/NAME
    status: ImageStatus
    tags: tuple[TagReport, ...]
    note: str
    source_label: str
    ghes_conflict: bool
    bytes_sent: int


@dataclass(frozen=True)
class Totals:
    """How many images ended how, the tags copied and skipped, the bytes sent."""

    copied: int
    skipped: int
    planned: int
    conflict: int
    failed: int
    images: int
    tags_copied: int
    tags_skipped: int
    bytes_sent: int
    images_at_once: int

    def count(self, status: ImageStatus) -> int:
        """The images that ended with this status."""
        number: int = getattr(self, status.value)
        return number


@dataclass(frozen=True)
class MigrationReport:
    """migrate's result: whether it was a dry run, the totals, one record an image."""

    dry_run: bool
    totals: Totals
    images: tuple[ImageReport, ...]
    # a matrix's part: the plan's shards and matrix (--shards), the shard this run was
    # (--shard), or the shards a merge heard from (--merge-reports); see migration.shards
    shards: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> MigrationReport:
        """The report a `migration` document holds (a shard's, or the merge of several)."""
        images = tuple(
            ImageReport(
                source=str(image["source"]),
                destination=str(image.get("destination", "")),
                status=ImageStatus(image["status"]),
                tags=tuple(
                    TagReport(name, TagStatus(tag["status"]), str(tag.get("digest", "")))
                    for name, tag in (image.get("tags") or {}).items()
                ),
                note=str(image.get("note", "")),
                source_label=str(image.get("source_label", "")),
                ghes_conflict=bool(image.get("ghes_conflict")),
                bytes_sent=int(image.get("bytes_sent") or 0),
            )
            for image in document["images"]
        )
        counts = document["totals"]
        totals = Totals(**{part.name: int(counts[part.name]) for part in fields(Totals)})
        extra = {k: v for k, v in document.items() if k not in ("dry_run", "totals", "images")}
        return cls(bool(document.get("dry_run")), totals, images, extra)

    def as_json(self) -> dict[str, Any]:
        """The `migration` output's document."""
        return dict(self.shards) | {
            "dry_run": self.dry_run,
            "totals": dict(vars(self.totals)),
            "images": [
                {
                    "source": image.source,
                    "destination": image.destination,
                    "status": image.status.value,
                    "tags": {
                        tag.tag: {"status": tag.status.value, "digest": tag.digest}
                        for tag in image.tags
                    },
                    "note": image.note,
                    "source_label": image.source_label,
                    "ghes_conflict": image.ghes_conflict,
                    "bytes_sent": image.bytes_sent,
                }
                for image in self.images
            ],
        }


def lines(plans: list[ImagePlan], container_host: str) -> tuple[str, ...]:
    """One row an image: status, source, destination, tags, note (tab-separated)."""
    rows = []
    for plan in plans:
        tags = ",".join(tag.tag for tag in plan.tags) or "-"
        rows.append(
            f"{plan.status}\t{plan.source}\t{container_host}/{plan.destination}\t{tags}"
            f"\t{note(plan)}"
        )
    return tuple(rows)


def note(plan: ImagePlan) -> str:
    """What a reader needs about one image: its problem, conflicting tags, the repository link."""
    if plan.problem:
        return plan.problem
    troubled = [
        f"{t.tag}: {t.note}"
        for t in plan.tags
        if t.status in (TagStatus.CONFLICT, TagStatus.FAILED)
    ]
    if troubled:
        return "; ".join(troubled)
    counts = Counter(tag.status for tag in plan.tags)
    parts = [f"{counts[s]} {word}" for s, word in _WORDS if counts[s]]
    if plan.sent_bytes:
        parts.append(f"{size(plan.sent_bytes)} sent")
    parts.append(link(plan))
    if plan.ghes_conflict:
        parts.append("GHES's own migration listed it as a conflict")
    return ", ".join(parts)


_WORDS = (
    (TagStatus.COPIED, "copied"),
    (TagStatus.THERE, "already there"),
    (TagStatus.STATE, "done by an earlier run"),
    (TagStatus.COPY, "to copy"),
)


def link(plan: ImagePlan) -> str:
    """How the Container-registry package gets its repository (the label, else by hand)."""
    if plan.source_label:
        return f"linked by its source label to {plan.source_label}"
    return "no source label: connect the repository on the package's page"


def build(
    plans: list[ImagePlan], container_host: str, dry_run: bool, sent: int, peak: int
) -> MigrationReport:
    """The report: totals and one record an image."""
    counts = Counter(plan.status for plan in plans)
    tags = Counter(tag.status for plan in plans for tag in plan.tags)
    totals = Totals(
        copied=counts[ImageStatus.COPIED],
        skipped=counts[ImageStatus.SKIPPED],
        planned=counts[ImageStatus.PLANNED],
        conflict=counts[ImageStatus.CONFLICT],
        failed=counts[ImageStatus.FAILED],
        images=len(plans),
        tags_copied=tags[TagStatus.COPIED],
        tags_skipped=sum(tags[s] for s in DONE - {TagStatus.COPIED}),
        bytes_sent=sent,
        images_at_once=peak,
    )
    images = tuple(
        ImageReport(
            source=plan.source,
            destination=f"{container_host}/{plan.destination}",
            status=plan.status,
            tags=tuple(TagReport(tag.tag, tag.status, tag.digest) for tag in plan.tags),
            note=note(plan),
            source_label=plan.source_label,
            ghes_conflict=plan.ghes_conflict,
            bytes_sent=plan.sent_bytes,
        )
        for plan in plans
    )
    return MigrationReport(dry_run, totals, images)


def failure(plans: list[ImagePlan], dry_run: bool) -> str:
    """The error line when something did not (or, in a dry run, would not) move; else empty."""
    stuck = [plan for plan in plans if plan.status in STUCK]
    if not stuck:
        return ""
    counts = Counter(plan.status.value for plan in stuck)
    what = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    first = stuck[0]
    verb = "would not move" if dry_run else "did not move"
    return (
        f"{len(stuck)} of {len(plans)} image(s) {verb} ({what}); first: {first.source}: "
        f"{note(first)}; see the report, fix and run migrate again (done tags are skipped)"
    )
