"""Everything docker/metadata-action outputs for one image: tags, labels, annotations, json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ghpkg.metadata.oci_labels import (
    Repository,
    as_annotations,
    json_output,
    label_lines,
    oci_labels,
)

if TYPE_CHECKING:  # the tag rules' modules: only image_metadata evaluates rules (not ref's outputs)
    from datetime import datetime

    from ghpkg.metadata.tag_eval import TagContext, Version


@dataclass(frozen=True)
class ImageMetadata:
    """The tags the rules give, and the labels and annotations that go with them."""

    version: Version
    names: tuple[str, ...]
    labels: dict[str, str]
    annotations: tuple[str, ...]

    def outputs(self, image: str) -> dict[str, str]:
        """metadata-action's `version`, `tags`, `tag-names`, `labels`, `annotations`, `json`."""
        tags = [f"{image}:{name}" for name in self.names]
        return {
            "version": self.version.main or "",
            "tag-names": "\n".join(self.names),
            "annotations": "\n".join(self.annotations),
        } | metadata_outputs(tags, self.names, self.labels, self.annotations)


def metadata_outputs(
    tags: Sequence[str],
    names: Sequence[str],
    labels: Mapping[str, str],
    annotations: Sequence[str] | None = None,
) -> dict[str, str]:
    """The `tags`, `labels` and `json` outputs (annotations: the labels, at manifest level)."""
    noted = as_annotations(labels) if annotations is None else annotations
    return {
        "tags": "\n".join(tags),
        "labels": "\n".join(label_lines(labels)),
        "json": json_output(tags, names, labels, noted),
    }


def image_metadata(
    tags: Sequence[str],
    flavor: Sequence[str],
    ctx: TagContext,
    repo: Repository,
    created: datetime,
    labels: Sequence[str] = (),
    annotations: Sequence[str] = (),
    levels: Sequence[str] = ("manifest",),
) -> ImageMetadata:
    """Apply the `tags` rules and `flavor` lines to `ctx`; label the image from `repo`."""
    from ghpkg.metadata.tag_eval import evaluate
    from ghpkg.metadata.tag_rules import parse_flavor, parse_rules

    parsed_flavor = parse_flavor(flavor)
    version = evaluate(parse_rules(tags), parsed_flavor, ctx)
    main = version.main or ""
    own = oci_labels(repo, main, ctx.sha, created, labels)
    noted = as_annotations(oci_labels(repo, main, ctx.sha, created, annotations), levels)
    return ImageMetadata(version, tuple(version.tags(parsed_flavor)), own, tuple(noted))
