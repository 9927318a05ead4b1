"""The Dockerfile: ghpkg's own image, built as CI builds it (scripts/build-image.sh, on a Debian
base made without pulling anything), runs ghpkg, and its entrypoint runs the action the way a
runner runs a container action."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

import ghpkg
from testbed.bed import Testbed
from testbed.client import Pushed
from testbed.engines import Engine
from tests.helpers import read_outputs
from tests.integration.act import ACTION_FILES, ROOT, commit, copy_files, run_act
from tests.integration.conftest import clean_environment
from tests.integration.test_examples_act import served

pytestmark = pytest.mark.integration


IMAGE_FILES = ("Dockerfile", ".dockerignore", "scripts", *ACTION_FILES)


@pytest.fixture(scope="module")
def image(
    system_engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """ghpkg's image, built by scripts/build-image.sh under a tag of its own, from a copy of
    the tree (the pins an index still offers: tests/integration/pins.py)."""
    tree = tmp_path_factory.mktemp("image")
    copy_files(IMAGE_FILES, tree)
    tag = f"ghpkg:test-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        ["bash", str(tree / "scripts" / "build-image.sh"), tag],
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


def test_without_wheels_in_the_context_the_build_stops_in_one_line(tmp_path: Path) -> None:
    """The image asks no index: a context without action/wheels fails at once, saying how to
    gather them, before pip runs."""
    copy_files(IMAGE_FILES, tmp_path)
    base = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "base-image.sh")],
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    done = subprocess.run(
        ["docker", "build", "--network", "none", "--build-arg", f"BASE={base}", str(tmp_path)],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0
    log = done.stdout + done.stderr
    errors = [line for line in log.splitlines() if "error: no wheels" in line]
    assert errors, done.stdout + done.stderr
    assert "python3 scripts/bundle_action.py --wheels action/wheels" in errors[0]
    assert "Looking in indexes" not in done.stdout + done.stderr


def test_the_image_runs_this_ghpkg(system_engine: docker.DockerClient, image: str) -> None:
    printed = system_engine.containers.run(
        image, ["--version"], entrypoint="ghpkg", network_mode="none", remove=True
    )
    lines = printed.decode().strip().splitlines()
    assert lines[0] == f"ghpkg {ghpkg.__version__}"
    assert [line.split()[0] for line in lines[1:]] == [
        "docker-py",
        "PyGithub",
        "requests",
        "urllib3",
        "Python",
    ]  # the libraries the image installed, each with its version
    config = system_engine.images.get(image).attrs["Config"]
    assert config["Entrypoint"] == ["/opt/ghpkg/bin/python", "/opt/ghpkg/entrypoint.py"]
    assert config["User"] in ("", "root")  # GitHub runs container actions as the image's user


def test_the_entrypoint_pulls_as_a_container_action(
    bed: Testbed, system_engine: docker.DockerClient, image: str, tiny_image: Pushed, tmp_path: Path
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


@pytest.fixture(scope="module")
def offline_engine() -> Engine:
    """An engine whose builds' RUN steps work here: 26.1 runs with `--bridge none`, so a RUN
    step gets no network, where the system engine's missing docker0 bridge fails it."""
    from testbed.engines import start

    return start("26.1")


def debian_base(engine: Engine) -> str:
    """The Debian base of scripts/base-image.sh, with python3 and its venv and nothing else (no
    index, no wheels: the image's build brings its own), imported into ENGINE."""
    env = {**clean_environment(), "DOCKER_HOST": engine.base_url}
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "base-image.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def release_image(bed: Testbed, offline_engine: Engine) -> Iterator[str]:
    """A fresh name for the released image; its local copies are removed afterwards."""
    image = f"ghpkg-{uuid.uuid4().hex[:8]}"
    yield image
    client = docker.DockerClient(base_url=offline_engine.base_url)
    for tagged in client.images.list(name=f"docker.{bed.hostname}/octo-org/hello-world/{image}"):
        client.images.remove(str(tagged.id), force=True)
    client.close()


def test_release_workflow_publishes_the_image_on_a_tag(
    bed: Testbed, offline_engine: Engine, release_image: str, tmp_path: Path
) -> None:
    """.github/workflows/release.yml, run by act on a push of the tag of this version. What
    differs from a real release: the image name gets a suffix (runs must not share tags), the
    base comes from the GHPKG_BASE_IMAGE variable the workflow reads (see debian_base), and
    the runner's engine is 26.1."""
    image = release_image
    workspace = tmp_path / "workspace"
    copy_files(IMAGE_FILES, workspace)
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "image: ghpkg\n" in workflow
    (workspace / ".github" / "workflows").mkdir(parents=True)
    (workspace / ".github" / "workflows" / "release.yml").write_text(
        workflow.replace("image: ghpkg\n", f"image: {image}\n")
    )
    version = ghpkg.__version__
    commit(workspace, bed.hostname, tags=[f"v{version}"])
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": f"refs/tags/v{version}"}))
    base = debian_base(offline_engine)

    done = run_act(
        workspace,
        bed.hostname,
        {"GITHUB_TOKEN": bed.token("actions")},
        {"GHPKG_BASE_IMAGE": base, "GHES_CA_FILE": str(bed.ca_file)},
        event,
        environment={"DOCKER_HOST": offline_engine.base_url},
        job="image",  # the bundle job needs GitHub's releases API, which the bed does not play
    )

    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    assert bed.token("actions") not in log
    major, minor, _ = version.split(".")
    expected = {version, f"{major}.{minor}", "latest"} | ({major} if major != "0" else set())
    tags = served(bed, image)
    assert set(tags) == expected
    assert len(set(tags.values())) == 1
    reference = f"docker.{bed.hostname}/octo-org/hello-world/{image}:{version}"
    assert f"{reference}: ghpkg {version}" in log  # the workflow's own check of the image
