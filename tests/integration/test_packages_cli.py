"""`ghpkg versions`, `ghpkg delete` and versions from the git ref, against the test bed."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.client import BedClient
from testbed.faults import Fault, FaultProxy
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest, selected_engines
from tests.helpers import read_outputs
from tests.integration.conftest import Run, clean_environment
from tests.integration.test_push_cli import stored_manifest

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"
ROOT = Path(__file__).resolve().parents[2]


def common(bed: Testbed, image: str) -> list[str]:
    """The options every command here shares: host, CA, owner, repository, image."""
    return [
        *("--hostname", bed.hostname, "--ca-file", str(bed.ca_file)),
        *("--owner", OWNER, "--repository", REPOSITORY, "--image", image),
    ]


def run_with(
    run_ghpkg: Run, bed: Testbed, token: str, *args: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ghpkg with a named bed token on stdin."""
    return run_ghpkg(*args, "--password-stdin", stdin=bed.token(token) + "\n", **kwargs)


@pytest.fixture
def two_pushes(bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run) -> str:
    """A fresh image pushed twice by ghpkg: 1.0, then 2.0 (a different image)."""
    image = f"pkg-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    for version in ("1.0", "2.0"):
        image_id = build_hello(engine.client, f"local/{image}:{version}", f"version {version}")
        done = run_with(
            run_ghpkg,
            bed,
            "write",
            "push",
            *common(bed, image),
            *("--version", version, "--source", image_id),
            env={"DOCKER_HOST": engine.base_url},
        )
        assert done.returncode == 0, done.stderr
    return image


def listed(run_ghpkg: Run, bed: Testbed, image: str, tmp_path: Path) -> list[dict[str, Any]]:
    """`ghpkg versions` with a read-only token (read:packages and repo, as GitHub's REST API
    needs for a repository-scoped package); its `versions` output, parsed."""
    out = tmp_path / f"versions-{uuid.uuid4().hex[:6]}"
    done = run_with(
        run_ghpkg, bed, "readrepo", "versions", *common(bed, image), "--output-file", str(out)
    )
    assert done.returncode == 0, done.stderr
    versions: list[dict[str, Any]] = json.loads(read_outputs(out)["versions"])
    lines = done.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [",".join(v["tags"]) for v in versions]
    assert [int(line.split("\t")[1]) for line in lines] == [v["id"] for v in versions]
    return versions


def test_versions_are_listed_after_two_pushes(
    bed: Testbed, run_ghpkg: Run, two_pushes: str, tmp_path: Path
) -> None:
    versions = listed(run_ghpkg, bed, two_pushes, tmp_path)
    assert [v["tags"] for v in versions] == [["2.0"], ["1.0"]]
    for version in versions:
        assert isinstance(version["id"], int)
        assert version["created_at"].endswith("Z")


def test_versions_and_delete_work_with_either_rest_name_of_a_docker_package(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run, tmp_path: Path
) -> None:
    """No page says whether the REST API names a docker package REPOSITORY/IMAGE or IMAGE: with
    the bed's switch both ways ghpkg lists and deletes, and never takes another repository's
    image of the same name for ours."""
    image = f"shape-{uuid.uuid4().hex[:8]}"
    ours, theirs = f"{OWNER}/{REPOSITORY}/{image}", f"{OWNER}/aaa-first-repo/{image}"
    for tag in ("1.0", "2.0"):
        bed_client.push(ours, tag)
    bed.configure(docker_names_with_repository=False)
    assert [v["tags"] for v in listed(run_ghpkg, bed, image, tmp_path)] == [["2.0"], ["1.0"]]
    done = run_with(run_ghpkg, bed, "delete", "delete", *common(bed, image), "--version", "1.0")
    assert done.returncode == 0, done.stderr
    bed.configure(docker_names_with_repository=True)
    assert [v["tags"] for v in listed(run_ghpkg, bed, image, tmp_path)] == [["2.0"]]
    bed_client.push(theirs, "9.9")  # the bare name IMAGE is now theirs on the bed
    bed.configure(docker_names_with_repository=False)
    other = run_with(run_ghpkg, bed, "readrepo", "versions", *common(bed, image))
    assert other.returncode == 1, other.stderr
    assert f"error: package {OWNER}/{REPOSITORY}/{image} was not found" in other.stderr
    assert "9.9" not in other.stdout


