"""`ghpkg push` as users run it, against the GHES-like test bed, on every engine of the matrix."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration


def unique(prefix: str, engine: EngineUnderTest) -> str:
    """An image name no other test or engine uses."""
    return f"{prefix}-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"


def stored_manifest(bed: Testbed, path: str, tag: str) -> tuple[bytes, str]:
    """What the registry behind the front stores for a tag."""
    answer = requests.get(
        f"{bed.backend_url}/v2/{path}/manifests/{tag}",
        headers={"Accept": SCHEMA2},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.content, answer.headers["Content-Type"]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def workflow_env(
    bed: Testbed, engine: EngineUnderTest, token_name: str = "actions"
) -> dict[str, str]:
    return {
        # a workflow's GITHUB_TOKEN (ghs_), given as the CLI outside Actions reads one
        "GHPKG_TOKEN": bed.token(token_name),
        "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "DOCKER_HOST": engine.base_url,
    }


def test_push_from_context_with_github_token(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, hello_context: Path, tmp_path: Path
) -> None:
    image = unique("hello", engine)
    out = tmp_path / "outputs"
    done = run_ghpkg(
        "push",
        "--image",
        image,
        "--version",
        "1.0",
        "--context",
        str(hello_context),
        "--ca-file",
        str(bed.ca_file),
        "--output-file",
        str(out),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 0, done.stderr
    reference = f"docker.{bed.hostname}/octo-org/hello-world/{image}:1.0"
    assert done.stdout.splitlines() == [reference]
    outputs = read_outputs(out)
    raw, content_type = stored_manifest(bed, f"octo-org/hello-world/{image}", "1.0")
    assert content_type == SCHEMA2
    assert outputs["digest"] == digest_of(raw)
    assert outputs["image"] == reference
    assert outputs["registry"] == f"docker.{bed.hostname}"
    assert outputs["package-url"] == f"https://{bed.hostname}/octo-org/hello-world/packages"
    local = engine.client.images.get(reference)
    assert local.id == outputs["image-id"]
    labels = local.labels
    assert (
        labels["org.opencontainers.image.source"] == f"https://{bed.hostname}/octo-org/hello-world"
    )
    assert labels["org.opencontainers.image.revision"] == "0123456789abcdef0123456789abcdef01234567"
    assert bed.token("actions") not in done.stdout + done.stderr


def test_push_existing_image_several_versions_without_isolation(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("tagged", engine)
    image_id = build_hello(engine.client, f"local/{image}:src", "tagged by ghpkg")
    out = tmp_path / "outputs"
    done = run_ghpkg(
        "push",
        "--hostname",
        f"https://{bed.flat_hostname}/",
        "--owner",
        "Octo-Org",
        "--repository",
        "Other-Repo",
        "--image",
        image,
        "--version",
        "1.0",
        "--version",
        "latest",
        "--source",
        image_id,
        "--ca-file",
        str(bed.ca_file),
        "--password-stdin",
        "--username",
        bed.user("write"),
        "--output-file",
        str(out),
        env={"DOCKER_HOST": engine.base_url},
        stdin=bed.token("write") + "\n",
    )
    assert done.returncode == 0, done.stderr
    name = f"{bed.flat_hostname}/octo-org/other-repo/{image}"
    assert done.stdout.splitlines() == [f"{name}:1.0", f"{name}:latest"]
    outputs = read_outputs(out)
    assert outputs["images"] == f"{name}:1.0\n{name}:latest"
    assert outputs["image-id"] == image_id
    for tag in ("1.0", "latest"):
        raw, content_type = stored_manifest(bed, f"octo-org/other-repo/{image}", tag)
        assert content_type == SCHEMA2
        assert digest_of(raw) == outputs["digest"]
    assert bed.token("write") not in done.stdout + done.stderr


def test_forced_registry_transport_writes_schema2(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("viaapi", engine)
    image_id = build_hello(engine.client, f"local/{image}:src", "pushed through the API")
    out = tmp_path / "outputs"
    done = run_ghpkg(
        "push",
        "--hostname",
        bed.hostname,
        "--subdomain-isolation",
        "true",
        "--image",
        image,
        "--version",
        "2.0",
        "--source",
        image_id,
        "--transport",
        "registry",
        "--ca-file",
        str(bed.ca_file),
        "--output-file",
        str(out),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 0, done.stderr
    raw, content_type = stored_manifest(bed, f"octo-org/hello-world/{image}", "2.0")
    assert content_type == SCHEMA2
    assert read_outputs(out)["digest"] == digest_of(raw)


def test_untrusted_ca_fails_with_advice(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, hello_context: Path
) -> None:
    done = run_ghpkg(
        "push",
        "--image",
        "hello",
        "--version",
        "1.0",
        "--context",
        str(hello_context),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 1
    assert "--ca-file" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")


@pytest.mark.parametrize("token_name", ["read", "noscope"])
def test_token_without_write_packages_is_refused_before_building(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, hello_context: Path, token_name: str
) -> None:
    done = run_ghpkg(
        "push",
        "--image",
        "hello",
        "--version",
        "1.0",
        "--context",
        str(hello_context),
        "--ca-file",
        str(bed.ca_file),
        env=workflow_env(bed, engine, token_name),
    )
    assert done.returncode == 1
    assert "write:packages" in done.stderr
    assert "classic personal access token" in done.stderr
    assert "== Build" not in done.stderr
    assert bed.token(token_name) not in done.stderr


@pytest.mark.parametrize("transport", ["registry", "engine"])
def test_push_and_pull_survive_an_unparsable_upload_digest_and_a_manifest_head_405(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, transport: str
) -> None:
    """Blob commits answer a Docker-Content-Digest without its algorithm (build-push-action#148)
    and HEAD on a manifest by tag 405 (containerd#5860): ghpkg relies on neither."""
    bed.configure(bad_upload_digest=True, manifest_head_405=True)
    image = unique(f"odd-{transport}", engine)
    image_id = build_hello(engine.client, f"local/{image}:src", f"odd answers, {transport}")
    out = tmp_path / "outputs"
    env = workflow_env(bed, engine)
    pushed = run_ghpkg(
        "push", "--image", image, "--version", "1.0", "--source", image_id,
        "--transport", transport, "--ca-file", str(bed.ca_file), "--output-file", str(out),
        env=env,
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    raw, _ = stored_manifest(bed, f"octo-org/hello-world/{image}", "1.0")
    assert read_outputs(out)["digest"] == digest_of(raw)
    engine.client.images.remove(image_id, force=True)
    pulled = run_ghpkg(
        "pull", "--image", image, "--version", "1.0", "--ca-file", str(bed.ca_file), env=env
    )
    assert pulled.returncode == 0, pulled.stderr
    assert engine.client.images.get(f"docker.{bed.hostname}/octo-org/hello-world/{image}:1.0")


def test_no_push_with_load_builds_that_file_into_the_engine_and_sends_nothing(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    """build-push-action's push: false, load: true, file: — with no token at all."""
    image = unique("buildonly", engine)
    greeting = f"built from the other file {image}"
    context = tmp_path / "context"
    context.mkdir()
    shutil.copy2("/bin/busybox", context / "busybox")
    (context / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\nCMD ["x"]\n')
    other = tmp_path / "build.Dockerfile"
    other.write_text(
        f'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "{greeting}"]\n'
    )
    out = tmp_path / "outputs"
    done = run_ghpkg(
        *("push", "--hostname", bed.hostname, "--owner", "octo-org", "--repository"),
        *("hello-world", "--image", image, "--version", "1.0", "--context", str(context)),
        *("--file", str(other), "--no-push", "--load", "--ca-file", str(bed.ca_file)),
        *("--output-file", str(out)),
        env={"DOCKER_HOST": engine.base_url},
    )
    assert done.returncode == 0, done.stderr
    reference = f"{bed.registry_host}/octo-org/hello-world/{image}:1.0"
    assert done.stdout.strip() == reference
    printed = engine.client.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == greeting
    assert read_outputs(out)["imageid"] == engine.client.images.get(reference).id
    listed = requests.get(
        f"{bed.backend_url}/v2/octo-org/hello-world/{image}/tags/list", timeout=30
    )
    assert listed.status_code == 404, listed.text  # nothing reached the registry
    engine.client.images.remove(reference, force=True)
