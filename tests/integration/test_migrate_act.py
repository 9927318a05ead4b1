"""The composite action's `operation: migrate`, in a workflow run by `act` (no engine needed by
migrate; act's host executor still uses the system engine's environment)."""

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
from tests.integration.act import action_workspace, run_act

pytestmark = pytest.mark.integration

WORKFLOW = """\
on: push
jobs:
  migrate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: plan
        uses: ./ghpkg
        with:
          operation: migrate
          repository: {repository}
          dry-run: true
          token: ${{{{ secrets.PAT }}}}
          ca-file: {ca_file}
          state: {state}
      - id: move
        uses: ./ghpkg
        with:
          operation: migrate
          repository: {repository}
          name-map: "{{repository}}-{{image}}"
          jobs: 2
          token: ${{{{ secrets.PAT }}}}
          ca-file: {ca_file}
          state: {state}
      - name: Record the outputs
        env:
          PLAN: ${{{{ steps.plan.outputs.migration }}}}
          MOVED: ${{{{ steps.move.outputs.migration }}}}
        run: printf '%s\\n' "$PLAN" "$MOVED" > {result}
"""


def test_the_action_plans_then_migrates_a_repository_and_outputs_the_report(
    bed: Testbed, tmp_path: Path
) -> None:
    from testbed.engines import start

    start("20.10")  # act's host executor uses the system engine
    repository = f"ma{uuid.uuid4().hex[:6]}"
    digests = {}
    with requests.Session() as session:
        for image in ("api", "web"):
            name = f"octo-org/{repository}/{image}"
            digests[image] = push(session, bed.backend_url, name, "1.0", [f"{image}\n"])
    workspace = tmp_path / "workspace"
    result = tmp_path / "result.txt"
    text = WORKFLOW.format(
        repository=repository, ca_file=bed.ca_file, state=tmp_path / "state.json", result=result
    )
    action_workspace(workspace, bed.hostname, "migrate.yml", text, "not built")
    try:
        done = run_act(workspace, bed.hostname, {"PAT": bed.token("write")})
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-4000:]
        assert bed.token("write") not in output
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
