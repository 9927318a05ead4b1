"""--registry container and `ghpkg copy` as users run them, against the bed's Container registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run
from tests.integration.test_push_cli import digest_of, unique, workflow_env

pytestmark = pytest.mark.integration

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
)


def common(bed: Testbed, *extra: str) -> list[str]:
    """--hostname, owner octo-org and the bed's CA, plus extra arguments."""
    return [
        "--hostname",
        bed.hostname,
        "--owner",
        "octo-org",
        "--ca-file",
        str(bed.ca_file),
        *extra,
    ]


def container_manifest(bed: Testbed, path: str, tag: str) -> bytes:
    """What the Container registry's backend stores for a tag."""
    answer = requests.get(
        f"{bed.container_backend_url}/v2/{path}/manifests/{tag}",
        headers={"Accept": ACCEPT},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.content


def containerd_store(engine: EngineUnderTest) -> bool:
    """Whether the engine keeps images in the containerd image store."""
    status = engine.client.info().get("DriverStatus") or []
    return any("io.containerd.snapshotter" in str(value) for _key, value in status)


def put_index(bed: Testbed, engine: EngineUnderTest, path: str, tag: str, manifest: bytes) -> bytes:
    """PUT an OCI index naming one image manifest for the engine's platform and one for arm."""
    arch = engine.client.version()["Arch"]
    entry = {"mediaType": json.loads(manifest)["mediaType"], "size": len(manifest)}
    entry["digest"] = digest_of(manifest)
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {**entry, "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
            {**entry, "platform": {"architecture": arch, "os": "linux"}},
        ],
    }
    ca = str(bed.ca_file)
    token = requests.get(
        f"https://{bed.container_host}/token",
        params={"scope": f"repository:{path}:pull,push"},
        auth=(bed.user("write"), bed.token("write")),
        verify=ca,
        timeout=30,
    ).json()["token"]
    answer = requests.put(
        f"https://{bed.container_host}/v2/{path}/manifests/{tag}",
        data=json.dumps(index).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": OCI_INDEX},
        verify=ca,
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return json.dumps(index).encode()


def local_image(engine: EngineUnderTest, name: str, greeting: str) -> str:
    """Build a tiny image that prints greeting, tagged local/NAME:src; return its ID."""
    return build_hello(engine.client, f"local/{name}:src", greeting)


def test_push_to_the_container_registry_then_pull_back_and_run(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("ctr", engine)
    image_id = local_image(engine, image, "from the container registry")
    out = tmp_path / "push"
    argv = ["--registry", "container", "--image", image, "--version", "1.0", "--version", "latest"]
    env = {"DOCKER_HOST": engine.base_url}
    pushed = run_ghpkg(
        "push",
        *common(bed, *argv, "--source", image_id, "--password-stdin", "--output-file", str(out)),
        env=env,
        stdin=bed.token("write"),
    )
    assert pushed.returncode == 0, pushed.stderr
    reference = f"{bed.container_host}/octo-org/{image}"
    assert pushed.stdout.splitlines() == [f"{reference}:1.0", f"{reference}:latest"]
    outputs = read_outputs(out)
    assert outputs["registry"] == bed.container_host
    assert outputs["digest"] == digest_of(container_manifest(bed, f"octo-org/{image}", "1.0"))
    engine.client.images.remove(f"local/{image}:src", force=True)
    for name in (f"{reference}:1.0", f"{reference}:latest"):
        engine.client.images.remove(name, force=True)

    pulled = run_ghpkg(
        "pull",
        *common(bed, "--registry", "container", "--image", image, "--version", "1.0"),
        "--password-stdin",
        env=env,
        stdin=bed.token("read"),
    )
    assert pulled.returncode == 0, pulled.stderr
    assert "pulling via " in pulled.stderr
    printed = engine.client.containers.run(f"{reference}:1.0", network_mode="none", remove=True)
    assert printed.decode().strip() == "from the container registry"

    if containerd_store(engine):
        return  # moby's containerd store fetches Bearer tokens without certs.d: see below
    by_digest = run_ghpkg(
        "pull",
        *common(bed, "--registry", "container", "--image", image, "--version", outputs["digest"]),
        "--password-stdin",
        env=env,
        stdin=bed.token("read"),
    )
    assert by_digest.returncode == 0, by_digest.stderr
    assert by_digest.stdout.strip() == f"{reference}@{outputs['digest']}"
    assert "pulling via engine" in by_digest.stderr


def test_the_engine_transport_pulls_from_the_container_registry_with_a_private_ca(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    """The shim speaks TLS and Bearer to the registry, so the engine needs neither the CA nor
    the token: the containerd store, which asks /token without certs.d, pulls all the same."""
    image = unique("ctr-engine", engine)
    image_id = local_image(engine, image, "through the shim from the container registry")
    env = {"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")}
    argv = ["--registry", "container", "--image", image, "--version", "1.0"]
    pushed = run_ghpkg("push", *common(bed, *argv, "--source", image_id), env=env)
    assert pushed.returncode == 0, pushed.stderr
    reference = pushed.stdout.strip()
    engine.client.images.remove(reference, force=True)
    engine.client.images.remove(f"local/{image}:src", force=True)
    done = run_ghpkg("pull", *common(bed, *argv, "--transport", "engine"), env=env)
    assert done.returncode == 0, done.stderr
    assert "pulling via engine" in done.stderr
    printed = engine.client.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == "through the shim from the container registry"


def test_a_multi_platform_index_pulls_the_engine_platform(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    """The registry transport resolves an index (digests work there) to this platform's image."""
    image = unique("ctr-index", engine)
    image_id = local_image(engine, image, "picked for this platform")
    env = {"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")}
    argv = ["--registry", "container", "--image", image]
    pushed = run_ghpkg(
        "push", *common(bed, *argv, "--version", "1.0", "--source", image_id), env=env
    )
    assert pushed.returncode == 0, pushed.stderr
    index = put_index(
        bed,
        engine,
        f"octo-org/{image}",
        "multi",
        container_manifest(bed, f"octo-org/{image}", "1.0"),
    )
    engine.client.images.remove(f"local/{image}:src", force=True)
    engine.client.images.remove(pushed.stdout.strip(), force=True)

    out = tmp_path / "pull"
    pulled = run_ghpkg(
        "pull",
        *common(bed, *argv, "--version", "multi", "--output-file", str(out)),
        "--transport",
        "registry",
        env=env,
    )
    assert pulled.returncode == 0, pulled.stderr
    arch = engine.client.version()["Arch"]
    assert f"is a multi-platform index: pulling its linux/{arch} image" in pulled.stderr
    assert read_outputs(out)["digest"] == digest_of(index)
    reference = f"{bed.container_host}/octo-org/{image}:multi"
    printed = engine.client.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == "picked for this platform"
    engine.client.images.remove(reference, force=True)
    again = run_ghpkg(
        "pull", *common(bed, *argv, "--version", "multi", "--transport", "engine"), env=env
    )
    assert again.returncode == 0, again.stderr
    printed = engine.client.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == "picked for this platform"


def test_copy_from_the_docker_registry_keeps_the_digest_and_runs(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = unique("migrate", engine)
    image_id = local_image(engine, image, "moved to the container registry")
    env = {"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")}
    versions = ["--version", "1.0", "--version", "latest"]
    source = ["--repository", "hello-world", "--image", image, *versions]
    pushed = run_ghpkg(
        "push",
        *common(bed, *source, "--source", image_id, "--output-file", str(tmp_path / "a")),
        env=env,
    )
    assert pushed.returncode == 0, pushed.stderr
    digest = read_outputs(tmp_path / "a")["digest"]

    out = tmp_path / "copy"
    copied = run_ghpkg(
        "copy",
        *common(bed, *source, "--to-image", f"{image}-c", "--output-file", str(out)),
        env=env,
    )
    assert copied.returncode == 0, copied.stderr
    reference = f"{bed.container_host}/octo-org/{image}-c"
    assert copied.stdout.splitlines() == [f"{reference}:1.0", f"{reference}:latest"]
    outputs = read_outputs(out)
    assert outputs["digest"] == digest
    assert outputs["registry"] == bed.container_host
    for tag in ("1.0", "latest"):
        assert digest_of(container_manifest(bed, f"octo-org/{image}-c", tag)) == digest
    assert "2 blob(s) copied" in copied.stderr

    again = run_ghpkg("copy", *common(bed, *source, "--to-image", f"{image}-c"), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 blob(s) copied" in again.stderr

    engine.client.images.remove(f"local/{image}:src", force=True)
    pulled = run_ghpkg(
        "pull",
        *common(bed, "--registry", "container", "--image", f"{image}-c", "--version", "1.0"),
        env=env,
    )
    assert pulled.returncode == 0, pulled.stderr
    printed = engine.client.containers.run(f"{reference}:1.0", network_mode="none", remove=True)
    assert printed.decode().strip() == "moved to the container registry"


@pytest.mark.parametrize("api", [True, False], ids=["api-check", "registry-refuses"])
def test_read_only_pat_cannot_push_to_the_container_registry(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, api: bool
) -> None:
    """Refused by the REST API check, or (API off) by the Container registry itself: exit 1."""
    bed.configure(api_enabled=api)
    image = unique("ctr-ro", engine)
    image_id = local_image(engine, image, "never published")
    argv = ["--registry", "container", "--image", image, "--version", "1.0"]
    done = run_ghpkg(
        "push",
        *common(bed, *argv, "--source", image_id, "--transport", "registry"),
        env={"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("read")},
    )
    assert done.returncode == 1, done.stderr
    assert "write:packages" in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr


def test_github_token_pushes_to_its_owner_on_the_container_registry(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    image = unique("ctr-actions", engine)
    image_id = local_image(engine, image, "pushed with GITHUB_TOKEN")
    done = run_ghpkg(
        "push",
        "--registry",
        "container",
        "--image",
        image,
        "--version",
        "1.0",
        "--source",
        image_id,
        "--ca-file",
        str(bed.ca_file),
        env=workflow_env(bed, engine),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{bed.container_host}/octo-org/{image}:1.0"


@pytest.mark.parametrize("operation", ["push", "copy"])
def test_container_registry_without_subdomain_isolation_is_exit_2(
    bed: Testbed, run_ghpkg: Run, operation: str
) -> None:
    argv = ["--image", "app", "--version", "1.0", "--subdomain-isolation", "false"]
    if operation == "push":
        argv += ["--registry", "container", "--source", "anything"]
    done = run_ghpkg(
        operation,
        *common(bed, "--repository", "hello-world", *argv),
        env={"GHPKG_TOKEN": bed.token("write")},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: the Container registry needs subdomain isolation: GHES serves it only at "
        "containers.HOSTNAME, which exists only with isolation on; drop --subdomain-isolation "
        "false, or use --registry docker"
    ]


@pytest.mark.parametrize("operation", ["pull", "copy"])
@pytest.mark.parametrize("instance", ["disabled", "flat"])
def test_an_instance_without_the_container_registry_is_named(
    bed: Testbed, run_ghpkg: Run, operation: str, instance: str
) -> None:
    """No containers.HOST (not enabled: a web page; no isolation: no such name): exit 1, say so."""
    hostname, cause = bed.hostname, "HTTP 404"
    if instance == "disabled":
        bed.configure(container_registry=False)
    else:
        hostname, cause = bed.flat_hostname, ""
    argv = ["--hostname", hostname, "--owner", "octo-org", "--ca-file", str(bed.ca_file)]
    argv += ["--image", "app", "--version", "1.0"]
    if operation == "pull":
        argv += ["--registry", "container"]
    else:  # copy's source is the Docker registry (docker.HOST, or HOST on the flat instance)
        argv += ["--repository", "hello-world"]
    done = run_ghpkg(operation, *argv, env={"GHPKG_TOKEN": bed.token("write")})
    assert done.returncode == 1, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"error: no Container registry at containers.{hostname}: {cause}")
    assert "subdomain isolation" in last
    assert "retry" not in done.stderr
