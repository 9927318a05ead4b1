"""The engine transport and `ghpkg serve`: real engines, skopeo and ctr through the shim."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker.errors
import pytest
import requests

from ghpkg.engine import Engine
from ghpkg.manifest import SCHEMA2
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from ghpkg.shim.server import Shim
from ghpkg.transports import engine as engine_transport
from ghpkg.transports.choice import unreachable
from ghpkg.transports.engine import EngineTransport
from testbed.bed import Testbed
from testbed.engines import CACHE_DIR, RUN_DIR
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.helpers import read_outputs
from tests.integration.conftest import Run, clean_environment
from tests.integration.test_pull_registry import (
    OWNER,
    PUSHER,
    REPOSITORY,
    _backend_blob,
    _publish,
)

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
    # the engine's lines name the instance, never the shim's loopback name the user cannot use
    assert f"The push refers to repository [{host}/{path}]" in pushed.stderr
    assert "127.0.0.1:" not in pushed.stderr
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
    assert "127.0.0.1:" not in pulled.stderr
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


def test_the_engine_gets_only_the_shims_login_and_its_config_stays_untouched(
    bed: Testbed, engine: EngineUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real push through the transient shim while a stranger asks it, again and again."""
    image = unique("nocreds", engine)
    source = build(engine, tmp_path / "ctx", f"local/{image}:src")
    config_dir = Path(engine.env.get("DOCKER_CONFIG") or Path.home() / ".docker")
    before = sorted(p.name for p in config_dir.iterdir()) if config_dir.exists() else []
    registry = RegistryClient(
        bed.registry_host, "octocat", Secret(bed.token("write")), ca_file=bed.ca_file
    )
    path = f"octo-org/hello-world/{image}"
    strangers: list[int] = []
    shims: list[Shim] = []

    class Watched(Shim):
        def start(self) -> Shim:
            shims.append(self)
            started = super().start()
            threading.Thread(target=self._stranger, daemon=True).start()
            return started

        def _stranger(self) -> None:
            base = f"http://{self.address}/v2/{path}"
            while not self.pushed:  # until the engine's own manifest lands
                try:
                    answers = [
                        requests.get(f"{base}/manifests/1.0", timeout=30),
                        requests.put(f"{base}/manifests/1.0", data=b"{}", timeout=30),
                        requests.post(f"{base}/blobs/uploads/", timeout=30),
                    ]
                except requests.RequestException:  # the shim closed as the push ended
                    return
                strangers.extend(answer.status_code for answer in answers)

    monkeypatch.setattr(engine_transport, "Shim", Watched)
    EngineTransport(registry, Engine(engine.client), log=lambda _: None).push(
        source, [Reference(bed.registry_host, "octo-org", "hello-world", image, "1.0")]
    )
    (shim,) = shims
    assert strangers
    assert set(strangers) == {401}
    assert shim.activity.with_credentials > 0  # the engine logged in
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


@dataclass(frozen=True)
class Served:
    """A running `ghpkg serve`: the address it printed and the login it wrote."""

    address: str
    login: tuple[str, str]
    credentials_file: Path


