"""`ghpkg migrate` as a user runs it against the bed: an organization of 20+ images, a user's
image, a conflict, a run stopped midway and resumed, and a rerun that copies nothing.

migrate needs no engine: these tests run once, whatever GHPKG_ENGINES says. The images are tiny
schema-2 images written straight into the bed's Docker-registry backend (testbed.seed_images).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from testbed.bed import Testbed
from testbed.client import DOCKER_V2, digest_of
from testbed.seed_images import push
from tests.integration.conftest import Run, clean_environment

pytestmark = pytest.mark.integration

ORG = "other-org"
TAGS = ("1.0", "1.1", "latest")
IMAGES = 21
LABEL = "org.opencontainers.image.source"


def seed(bed: Testbed, repository: str, prefix: str) -> dict[str, dict[str, str]]:
    """IMAGES images of three tags (latest is 1.1) under ORG/REPOSITORY; their digests."""
    digests: dict[str, dict[str, str]] = {}
    with requests.Session() as session:
        for number in range(IMAGES):
            image = f"{prefix}-{number:02d}"
            name = f"{ORG}/{repository}/{image}"
            labels = {LABEL: f"https://{bed.hostname}/{ORG}/{repository}"} if number == 0 else {}
            digests[image] = {}
            for tag in TAGS[:2]:
                texts = [f"base of {image}\n", f"{image} {tag}\n"]
                digests[image][tag] = push(session, bed.backend_url, name, tag, texts, labels)
            texts = [f"base of {image}\n", f"{image} 1.1\n"]
            digests[image]["latest"] = push(session, bed.backend_url, name, "latest", texts, labels)
    return digests


def served(bed: Testbed, path: str, tag: str) -> str:
    """The digest of what the Container registry's backend stores for a tag."""
    answer = requests.get(
        f"{bed.container_backend_url}/v2/{path}/manifests/{tag}",
        headers={"Accept": DOCKER_V2},
        timeout=30,
    )
    assert answer.status_code == 200, f"{path}:{tag}: {answer.status_code}"
    return digest_of(answer.content)


def forget(bed: Testbed, *paths: str) -> None:
    """Remove what a test wrote to both backends (the bed is shared: leave no conflict behind)."""
    for storage in (bed.paths.storage, bed.paths.container_storage):
        for path in paths:
            shutil.rmtree(storage / "docker/registry/v2/repositories" / path, ignore_errors=True)