@pytest.mark.parametrize(
    "engine", selected_engines()[:1], indirect=True
)  # the REST API deletes: one engine shows it
def test_delete_keep_one_leaves_only_the_newest(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run, two_pushes: str, tmp_path: Path
) -> None:
    name = f"{OWNER}/{REPOSITORY}/{two_pushes}"
    before = listed(run_ghpkg, bed, two_pushes, tmp_path)
    dry = run_with(
        run_ghpkg, bed, "delete", "delete", *common(bed, two_pushes), "--keep", "1", "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert "Would delete 1.0" in dry.stderr
    assert listed(run_ghpkg, bed, two_pushes, tmp_path) == before

    out = tmp_path / "outputs"
    done = run_with(
        run_ghpkg,
        bed,
        "delete",
        "delete",
        *common(bed, two_pushes),
        *("--keep", "1", "--output-file", str(out)),
    )
    assert done.returncode == 0, done.stderr
    old = before[1]
    assert done.stdout.splitlines() == [f"1.0\t{old['id']}\t{old['created_at']}"]
    assert f"Deleted 1.0 (id {old['id']})" in done.stderr
    outputs = read_outputs(out)
    assert json.loads(outputs["deleted"]) == [old]
    assert json.loads(outputs["versions"]) == [before[0]]
    assert listed(run_ghpkg, bed, two_pushes, tmp_path) == [before[0]]
    assert bed_client.get_manifest(name, "1.0").status_code == 404
    assert stored_manifest(bed, name, "2.0")[1] == SCHEMA2
    assert bed.token("delete") not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "engine", selected_engines()[:1], indirect=True
)  # the REST API deletes: one engine shows it
def test_delete_by_version_removes_that_tag(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run, two_pushes: str, tmp_path: Path
) -> None:
    done = run_with(
        run_ghpkg, bed, "delete", "delete", *common(bed, two_pushes), "--version", "2.0"
    )
    assert done.returncode == 0, done.stderr
    assert [v["tags"] for v in listed(run_ghpkg, bed, two_pushes, tmp_path)] == [["1.0"]]
    missing = run_with(
        run_ghpkg, bed, "delete", "delete", *common(bed, two_pushes), "--version", "2.0"
    )
    assert missing.returncode == 1
    assert "version 2.0 is not in the package" in missing.stderr


