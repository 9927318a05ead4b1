"""The Dockerfile: ghpkg's own image, built as CI builds it (scripts/build-image.sh, on a Debian
base made without pulling anything), runs ghpkg, and its entrypoint runs the action the way a
runner runs a container action."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

import ghpkg
from tests.helpers import read_outputs
from tests.integration.act import ROOT
from tests.integration.conftest import clean_environment

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def system_engine() -> Iterator[docker.DockerClient]:
    """The system engine (20.10), which the build script's docker CLI talks to."""
    from testbed.engines import start

    client = docker.DockerClient(base_url=start("20.10").base_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def image(system_engine: docker.DockerClient) -> Iterator[str]:
    """ghpkg's image, built by scripts/build-image.sh under a tag of its own."""
    tag = f"ghpkg:test-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-image.sh"), tag],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == tag
    yield tag
    system_engine.images.remove(tag, force=True)


def test_the_image_runs_this_ghpkg(system_engine: docker.DockerClient, image: str) -> None:
    printed = system_engine.containers.run(
        image, ["--version"], entrypoint="ghpkg", network_mode="none", remove=True
    )
    assert printed.decode().strip() == f"ghpkg {ghpkg.__version__}"
    config = system_engine.images.get(image).attrs["Config"]
    assert config["Entrypoint"] == ["/opt/ghpkg/bin/python", "/opt/ghpkg/entrypoint.py"]
    assert config["User"] in ("", "root")  # GitHub runs container actions as the image's user


def test_the_entrypoint_pulls_as_a_container_action(
    bed: Any, system_engine: docker.DockerClient, image: str, tiny_image: Any, tmp_path: Path
) -> None:
    """As the runner starts a container action: INPUT_* and GITHUB_* in the environment, the
    engine's socket, the workspace and the file commands mounted (host network: the bed's names
    are in this machine's /etc/hosts)."""
    workspace = tmp_path / "workspace"
    commands = tmp_path / "file_commands"
    workspace.mkdir()
    commands.mkdir()
    shutil.copy2(bed.ca_file, workspace / "ghes-ca.pem")
    owner_repository, name = tiny_image.name.rsplit("/", 1)
    env = {
        **clean_environment(),
        "INPUT_OPERATION": "pull",
        "INPUT_IMAGE": name,
        "INPUT_VERSION": tiny_image.tag,
        "INPUT_CA-FILE": "ghes-ca.pem",
        "INPUT_TOKEN": bed.token("actions"),
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",
        "GITHUB_REPOSITORY": owner_repository,
        "GITHUB_ACTOR": "octocat",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": "/github/file_commands/output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
    }
    names = [key for key in env if key.startswith(("INPUT_", "GITHUB_"))]
    done = subprocess.run(
        [
            *("docker", "run", "--rm", "--network", "host", "--workdir", "/github/workspace"),
            *("--volume", "/var/run/docker.sock:/var/run/docker.sock"),
            *("--volume", f"{workspace}:/github/workspace"),
            *("--volume", f"{commands}:/github/file_commands"),
            *(arg for key in names for arg in ("--env", key)),  # values from the environment
            image,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    token = bed.token("actions")
    # The runner swallows `::add-mask::` lines; anywhere else the token would be in the log.
    assert [line for line in log.splitlines() if token in line] == [f"::add-mask::{token}"]
    reference = f"docker.{bed.hostname}/{tiny_image.name}:{tiny_image.tag}"
    outputs = read_outputs(commands / "output")
    assert outputs["image"] == reference
    assert outputs["digest"] == tiny_image.digest
    assert system_engine.images.get(reference).id == outputs["image-id"]
    assert "ghpkg pull" in (commands / "summary").read_text()
