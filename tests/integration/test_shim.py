"""The engine transport and `ghpkg serve`: real engines, skopeo and ctr through the shim."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ghpkg.engine import Engine
from ghpkg.manifest import SCHEMA2
from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from ghpkg.shim import Scope, Shim
from ghpkg.transports.choice import unreachable
from testbed.bed import Testbed
from testbed.engines import CACHE_DIR, RUN_DIR
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run, clean_environment

pytestmark = pytest.mark.integration

GREETING = "hello through the shim"


def unique(prefix: str, engine: EngineUnderTest) -> str:
    return f"{prefix}-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def stored(bed: Testbed, path: str, tag: str) -> tuple[bytes, str]:
    """The manifest the registry behind the front keeps for a tag."""
    answer = requests.get(
        f"{bed.backend_url}/v2/{path}/manifests/{tag}", headers={"Accept": SCHEMA2}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.content, answer.headers["Content-Type"]


def build(engine: EngineUnderTest, context: Path, name: str, extra: str = "") -> str:
    """A FROM-scratch image that prints GREETING (plus a layer of `extra` when given)."""
    context.mkdir(parents=True, exist_ok=True)
    shutil.copy2("/bin/busybox", context / "busybox")
    lines = ["FROM scratch", "COPY busybox /bin/busybox", f"LABEL test.image={name}"]
    if extra:
        (context / "extra.txt").write_text(extra)
        lines.append("COPY extra.txt /extra.txt")
    lines.append(f'CMD ["/bin/busybox", "echo", "{GREETING}"]')
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    image, _logs = engine.client.images.build(path=str(context), tag=name, rm=True)
    return str(image.id)


def loopback_names(engine: EngineUnderTest, path: str) -> list[str]:
    """Names of path that the shim's temporary `127.0.0.1:PORT/...` references left behind."""
    names = []
    for image in engine.client.api.images(all=True):  # one call: no inspect per image
        for name in (image.get("RepoTags") or []) + (image.get("RepoDigests") or []):
            if name.startswith("127.0.0.1:") and f"/{path}" in name:
                names.append(name)
    return names


