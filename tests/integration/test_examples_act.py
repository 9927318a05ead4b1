"""The copy-ready workflows of examples/, each run by `act` on the host against the test bed.

Each runs as a user would copy it, but for what must differ here, substituted visibly below:
the pinned `uses:` of ghpkg becomes the working tree's copy (`./ghpkg`, `./ghpkg/delete`, ...;
a checkout step comes first where the example has none, as a local action needs it), the
triggers become act's `push`, and image and repository names get a fresh suffix so that every
run checks tags it made itself. The instance comes from act's
`--github-instance` (ghes.test, or ghes-flat.test without subdomain isolation), the bed's CA from
the `GHES_CA_FILE` variable the examples read, tokens from the secrets they name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import docker
import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.client import BedClient
from testbed.seed_images import push
from tests.integration.act import ROOT, act_succeeds, commit, write_app, write_workflow
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

EXAMPLES = ROOT / "examples"
ACTION_PIN = "your-org/ghpkg@0000000000000000000000000000000000000000 # v0.1.0"
REPOSITORY = "octo-org/hello-world"  # the repository act's workspace says it is
ACTION_FOLDERS = ("delete", "migrate", "doctor")
TAGS = "docker/registry/v2/repositories/{name}/_manifests/tags"  # in the bed's storage


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def workspace_for(tmp_path: Path, example: str, renames: Mapping[str, str]) -> Path:
    """A workspace holding the example as .github/workflows/EXAMPLE, with only RENAMES changed."""
    text = (EXAMPLES / example).read_text()
    pins = {ACTION_PIN: "./ghpkg"}  # and ghpkg's other actions, beside the root's
    pins |= {ACTION_PIN.replace("@", f"/{sub}@"): f"./ghpkg/{sub}" for sub in ACTION_FOLDERS}
    assert any(pin in text for pin in pins), f"{example} no longer pins ghpkg as {ACTION_PIN!r}"
    for old, new in pins.items():
        text = text.replace(old, new)
    if "actions/checkout@" not in text:  # a local action, unlike a pinned one, needs the checkout
        text = text.replace("    steps:\n", "    steps:\n      - uses: actions/checkout@v4\n", 1)
    for old, new in renames.items():
        assert old in text, f"{example} no longer says {old!r}; update this test"
        text = text.replace(old, new)
    workspace = tmp_path / "workspace"
    write_workflow(workspace, example, text)
    return workspace


def act(
    workspace: Path, hostname: str, secrets: Mapping[str, str], bed: Testbed, ref: str | None = None
) -> str:
    """Run act (on a push of REF, else of the branch main); return its log, asserting success."""
    event = None
    if ref is not None:
        event = workspace.parent / "event.json"
        event.write_text(json.dumps({"ref": ref}))
    return act_succeeds(workspace, hostname, secrets, {"GHES_CA_FILE": str(bed.ca_file)}, event)


def served(bed: Testbed, image: str, owner_repo: str = REPOSITORY) -> dict[str, str]:
    """Tag -> manifest digest, for every tag the registry serves for the image."""
    path = f"{owner_repo}/{image}"
    answer = requests.get(f"{bed.backend_url}/v2/{path}/tags/list", timeout=30)
    assert answer.status_code == 200, answer.text
    digests = {}
    for tag in answer.json()["tags"] or []:
        manifest = requests.get(
            f"{bed.backend_url}/v2/{path}/manifests/{tag}",
            headers={"Accept": SCHEMA2},
            timeout=30,
        )
        assert manifest.headers["Content-Type"] == SCHEMA2
        digests[tag] = "sha256:" + hashlib.sha256(manifest.content).hexdigest()
    return digests


def test_publish_with_subdomain_isolation(
    bed: Testbed, system_engine: docker.DockerClient, tmp_path: Path
) -> None:
    image = f"my-app-{suffix()}"
    workspace = workspace_for(tmp_path, "publish.yml", {"image: my-app": f"image: {image}"})
    write_app(workspace, "published with GITHUB_TOKEN")
    sha = commit(workspace, bed.hostname)

    log = act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")}, bed)

    tags = served(bed, image)
    assert set(tags) == {"main", f"sha-{sha[:7]}"}
    assert len(set(tags.values())) == 1
    assert f"published, digest {tags['main']}:" in log
    assert f"| docker.{bed.hostname}/{REPOSITORY}/{image}:main" in log


def test_publish_release_without_subdomain_isolation(
    bed: Testbed, system_engine: docker.DockerClient, tmp_path: Path
) -> None:
    image = f"my-app-{suffix()}"
    workspace = workspace_for(
        tmp_path, "publish-without-subdomain-isolation.yml", {"image: my-app": f"image: {image}"}
    )
    write_app(workspace, "a release")
    commit(workspace, bed.flat_hostname, tags=["v1.2.3"])

    log = act(
        workspace,
        bed.flat_hostname,
        {"GITHUB_TOKEN": bed.token("actions")},
        bed,
        ref="refs/tags/v1.2.3",
    )

    tags = served(bed, image)
    assert set(tags) == {"1.2.3", "1.2", "1", "latest"}
    assert len(set(tags.values())) == 1
    for tag in tags:
        assert f"| {bed.flat_hostname}/{REPOSITORY}/{image}:{tag}" in log
    assert f"docker.{bed.flat_hostname}" not in log


def test_install_from_another_repository_with_a_read_pat(
    bed: Testbed, system_engine: docker.DockerClient, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"build-tools-{suffix()}"
    greeting = f"build tools {suffix()}"
    write_app(tmp_path / "tools", greeting)
    published = run_ghpkg(
        *("push", "--hostname", bed.hostname, "--owner", "other-org"),
        *("--repository", "shared-images", "--image", image, "--version", "2.1"),
        *("--context", str(tmp_path / "tools"), "--ca-file", str(bed.ca_file), "--quiet"),
        env={"GHPKG_TOKEN": bed.token("write")},
    )
    assert published.returncode == 0, published.stderr
    reference = published.stdout.strip()
    assert reference == f"docker.{bed.hostname}/other-org/shared-images/{image}:2.1"
    system_engine.images.remove(reference, force=True)  # so the example has to pull it
    workspace = workspace_for(
        tmp_path, "install-from-another-repository.yml", {"image: build-tools": f"image: {image}"}
    )
    commit(workspace, bed.hostname)

    log = act(workspace, bed.hostname, {"PACKAGES_READ_PAT": bed.token("read")}, bed)

    assert greeting in log  # the example's own `docker run` step
    assert served(bed, image, "other-org/shared-images").keys() == {"2.1"}
    printed = system_engine.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == greeting


def test_publish_a_matrix_of_images(
    bed: Testbed, system_engine: docker.DockerClient, tmp_path: Path
) -> None:
    names = {name: f"{name}-{suffix()}" for name in ("api", "worker")}
    workspace = workspace_for(
        tmp_path,
        "publish-matrix.yml",
        {f"- image: {name}\n": f"- image: {unique}\n" for name, unique in names.items()},
    )
    for name in names:
        write_app(workspace / "services" / name, f"the {name}")
    sha = commit(workspace, bed.hostname)

    act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")}, bed)

    for name, unique in names.items():
        tags = served(bed, unique)
        assert set(tags) == {"main", f"sha-{sha[:7]}"}, name
        reference = f"docker.{bed.hostname}/{REPOSITORY}/{unique}:main"
        printed = system_engine.containers.run(reference, network_mode="none", remove=True)
        assert printed.decode().strip() == f"the {name}"


def test_examples_are_the_ones_the_readme_lists() -> None:
    listed = (ROOT / "README.md").read_text()
    for example in sorted(EXAMPLES.glob("*.yml")):
        assert f"examples/{example.name}" in listed


def seed(bed: Testbed, name: str, tag: str) -> str:
    """A tiny image NAME:TAG straight into the bed's Docker registry; its digest."""
    with requests.Session() as session:
        return push(session, bed.backend_url, name, tag, [f"{name}:{tag}\n"])


