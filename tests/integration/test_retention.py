"""Retention with `ghpkg delete` on both registries, against the bed's REST API and registries.

Container packages are seeded cheaply: tiny blobs and manifests PUT straight to the Container
registry's backend, their push times set on the backend's files (the REST API's created_at).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from testbed.bed import Testbed
from testbed.client import BedClient
from testbed.ghes.container_packages import delete_times
from testbed.ghes.package_settings import set_package
from tests.helpers import read_outputs
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DAY = 86400.0
REVISIONS = "docker/registry/v2/repositories/{name}/_manifests/revisions/sha256"


def digest_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


class Seeder:
    """Writes versions of container packages straight into the Container registry's backend."""

    def __init__(self, bed: Testbed) -> None:
        self.bed = bed
        self.http = requests.Session()
        self.blobs: dict[str, list[dict[str, Any]]] = {}

    def _blob(self, name: str, data: bytes, media_type: str) -> dict[str, Any]:
        url = self.bed.container_backend_url
        started = self.http.post(f"{url}/v2/{name}/blobs/uploads/", timeout=30)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        location = location if "://" in location else f"{url}{location}"
        digest = digest_of(data)
        done = self.http.put(location, params={"digest": digest}, data=data, timeout=30)
        assert done.status_code == 201, done.text
        return {"mediaType": media_type, "size": len(data), "digest": digest}

    def _put(self, name: str, reference: str, body: bytes, media_type: str) -> None:
        url = f"{self.bed.container_backend_url}/v2/{name}/manifests/{reference}"
        answer = self.http.put(url, data=body, headers={"Content-Type": media_type}, timeout=30)
        assert answer.status_code == 201, answer.text

    def image(self, name: str, days_old: float, tag: str = "") -> str:
        """One tiny image (untagged unless `tag`), pushed `days_old` days ago; its digest."""
        if name not in self.blobs:
            config = self._blob(
                name,
                b'{"os":"linux","architecture":"amd64"}',
                "application/vnd.oci.image.config.v1+json",
            )
            layer = self._blob(name, b"layer", "application/vnd.oci.image.layer.v1.tar")
            self.blobs[name] = [config, layer]
        config, layer = self.blobs[name]
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": [layer],
            "annotations": {"seed": uuid.uuid4().hex},
        }
        return self._manifest(name, manifest, OCI_MANIFEST, days_old, tag)

    def index(self, name: str, children: list[str], days_old: float, tag: str) -> str:
        """A multi-platform index of `children` under `tag`; its digest."""
        entries = [
            {
                "mediaType": json.loads(self.get(name, child)).get("mediaType", OCI_MANIFEST),
                "size": self.size(name, child),
                "digest": child,
                "platform": {"os": "linux", "architecture": arch},
            }
            for child, arch in zip(children, ("amd64", "arm64", "s390x"), strict=False)
        ]
        body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return self._manifest(name, body, OCI_INDEX, days_old, tag)

    def _manifest(
        self, name: str, manifest: dict[str, Any], media_type: str, days_old: float, tag: str
    ) -> str:
        body = json.dumps(manifest).encode()
        digest = digest_of(body)
        self._put(name, tag or digest, body, media_type)
        link = self.bed.paths.container_storage / REVISIONS.format(name=name) / digest[7:] / "link"
        when = time.time() - days_old * DAY
        os.utime(link, (when, when))
        return digest

    def size(self, name: str, digest: str) -> int:
        return len(self.get(name, digest))

    def get(self, name: str, reference: str) -> bytes:
        """The manifest the backend serves for a tag or digest (404: an AssertionError)."""
        url = f"{self.bed.container_backend_url}/v2/{name}/manifests/{reference}"
        accept = f"{OCI_MANIFEST}, {OCI_INDEX}"
        answer = self.http.get(url, headers={"Accept": accept}, timeout=30)
        assert answer.status_code == 200, f"{reference}: {answer.status_code}"
        return answer.content

    def has(self, name: str, digest: str) -> bool:
        """Whether the backend still holds the manifest."""
        url = f"{self.bed.container_backend_url}/v2/{name}/manifests/{digest}"
        accept = f"{OCI_MANIFEST}, {OCI_INDEX}"
        return self.http.head(url, headers={"Accept": accept}, timeout=30).status_code == 200

    def count(self, name: str) -> int:
        """How many manifests the package has."""
        folder = self.bed.paths.container_storage / REVISIONS.format(name=name)
        return len(list(folder.glob("*/link")))


