"""`ghpkg pull` as users run it: by tag, into the local engine, on every engine of the matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run
from tests.integration.test_push_cli import digest_of, stored_manifest, unique, workflow_env

pytestmark = pytest.mark.integration


def publish(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, repository: str, greeting: str
) -> str:
    """Push a fresh image with the write PAT; return its full reference."""
    image = unique("pullme", engine)
    image_id = build_hello(engine.client, f"local/{image}:src", greeting)
    done = run_ghpkg(
        "push",
        "--hostname",
        bed.hostname,
        "--owner",
        "octo-org",
        "--repository",
        repository,
        "--image",
        image,
        "--version",
        "1.0",
        "--source",
        image_id,
        "--ca-file",
        str(bed.ca_file),
        "--quiet",
        env={"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")},
    )
    assert done.returncode == 0, done.stderr
    reference = done.stdout.strip()
    engine.client.images.remove(reference, force=True)
    engine.client.images.remove(f"local/{image}:src", force=True)
    return reference


def test_pull_other_repository_with_read_pat_then_run(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    reference = publish(bed, engine, run_ghpkg, "other-repo", "installed by ghpkg")
    image = reference.rsplit("/", 1)[1].split(":")[0]
    out = tmp_path / "outputs"
    done = run_ghpkg(
        "pull",
        "--hostname",
        bed.hostname,
        "--owner",
        "octo-org",
        "--repository",
        "other-repo",
        "--image",
        image,
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        "--password-stdin",
        "--output-file",
        str(out),
        env={"DOCKER_HOST": engine.base_url, "GITHUB_REPOSITORY": "octo-org/hello-world"},
        stdin=bed.token("read"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [reference]
    outputs = read_outputs(out)
    raw, _ = stored_manifest(bed, f"octo-org/other-repo/{image}", "1.0")
    assert outputs["digest"] == digest_of(raw)
    assert outputs["image-id"] == engine.client.images.get(reference).id
    printed = engine.client.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == "installed by ghpkg"


def test_pull_own_repository_with_github_token(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    reference = publish(bed, engine, run_ghpkg, "hello-world", "mine")
    image = reference.rsplit("/", 1)[1].split(":")[0]
    done = run_ghpkg(
        "pull",
        "--image",
        image,
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 0, done.stderr
    assert engine.client.images.get(reference)


def test_github_token_for_another_repository_is_refused(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    done = run_ghpkg(
        "pull",
        "--owner",
        "octo-org",
        "--repository",
        "other-repo",
        "--image",
        "x",
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 2
    assert "classic PAT with read:packages" in done.stderr


def test_digest_reference_is_refused(bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run) -> None:
    done = run_ghpkg(
        "pull",
        "--image",
        "hello",
        "--version",
        "sha256:" + "ab" * 32,
        "--ca-file",
        str(bed.ca_file),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 2
    assert "resolves images only by tag" in done.stderr


def test_token_without_read_packages_is_told_before_download(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    done = run_ghpkg(
        "pull",
        "--hostname",
        bed.hostname,
        "--owner",
        "octo-org",
        "--repository",
        "other-repo",
        "--image",
        "x",
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        "--password-stdin",
        env={"DOCKER_HOST": engine.base_url},
        stdin=bed.token("noscope"),
    )
    assert done.returncode == 1
    assert "lacks the read:packages scope" in done.stderr