@pytest.mark.parametrize("engine", selected_engines()[:1], indirect=True)  # the API's, not its
def test_a_delete_that_fails_midway_names_what_went_before_it(
    bed: Testbed, faults: FaultProxy, run_ghpkg: Run, two_pushes: str, tmp_path: Path
) -> None:
    newer, older = listed(run_ghpkg, bed, two_pushes, tmp_path)  # deleted in this order
    faults.script(Fault("status", "DELETE", rf"/versions/{older['id']}$", times=None, status=403))
    argv = ["--hostname", faults.hostname, "--ca-file", str(bed.ca_file), "--owner", OWNER]
    argv += ["--repository", REPOSITORY, "--image", two_pushes, "--retries", "1"]
    done = run_with(
        run_ghpkg, bed, "delete", "delete", *argv, "--version", "1.0", "--version", "2.0"
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: the REST API refused deleting 1.0 (id {older['id']}) of ")
    assert f"(deleted before it: 2.0 (id {newer['id']}))" in last
    assert f"Deleted 2.0 (id {newer['id']})" in done.stderr
    assert done.stdout == ""
    assert [s.status for s in faults.requests("DELETE")] == [204, 403]
    assert listed(run_ghpkg, bed, two_pushes, tmp_path) == [older]


@pytest.mark.parametrize(
    "engine", selected_engines()[:1], indirect=True
)  # the REST API deletes: one engine shows it
@pytest.mark.parametrize("token", ["write", "read"])
def test_delete_without_delete_packages_is_refused_before_anything_goes(
    bed: Testbed, run_ghpkg: Run, two_pushes: str, tmp_path: Path, token: str
) -> None:
    before = listed(run_ghpkg, bed, two_pushes, tmp_path)
    done = run_with(run_ghpkg, bed, token, "delete", *common(bed, two_pushes), "--keep", "1")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    assert "lacks the delete:packages" in last  # `read` also lacks repo
    assert "Traceback" not in done.stderr
    assert listed(run_ghpkg, bed, two_pushes, tmp_path) == before


def test_push_without_a_version_on_a_tag_ref(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"fromref-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    image_id = build_hello(engine.client, f"local/{image}:src", "tagged from the ref")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    git = ["git", "-C", str(workspace), "-c", "user.email=ci@ghpkg.test", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "release"], check=True)
    for tag in ("v1.0.0", "v1.2.3", "v2.0.0-rc.1"):
        subprocess.run([*git, "tag", tag], check=True)
    env = {
        # a workflow's GITHUB_TOKEN (ghs_), given as the CLI outside Actions reads one
        "GHPKG_TOKEN": bed.token("actions"),
        "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",
        "GITHUB_REF": "refs/tags/v1.2.3",
        "GITHUB_REF_NAME": "v1.2.3",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "DOCKER_HOST": engine.base_url,
    }
    done = run_ghpkg(
        "push",
        *("--image", image, "--source", image_id, "--ca-file", str(bed.ca_file)),
        env=env,
        cwd=workspace,
    )
    assert done.returncode == 0, done.stderr
    tags = ["1.2.3", "1.2", "1", "latest"]
    assert "from refs/tags/v1.2.3: 1.2.3, 1.2, 1, latest" in done.stderr
    name = f"{bed.registry_host}/{OWNER}/{REPOSITORY}/{image}"
    assert done.stdout.splitlines() == [f"{name}:{tag}" for tag in tags]
    digests = {stored_manifest(bed, f"{OWNER}/{REPOSITORY}/{image}", tag) for tag in tags}
    assert len(digests) == 1


def test_push_without_a_version_or_a_ref_is_a_usage_error(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    done = run_with(run_ghpkg, bed, "write", "push", *common(bed, "x"), "--source", "x")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: no version given")


@pytest.mark.parametrize(
    "engine", selected_engines()[:1], indirect=True
)  # the REST API deletes: one engine shows it
def test_action_face_deletes_with_keep_and_writes_outputs(
    bed: Testbed, run_ghpkg: Run, two_pushes: str, tmp_path: Path
) -> None:
    before = listed(run_ghpkg, bed, two_pushes, tmp_path)
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    env = {
        **clean_environment(),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_OPERATION": "delete",
        "INPUT_IMAGE": two_pushes,
        "INPUT_KEEP": "1",
        "INPUT_DRY-RUN": "false",
        "INPUT_CA-FILE": str(bed.ca_file),
        "INPUT_TOKEN": bed.token("delete"),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"::add-mask::{bed.token('delete')}" in done.stderr
    outputs = read_outputs(output)
    assert json.loads(outputs["deleted"]) == before[1:]
    assert json.loads(outputs["versions"]) == before[:1]
    assert "### ghpkg delete" in summary.read_text()
    assert listed(run_ghpkg, bed, two_pushes, tmp_path) == before[:1]


def test_keep_reads_every_page_before_deleting(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"pages-{uuid.uuid4().hex[:8]}"
    name = f"{OWNER}/{REPOSITORY}/{image}"
    manifest = bed_client.manifest_for(name)
    tags = [f"t{number:03}" for number in range(103)]  # the API's pages hold 100 at most
    for tag in tags:
        assert bed_client.put_manifest(name, tag, manifest).status_code == 201
    versions = listed(run_ghpkg, bed, image, tmp_path)
    assert sorted(tag for v in versions for tag in v["tags"]) == tags
    done = run_with(run_ghpkg, bed, "delete", "delete", *common(bed, image), "--keep", "100")
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["t002", "t001", "t000"]
    assert len(listed(run_ghpkg, bed, image, tmp_path)) == 100


def test_versions_say_when_the_api_is_not_there_or_the_package_is_not(
    bed: Testbed, run_ghpkg: Run
) -> None:
    web = run_with(
        run_ghpkg,
        bed,
        "readrepo",
        "versions",
        *common(bed, "anything"),
        *("--hostname", bed.registry_host),  # a registry host: its /api/v3 is a web 404
    )
    assert web.returncode == 1
    assert f"error: the REST API is not at https://{bed.registry_host}/api/v3" in web.stderr
    missing = run_with(
        run_ghpkg, bed, "readrepo", "versions", *common(bed, f"no-{uuid.uuid4().hex}")
    )
    assert missing.returncode == 1
    assert "was not found" in missing.stderr.strip().splitlines()[-1]