@pytest.fixture
def served(bed: Testbed, tmp_path: Path) -> Iterator[Served]:
    """`ghpkg serve` as a user starts it: its address on stdout, its login in a file."""
    env = {**clean_environment(), "GHPKG_TOKEN": bed.token("read")}
    credentials_file = tmp_path / "login.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ghpkg", "serve", "--hostname", bed.hostname,
         "--ca-file", str(bed.ca_file), "--listen", "127.0.0.1:0",
         "--credentials-file", str(credentials_file)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    assert address.startswith("127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
    assert credentials_file.stat().st_mode & 0o777 == 0o600
    login = json.loads(credentials_file.read_text())
    yield Served(address, (login["username"], login["password"]), credentials_file)
    proc.terminate()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped: " in err
    assert login["password"] not in err
    assert f"with the password in {credentials_file}" in err
    assert not credentials_file.exists()


def push_for_serve(bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path) -> str:
    """A fresh image pushed with ghpkg; its repository path."""
    image = unique("served", engine)
    source = build(engine, tmp_path / "ctx", f"local/{image}:src")
    pushed = run_ghpkg(
        "push", "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--ca-file", str(bed.ca_file), "--owner", "octo-org", "--repository", "hello-world",
        "--image", image, "--version", "1.0", "--source", source,
        env={"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("write")},
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    engine.client.images.remove(f"local/{image}:src", force=True)
    return f"octo-org/hello-world/{image}"


def test_skopeo_ctr_and_docker_pull_through_ghpkg_serve_with_its_login(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, served: Served
) -> None:
    """By digest too: the digest was never fetched through this shim, it finds the tag."""
    path = push_for_serve(bed, engine, run_ghpkg, tmp_path)
    digest = digest_of(stored(bed, path, "1.0")[0])
    assert requests.get(f"{bed.backend_url}/v2/{path}/manifests/{digest}", timeout=30).ok
    front = requests.get(
        f"https://{bed.registry_host}/v2/{path}/manifests/{digest}",
        auth=("octocat", bed.token("read")), verify=str(bed.ca_file), timeout=30,
    )  # fmt: skip
    assert front.status_code == 404  # the instance itself: no manifests by digest
    creds = ":".join(served.login)

    for login in ([], ["--creds", "ghpkg:guessed"]):
        refused = subprocess.run(
            ["skopeo", "inspect", "--raw", *login, "--tls-verify=false",
             f"docker://{served.address}/{path}:1.0"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "unauthorized" in refused.stderr.lower(), refused.stderr
    copied = subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds,
         f"docker://{served.address}/{path}@{digest}", f"dir:{tmp_path / 'skopeo'}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    assert digest_of((tmp_path / "skopeo" / "manifest.json").read_bytes()) == digest

    local = f"{served.address}/{path}"
    auth = {"username": served.login[0], "password": served.login[1]}
    with pytest.raises(docker.errors.APIError):
        engine.client.api.pull(local, tag="1.0")  # no login: refused
    engine.client.api.pull(local, tag="1.0", auth_config=auth)
    try:
        printed = engine.client.containers.run(f"{local}:1.0", network_mode="none", remove=True)
        assert printed.decode().strip() == GREETING
    finally:
        engine.client.images.remove(f"{local}:1.0", force=True)

    if engine.name == "20.10":
        return  # the system engine's containerd is Debian's, without a socket of ours
    anonymous = subprocess.run(
        [*ctr(engine), "images", "pull", "--plain-http", f"{local}@{digest}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert anonymous.returncode != 0
    ctr_pulls(engine, f"{local}@{digest}", "--plain-http", "--user", creds)


def ctr(engine: EngineUnderTest) -> list[str]:
    """`ctr` on the engine's own containerd, in a namespace of its own."""
    socket = RUN_DIR / engine.name / "containerd" / "containerd.sock"
    binary = CACHE_DIR / ("trixie" if engine.name == "26.1" else "sid") / "root/usr/bin/ctr"
    return [str(binary), "--address", str(socket), "--namespace", f"ghpkg-{uuid.uuid4().hex[:8]}"]


def ctr_pulls(engine: EngineUnderTest, name: str, *options: str) -> None:
    """`ctr images pull OPTIONS NAME` succeeds and leaves NAME listed (removed afterwards)."""
    base = ctr(engine)
    pulled = subprocess.run(
        [*base, "images", "pull", *options, name], capture_output=True, text=True, check=False
    )
    try:
        assert pulled.returncode == 0, pulled.stderr + pulled.stdout
        listed = subprocess.run(
            [*base, "images", "ls", "-q"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert name in listed
    finally:
        subprocess.run([*base, "images", "rm", name], capture_output=True, check=False)


def test_a_nodes_containerd_pulls_through_serve_by_the_readmes_hosts_toml(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, served: Served
) -> None:
    """docs/serve.md's Kubernetes recipe: the real name, pinned by digest, through a hosts.toml
    whose static Authorization header carries serve's login (containerd's own `--hosts-dir`)."""
    if engine.name == "20.10":
        pytest.skip("the system engine's containerd is Debian's, without a socket of ours")
    path = push_for_serve(bed, engine, run_ghpkg, tmp_path)
    digest = digest_of(stored(bed, path, "1.0")[0])
    login = base64.b64encode(":".join(served.login).encode()).decode()
    hosts = tmp_path / "certs.d" / bed.registry_host
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        f'server = "https://{bed.registry_host}"\n\n'
        f'[host."http://{served.address}"]\n'
        '  capabilities = ["pull", "resolve"]\n'
        f'  [host."http://{served.address}".header]\n'
        f'    authorization = "Basic {login}"\n'
    )
    name = f"{bed.registry_host}/{path}@{digest}"
    ctr_pulls(engine, name, "--hosts-dir", str(tmp_path / "certs.d"))


def test_serve_asks_for_its_login_and_refuses_browsers_foreign_hosts_and_pushes(
    served: Served,
) -> None:
    base = f"http://{served.address}/v2"
    anonymous = requests.get(f"{base}/octo-org/hello-world/x/manifests/1.0", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="ghpkg"'
    rebound = requests.get(
        f"{base}/", auth=served.login, headers={"Host": f"evil.example:{served.address[10:]}"},
        timeout=30,
    )  # fmt: skip
    assert rebound.status_code == 403
    from_a_page = requests.post(  # a "simple" cross-site POST: no preflight
        f"{base}/octo-org/hello-world/x/blobs/uploads/",
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"}, timeout=30,
    )  # fmt: skip
    assert from_a_page.status_code == 403
    started = requests.post(
        f"{base}/octo-org/hello-world/x/blobs/uploads/", auth=served.login, timeout=30
    )
    assert started.status_code == 403
    assert started.json()["errors"][0]["message"] == "this shim serves pulls only"


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--listen", "0.0.0.0:5050"], "--listen '0.0.0.0:5050' is not a loopback address"),
        (["--listen", "127.0.0.1.nip.io:5050"], "is not a loopback address"),
        (["--credentials-file", "/nonexistent/login.json"], "is not a file in an existing folder"),
        (["--owner", "octo-org,Bad Owner"], "owner"),
        (["--image", "app,App"], "App"),
    ],
    ids=["any-address", "nip-io", "credentials-folder", "owner", "image"],
)
def test_bad_input_to_serve_is_one_line_and_exit_2(
    bed: Testbed, run_ghpkg: Run, option: list[str], said: str
) -> None:
    refused = run_ghpkg(
        "serve", "--hostname", bed.hostname, *option, env={"GHPKG_TOKEN": bed.token("read")}
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ")
    assert said in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr


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


@pytest.fixture(
    params=[name for name in ("20.10", "28.5-containerd") if name in selected_engines()]
)
def verifying_engine(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """An engine that checks what the shim relays: moby's classic store, and containerd's."""
    return engine_pool.get(request.param)


def test_a_blob_that_is_not_its_digest_is_refused_by_the_engine_behind_the_shim(
    bed: Testbed,
    verifying_engine: EngineUnderTest,
    engine_pool: EnginePool,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    """The shim relays blobs unhashed: the engine's own digest check is what refuses a changed
    one. The change keeps the layer valid gzip (its header's mtime), so only the digest tells."""
    engine = verifying_engine
    image = _publish(bed, engine_pool.get(PUSHER).client, tmp_path / "context")
    stored_blob = _backend_blob(bed, image.layer_digests[-1])
    data = bytearray(stored_blob.read_bytes())
    data[4] ^= 0x01  # gzip's MTIME: the same layer once unpacked, another digest
    stored_blob.write_bytes(bytes(data))
    env = {"DOCKER_HOST": engine.base_url, "GHPKG_TOKEN": bed.token("read")}
    pulled = run_ghpkg(
        "pull", "--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--owner", OWNER,
        "--repository", REPOSITORY, "--image", image.ref.image, "--version", image.ref.version,
        "--transport", "engine", env=env,
    )  # fmt: skip
    assert pulled.returncode == 1, pulled.stderr
    assert "digest" in pulled.stderr.splitlines()[-1], pulled.stderr
    assert Engine(engine.client).find_image(str(image.ref)) is None
    assert loopback_names(engine, image.ref.path) == []