def on_push(text: str, triggers: str) -> dict[str, str]:
    """The substitution that runs an example on act's push event instead of its TRIGGERS."""
    assert f"on:\n{triggers}" in text
    return {f"on:\n{triggers}": "on: push\n"}


def test_retention_keeps_the_newest_and_the_releases_and_deletes_the_old(
    bed: Testbed, bed_client: BedClient, tmp_path: Path
) -> None:
    image = f"my-app-{suffix()}"
    name = f"{REPOSITORY}/{image}"
    ages = {f"pr-{n}": 20 + n for n in range(1, 12)} | {"v1.0.0": 90, "main": 0.1}
    for tag, days in ages.items():
        seed(bed, name, tag)
        link = bed.paths.storage / f"{TAGS.format(name=name)}/{tag}/current/link"
        when = time.time() - days * 86400
        os.utime(link, (when, when))
    text = (EXAMPLES / "retention.yml").read_text()
    triggers = '  schedule:\n    - cron: "17 3 * * *"\n  workflow_dispatch:\n'
    renames = on_push(text, triggers) | {"image: my-app": f"image: {image}"}
    workspace = workspace_for(tmp_path, "retention.yml", renames)
    commit(workspace, bed.hostname)

    log = act(workspace, bed.hostname, {"PACKAGES_DELETE_PAT": bed.token("delete")}, bed)

    # the newest 10 (main, pr-1 .. pr-9) and the release stay; pr-10 and pr-11 are older, go
    gone = {"pr-10", "pr-11"}
    for tag in ages:
        assert bed_client.get_manifest(name, tag).status_code == (404 if tag in gone else 200), tag
    deleted = re.search(r"deleted: (\[.*\])", log)
    assert deleted, log[-3000:]
    assert sorted(v["tags"][0] for v in json.loads(deleted[1])) == sorted(gone)