@pytest.mark.parametrize("isolation", [True, False], ids=["subdomain", "flat"])
def test_push_and_pull_through_the_engine_and_the_shim(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, isolation: bool
) -> None:
    image = unique("shim", engine)
    source = build(engine, tmp_path / "ctx", f"local/{image}:src")
    hostname = bed.hostname if isolation else bed.flat_hostname
    host = bed.registry_host if isolation else bed.flat_hostname
    common = [
        "--hostname", hostname, "--subdomain-isolation", str(isolation).lower(),
        "--ca-file", str(bed.ca_file), "--owner", "octo-org", "--repository", "hello-world",
        "--image", image, "--transport", "engine",
    ]  # fmt: skip
    env = {"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")}
    out = tmp_path / "push"
    pushed = run_ghpkg(
        "push", *common, "--version", "1.0", "--version", "latest", "--source", source,
        "--output-file", str(out), env=env,
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    assert "pushing via engine (as asked)" in pushed.stderr
    path = f"octo-org/hello-world/{image}"
    raw, content_type = stored(bed, path, "1.0")
    assert content_type == SCHEMA2
    assert stored(bed, path, "latest")[0] == raw
    assert read_outputs(out)["digest"] == digest_of(raw)
    reference = f"{host}/{path}:1.0"
    engine.client.images.remove(reference, force=True)
    engine.client.images.remove(f"{host}/{path}:latest", force=True)
    engine.client.images.remove(f"local/{image}:src", force=True)

    out = tmp_path / "pull"
    pulled = run_ghpkg("pull", *common, "--version", "1.0", "--output-file", str(out), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.splitlines() == [reference]
    outputs = read_outputs(out)
    assert outputs["digest"] == digest_of(raw)
    local = engine.client.images.get(reference)
    assert outputs["image-id"] == local.id
    if engine.name.endswith("containerd"):  # what `docker pull` leaves on that store
        assert f"{host}/{path}@{digest_of(raw)}" in local.attrs["RepoDigests"]
    printed = engine.client.containers.run(reference, network_mode="none", remove=True)
    assert printed.decode().strip() == GREETING
    assert loopback_names(engine, path) == []


def test_an_update_downloads_only_the_layers_the_engine_lacks(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    if engine.name.endswith("containerd"):
        pytest.skip("the containerd store's pull reports no per-layer progress to count")
    image = unique("update", engine)
    env = {"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")}
    common = [
        "--hostname", bed.hostname, "--subdomain-isolation", "true", "--ca-file",
        str(bed.ca_file), "--owner", "octo-org", "--repository", "hello-world", "--image", image,
        "--transport", "engine",
    ]  # fmt: skip
    for version in ("1", "2"):
        source = build(engine, tmp_path / version, f"local/{image}:{version}", f"release {version}")
        done = run_ghpkg("push", *common, "--version", version, "--source", source, env=env)
        assert done.returncode == 0, done.stderr
    first = f"{bed.registry_host}/octo-org/hello-world/{image}"
    for version in ("1", "2"):
        engine.client.images.remove(f"{first}:{version}", force=True)
        engine.client.images.remove(f"local/{image}:{version}", force=True)
    assert run_ghpkg("pull", *common, "--version", "1", env=env).returncode == 0
    second = run_ghpkg("pull", *common, "--version", "2", env=env)
    assert second.returncode == 0, second.stderr
    said = second.stderr.splitlines()
    assert sum("Already exists" in line for line in said) == 1, second.stderr  # busybox's layer
    assert sum("Pull complete" in line for line in said) == 1, second.stderr  # release 2's


def test_the_engine_gets_no_credential_and_its_config_stays_untouched(
    bed: Testbed, engine: EngineUnderTest, tmp_path: Path
) -> None:
    image = unique("nocreds", engine)
    source = build(engine, tmp_path / "ctx", f"local/{image}:src")
    config_dir = Path(engine.env.get("DOCKER_CONFIG") or Path.home() / ".docker")
    before = sorted(p.name for p in config_dir.iterdir()) if config_dir.exists() else []
    registry = RegistryClient(
        bed.registry_host, "octocat", Secret(bed.token("write")), ca_file=bed.ca_file
    )
    path = f"octo-org/hello-world/{image}"
    with Shim(registry, scope=Scope(frozenset({path}))) as shim:
        name = f"{shim.address}/{path}:1.0"
        engine.client.api.tag(source, f"{shim.address}/{path}", "1.0")
        for chunk in engine.client.api.push(
            f"{shim.address}/{path}", tag="1.0", stream=True, decode=True
        ):
            assert "error" not in chunk, chunk
        engine.client.images.remove(name)
    assert shim.activity.requests > 0
    assert shim.activity.with_credentials == 0
    assert shim.pushed[(path, "1.0")] == digest_of(stored(bed, path, "1.0")[0])
    after = sorted(p.name for p in config_dir.iterdir()) if config_dir.exists() else []
    assert after == before
    assert not (config_dir / "config.json").exists() or "auths" not in json.loads(
        (config_dir / "config.json").read_text() or "{}"
    )


def test_an_index_with_attestations_from_buildkit_lands_as_schema2(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    if not (engine.buildx and engine.name.endswith("containerd")):
        pytest.skip("BuildKit keeps attestations in the image only on the containerd store")
    image = unique("attest", engine)
    build(engine, tmp_path / "ctx", f"local/{image}:plain")
    built = subprocess.run(
        ["docker", "buildx", "build", "--provenance=mode=min", "--load",
         "-t", f"local/{image}:src", str(tmp_path / "ctx")],
        env={**clean_environment(), **engine.env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    pushed = run_ghpkg(
        "push", "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--ca-file", str(bed.ca_file), "--owner", "octo-org", "--repository", "hello-world",
        "--image", image, "--version", "1.0", "--source", f"local/{image}:src",
        "--transport", "engine",
        env={"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")},
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    assert "kept the linux/" in pushed.stderr
    assert "dropped 1 attestation manifest(s), converted OCI to schema 2" in pushed.stderr
    raw, content_type = stored(bed, f"octo-org/hello-world/{image}", "1.0")
    assert content_type == SCHEMA2
    assert (
        json.loads(raw)["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    )


@pytest.fixture
def served(bed: Testbed) -> Iterator[str]:
    """`ghpkg serve` as a user starts it: its address, printed on stdout."""
    env = {**clean_environment(), "GHPKG_TOKEN": bed.token("read")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ghpkg", "serve", "--hostname", bed.hostname,
         "--ca-file", str(bed.ca_file), "--listen", "127.0.0.1:0"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    assert address.startswith("127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
    yield address
    proc.terminate()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped: " in err


def test_skopeo_and_ctr_pull_by_digest_through_ghpkg_serve(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, served: str
) -> None:
    """The digest was never fetched through this shim: it finds the tag that carries it."""
    image = unique("bydigest", engine)
    source = build(engine, tmp_path / "ctx", f"local/{image}:src")
    pushed = run_ghpkg(
        "push", "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--ca-file", str(bed.ca_file), "--owner", "octo-org", "--repository", "hello-world",
        "--image", image, "--version", "1.0", "--source", source,
        env={"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")},
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    path = f"octo-org/hello-world/{image}"
    digest = digest_of(stored(bed, path, "1.0")[0])
    assert requests.get(f"{bed.backend_url}/v2/{path}/manifests/{digest}", timeout=30).ok
    front = requests.get(
        f"https://{bed.registry_host}/v2/{path}/manifests/{digest}",
        auth=("octocat", bed.token("read")), verify=str(bed.ca_file), timeout=30,
    )  # fmt: skip
    assert front.status_code == 404  # the instance itself: no manifests by digest

    copied = subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"docker://{served}/{path}@{digest}",
         f"dir:{tmp_path / 'skopeo'}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    assert digest_of((tmp_path / "skopeo" / "manifest.json").read_bytes()) == digest

    socket = RUN_DIR / engine.name / "containerd" / "containerd.sock"
    ctr = CACHE_DIR / ("trixie" if engine.name == "26.1" else "sid") / "root/usr/bin/ctr"
    if engine.name == "20.10":
        return  # the system engine's containerd is Debian's, without a socket of ours
    namespace = f"ghpkg-test-{uuid.uuid4().hex[:6]}"
    base = [str(ctr), "--address", str(socket), "--namespace", namespace]
    pulled = subprocess.run(
        [*base, "images", "pull", "--plain-http", f"{served}/{path}@{digest}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        assert pulled.returncode == 0, pulled.stderr + pulled.stdout
        listed = subprocess.run(
            [*base, "images", "ls", "-q"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert f"{served}/{path}@{digest}" in listed
    finally:
        subprocess.run([*base, "images", "rm", f"{served}/{path}@{digest}"], capture_output=True)


def test_serve_refuses_a_push_unless_allowed_and_any_address_but_loopback(
    bed: Testbed, served: str, run_ghpkg: Run
) -> None:
    started = requests.post(f"http://{served}/v2/octo-org/hello-world/x/blobs/uploads/", timeout=30)
    assert started.status_code == 403
    assert started.json()["errors"][0]["message"] == "this shim serves pulls only"
    outside = run_ghpkg(
        "serve", "--hostname", bed.hostname, "--listen", "0.0.0.0:5050",
        env={"GHPKG_TOKEN": bed.token("read")},
    )  # fmt: skip
    assert outside.returncode == 2
    assert "--listen '0.0.0.0:5050' is not a loopback address" in outside.stderr


def test_an_engine_that_cannot_reach_the_shim_is_told_apart_from_one_that_can(
    bed: Testbed, engine: EngineUnderTest
) -> None:
    """The probe `auto` runs when ghpkg is in a container: here, another network namespace."""
    assert unreachable(Engine(engine.client), remote=True) == ""
    script = (
        "import docker\n"
        "from ghpkg.engine import Engine\n"
        "from ghpkg.transports.choice import unreachable\n"
        f"client = docker.DockerClient(base_url={engine.base_url!r}, version='auto')\n"
        "print(unreachable(Engine(client), True))\n"
    )
    isolated = subprocess.run(
        ["unshare", "--net", "sh", "-c", f'ip link set lo up && {sys.executable} -c "$0"', script],
        capture_output=True, text=True, check=False, env={**os.environ},
    )  # fmt: skip
    assert isolated.returncode == 0, isolated.stderr
    assert "does not reach this process" in isolated.stdout
