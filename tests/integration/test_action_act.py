"""The composite action in a real workflow run by `act` on the host, against the test bed."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import docker
import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.engines import start
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.integration.act import SYSTEM_ENGINE, act_succeeds, act_workspace
from tests.integration.test_push_cli import digest_of, stored_manifest

pytestmark = pytest.mark.integration


def make_workspace(tmp_path: Path, image: str, bed: Testbed) -> tuple[Path, Path]:
    """A workspace whose workflow pushes the app as IMAGE:1.0 and :latest, records the push's
    outputs, then pulls IMAGE:1.0 into the engine."""
    steps = {
        "push": {"image": image, "version": "1.0\nlatest\n", "context": "app"},
        "pull": {"operation": "pull", "image": image, "version": "1.0"},
    }
    record = {"DIGEST": "push.digest", "IMAGES": "push.images"}
    return act_workspace(tmp_path, bed, "publish", steps, record, "from act")


def act_engines() -> list[str]:
    """The engine most runners have now (20.10, the system one here) and the one they will
    have next (28.5 with the containerd image store, Docker 29's default), as GHPKG_ENGINES
    picks them."""
    chosen: list[str] = [n for n in ("20.10", "28.5-containerd") if n in selected_engines()]
    return chosen or ["20.10"]


@pytest.fixture(params=act_engines())
def act_engine(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """The engine the workflow's steps use (DOCKER_HOST, DOCKER_CONFIG handed on by act)."""
    start(SYSTEM_ENGINE)  # before the pool, which would count it as its own to stop
    return engine_pool.get(request.param)


def test_composite_action_publishes_and_installs(
    bed: Testbed, act_engine: EngineUnderTest, tmp_path: Path
) -> None:
    image = f"act-{act_engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    workspace, result = make_workspace(tmp_path, image, bed)
    started = time.monotonic()
    secrets = {"GITHUB_TOKEN": bed.token("actions")}
    output = act_succeeds(workspace, bed.hostname, secrets, environment=act_engine.env)
    print(f"act on {act_engine.name}: {time.monotonic() - started:.1f}s")
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

    second = act_succeeds(workspace, bed.hostname, secrets, environment=act_engine.env)
    assert "using the cached install" in second


def test_build_push_actions_inputs_build_only_into_the_engine(
    bed: Testbed, system_engine: docker.DockerClient, tmp_path: Path
) -> None:
    """push: false, load: true, file: and a full reference in tags, as a build-push-action
    workflow writes them: built from that file, in the engine under that name, nothing sent."""
    image = f"act-load-{uuid.uuid4().hex[:8]}"
    name = f"docker.{bed.hostname}/octo-org/hello-world/{image}"
    inputs: dict[str, str | Path] = {"image": image, "context": "app", "push": "false"}
    inputs["file"] = "app/Dockerfile"
    inputs |= {"load": "true", "tags": f"{name}:pr-7"}
    steps = {"build": inputs}
    record = {"IMAGE": "build.image", "IMAGEID": "build.imageid", "META": "build.metadata"}
    workspace, result = act_workspace(tmp_path, bed, "check", steps, record, "built by act")
    act_succeeds(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")})
    reference, image_id, metadata = result.read_text().splitlines()
    assert reference == f"{name}:pr-7"
    assert metadata == f'{{"image.name": "{name}:pr-7"}}'  # no digest: nothing was pushed
    engine = system_engine  # act's host executor's, and so the step's
    assert engine.images.get(reference).id == image_id
    printed = engine.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == "built by act"
    listed = requests.get(
        f"{bed.backend_url}/v2/octo-org/hello-world/{image}/tags/list", timeout=30
    )
    assert listed.status_code == 404, listed.text
    engine.images.remove(reference, force=True)
