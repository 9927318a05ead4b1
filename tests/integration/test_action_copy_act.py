"""The composite action's `registry` input and `operation: copy`, in a workflow run by `act`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from tests.integration.act import action_workspace, run_act
from tests.integration.test_push_cli import digest_of

pytestmark = pytest.mark.integration

WORKFLOW = """\
on: push
jobs:
  migrate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: push
        uses: ./ghpkg
        with:
          image: {image}
          version: "1.0"
          context: app
          ca-file: {ca_file}
      - id: copy
        uses: ./ghpkg
        with:
          operation: copy
          image: {image}
          version: "1.0"
          to-image: {image}-moved
          ca-file: {ca_file}
      - id: pull
        uses: ./ghpkg
        with:
          operation: pull
          registry: container
          image: {image}-moved
          version: "1.0"
          ca-file: {ca_file}
      - name: Record the outputs
        env:
          PUSHED: ${{{{ steps.push.outputs.digest }}}}
          COPIED: ${{{{ steps.copy.outputs.digest }}}}
          IMAGE: ${{{{ steps.copy.outputs.image }}}}
          REGISTRY: ${{{{ steps.copy.outputs.registry }}}}
          PULLED: ${{{{ steps.pull.outputs.image }}}}
        run: printf '%s\\n' "$PUSHED" "$COPIED" "$IMAGE" "$REGISTRY" "$PULLED" > {result}
"""


def test_action_copies_to_the_container_registry_and_pulls_from_it(
    bed: Testbed, tmp_path: Path
) -> None:
    from testbed.engines import start

    start("20.10")  # act's host executor uses the system engine
    image = f"act-copy-{uuid.uuid4().hex[:8]}"
    workspace = tmp_path / "workspace"
    result = tmp_path / "result.txt"
    text = WORKFLOW.format(image=image, ca_file=bed.ca_file, result=result)
    action_workspace(workspace, bed.hostname, "migrate.yml", text, "copied by the action")
    done = run_act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert bed.token("actions") not in output
    pushed, copied, reference, registry, pulled = result.read_text().splitlines()
    moved = f"{bed.container_host}/octo-org/{image}-moved:1.0"
    assert (copied, reference, registry, pulled) == (pushed, moved, bed.container_host, moved)
    stored = requests.get(
        f"{bed.container_backend_url}/v2/octo-org/{image}-moved/manifests/1.0",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=30,
    )
    assert digest_of(stored.content) == pushed
