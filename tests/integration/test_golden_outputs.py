"""What each verb shows, byte for byte: its `--json` document, its action outputs and its step
summary, as they were before issue 24 turned the results into typed values.

The expected files in tests/integration/golden/ were written by this module against the bed
(`GHPKG_GOLDEN=write`), from main's code; what varies from run to run (a random image name,
digests, ids, times, heredoc delimiters, the engine's version) is replaced by placeholders that
keep which values are equal. A change of what a user reads fails here, naming the verb.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest
from testbed.seed_images import push as seed_push
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("GHPKG_GOLDEN") == "write"
OWNER, REPOSITORY = "octo-org", "hello-world"


def normalised(text: str, names: dict[str, str]) -> str:
    """The text with its volatile parts as placeholders: digests and ids numbered (equal values,
    equal names), times all one."""
    for value, name in names.items():
        text = text.replace(value, name)
    seen: dict[tuple[str, str], str] = {}

    def placeholder(kind: str, value: str) -> str:
        key = (kind, value)
        if key not in seen:
            seen[key] = f"<{kind}{sum(1 for k in seen if k[0] == kind) + 1}>"
        return seen[key]

    text = re.sub(r"ghpkg_[0-9a-f]{32}", "ghpkg_<delimiter>", text)
    text = re.sub(r"sha256:[0-9a-f]{64}", lambda m: "sha256:" + placeholder("digest", m[0]), text)
    # times: one placeholder (two versions pushed within a second share their time, or not)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", "<time>", text)
    for number in re.findall(r'"id":(\d+)', text):  # a version's id, wherever it is shown
        text = re.sub(rf"(?<!\d){number}(?!\d)", placeholder("id", number), text)
    return text


def check(
    name: str,
    done: subprocess.CompletedProcess[str],
    tmp_path: Path,
    names: dict[str, str],
) -> None:
    """Compare (or, with GHPKG_GOLDEN=write, store) what a run printed and wrote."""
    outputs = tmp_path / "outputs"
    summary = tmp_path / "summary"
    shown = (
        f"== exit\n{done.returncode}\n== stdout\n{done.stdout}"
        f"== outputs\n{outputs.read_text() if outputs.exists() else ''}"
        f"== summary\n{summary.read_text() if summary.exists() else ''}"
    )
    shown = normalised(shown, names)
    expected = GOLDEN / f"{name}.txt"
    if WRITE:
        GOLDEN.mkdir(exist_ok=True)
        expected.write_text(shown)
    assert expected.exists(), f"{expected} is missing: GHPKG_GOLDEN=write on main's code makes it"
    assert shown == expected.read_text(), f"{name}: what a user reads changed ({done.stderr})"


def run(
    run_ghpkg: Run, tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A verb with --json, its outputs to a file and a step summary, as a workflow step runs it."""
    for leftover in ("outputs", "summary"):
        (tmp_path / leftover).unlink(missing_ok=True)
    where = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    return run_ghpkg(
        *args,
        "--json",
        "--output-file",
        str(tmp_path / "outputs"),
        stdin=stdin,
        env=where | (env or {}),
    )


def where(bed: Testbed, image: str) -> list[str]:
    return [
        *("--hostname", bed.hostname, "--ca-file", str(bed.ca_file)),
        *("--owner", OWNER, "--repository", REPOSITORY, "--image", image),
    ]


def test_ref_json_and_outputs(run_ghpkg: Run, tmp_path: Path) -> None:
    args: tuple[str, ...] = ("ref", "--hostname", "ghes.example.com", "--owner", "Octo-Org")
    args += ("--repository", "Hello-World", "--image", "app", "--version", "1.0")
    done = run(run_ghpkg, tmp_path, *args, "--version", "latest")
    check("ref", done, tmp_path, {})


def test_push_pull_versions_delete_copy_json_and_outputs(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"golden-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    names = {image: "IMAGE", bed.hostname: "HOST", engine.base_url: "ENGINE"}
    token = bed.token("write") + "\n"
    env = {"DOCKER_HOST": engine.base_url}
    for version in ("1.0", "2.0"):
        image_id = build_hello(engine.client, f"local/{image}:{version}", f"golden {version}")
        args = ("push", *where(bed, image), "--version", version, "--source", image_id)
        pushed = run(run_ghpkg, tmp_path, *args, "--password-stdin", stdin=token, env=env)
        assert pushed.returncode == 0, pushed.stderr
    names[image_id.removeprefix("sha256:")] = "IMAGEID"
    # the containerd store names an image by its manifest's digest: its own push and pull files
    store = "-containerd" if engine.name.endswith("containerd") else ""
    check(f"push{store}", pushed, tmp_path, names)

    engine.client.images.remove(f"{bed.registry_host}/{OWNER}/{REPOSITORY}/{image}:1.0")
    args = ("pull", *where(bed, image), "--version", "1.0", "--password-stdin")
    check(f"pull{store}", run(run_ghpkg, tmp_path, *args, stdin=token, env=env), tmp_path, names)

    args = ("versions", *where(bed, image), "--password-stdin")
    check("versions", run(run_ghpkg, tmp_path, *args, stdin=token), tmp_path, names)

    args = ("delete", *where(bed, image), "--keep", "1", "--dry-run", "--password-stdin")
    check("delete-dry-run", run(run_ghpkg, tmp_path, *args, stdin=token), tmp_path, names)

    args = ("copy", *where(bed, image), "--version", "2.0", "--password-stdin")
    check("copy", run(run_ghpkg, tmp_path, *args, stdin=token, env=env), tmp_path, names)


def test_doctor_json_and_outputs(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    names = {bed.hostname: "HOST", engine.version: "ENGINE_VERSION"}
    args: tuple[str, ...] = ("doctor", "--hostname", bed.hostname, "--ca-file", str(bed.ca_file))
    args += ("--owner", OWNER, "--repository", REPOSITORY, "--password-stdin")
    done = run(
        run_ghpkg,
        tmp_path,
        *args,
        stdin=bed.token("write") + "\n",
        env={"DOCKER_HOST": engine.base_url},
    )
    check(f"doctor-{engine.name}", done, tmp_path, names)


def test_migrate_dry_run_json_and_outputs(bed: Testbed, run_ghpkg: Run, tmp_path: Path) -> None:
    prefix = f"g{uuid.uuid4().hex[:6]}"
    repository = f"{prefix}-repo"
    names = {prefix: "PREFIX", bed.hostname: "HOST"}
    with requests.Session() as session:
        for number in range(2):
            name = f"other-org/{repository}/{prefix}-{number}"
            for tag in ("1.0", "latest"):
                seed_push(session, bed.backend_url, name, tag, [f"{name}\n", f"{tag}\n"])
    try:
        args: tuple[str, ...] = ("migrate", "--owner", "other-org", "--repository", repository)
        args += ("--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--dry-run")
        done = run(run_ghpkg, tmp_path, *args, "--password-stdin", stdin=bed.token("write") + "\n")
        check("migrate-dry-run", done, tmp_path, names)
    finally:
        from tests.integration.test_migrate import forget

        forget(bed, f"other-org/{repository}")
