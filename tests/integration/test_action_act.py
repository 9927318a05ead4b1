"""The composite action in a real workflow run by `act` on the host, against the test bed."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.act import action_workspace, run_act
from tests.integration.test_push_cli import digest_of, stored_manifest

pytestmark = pytest.mark.integration

WORKFLOW = """\
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: push
        uses: ./ghpkg
        with:
          image: {image}
          version: |
            1.0
            latest
          context: app
          ca-file: {ca_file}
      - name: Record the outputs
        env:
          IMAGES: ${{{{ steps.push.outputs.images }}}}
          DIGEST: ${{{{ steps.push.outputs.digest }}}}
        run: printf '%s\\n%s\\n' "$DIGEST" "$IMAGES" > {result}
      - id: pull
        uses: ./ghpkg
        with:
          operation: pull
          image: {image}
          version: "1.0"
          ca-file: {ca_file}
"""


def make_workspace(tmp_path: Path, image: str, bed: Any) -> tuple[Path, Path]:
    """A git repository holding the action (as `./ghpkg`), an app to build and the workflow."""
    workspace = tmp_path / "workspace"
    result = tmp_path / "result.txt"
    text = WORKFLOW.format(image=image, ca_file=bed.ca_file, result=result)
    action_workspace(workspace, bed.hostname, "publish.yml", text, "from act")
    return workspace, result


def run(workspace: Path, bed: Any) -> subprocess.CompletedProcess[str]:
    return run_act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")})


def test_composite_action_publishes_and_installs(bed: Any, tmp_path: Path) -> None:
    from testbed.engines import start

    start("20.10")  # act's host executor uses the system engine
    image = f"act-{uuid.uuid4().hex[:8]}"
    workspace, result = make_workspace(tmp_path, image, bed)
    first = run(workspace, bed)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output[-4000:]
    assert bed.token("actions") not in output
    digest, *images = result.read_text().splitlines()
    name = f"docker.{bed.hostname}/octo-org/hello-world/{image}"
    assert images == [f"{name}:1.0", f"{name}:latest"]
    for tag in ("1.0", "latest"):
        raw, _ = stored_manifest(bed, f"octo-org/hello-world/{image}", tag)
        assert digest_of(raw) == digest
    assert "Job succeeded" in output

    second = run(workspace, bed)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert "using the cached install" in second.stdout + second.stderr
