"""Run workflows with `act` on the host (no runner image) against the test bed.

A workspace is a git repository whose origin is Octo-Org/Hello-World on the bed, holding a copy
of the action as `./ghpkg` and whatever the workflow builds. `act_workspace` writes the usual
one: a job that checks out, runs the action's steps, and records their outputs in a file.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from testbed.bed import Testbed
from testbed.engines import start
from tests.integration import pins
from tests.integration.conftest import clean_environment

ROOT = Path(__file__).resolve().parents[2]
ACTION_FILES = (
    "action.yml",
    "delete",
    "migrate",
    "doctor",
    "action",
    "entrypoint.py",
    "pyproject.toml",
    "README.md",
    "src",
)
# Runner labels our workflows use, all run on the host by act.
HOST_LABELS = ("ubuntu-latest", "self-hosted")
SYSTEM_ENGINE = "20.10"  # the engine act's host executor (and so every step) uses


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
                source,
                target,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "wheels"),
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        if name == "action":  # the pins an index still offers (tests/integration/pins.py)
            pins.write(target)


def write_app(directory: Path, greeting: str) -> None:
    """A build context: a FROM-scratch image with static busybox that prints GREETING."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy2("/bin/busybox", directory / "busybox")
    (directory / "Dockerfile").write_text(
        f'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "{greeting}"]\n'
    )


def write_workflow(workspace: Path, name: str, text: str) -> None:
    """The action as `./ghpkg` and TEXT as .github/workflows/NAME, in WORKSPACE (not committed)."""
    copy_action(workspace)
    workflows = workspace / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / name).write_text(text)


def workflow(
    job: str,
    ca_file: Path,
    steps: Mapping[str, Mapping[str, str | Path]],
    record: Mapping[str, str],
    result: Path,
    env: Mapping[str, str] | None = None,
) -> str:
    """A workflow on push with one JOB (with ENV) on the host: checkout, then the action once
    per STEPS entry (step id -> inputs, `ca-file: CA_FILE` added; `uses: delete` picks that
    action of ghpkg), then a step writing each output RECORD names (variable -> `STEP.OUTPUT`)
    to RESULT, one line each, in that order."""
    actions = [
        {
            "id": step_id,
            "uses": "/".join(filter(None, ("./ghpkg", str(inputs.get("uses", ""))))),
            "with": _inputs({**inputs, "ca-file": ca_file}),
        }
        for step_id, inputs in steps.items()
    ]
    variables = {
        name: f"${{{{ steps.{step}.outputs.{output} }}}}"
        for name, (step, output) in ((n, o.split(".", 1)) for n, o in record.items())
    }
    printed = " ".join(f'"${name}"' for name in record)
    writer = {"name": "Record the outputs", "env": variables}
    writer["run"] = f"printf '%s\\n' {printed} > {result}"
    body: dict[str, Any] = {"runs-on": "ubuntu-latest"}
    if env:
        body["env"] = dict(env)
    body["steps"] = [{"uses": "actions/checkout@v4"}, *actions, writer]
    return yaml.safe_dump({"on": "push", "jobs": {job: body}}, sort_keys=False)


def _inputs(inputs: Mapping[str, str | Path]) -> dict[str, str]:
    return {name: str(value) for name, value in inputs.items() if name != "uses"}


def act_workspace(
    tmp_path: Path,
    bed: Testbed,
    job: str,
    steps: Mapping[str, Mapping[str, str | Path]],
    record: Mapping[str, str],
    greeting: str,
    env: Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """TMP_PATH/workspace, committed: the action, an app in `app/` that prints GREETING, and
    `workflow(...)` as .github/workflows/JOB.yml; return it and the file the outputs go to."""
    workspace, result = tmp_path / "workspace", tmp_path / "result.txt"
    text = workflow(job, bed.ca_file, steps, record, result, env)
    write_workflow(workspace, f"{job}.yml", text)
    write_app(workspace / "app", greeting)
    commit(workspace, bed.hostname)
    return workspace, result


def commit(workspace: Path, hostname: str, tags: Iterable[str] = ()) -> str:
    """Commit all of WORKSPACE, a git repository of Octo-Org/Hello-World on HOSTNAME (made so
    on its first commit); return HEAD's SHA."""
    git = ["git", "-C", str(workspace), "-c", "user.email=ci@ghpkg.test", "-c", "user.name=ci"]
    if not (workspace / ".git").exists():
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
    """`act push` in WORKSPACE as instance HOSTNAME (only JOB, where given), on the system
    engine (started if need be); secrets reach act through its environment, and so does
    ENVIRONMENT, which the host executor hands on to every step."""
    start(SYSTEM_ENGINE)
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


def act_succeeds(
    workspace: Path,
    hostname: str,
    secrets: Mapping[str, str],
    variables: Mapping[str, str] | None = None,
    event: Path | None = None,
    environment: Mapping[str, str] | None = None,
) -> str:
    """`run_act`, asserting that the run succeeded and that no secret's value is in its log;
    return the log."""
    done = run_act(workspace, hostname, secrets, variables, event, environment)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    for value in secrets.values():
        assert value not in log
    return log