@pytest.fixture
def seeder(bed: Testbed) -> Seeder:
    return Seeder(bed)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def container_delete(
    run_ghpkg: Run, bed: Testbed, image: str, *args: str, token: str = "delete"
) -> subprocess.CompletedProcess[str]:
    """`ghpkg delete --registry container` on octo-org/IMAGE with a bed token on stdin."""
    return run_ghpkg(
        "delete",
        *("--registry", "container", "--hostname", bed.hostname, "--ca-file", str(bed.ca_file)),
        *("--owner", OWNER, "--image", image, *args),
        "--password-stdin",
        stdin=bed.token(token) + "\n",
    )


def listed(run_ghpkg: Run, bed: Testbed, image: str, tmp_path: Path) -> list[dict[str, Any]]:
    """`ghpkg versions --registry container` with a read-only token: the versions output."""
    out = tmp_path / f"versions-{uuid.uuid4().hex[:6]}"
    done = run_ghpkg(
        "versions",
        *("--registry", "container", "--hostname", bed.hostname, "--ca-file", str(bed.ca_file)),
        *("--owner", OWNER, "--image", image, "--output-file", str(out), "--password-stdin"),
        stdin=bed.token("read") + "\n",
    )
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(read_outputs(out)["versions"])
    return found


def docker_image(bed: Testbed, bed_client: BedClient, ages: dict[str, float]) -> str:
    """A fresh image of octo-org/hello-world with these tags, each pushed `days` ago."""
    image = unique("base")
    name = f"{OWNER}/{REPOSITORY}/{image}"
    for tag, days in ages.items():
        bed_client.push(name, tag)
        link = (
            bed.paths.storage
            / f"docker/registry/v2/repositories/{name}/_manifests/tags/{tag}/current/link"
        )
        when = time.time() - days * DAY
        os.utime(link, (when, when))
    return image


def test_docker_registry_retention_keeps_what_any_rule_holds(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run, tmp_path: Path
) -> None:
    ages = {"2.0": 0.1, "1.5": 3, "v1.0.0": 90, "0.9": 60, "0.8": 70}
    image = docker_image(bed, bed_client, ages)
    name = f"{OWNER}/{REPOSITORY}/{image}"
    args = [
        *("--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--owner", OWNER),
        *("--repository", REPOSITORY, "--image", image, "--keep", "1"),
        *("--keep-tags", r"^v\d+\.\d+\.\d+$", "--older-than", "30d", "--delete-pause", "0.5"),
    ]
    # a plan deletes nothing: a token that may only read the versions is enough for it
    dry = run_ghpkg(
        "delete", *args, "--dry-run", "--password-stdin", stdin=bed.token("readrepo") + "\n"
    )
    assert dry.returncode == 0, dry.stderr
    assert "Keep 2.0 (id" in dry.stderr
    assert ": kept: newest 1" in dry.stderr
    assert "Keep 1.5 (id" in dry.stderr
    assert "kept: newer than 30d" in dry.stderr
    assert r"kept: matches ^v\d+\.\d+\.\d+$" in dry.stderr
    assert "Would delete 0.9 (id" in dry.stderr
    assert "Would delete 0.8 (id" in dry.stderr
    assert [line.split("\t")[0] for line in dry.stdout.splitlines()] == ["0.9", "0.8"]

    started = time.monotonic()
    done = run_ghpkg("delete", *args, "--password-stdin", stdin=bed.token("delete") + "\n")
    assert done.returncode == 0, done.stderr
    assert "Deleted 0.9" in done.stderr
    assert "Deleted 0.8" in done.stderr
    assert time.monotonic() - started >= 0.5  # the pause between the two DELETEs
    for tag in ages:
        answer = bed_client.get_manifest(name, tag)
        assert answer.status_code == (404 if tag in ("0.9", "0.8") else 200), tag


def docker_run(
    run_ghpkg: Run, bed: Testbed, verb: str, image: str, *args: str, token: str = "delete"
) -> subprocess.CompletedProcess[str]:
    """`ghpkg VERB` on octo-org/hello-world/IMAGE of the Docker registry, a bed token on stdin."""
    return run_ghpkg(
        verb,
        *("--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--owner", OWNER),
        *("--repository", REPOSITORY, "--image", image, *args, "--password-stdin"),
        stdin=bed.token(token) + "\n",
    )


