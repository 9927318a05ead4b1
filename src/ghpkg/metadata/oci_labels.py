"""The OCI labels and annotations docker/metadata-action fills from the repository, and its json.

Mirrors metadata-action's src/meta.ts (getOCIAnnotationsWithCustoms, getJSON): eight
`org.opencontainers.image.*` keys from `GET /repos/{owner}/{repo}` and the workflow, then the
user's own `key=value` lines (a later key wins), sorted by key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

PREFIX = "org.opencontainers.image."


@dataclass(frozen=True)
class Repository:
    """What the labels take from the REST API's repository: name, description, page, licence."""

    name: str
    description: str = ""
    html_url: str = ""
    license: str = ""
    default_branch: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, object]) -> Repository:
        """From the JSON of `GET /repos/{owner}/{repo}` (null fields become empty)."""
        license_ = data.get("license")
        spdx = license_.get("spdx_id") if isinstance(license_, Mapping) else None
        return cls(
            _text(data.get("name")),
            _text(data.get("description")),
            _text(data.get("html_url")),
            _text(spdx),
            _text(data.get("default_branch")),
        )

    @classmethod
    def from_workflow(cls, server_url: str, full_name: str) -> Repository:
        """What GITHUB_SERVER_URL and GITHUB_REPOSITORY alone tell, when the API is not asked."""
        return cls(full_name.rpartition("/")[2], html_url=f"{server_url.rstrip('/')}/{full_name}")


def iso_created(moment: datetime) -> str:
    """JavaScript's Date.toISOString(): UTC, milliseconds, `Z`."""
    from datetime import timezone  # a build's labels only: `ref` imports no datetime

    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def oci_labels(
    repo: Repository, version: str, revision: str, created: datetime, extra: Iterable[str] = ()
) -> dict[str, str]:
    """metadata-action's labels: the eight OCI keys, then `extra` `key=value` lines, by key."""
    lines = [
        f"{PREFIX}title={repo.name}",
        f"{PREFIX}description={repo.description}",
        f"{PREFIX}url={repo.html_url}",
        f"{PREFIX}source={repo.html_url}",
        f"{PREFIX}version={version}",
        f"{PREFIX}created={iso_created(created)}",
        f"{PREFIX}revision={revision}",
        f"{PREFIX}licenses={repo.license}",
        *extra,
    ]
    labels: dict[str, str] = {}
    for line in lines:
        key, eq, value = line.partition("=")
        if eq:  # a line without `=` is dropped, as metadata-action does
            labels[key] = value
    return dict(sorted(labels.items(), key=lambda item: (item[0].lower(), item[0])))


def label_lines(labels: Mapping[str, str]) -> list[str]:
    """`key=value` lines, as the `labels` output lists them."""
    return [f"{key}={value}" for key, value in labels.items()]


def as_annotations(labels: Mapping[str, str], levels: Sequence[str] = ("manifest",)) -> list[str]:
    """The same keys as annotations at each level (`manifest:key=value`)."""
    return [f"{level}:{line}" for level in levels for line in label_lines(labels)]


def json_output(
    tags: Sequence[str],
    names: Sequence[str],
    labels: Mapping[str, str],
    annotation_lines: Sequence[str],
) -> str:
    """metadata-action's `json` output: tags, tag-names, labels and annotations."""
    document = {
        "tags": list(tags),
        "tag-names": list(names),
        "labels": dict(labels),
        "annotations": list(annotation_lines),
    }
    return json.dumps(document)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
