"""Run workflows with `act` on the host (no runner image) against the test bed.

A workspace is a git repository whose origin is Octo-Org/Hello-World on the bed, holding a copy
of the action as `./ghpkg` and whatever the workflow builds.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.integration.conftest import clean_environment

ROOT = Path(__file__).resolve().parents[2]
ACTION_FILES = ("action.yml", "action", "entrypoint.py", "pyproject.toml", "README.md", "src")
# Runner labels our workflows use, all run on the host by act.
HOST_LABELS = ("ubuntu-latest", "self-hosted")


def copy_action(workspace: Path) -> None:
    """Copy the action's files into WORKSPACE/ghpkg, so a workflow can say `uses: ./ghpkg`."""
    copy_files(ACTION_FILES, workspace / "ghpkg")


def copy_files(names: Iterable[str], directory: Path) -> None:
    """Copy files and directories of the working tree, by relative name, into DIRECTORY."""
    for name in names:
        source = ROOT / name
        target = directory / name
        if source.is_dir():
            shutil.copytree(
                source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def write_app(directory: Path, greeting: str) -> None:
    """A build context: a FROM-scratch image with static busybox that prints GREETING."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy2("/bin/busybox", directory / "busybox")
    (directory / "Dockerfile").write_text(
        f'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "{greeting}"]\n'
    )


def action_workspace(
    workspace: Path, hostname: str, workflow: str, text: str, greeting: str
) -> None:
    """WORKSPACE committed with the action as `./ghpkg`, an app in `app/` that prints GREETING
    and TEXT as .github/workflows/WORKFLOW."""
    copy_action(workspace)
    write_app(workspace / "app", greeting)
    workflows = workspace / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / workflow).write_text(text)
    commit(workspace, hostname)


def commit(workspace: Path, hostname: str, tags: Iterable[str] = ()) -> str:
    """Make WORKSPACE a git repository of Octo-Org/Hello-World on HOSTNAME; return HEAD's SHA."""
    git = ["git", "-C", str(workspace), "-c", "user.email=ci@ghpkg.test", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run(
        [*git, "remote", "add", "origin", f"https://{hostname}/Octo-Org/Hello-World.git"],
        check=True,
    )
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "workflow"], check=True)
    for tag in tags:
        subprocess.run([*git, "tag", tag], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout
    return head.strip()


def run_act(
    workspace: Path,
    hostname: str,
    secrets: Mapping[str, str],
    variables: Mapping[str, str] | None = None,
    event: Path | None = None,
    environment: Mapping[str, str] | None = None,
    job: str = "",
) -> subprocess.CompletedProcess[str]:
    """`act push` in WORKSPACE as instance HOSTNAME (only JOB, where given); secrets reach act
    through its environment, and so does ENVIRONMENT, which the host executor hands on to
    every step."""
    env = clean_environment()
    env.update(environment or {})
    env.update(secrets)  # `-s NAME` reads the value from the environment, never from argv
    platforms = [arg for label in HOST_LABELS for arg in ("-P", f"{label}=-self-hosted")]
    command = ["act", "push", *platforms, "--github-instance", hostname]
    command += ["--actor", "octocat", "--no-cache-server"]
    for name in secrets:
        command += ["-s", name]
    for name, value in (variables or {}).items():
        command += ["--var", f"{name}={value}"]
    if event is not None:
        command += ["--eventpath", str(event)]
    if job:
        command += ["--job", job]
    return subprocess.run(
        command,
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
