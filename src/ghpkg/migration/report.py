"""The migration's report: a readable table, a JSON document and the one failure line."""

from __future__ import annotations

import json
from collections import Counter

from ghpkg.migration.plan import DONE, ImagePlan
from ghpkg.progress import size

STATUSES = ("copied", "skipped", "planned", "conflict", "failed")


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
    troubled = [f"{t.tag}: {t.note}" for t in plan.tags if t.status in ("conflict", "failed")]
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
    ("copied", "copied"),
    ("there", "already there"),
    ("state", "done by an earlier run"),
    ("copy", "to copy"),
)


def link(plan: ImagePlan) -> str:
    """How the Container-registry package gets its repository (the label, else by hand)."""
    if plan.source_label:
        return f"linked by its source label to {plan.source_label}"
    return "no source label: connect the repository on the package's page"


def document(
    plans: list[ImagePlan], container_host: str, dry_run: bool, sent: int, peak: int
) -> str:
    """The `migration` output: totals and one entry an image."""
    counts = Counter(plan.status for plan in plans)
    totals: dict[str, int] = {status: counts[status] for status in STATUSES}
    tags = Counter(tag.status for plan in plans for tag in plan.tags)
    totals |= {
        "images": len(plans),
        "tags_copied": tags["copied"],
        "tags_skipped": sum(tags[s] for s in DONE - {"copied"}),
        "bytes_sent": sent,
        "images_at_once": peak,
    }
    images = [
        {
            "source": plan.source,
            "destination": f"{container_host}/{plan.destination}",
            "status": plan.status,
            "tags": {tag.tag: {"status": tag.status, "digest": tag.digest} for tag in plan.tags},
            "note": note(plan),
            "source_label": plan.source_label,
            "ghes_conflict": plan.ghes_conflict,
            "bytes_sent": plan.sent_bytes,
        }
        for plan in plans
    ]
    body = {"dry_run": dry_run, "totals": totals, "images": images}
    return json.dumps(body, separators=(",", ":"))


def failure(plans: list[ImagePlan], dry_run: bool) -> str:
    """The error line when something did not (or, in a dry run, would not) move; else empty."""
    stuck = [plan for plan in plans if plan.status in ("conflict", "failed")]
    if not stuck:
        return ""
    counts = Counter(plan.status for plan in stuck)
    what = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    first = stuck[0]
    verb = "would not move" if dry_run else "did not move"
    return (
        f"{len(stuck)} of {len(plans)} image(s) {verb} ({what}); first: {first.source}: "
        f"{note(first)}; see the report, fix and run migrate again (done tags are skipped)"
    )
