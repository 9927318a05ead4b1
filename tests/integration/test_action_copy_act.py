"""The root action's `registry` input and the migrate action's `operation: copy`, in a workflow
run by `act`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from tests.integration.act import act_succeeds, act_workspace
from tests.integration.test_push_cli import digest_of

pytestmark = pytest.mark.integration


def test_action_copies_to_the_container_registry_and_pulls_from_it(
    bed: Testbed, tmp_path: Path
) -> None:
    image = f"act-copy-{uuid.uuid4().hex[:8]}"
    target = f"{image}-moved"
    steps = {
        "push": {"image": image, "version": "1.0", "context": "app"},
        "copy": {
            "uses": "migrate",
            "operation": "copy",
            "image": image,
            "version": "1.0",
            "to-image": target,
        },
        "pull": {"operation": "pull", "registry": "container", "image": target, "version": "1.0"},
    }
    record = {
        "PUSHED": "push.digest",
        "COPIED": "copy.digest",
        "IMAGE": "copy.image",
        "REGISTRY": "copy.registry",
        "PULLED": "pull.image",
    }
    workspace, result = act_workspace(
        tmp_path, bed, "migrate", steps, record, "copied by the action"
    )
    act_succeeds(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")})
    pushed, copied, reference, registry, pulled = result.read_text().splitlines()
    moved = f"{bed.container_host}/octo-org/{target}:1.0"
    assert (copied, reference, registry, pulled) == (pushed, moved, bed.container_host, moved)
    stored = requests.get(
        f"{bed.container_backend_url}/v2/octo-org/{target}/manifests/1.0",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=30,
    )
    assert digest_of(stored.content) == pushed
