"""What goes where: each Docker-registry image, its Container-registry name and its tags' fate.

The Docker registry nests images as OWNER/REPOSITORY/IMAGE; the Container registry names them
OWNER/NAME. NAME comes from a template (`--name-map`, default `{image}`, which is what GHES's
own migration does); two images that would get one name are both conflicts.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field

from ghpkg.errors import UsageError
from ghpkg.settings import Choice

DEFAULT_NAME_MAP = "{image}"
FIELDS = ("owner", "repository", "image")
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


class TagStatus(Choice):
    """A tag's fate."""

    COPY = "copy"  # planned
    COPIED = "copied"
    THERE = "there"  # the destination has the same digest
    STATE = "state"  # an earlier run recorded it
    CONFLICT = "conflict"  # the destination has another digest
    FAILED = "failed"


class ImageStatus(Choice):
    """An image's fate, in the order the report counts them."""

    COPIED = "copied"
    SKIPPED = "skipped"  # every tag there already
    PLANNED = "planned"  # a dry run
    CONFLICT = "conflict"
    FAILED = "failed"


DONE = frozenset({TagStatus.COPIED, TagStatus.THERE, TagStatus.STATE})
STUCK = frozenset({ImageStatus.CONFLICT, ImageStatus.FAILED})  # what did not (or would not) move


def check_name_map(template: str) -> str:
    """A `--name-map` template: {owner}, {repository} and {image} only, {image} required."""
    text = template.strip() or DEFAULT_NAME_MAP
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise UsageError(f"name map {template!r} is not a template", str(exc), _EXAMPLE) from None
    unknown = sorted(set(names) - set(FIELDS))
    if unknown or "image" not in names:
        cause = f"unknown field {{{unknown[0]}}}" if unknown else "it has no {image}"
        raise UsageError(f"name map {template!r} cannot name the images", cause, _EXAMPLE)
    if not _valid(render(text, "owner", "repository", "image")):
        raise UsageError(
            f"name map {template!r} makes names the Container registry refuses",
            "names are lowercase letters, digits and . _ - between them, parts split by /",
            _EXAMPLE,
        )
    return text


_EXAMPLE = "e.g. --name-map '{image}' (the default) or --name-map '{repository}-{image}'"


def render(template: str, owner: str, repository: str, image: str) -> str:
    """The Container-registry name of OWNER/REPOSITORY/IMAGE under a checked template."""
    return template.format(owner=owner, repository=repository, image=image)


def _valid(name: str) -> bool:
    return bool(name) and all(_COMPONENT.fullmatch(part) for part in name.split("/"))


@dataclass
class TagPlan:
    """One tag: its manifest digest, its blobs (digest, size) and its fate."""

    tag: str
    digest: str = ""
    blobs: tuple[tuple[str, int], ...] = ()
    status: TagStatus = TagStatus.COPY
    note: str = ""


@dataclass
class ImagePlan:
    """One image: where it is, where it goes, its tags, and why it cannot go (if so)."""

    source: str  # OWNER/REPOSITORY/IMAGE on the Docker registry
    destination: str  # OWNER/NAME on the Container registry
    tags: list[TagPlan] = field(default_factory=list)
    problem: str = ""  # a conflict or failure of the whole image (see `stop`)
    problem_status: ImageStatus = ImageStatus.FAILED  # what `problem` makes the image
    ghes_conflict: bool = False  # GHES's own migration listed it
    source_label: str = ""  # the image config's org.opencontainers.image.source
    sent_bytes: int = 0

    def stop(self, status: ImageStatus, problem: str) -> None:
        """The whole image cannot go: a conflict or a failure, and why."""
        self.problem_status, self.problem = status, problem

    @property
    def status(self) -> ImageStatus:
        """conflict, failed, copied, skipped (all there already) or planned (a dry run)."""
        states = {tag.status for tag in self.tags}
        if self.problem:
            return self.problem_status
        if TagStatus.CONFLICT in states:
            return ImageStatus.CONFLICT
        if TagStatus.FAILED in states:
            return ImageStatus.FAILED
        if TagStatus.COPY in states:
            return ImageStatus.PLANNED
        return ImageStatus.COPIED if TagStatus.COPIED in states else ImageStatus.SKIPPED

    def tag_names(self) -> set[str]:
        """The image's tags."""
        return {tag.tag for tag in self.tags}

    def pending(self) -> list[TagPlan]:
        """The tags still to copy."""
        return [tag for tag in self.tags if tag.status is TagStatus.COPY]


def name_clashes(plans: list[ImagePlan]) -> None:
    """Mark each image whose Container-registry name another image of the plan also gets."""
    counts = Counter(plan.destination for plan in plans)
    for plan in plans:
        if counts[plan.destination] > 1:
            others = [p.source for p in plans if p.destination == plan.destination and p != plan]
            plan.stop(
                ImageStatus.CONFLICT,
                f"conflict: {', '.join(others)} would get the same name {plan.destination}; "
                "pick names with --name-map, e.g. '{repository}-{image}'",
            )


def bytes_to_send(plans: list[ImagePlan]) -> tuple[int, int]:
    """Blobs and bytes the pending tags need, each blob once per destination repository."""
    blobs = {
        (plan.destination, digest): size
        for plan in plans
        if not plan.problem
        for tag in plan.pending()
        for digest, size in tag.blobs
    }
    return len(blobs), sum(blobs.values())
