"""The migrate action (migrate/action.yml; its operation defaults to migrate), in a workflow run
by `act` (no engine needed by migrate; act's host executor still uses the system engine's
environment)."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from testbed.client import DOCKER_V2, digest_of
from testbed.seed_images import push
from tests.integration.act import act_succeeds, act_workspace

pytestmark = pytest.mark.integration


def test_the_action_plans_then_migrates_a_repository_and_outputs_the_report(
    bed: Testbed, tmp_path: Path
) -> None:
    repository = f"ma{uuid.uuid4().hex[:6]}"
    digests = {}
    with requests.Session() as session:
        for image in ("api", "web"):
            name = f"octo-org/{repository}/{image}"
            digests[image] = push(session, bed.backend_url, name, "1.0", [f"{image}\n"])
    migrate = {"uses": "migrate", "repository": repository, "token": "${{ secrets.PAT }}"}
    migrate["state"] = str(tmp_path / "state.json")
    steps = {
        "plan": {**migrate, "dry-run": "true"},
        "move": {**migrate, "name-map": "{repository}-{image}", "jobs": "2"},
    }
    record = {"PLAN": "plan.migration", "MOVED": "move.migration"}
    workspace, result = act_workspace(tmp_path, bed, "migrate", steps, record, "not built")
    try:
        act_succeeds(workspace, bed.hostname, {"PAT": bed.token("write")})
        plan, moved = (json.loads(line) for line in result.read_text().splitlines())
        assert plan["dry_run"] is True
        assert plan["totals"]["planned"] == 2
        assert moved["totals"]["copied"] == 2
        for image, digest in digests.items():
            stored = requests.get(
                f"{bed.container_backend_url}/v2/octo-org/{repository}-{image}/manifests/1.0",
                headers={"Accept": DOCKER_V2},
                timeout=30,
            )
            assert digest_of(stored.content) == digest
    finally:
        for storage in (bed.paths.storage, bed.paths.container_storage):
            root = storage / "docker/registry/v2/repositories/octo-org"
            for path in (repository, f"{repository}-api", f"{repository}-web"):
                shutil.rmtree(root / path, ignore_errors=True)