def common(bed: Testbed) -> list[str]:
    return ["--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--password-stdin"]


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The migration report of a --json run."""
    document = json.loads(result.stdout)
    return dict(document["migration"])


def mine(document: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [item for item in document["images"] if f"/{prefix}-" in item["source"]]


@pytest.fixture
def org_images(bed: Testbed) -> Iterator[tuple[str, str, dict[str, dict[str, str]]]]:
    prefix = f"m{uuid.uuid4().hex[:6]}"
    repository = f"{prefix}-repo"
    try:
        yield prefix, repository, seed(bed, repository, prefix)
    finally:
        forget(bed, f"{ORG}/{repository}", *(f"{ORG}/{prefix}-{n:02d}" for n in range(IMAGES)))
        forget(bed, f"{ORG}/{prefix}-clash")


def test_an_organization_moves_with_its_digests_resumes_after_a_stop_and_reruns_as_a_no_op(
    bed: Testbed,
    run_ghpkg: Run,
    org_images: tuple[str, str, dict[str, dict[str, str]]],
    tmp_path: Path,
) -> None:
    prefix, repository, digests = org_images
    with requests.Session() as session:  # the conflict: its Container-registry name holds 1.0
        push(session, bed.backend_url, f"{ORG}/{repository}/{prefix}-clash", "1.0", ["ours\n"])
        push(session, bed.container_backend_url, f"{ORG}/{prefix}-clash", "1.0", ["theirs\n"])
    state = tmp_path / "state.json"
    argv = ["migrate", "--scope", "org", "--owner", ORG, *common(bed), "--state", str(state)]
    token = bed.token("write")

    planned = run_ghpkg(*argv, "--dry-run", "--json", stdin=token)
    assert planned.returncode == 1, planned.stderr  # the conflict would stay behind
    plan = {item["source"]: item for item in mine(report(planned), prefix)}
    assert len(plan) == IMAGES + 1
    assert plan[f"{ORG}/{repository}/{prefix}-clash"]["status"] == "conflict"
    assert plan[f"{ORG}/{repository}/{prefix}-clash"]["ghes_conflict"] is True  # its list too
    assert plan[f"{ORG}/{repository}/{prefix}-00"]["ghes_conflict"] is False
    assert plan[f"{ORG}/{repository}/{prefix}-00"]["status"] == "planned"
    assert "To copy:" in planned.stderr
    assert not state.exists()

    stopped, log = _stop_midway(argv, token, state, tmp_path / "stopped.log")
    assert stopped == 143, log  # SIGTERM: a terminated run, the state file whole
    done_before = json.loads(state.read_text())["done"]
    assert 0 < len(done_before) < IMAGES * len(TAGS)

    resumed = run_ghpkg(*argv, "--json", stdin=token)
    assert resumed.returncode == 1, resumed.stderr  # only the conflict did not move
    images = mine(report(resumed), prefix)
    statuses = {item["source"].rsplit("/", 1)[1]: item["status"] for item in images}
    assert statuses.pop(f"{prefix}-clash") == "conflict"
    assert set(statuses.values()) <= {"copied", "skipped"}, statuses
    tag_states = [tag["status"] for item in images for tag in item["tags"].values()]
    stopped_mine = [key for key in done_before if f"/{prefix}-" in key]
    assert tag_states.count("state") == len(stopped_mine)  # the stopped run's: not sent again
    assert "[1/" in resumed.stderr
    assert "1 conflict" in resumed.stderr
    for image, tags in digests.items():
        for tag, digest in tags.items():
            assert served(bed, f"{ORG}/{image}", tag) == digest
    first = next(item for item in images if item["source"].endswith(f"/{prefix}-00"))
    assert first["source_label"] == f"https://{bed.hostname}/{ORG}/{repository}"
    assert "connect the repository" in next(
        item["note"] for item in images if item["source"].endswith(f"/{prefix}-01")
    )

    again = run_ghpkg(*argv, "--json", stdin=token)
    assert again.returncode == 1, again.stderr
    rerun = mine(report(again), prefix)  # the org's other images are other tests' to push
    assert [tag["status"] for item in rerun for tag in item["tags"].values()].count("copied") == 0
    assert sum(item["bytes_sent"] for item in rerun) == 0
    assert [item["status"] for item in rerun].count("conflict") == 1


def _stop_midway(argv: list[str], token: str, state: Path, log: Path) -> tuple[int, str]:
    """Start migrate with two jobs, SIGTERM it once a few tags are recorded; code and log."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "ghpkg", *argv, "--jobs", "2"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=clean_environment(),
            text=True,
        )
    assert process.stdin is not None
    process.stdin.write(token)
    process.stdin.close()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if state.exists() and len(json.loads(state.read_text() or "{}").get("done", {})) >= 8:
            process.send_signal(signal.SIGTERM)
            break
        time.sleep(0.05)
    process.wait(timeout=300)
    return process.returncode, log.read_text()


