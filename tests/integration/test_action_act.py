"""The composite action in a real workflow run by `act` on the host, against the test bed."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
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


def make_workspace(tmp_path: Path, image: str, bed: Testbed) -> tuple[Path, Path]:
    """A git repository holding the action (as `./ghpkg`), an app to build and the workflow."""
    workspace = tmp_path / "workspace"
    result = tmp_path / "result.txt"
    text = WORKFLOW.format(image=image, ca_file=bed.ca_file, result=result)
    action_workspace(workspace, bed.hostname, "publish.yml", text, "from act")
    return workspace, result


def run(
    workspace: Path, bed: Testbed, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    secrets = {"GITHUB_TOKEN": bed.token("actions")}
    return run_act(workspace, bed.hostname, secrets, environment=environment)


def act_engines() -> list[str]:
    """The engine most runners have now (20.10, the system one here) and the one they will
    have next (28.5 with the containerd image store, Docker 29's default), as GHPKG_ENGINES
    picks them."""
    chosen: list[str] = [n for n in ("20.10", "28.5-containerd") if n in selected_engines()]
    return chosen or ["20.10"]


@pytest.fixture(params=act_engines())
def act_engine(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """The engine the workflow's steps use (DOCKER_HOST, DOCKER_CONFIG handed on by act)."""
    from testbed.engines import start

    start("20.10")  # act's host executor uses the system engine
    return engine_pool.get(request.param)


def test_composite_action_publishes_and_installs(
    bed: Testbed, act_engine: EngineUnderTest, tmp_path: Path
) -> None:
    image = f"act-{act_engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    workspace, result = make_workspace(tmp_path, image, bed)
    started = time.monotonic()
    first = run(workspace, bed, act_engine.env)
    print(f"act on {act_engine.name}: {time.monotonic() - started:.1f}s")
    output = first.stdout + first.stderr
    assert first.returncode == 0, output[-4000:]
    assert bed.token("actions") not in output
    digest, *images = result.read_text().splitlines()
    name = f"docker.{bed.hostname}/octo-org/hello-world/{image}"
    assert images == [f"{name}:1.0", f"{name}:latest"]
    for tag in ("1.0", "latest"):
        raw, media_type = stored_manifest(bed, f"octo-org/hello-world/{image}", tag)
        assert digest_of(raw) == digest
        assert media_type == SCHEMA2
    assert "Job succeeded" in output
    pulled = act_engine.client.images.get(f"{name}:1.0")  # the pull step's, in this engine
    printed = act_engine.client.containers.run(str(pulled.id), network_mode="none", remove=True)
    assert printed.decode().strip() == "from act"
    if act_engine.name != "20.10":
        return  # the cached install below does not depend on the engine

    second = run(workspace, bed, act_engine.env)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert "using the cached install" in second.stdout + second.stderr
