"""README claims that no other test holds ghpkg to: its first command (the demo) runs, why
ghpkg exists (a plain `docker pull` fails against this registry), `ghpkg ref` as a command, the
system's CA bundle without `--ca-file`."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import docker.errors
import pytest

from testbed.bed import Testbed
from testbed.certs_d import trusting
from testbed.client import BedClient
from testbed.images import build_hello
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.integration.conftest import Run, clean_environment

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_the_readmes_first_command_builds_pushes_pulls_back_and_runs(bed: Testbed) -> None:
    """`bash scripts/demo.sh`, the README's first command, as a user runs it: it ends by running
    the image it pulled back from the instance."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    reference = f"docker.{bed.hostname}/octo-org/hello-world/hello:1.0"
    assert lines[-2:] == [
        "Hello from ghpkg: pushed to and pulled from the GHES Docker registry",
        reference,
    ]
    assert bed.token("actions") not in done.stdout + done.stderr.replace(
        f"::add-mask::{bed.token('actions')}", ""
    )


def _engine_pull(engine: EngineUnderTest, bed: Testbed, name: str, tag: str) -> str:
    """`docker pull NAME:TAG` by the engine itself with the read token; its error, or ''."""
    auth = {"username": bed.user("read"), "password": bed.token("read")}
    try:
        stream = engine.client.api.pull(name, tag=tag, auth_config=auth, stream=True, decode=True)
        for chunk in stream:
            if "error" in chunk:
                return str(chunk["error"])
    except docker.errors.APIError as exc:
        return str(exc)
    return ""


def test_a_plain_docker_pull_fails_against_the_docker_registry_on_every_engine(
    bed: Testbed, engine: EngineUnderTest, bed_client: BedClient, run_ghpkg: Run
) -> None:
    """README ("a plain `docker pull` fails there") and bench/README.md: "`docker pull` itself
    fails against the GHES registry on every engine (no manifest by digest)": the tag
    resolves, the engine then asks for the digest and is refused; the same pull works once the
    bed serves manifests by digest."""
    image = f"plainpull-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", "pushed by ghpkg")
    pushed = run_ghpkg(
        "push", "--hostname", bed.hostname, "--owner", "octo-org", "--repository", "hello-world",
        "--image", image, "--version", "1.0", "--source", source, "--ca-file", str(bed.ca_file),
        env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url},
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    name = pushed.stdout.strip().rsplit(":", 1)[0]
    for local in (f"local/{image}:src", f"{name}:1.0"):
        engine.client.images.remove(local, force=True)
    path = name.split("/", 1)[1]
    assert bed_client.get_manifest(path, "1.0").status_code == 200
    with trusting(bed.ca_file, bed.registry_host):  # TLS is not what this is about
        error = _engine_pull(engine, bed, name, "1.0")
        assert error, f"Engine {engine.version} pulled {name}:1.0 from the registry"
        assert "manifest" in error, error
        with pytest.raises(docker.errors.ImageNotFound):
            engine.client.images.get(f"{name}:1.0")
        bed.configure(refuse_digest_gets=False)  # the bed fixture puts the quirk back after
        assert _engine_pull(engine, bed, name, "1.0") == ""
    engine.client.images.remove(f"{name}:1.0", force=True)


def test_ghpkg_ref_prints_the_references_with_no_token_and_no_network(run_ghpkg: Run) -> None:
    """`ghpkg ref` (README, "On the command line"): the references on stdout, exit 0, for a host
    that does not even resolve, with no token anywhere."""
    argv = ["ref", "--hostname", "ghes.invalid", "--owner", "Octo-Org", "--repository", "App"]
    argv += ["--image", "app", "--version", "1.4.0", "--version", "latest"]
    done = run_ghpkg(*argv)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "docker.ghes.invalid/octo-org/app/app:1.4.0",
        "docker.ghes.invalid/octo-org/app/app:latest",
    ]
    flat = run_ghpkg(*argv, "--subdomain-isolation", "false", "--registry", "docker")
    assert flat.returncode == 0, flat.stderr
    assert flat.stdout.splitlines()[0] == "ghes.invalid/octo-org/app/app:1.4.0"
    assert "error" not in done.stderr + flat.stderr


@pytest.fixture(scope="module")
def one_engine(engine_pool: EnginePool) -> EngineUnderTest:
    """The first engine under test: what is checked here is ghpkg's own TLS client."""
    return engine_pool.get(selected_engines()[0])


def test_without_ca_file_the_system_ca_bundle_is_trusted(
    bed: Testbed, one_engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    """With no --ca-file, ghpkg verifies against the system's CA bundle (OpenSSL's default,
    which SSL_CERT_FILE names), as the engine does: a bundle holding the bed's CA is enough."""
    system = Path("/etc/ssl/certs/ca-certificates.crt")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(system.read_bytes() + b"\n" + bed.ca_file.read_bytes())
    image = f"sysca-{uuid.uuid4().hex[:8]}"
    source = build_hello(one_engine.client, f"local/{image}:src", "trusted by the system")
    argv = ["push", "--hostname", bed.hostname, "--owner", "octo-org", "--repository"]
    argv += ["hello-world", "--image", image, "--version", "1.0", "--source", source]
    env = {"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": one_engine.base_url}
    refused = run_ghpkg(*argv, env={**env, "SSL_CERT_FILE": str(system)})
    assert refused.returncode == 1, refused.stderr
    assert "not trusted" in refused.stderr.strip().splitlines()[-1]
    done = run_ghpkg(*argv, env={**env, "SSL_CERT_FILE": str(bundle)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{bed.registry_host}/octo-org/hello-world/{image}:1.0"
    one_engine.client.images.remove(f"local/{image}:src", force=True)