def test_a_users_image_moves_to_the_users_container_namespace(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"mu{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        digest = push(session, bed.backend_url, f"octocat/hello-world/{image}", "2.0", ["mine\n"])
    try:
        done = run_ghpkg(
            "migrate", "--scope", "user", "--owner", "octocat", *common(bed), "--json",
            "--state", str(tmp_path / "state.json"), stdin=bed.token("write"),
        )  # fmt: skip
        entry = next(i for i in report(done)["images"] if i["source"].endswith(f"/{image}"))
        assert entry["status"] == "copied", done.stderr
        assert entry["destination"] == f"{bed.container_host}/octocat/{image}"
        assert served(bed, f"octocat/{image}", "2.0") == digest
    finally:
        forget(bed, f"octocat/hello-world/{image}", f"octocat/{image}")


def test_a_repository_scope_with_a_name_map_moves_only_that_repository(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    repository = f"mr{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        digest = push(session, bed.backend_url, f"{ORG}/{repository}/app", "1.0", ["app\n"])
    try:
        done = run_ghpkg(
            "migrate", "--owner", ORG, "--repository", repository, "--name-map",
            "{repository}-{image}", *common(bed), "--state", str(tmp_path / "s.json"),
            stdin=bed.token("write"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.split("\t")[:3] == [
            "copied",
            f"{ORG}/{repository}/app",
            f"{bed.container_host}/{ORG}/{repository}-app",
        ]
        assert served(bed, f"{ORG}/{repository}-app", "1.0") == digest
    finally:
        forget(bed, f"{ORG}/{repository}", f"{ORG}/{repository}-app")


@pytest.mark.parametrize("with_repository", [True, False], ids=["repo-slash-image", "bare-image"])
def test_docker_base_layer_is_not_copied_whatever_the_api_calls_a_docker_package(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path, with_repository: bool
) -> None:
    """Both plausible REST names of a docker package (REPOSITORY/IMAGE or IMAGE alone) find the
    image; its tags move, its docker-base-layer pseudo-version does not, and migrate exits 0."""
    bed.configure(docker_names_with_repository=with_repository)
    repository = f"mb{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        digest = push(session, bed.backend_url, f"{ORG}/{repository}/app", "1.0", ["app\n"])
    try:
        done = run_ghpkg(
            "migrate", "--owner", ORG, "--repository", repository, "--name-map",
            "{repository}-{image}", *common(bed), "--state", str(tmp_path / "s.json"), "--json",
            stdin=bed.token("write"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        (entry,) = report(done)["images"]
        assert entry["status"] == "copied"
        assert sorted(entry["tags"]) == ["1.0"]
        assert served(bed, f"{ORG}/{repository}-app", "1.0") == digest
        copied = requests.get(
            f"{bed.container_backend_url}/v2/{ORG}/{repository}-app/tags/list", timeout=30
        )
        assert copied.json()["tags"] == ["1.0"]
    finally:
        forget(bed, f"{ORG}/{repository}", f"{ORG}/{repository}-app")


@pytest.mark.parametrize("with_repository", [True, False], ids=["repo-slash-image", "bare-image"])
def test_ghes_own_conflict_list_is_read_whatever_the_api_calls_a_docker_package(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path, with_repository: bool
) -> None:
    bed.configure(docker_names_with_repository=with_repository)
    repository, image = f"mc{uuid.uuid4().hex[:6]}", f"clash{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        push(session, bed.backend_url, f"{ORG}/{repository}/{image}", "1.0", ["ours\n"])
        push(session, bed.container_backend_url, f"{ORG}/{image}", "1.0", ["theirs\n"])
    try:
        planned = run_ghpkg(
            "migrate", "--owner", ORG, "--repository", repository, *common(bed), "--dry-run",
            "--json", "--state", str(tmp_path / "s.json"), stdin=bed.token("write"),
        )  # fmt: skip
        (entry,) = report(planned)["images"]
        assert entry["ghes_conflict"] is True, planned.stderr
        assert entry["status"] == "conflict"
    finally:
        forget(bed, f"{ORG}/{repository}", f"{ORG}/{image}")


def test_a_name_another_package_holds_on_the_container_registry_is_a_conflict_not_a_merge(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    repository = f"mt{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        push(session, bed.backend_url, f"{ORG}/{repository}/taken", "1.0", ["ours\n"])
        push(session, bed.container_backend_url, f"{ORG}/{repository}-taken", "0.9", ["other\n"])
    try:
        done = run_ghpkg(
            "migrate", "--owner", ORG, "--repository", repository, "--name-map",
            "{repository}-{image}", *common(bed), "--state", str(tmp_path / "s.json"),
            stdin=bed.token("write"),
        )  # fmt: skip
        assert done.returncode == 1
        assert done.stdout.startswith(f"conflict\t{ORG}/{repository}/taken\t")
        assert "is another image's (it holds 0.9)" in done.stdout
        assert "error: 1 of 1 image(s) did not move (1 conflict)" in done.stderr
        missing = requests.get(
            f"{bed.container_backend_url}/v2/{ORG}/{repository}-taken/manifests/1.0",
            headers={"Accept": DOCKER_V2},
            timeout=30,
        )
        assert missing.status_code == 404
    finally:
        forget(bed, f"{ORG}/{repository}", f"{ORG}/{repository}-taken")


def test_a_rerun_copies_again_a_tag_deleted_from_the_destination_behind_its_back(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    """The state file says done; the Container registry no longer has it: it is copied again."""
    repository = f"md{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        digests = {
            tag: push(session, bed.backend_url, f"{ORG}/{repository}/app", tag, [f"app {tag}\n"])
            for tag in ("1.0", "2.0")
        }
    state = tmp_path / "s.json"
    argv = ["migrate", "--owner", ORG, "--repository", repository, "--name-map"]
    argv += ["{repository}-{image}", *common(bed), "--json", "--state", str(state)]
    destination = f"{ORG}/{repository}-app"
    try:
        first = run_ghpkg(*argv, stdin=bed.token("write"))
        assert first.returncode == 0, first.stderr
        assert len(json.loads(state.read_text())["done"]) == 2
        tags = bed.paths.container_storage / "docker/registry/v2/repositories"
        shutil.rmtree(tags / destination / "_manifests/tags/1.0")  # deleted behind its back
        gone = requests.get(
            f"{bed.container_backend_url}/v2/{destination}/manifests/1.0",
            headers={"Accept": DOCKER_V2},
            timeout=30,
        )
        assert gone.status_code == 404

        again = run_ghpkg(*argv, stdin=bed.token("write"))
        assert again.returncode == 0, again.stderr
        (image,) = [i for i in report(again)["images"] if i["source"] == f"{ORG}/{repository}/app"]
        assert image["tags"]["1.0"]["status"] == "copied"
        assert image["tags"]["2.0"]["status"] == "state"
        assert served(bed, destination, "1.0") == digests["1.0"]
    finally:
        forget(bed, f"{ORG}/{repository}", destination)


def test_a_token_that_cannot_write_packages_is_refused_before_the_plan_but_may_dry_run(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    repository = f"mw{uuid.uuid4().hex[:6]}"
    with requests.Session() as session:
        push(session, bed.backend_url, f"{ORG}/{repository}/app", "1.0", ["app\n"])
    argv = ["migrate", "--owner", ORG, "--repository", repository, *common(bed)]
    argv += ["--state", str(tmp_path / "s.json")]
    try:
        refused = run_ghpkg(*argv, stdin=bed.token("readrepo"))
        assert refused.returncode == 1
        assert "lacks the write:packages scope" in refused.stderr.splitlines()[-1]
        assert "Plan:" not in refused.stderr
        planned = run_ghpkg(*argv, "--dry-run", stdin=bed.token("readrepo"))
        assert planned.returncode == 0, planned.stderr
        assert planned.stdout.startswith(f"planned\t{ORG}/{repository}/app\t")
    finally:
        forget(bed, f"{ORG}/{repository}")


def test_a_blob_two_images_share_is_sent_once_and_mounted_into_the_other(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    repository = f"ms{uuid.uuid4().hex[:6]}"
    blobs: dict[str, int] = {}
    base = "a base layer both images have\n" * 2000
    with requests.Session() as session:
        for image in ("one", "two"):
            name = f"{ORG}/{repository}/{image}"
            push(session, bed.backend_url, name, "1.0", [base, image], blobs=blobs)
    try:
        done = run_ghpkg(
            "migrate", "--owner", ORG, "--repository", repository, "--name-map",
            "{repository}-{image}", "--jobs", "1", *common(bed), "--json",
            "--state", str(tmp_path / "s.json"), stdin=bed.token("write"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert report(done)["totals"]["bytes_sent"] == sum(blobs.values())
        assert "1 blob(s) mounted from another image instead of sent" in done.stderr
    finally:
        forget(bed, f"{ORG}/{repository}", *(f"{ORG}/{repository}-{i}" for i in ("one", "two")))


def test_an_owner_with_more_than_a_page_of_packages_is_listed_whole(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    repository = f"mp{uuid.uuid4().hex[:6]}"
    # the client asks for 100 a page; names of this run alone (the destination keeps others)
    images = [f"{repository}-p{number:03d}" for number in range(101)]
    with requests.Session() as session:
        for image in images:
            push(session, bed.backend_url, f"{ORG}/{repository}/{image}", "1.0", [image])
    try:
        planned = run_ghpkg(
            "migrate", "--owner", ORG, "--repository", repository, *common(bed), "--json",
            "--dry-run", "--state", str(tmp_path / "s.json"), stdin=bed.token("write"),
        )  # fmt: skip
        assert planned.returncode == 0, planned.stderr
        assert report(planned)["totals"]["planned"] == len(images)
    finally:
        forget(bed, f"{ORG}/{repository}")
