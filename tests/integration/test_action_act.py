"""The composite action in a real workflow run by `act` on the host, against the test bed."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import clean_environment
from tests.integration.test_push_cli import digest_of, stored_manifest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ACTION_FILES = ("action.yml", "action", "entrypoint.py", "pyproject.toml", "README.md", "src")

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
    for name in ACTION_FILES:
        source = ROOT / name
        target = workspace / "ghpkg" / name
        if source.is_dir():
            shutil.copytree(
                source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    app = workspace / "app"
    app.mkdir()
    shutil.copy2("/bin/busybox", app / "busybox")
    (app / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "from act"]\n'
    )
    result = tmp_path / "result.txt"
    workflows = workspace / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "publish.yml").write_text(
        WORKFLOW.format(image=image, ca_file=bed.ca_file, result=result)
    )
    git = ["git", "-C", str(workspace), "-c", "user.email=ci@ghpkg.test", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run(
        [*git, "remote", "add", "origin", f"https://{bed.hostname}/Octo-Org/Hello-World.git"],
        check=True,
    )
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "workflow"], check=True)
    return workspace, result


def run_act(workspace: Path, bed: Any) -> subprocess.CompletedProcess[str]:
    env = clean_environment()
    env["GITHUB_TOKEN"] = bed.token("actions")  # act reads the secret's value from here
    return subprocess.run(
        [
            "act",
            "push",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--github-instance",
            bed.hostname,
            "-s",
            "GITHUB_TOKEN",
            "--actor",
            "octocat",
            "--no-cache-server",
        ],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_composite_action_publishes_and_installs(bed: Any, tmp_path: Path) -> None:
    from testbed.engines import start

    start("20.10")  # act's host executor uses the system engine
    image = f"act-{uuid.uuid4().hex[:8]}"
    workspace, result = make_workspace(tmp_path, image, bed)
    first = run_act(workspace, bed)
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

    second = run_act(workspace, bed)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert "using the cached install" in second.stdout + second.stderr
