"""`ghpkg push --tag RULE`: docker/metadata-action's tag rules and OCI labels, against the bed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.client import BedClient
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

SHA = "0123456789abcdef0123456789abcdef01234567"
RULES = (
    "type=semver,pattern={{version}}",
    "type=semver,pattern={{major}}.{{minor}}",
    "type=ref,event=branch",
    "type=sha",
)


def release_env(bed: Testbed, engine: EngineUnderTest) -> dict[str, str]:
    """A workflow run for the push of git tag v1.4.2."""
    return {
        # a workflow's GITHUB_TOKEN (ghs_), given as the CLI outside Actions reads one
        "GHPKG_TOKEN": bed.token("actions"),
        "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/tags/v1.4.2",
        "GITHUB_EVENT_NAME": "push",
        "DOCKER_HOST": engine.base_url,
    }


def test_push_with_tag_rules_tags_and_labels_like_metadata_action(
    bed: Testbed,
    bed_client: BedClient,
    engine: EngineUnderTest,
    run_ghpkg: Run,
    hello_context: Path,
    tmp_path: Path,
) -> None:
    image = f"rules-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "outputs"
    args = ["push", "--image", image, "--context", str(hello_context)]
    args += [f"--tag={rule}" for rule in RULES]
    args += ["--ca-file", str(bed.ca_file), "--output-file", str(out)]
    done = run_ghpkg(*args, env=release_env(bed, engine))
    assert done.returncode == 0, done.stderr
    name = f"docker.{bed.hostname}/octo-org/hello-world/{image}"
    tags = ["1.4.2", "1.4", "sha-0123456", "latest"]
    assert done.stdout.splitlines() == [f"{name}:{tag}" for tag in tags]
    assert "tags from the rules on refs/tags/v1.4.2: 1.4.2, 1.4, sha-0123456, latest" in done.stderr
    for tag in tags:
        answer = requests.get(
            f"{bed.backend_url}/v2/octo-org/hello-world/{image}/manifests/{tag}",
            headers={"Accept": SCHEMA2},
            timeout=30,
        )
        assert answer.status_code == 200, (tag, answer.text)

    # The labels are metadata-action's, from what the REST API says about the repository.
    repo = bed_client.api("/repos/octo-org/hello-world", token="actions").json()
    license_ = repo.get("license") or {}
    labels = engine.client.images.get(f"{name}:1.4.2").labels
    prefix = "org.opencontainers.image."
    assert {key: value for key, value in labels.items() if key != f"{prefix}created"} == {
        f"{prefix}title": repo["name"],
        f"{prefix}description": repo.get("description") or "",
        f"{prefix}url": repo["html_url"],
        f"{prefix}source": repo["html_url"],
        f"{prefix}version": "1.4.2",
        f"{prefix}revision": SHA,
        f"{prefix}licenses": license_.get("spdx_id") or "",
    }
    assert labels[f"{prefix}created"].endswith("Z")

    outputs = read_outputs(out)
    assert outputs["tags"].splitlines() == [f"{name}:{tag}" for tag in tags]
    assert outputs["labels"].splitlines() == [f"{key}={value}" for key, value in labels.items()]
    document = json.loads(outputs["json"])
    assert document["tag-names"] == tags
    assert document["labels"] == labels
    assert bed.token("actions") not in done.stdout + done.stderr


def test_a_bad_rule_stops_before_the_network_with_one_line(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, hello_context: Path
) -> None:
    env = release_env(bed, engine) | {"GITHUB_SERVER_URL": "https://unreachable.invalid"}
    done = run_ghpkg(
        "push", "--image", "app", "--context", str(hello_context), "--tag", "type=semvr", env=env
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "error: tags rule 'type=semvr': unknown type 'semvr'; types: schedule semver pep440 "
        "match edge ref raw sha"
    )