def test_migrate_plans_then_moves_a_repositorys_images(
    bed: Testbed, bed_client: BedClient, tmp_path: Path
) -> None:
    repository, unique = f"legacy-{suffix()}", suffix()
    images = (f"api-{unique}", f"web-{unique}")  # the Container registry's names: unique too
    digests = {image: seed(bed, f"octo-org/{repository}/{image}", "1.0") for image in images}
    text = (EXAMPLES / "migrate.yml").read_text()
    renames = on_push(text, "  workflow_dispatch:\n")
    renames |= {"repository: legacy-app": f"repository: {repository}"}
    workspace = workspace_for(tmp_path, "migrate.yml", renames)
    commit(workspace, bed.hostname)

    log = act(workspace, bed.hostname, {"PACKAGES_MIGRATE_PAT": bed.token("write")}, bed)

    for image, digest in digests.items():
        stored = requests.get(
            f"{bed.container_backend_url}/v2/octo-org/{image}/manifests/1.0",
            headers={"Accept": SCHEMA2},
            timeout=30,
        )
        assert stored.status_code == 200, image
        assert "sha256:" + hashlib.sha256(stored.content).hexdigest() == digest
    assert '"copied":2' in log.replace(" ", "")


def test_doctor_checks_the_instance_without_an_image(
    bed: Testbed, system_engine: docker.DockerClient, tmp_path: Path
) -> None:
    text = (EXAMPLES / "doctor.yml").read_text()
    workspace = workspace_for(tmp_path, "doctor.yml", on_push(text, "  workflow_dispatch:\n"))
    commit(workspace, bed.hostname)

    log = act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")}, bed)

    assert "✓ push: allowed for octo-org/hello-world" in log
    found = re.search(r"doctor: (\{.*\})", log)
    assert found, log[-3000:]
    doctor = json.loads(found[1])
    assert doctor["ok"] is True
    assert doctor["registry"] == bed.registry_host
