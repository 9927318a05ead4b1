"""OCI labels, annotations and the json output, against docker/metadata-action's test tables.

The expected lines are metadata-action's __tests__/meta.test.ts (commit dc80280) for its
repository fixture, GitHub's octocat/Hello-World (`GET /repos/{owner}/{repo}`, trimmed below).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from ghpkg.metadata.git_tags import GitRef
from ghpkg.metadata.oci_labels import (
    Repository,
    as_annotations,
    iso_created,
    json_output,
    label_lines,
    oci_labels,
)
from ghpkg.metadata.outputs import image_metadata
from ghpkg.metadata.tag_eval import TagContext

CREATED = datetime(2020, 1, 10, 0, 30, tzinfo=timezone.utc)
DEV = "860c1904a1ce19322e91ac35af1ab07466440c37"
HELLO_WORLD = {
    "id": 1296269,
    "name": "Hello-World",
    "full_name": "octocat/Hello-World",
    "private": False,
    "html_url": "https://github.com/octocat/Hello-World",
    "description": "This your first repo!",
    "default_branch": "master",
    "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
}


def expected(version: str, revision: str) -> list[str]:
    """metadata-action's eight lines for Hello-World; only version and revision vary."""
    return [
        "org.opencontainers.image.created=2020-01-10T00:30:00.000Z",
        "org.opencontainers.image.description=This your first repo!",
        "org.opencontainers.image.licenses=MIT",
        f"org.opencontainers.image.revision={revision}",
        "org.opencontainers.image.source=https://github.com/octocat/Hello-World",
        "org.opencontainers.image.title=Hello-World",
        "org.opencontainers.image.url=https://github.com/octocat/Hello-World",
        f"org.opencontainers.image.version={version}",
    ]


# case in meta.test.ts, its version (main tag) and GITHUB_SHA
@pytest.mark.parametrize(
    ("version", "revision"),
    [
        pytest.param("", "", id="null01"),
        pytest.param("dev", DEV, id="push18"),
        pytest.param("mytag-master", "266574110acf203503badf966df2ea24b5d732d7", id="push17"),
        pytest.param("1.1.1", DEV, id="tag11"),
        pytest.param("pr-15", "a9c8c5828b91be19d9728548b24759e352367ef1", id="pr03"),
        pytest.param("nightly", DEV, id="schedule01"),
    ],
)
def test_labels_are_the_eight_metadata_action_gives(version: str, revision: str) -> None:
    repo = Repository.from_api(HELLO_WORLD)
    labels = oci_labels(repo, version, revision, CREATED)
    assert label_lines(labels) == expected(version, revision)
    assert as_annotations(labels) == [f"manifest:{line}" for line in expected(version, revision)]


def test_own_labels_override_and_add_keys_in_key_order() -> None:
    """metadata-action's latest09."""
    extra = [
        "maintainer=CrazyMax",
        'org.opencontainers.image.description=this is a "good" example',
        "org.opencontainers.image.title=MyCustomTitle",
        "org.opencontainers.image.vendor=MyCompany",
    ]
    labels = oci_labels(Repository.from_api(HELLO_WORLD), "v1.1.1", DEV, CREATED, extra)
    assert label_lines(labels) == [
        "maintainer=CrazyMax",
        "org.opencontainers.image.created=2020-01-10T00:30:00.000Z",
        'org.opencontainers.image.description=this is a "good" example',
        "org.opencontainers.image.licenses=MIT",
        f"org.opencontainers.image.revision={DEV}",
        "org.opencontainers.image.source=https://github.com/octocat/Hello-World",
        "org.opencontainers.image.title=MyCustomTitle",
        "org.opencontainers.image.url=https://github.com/octocat/Hello-World",
        "org.opencontainers.image.vendor=MyCompany",
        "org.opencontainers.image.version=v1.1.1",
    ]


def test_json_output_is_metadata_actions() -> None:
    """metadata-action's json01: labels `invalid` (no `=`, dropped) and `foo=` (kept, empty)."""
    repo = Repository.from_api(HELLO_WORLD)
    labels = oci_labels(repo, "dev", DEV, CREATED, ["invalid", "foo="])
    manifest = as_annotations(oci_labels(repo, "dev", DEV, CREATED))  # no annotations input
    names = ["dev", "my", "custom", "tags"]
    text = json_output([f"user/app:{n}" for n in names], names, labels, manifest)
    assert json.loads(text) == {
        "tags": ["user/app:dev", "user/app:my", "user/app:custom", "user/app:tags"],
        "tag-names": ["dev", "my", "custom", "tags"],
        "labels": {
            "foo": "",
            "org.opencontainers.image.created": "2020-01-10T00:30:00.000Z",
            "org.opencontainers.image.description": "This your first repo!",
            "org.opencontainers.image.licenses": "MIT",
            "org.opencontainers.image.revision": DEV,
            "org.opencontainers.image.source": "https://github.com/octocat/Hello-World",
            "org.opencontainers.image.title": "Hello-World",
            "org.opencontainers.image.url": "https://github.com/octocat/Hello-World",
            "org.opencontainers.image.version": "dev",
        },
        "annotations": [f"manifest:{line}" for line in expected("dev", DEV)],
    }


def test_a_repository_without_description_or_licence_gives_empty_labels() -> None:
    data = dict(HELLO_WORLD, description=None, license=None)
    repo = Repository.from_api(data)
    assert (repo.description, repo.license, repo.default_branch) == ("", "", "master")
    labels = oci_labels(repo, "1.0", DEV, CREATED)
    assert labels["org.opencontainers.image.licenses"] == ""


def test_without_the_api_the_workflow_names_title_url_and_source() -> None:
    repo = Repository.from_workflow("https://ghes.example.com/", "octo-org/hello-world")
    labels = oci_labels(repo, "1.0", DEV, CREATED)
    assert labels["org.opencontainers.image.title"] == "hello-world"
    assert (
        labels["org.opencontainers.image.source"] == "https://ghes.example.com/octo-org/hello-world"
    )
    assert labels["org.opencontainers.image.url"] == "https://ghes.example.com/octo-org/hello-world"


def test_created_is_javascripts_iso_string_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    moment = datetime(2020, 1, 10, 9, 30, 0, 123456, tzinfo=tokyo)
    assert iso_created(moment) == "2020-01-10T00:30:00.123Z"


def test_image_metadata_gives_metadata_actions_outputs_for_json01() -> None:
    git = GitRef(ref="refs/heads/dev", sha=DEV, event="push")
    ctx = replace(TagContext.from_git_ref(git, CREATED), default_branch="master")
    rules = ["type=ref,event=branch", "type=raw,my", "type=raw,custom", "type=raw,tags"]
    meta = image_metadata(
        rules, [], ctx, Repository.from_api(HELLO_WORLD), CREATED, labels=["invalid", "foo="]
    )
    outputs = meta.outputs("user/app")
    assert outputs["version"] == "dev"
    assert outputs["tags"].splitlines() == [
        "user/app:dev",
        "user/app:my",
        "user/app:custom",
        "user/app:tags",
    ]
    assert outputs["tag-names"].splitlines() == ["dev", "my", "custom", "tags"]
    assert outputs["labels"].splitlines() == ["foo=", *expected("dev", DEV)]
    assert outputs["annotations"].splitlines() == [f"manifest:{x}" for x in expected("dev", DEV)]
    document = json.loads(outputs["json"])
    assert document["labels"]["foo"] == ""
    assert document["tag-names"] == ["dev", "my", "custom", "tags"]