def base_layer_listed(bed_client: BedClient, image: str) -> bool:
    """Whether the REST API still lists the image's docker-base-layer."""
    path = f"/orgs/{OWNER}/packages/docker/{REPOSITORY}%2F{image}/versions"
    answer = bed_client.api(path, "readrepo")
    assert answer.status_code == 200, answer.text
    return "docker-base-layer" in [v["name"] for v in answer.json()]


def test_delete_keep_1_leaves_docker_base_layer_and_versions_shows_it_apart(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run
) -> None:
    image = docker_image(bed, bed_client, {"2.0": 1, "1.0": 2})
    shown = docker_run(run_ghpkg, bed, "versions", image, token="readrepo")
    assert shown.returncode == 0, shown.stderr
    assert [line.split("\t")[0] for line in shown.stdout.splitlines()] == ["2.0", "1.0"]
    assert "2 version(s)" in shown.stderr
    assert "Also docker-base-layer (id " in shown.stderr
    done = docker_run(run_ghpkg, bed, "delete", image, "--keep", "1", "--delete-pause", "0")
    assert done.returncode == 0, done.stderr
    assert "Deleted 1.0" in done.stderr
    assert "kept: docker-base-layer, the Docker registry's own (never deleted)" in done.stderr
    assert base_layer_listed(bed_client, image)
    assert bed_client.get_manifest(f"{OWNER}/{REPOSITORY}/{image}", "2.0").status_code == 200


def test_the_last_version_stays_with_a_warning_and_naming_it_fails_before_any_delete(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run
) -> None:
    """GitHub refuses the last version (docker-base-layer gone here): ghpkg keeps it and says
    so; --version naming it is exit 1 before any DELETE."""
    image = docker_image(bed, bed_client, {"2.0": 40, "1.0": 50})
    path = f"/orgs/{OWNER}/packages/docker/{REPOSITORY}%2F{image}/versions"
    base = next(
        v for v in bed_client.api(path, "readrepo").json() if not v["metadata"]["docker"]["tag"]
    )
    url = f"https://{bed.hostname}/api/v3{path}/{base['id']}"
    headers = {"Authorization": f"token {bed.token('delete')}"}
    assert bed_client.request("DELETE", url, None, headers=headers).status_code == 204
    done = docker_run(run_ghpkg, bed, "delete", image, "--older-than", "30d", "--delete-pause", "0")
    assert done.returncode == 0, done.stderr
    assert "Deleted 1.0" in done.stderr
    warning = [line for line in done.stderr.splitlines() if "Keep 2.0" in line]
    assert len(warning) == 1, done.stderr
    assert warning[0].startswith("warning: ")
    assert (
        "the last version (GitHub refuses to delete it: delete the package instead)" in warning[0]
    )
    named = docker_run(run_ghpkg, bed, "delete", image, "--version", "2.0")
    assert named.returncode == 1, named.stderr
    assert named.stderr.strip().splitlines()[-1] == (
        "error: version 2.0 is the last version of the package: GitHub refuses to delete the "
        "last version of a package (HTTP 400); nothing was deleted; delete the package itself "
        "in its settings on GitHub, or keep this version"
    )
    assert bed_client.get_manifest(f"{OWNER}/{REPOSITORY}/{image}", "2.0").status_code == 200


def test_the_last_tagged_container_version_stays_and_untagged_ones_go(
    bed: Testbed, seeder: Seeder, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("lasttag")
    name = f"{OWNER}/{image}"
    seeder.image(name, 40, "1.0")
    stale = seeder.image(name, 50)
    done = container_delete(
        run_ghpkg, bed, image, "--older-than", "1d", "--untagged", "--delete-pause", "0"
    )
    assert done.returncode == 0, done.stderr
    assert "the last tagged version (GitHub refuses to delete it" in done.stderr
    assert not seeder.has(name, stale)
    assert [v["tags"] for v in listed(run_ghpkg, bed, image, tmp_path)] == [["1.0"]]


def test_docker_deletes_need_an_admin_of_the_repository(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run
) -> None:
    """A collaborator with every scope but write access only: the API's 403 and what to do."""
    image = docker_image(bed, bed_client, {"2.0": 1, "1.0": 2})
    done = docker_run(
        run_ghpkg, bed, "delete", image, "--version", "1.0", token="delete-collaborator"
    )
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: the REST API refused deleting 1.0 (id ")
    assert "HTTP 403 You must have admin permissions to the repository" in line
    assert line.endswith(
        "deleting needs admin permissions to the package's repository: ask an admin"
    )
    assert bed_client.get_manifest(f"{OWNER}/{REPOSITORY}/{image}", "1.0").status_code == 200


def test_a_public_docker_version_downloaded_over_5000_times_stays(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run
) -> None:
    image = docker_image(bed, bed_client, {"3.0": 1, "2.0": 2, "1.0": 3})
    name = f"{OWNER}/{REPOSITORY}/{image}"
    set_package(bed.paths.root, name, visibility="public", downloads={"2.0": 5001})
    done = docker_run(run_ghpkg, bed, "delete", image, "--keep", "1", "--delete-pause", "0")
    assert done.returncode == 0, done.stderr
    assert "HTTP 400 Publicly visible package versions with more than 5000 downloads" in done.stderr
    assert "GitHub refused 1: 2.0 (id" in done.stderr
    assert "Deleted 1.0" in done.stderr
    assert bed_client.get_manifest(name, "2.0").status_code == 200


def test_a_github_token_deletes_versions_of_its_workflows_repository(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run
) -> None:
    """`permissions: packages: write` deletes too (About permissions for GitHub Packages)."""
    image = docker_image(bed, bed_client, {"2.0": 1, "1.0": 2})
    env = {"GITHUB_REPOSITORY": f"{OWNER}/{REPOSITORY}"}
    done = run_ghpkg(
        "delete",
        *("--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--owner", OWNER),
        *("--repository", REPOSITORY, "--image", image, "--keep", "1", "--password-stdin"),
        stdin=bed.token("actions") + "\n",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Deleted 1.0" in done.stderr
    assert bed_client.get_manifest(f"{OWNER}/{REPOSITORY}/{image}", "1.0").status_code == 404


def test_children_of_a_kept_multi_platform_index_survive_untagged_cleanup(
    bed: Testbed, seeder: Seeder, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("multi")
    name = f"{OWNER}/{image}"
    old_amd, old_arm = seeder.image(name, 61), seeder.image(name, 61)
    old_index = seeder.index(name, [old_amd, old_arm], 60, "1.1.0")
    amd, arm = seeder.image(name, 2), seeder.image(name, 2)
    index = seeder.index(name, [amd, arm], 1, "1.2.0")
    orphan = seeder.image(name, 40)
    versions = listed(run_ghpkg, bed, image, tmp_path)
    assert [v["tags"] for v in versions] == [["1.2.0"], [], [], [], ["1.1.0"], [], []]

    dry = container_delete(
        run_ghpkg, bed, image, "--keep", "1", "--untagged", "--dry-run", "--delete-pause", "0"
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stderr.count("kept: child of 1.2.0's index") == 2
    assert "Would delete 1.1.0 (id" in dry.stderr
    assert dry.stderr.count(": goes: untagged") == 3  # old_amd, old_arm, orphan
    assert all(seeder.has(name, d) for d in (old_amd, old_arm, old_index, orphan))

    done = container_delete(
        run_ghpkg, bed, image, "--keep", "1", "--untagged", "--delete-pause", "0"
    )
    assert done.returncode == 0, done.stderr
    assert not any(seeder.has(name, d) for d in (old_amd, old_arm, old_index, orphan))
    assert all(seeder.has(name, d) for d in (index, amd, arm))
    assert json.loads(seeder.get(name, "1.2.0"))["manifests"][1]["digest"] == arm
    assert [v["tags"] for v in listed(run_ghpkg, bed, image, tmp_path)] == [["1.2.0"], [], []]


def test_an_index_inside_a_kept_index_keeps_its_images_too(
    bed: Testbed, seeder: Seeder, run_ghpkg: Run
) -> None:
    image = unique("nested")
    name = f"{OWNER}/{image}"
    amd, arm = seeder.image(name, 50), seeder.image(name, 50)
    inner = seeder.index(name, [amd, arm], 50, "")
    outer = seeder.index(name, [inner], 1, "2.0")
    stale = seeder.image(name, 50)
    done = container_delete(run_ghpkg, bed, image, "--untagged", "--delete-pause", "0")
    assert done.returncode == 0, done.stderr
    assert "kept: child of 2.0's index" in done.stderr
    assert f"kept: child of {inner[:19]}'s index" in done.stderr
    assert all(seeder.has(name, d) for d in (outer, inner, amd, arm))
    assert not seeder.has(name, stale)


def test_a_public_version_downloaded_over_5000_times_is_refused_and_the_rest_go(
    bed: Testbed, seeder: Seeder, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("popular")
    name = f"{OWNER}/{image}"
    for number, days in (("0.1", 30), ("0.2", 20), ("0.3", 10), ("1.0", 1)):
        seeder.image(name, days, number)
    set_package(bed.paths.root, name, visibility="public", downloads={"0.2": 5001, "0.3": 5000})
    out = tmp_path / "outputs"
    done = container_delete(
        run_ghpkg, bed, image, "--keep", "1", "--delete-pause", "0", "--output-file", str(out)
    )
    assert done.returncode == 0, done.stderr
    refusal = [line for line in done.stderr.splitlines() if "5000 downloads" in line]
    assert len(refusal) == 1
    assert "deleting 0.2 (id" in refusal[0]
    assert "HTTP 400 Publicly visible package versions" in refusal[0]
    assert "GitHub refused 1: 0.2 (id" in done.stderr
    assert "Deleted 0.3" in done.stderr
    assert "Deleted 0.1" in done.stderr
    outputs = read_outputs(out)
    assert [v["tags"] for v in json.loads(outputs["deleted"])] == [["0.3"], ["0.1"]]
    assert [v["tags"] for v in json.loads(outputs["versions"])] == [["1.0"], ["0.2"]]


def test_deletes_are_paced_and_a_secondary_rate_limit_is_waited_out(
    bed: Testbed, seeder: Seeder, run_ghpkg: Run
) -> None:
    image = unique("paced")
    name = f"{OWNER}/{image}"
    for number in range(4):
        seeder.image(name, 5 - number, f"1.{number}")
    before = len(delete_times(bed.paths.root))
    done = container_delete(run_ghpkg, bed, image, "--keep", "1")  # the default: a second apart
    assert done.returncode == 0, done.stderr
    times = delete_times(bed.paths.root)[before:]
    assert len(times) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.95, gaps

    image = unique("limited")
    name = f"{OWNER}/{image}"
    for number in range(3):
        seeder.image(name, 5 - number, f"2.{number}")
    set_package(bed.paths.root, name, min_delete_gap=0.5)
    before = len(delete_times(bed.paths.root))
    try:  # no pause: the bed's secondary rate limit answers 403 with Retry-After: 1
        done = container_delete(run_ghpkg, bed, image, "--keep", "1", "--delete-pause", "0")
    finally:
        set_package(bed.paths.root, name, min_delete_gap=0)
    assert done.returncode == 0, done.stderr
    assert len(delete_times(bed.paths.root)) - before == 3  # 204, 403, then 204 after a second
    assert "HTTP 403; retry 1/" in done.stderr
    assert "Deleted 2.1" in done.stderr
    assert "Deleted 2.0" in done.stderr
    assert seeder.count(name) == 1


def test_retention_over_hundreds_of_versions_in_dozens_of_packages(
    bed: Testbed, seeder: Seeder, run_ghpkg: Run, tmp_path: Path
) -> None:
    stem = unique("many")
    names = [f"{OWNER}/{stem}-{n}" for n in range(24)]
    for n, name in enumerate(names):
        for number in range(130 if n == 0 else 8):
            seeder.image(name, 200 - number, f"0.{number}" if number % 2 == 0 else "")
    assert sum(seeder.count(name) for name in names) == 130 + 23 * 8
    big = names[0].split("/")[1]
    done = container_delete(
        run_ghpkg,
        bed,
        big,
        "--keep",
        "3",
        "--untagged",
        "--keep-tags",
        r"^0\.1\d$",
        "--delete-pause",
        "0",
    )
    assert done.returncode == 0, done.stderr
    assert "130 version(s), deleting 122, keeping 8" in done.stderr
    kept = listed(run_ghpkg, bed, big, tmp_path)
    assert sorted(tag for v in kept for tag in v["tags"]) == sorted(
        ["0.124", "0.126", "0.128", "0.10", "0.12", "0.14", "0.16", "0.18"]
    )
    assert all(seeder.count(name) == 8 for name in names[1:])
