"""What ghpkg trusts on the runner: a digest cache an earlier job wrote, an image already there,
and the engine's trust in `--ca-file`.

Nothing from the cache decides what is published, and a pull never keeps a local image whose
config differs from the registry's. The bed does not make engines trust its CA: the one call
where the engine goes to the instance itself (a digest pull from the Container registry) works
only because ghpkg puts `--ca-file` in `/etc/docker/certs.d/HOST/ca.crt`, and removes it after.
"""

from __future__ import annotations

import io
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import pytest

import ghpkg.engine
from testbed.bed import Testbed
from testbed.certs_d import CERTS_DIR, trusting
from testbed.client import BedClient, Pushed
from testbed.images import build_hello
from testbed.outside import Relay, reached_from_outside
from testbed.pytest_engines import EngineUnderTest, selected_engines
from tests.helpers import another_ca, read_outputs
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"


def _ghpkg(run_ghpkg: Run, bed: Testbed, engine: EngineUnderTest, operation: str, image: str,
           version: str, *extra: str,
           cache: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    done = run_ghpkg(
        operation, "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--owner", OWNER, "--repository", REPOSITORY, "--image", image, "--version", version,
        "--ca-file", str(bed.ca_file), "--transport", "registry", *extra, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def _published_cmd(bed_client: BedClient, name: str, tag: str) -> list[str]:
    manifest = bed_client.get_manifest(name, tag).json()
    path = f"/v2/{name}/blobs/{manifest['config']['digest']}"
    config = bed_client.request("GET", path, "read").json()
    return list(config["config"]["Cmd"])


def test_a_poisoned_config_entry_in_the_cache_does_not_decide_what_is_published(
    bed: Testbed, engine: EngineUnderTest, bed_client: BedClient, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"trust-{uuid.uuid4().hex[:8]}"
    first = build_hello(engine.client, f"local/{image}:a", "first")
    _ghpkg(run_ghpkg, bed, engine, "push", image, "1.0", "--source", first, cache=tmp_path)
    dockerfile = f'FROM {first}\nCMD ["/bin/busybox", "echo", "second"]\n'
    second, _ = engine.client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True)
    cache_file = tmp_path / "ghpkg" / "blobs.json"
    cache = json.loads(cache_file.read_text())
    first_id = engine.client.images.get(first).id
    cache["configs"][second.id] = cache["configs"][first_id]  # an earlier job's lie
    cache_file.write_text(json.dumps(cache))
    _ghpkg(run_ghpkg, bed, engine, "push", image, "2.0", "--source", str(second.id), cache=tmp_path)
    name = f"{OWNER}/{REPOSITORY}/{image}"
    assert _published_cmd(bed_client, name, "2.0") == ["/bin/busybox", "echo", "second"]
    assert _published_cmd(bed_client, name, "1.0") == ["/bin/busybox", "echo", "first"]


def test_pull_loads_a_release_that_changed_only_its_config(
    bed: Testbed, engine: EngineUnderTest, bed_client: BedClient, tiny_image: Pushed, run_ghpkg: Run
) -> None:
    image = tiny_image.name.split("/")[-1]
    _ghpkg(run_ghpkg, bed, engine, "pull", image, tiny_image.tag)
    manifest = json.loads(tiny_image.manifest)
    path = f"/v2/{tiny_image.name}/blobs/{manifest['config']['digest']}"
    config = bed_client.request("GET", path, "read").json()
    config["config"] = {"Cmd": ["/bin/true"], "User": "1000"}  # same layers, time and platform
    raw = json.dumps(config).encode()
    manifest["config"] = {**manifest["config"], "size": len(raw)}
    manifest["config"]["digest"] = bed_client.upload(tiny_image.name, raw)
    assert bed_client.put_manifest(tiny_image.name, tiny_image.tag, manifest).status_code == 201
    done = _ghpkg(run_ghpkg, bed, engine, "pull", image, tiny_image.tag)
    assert "already present" not in done.stderr + done.stdout
    local = engine.client.images.get(f"docker.{bed.hostname}/{tiny_image.name}:{tiny_image.tag}")
    assert local.attrs["Config"]["Cmd"] == ["/bin/true"]
    assert local.attrs["Config"]["User"] == "1000"


@pytest.fixture(scope="module")
def outside(testbed: Testbed) -> Iterator[Relay]:
    """The Container registry's host on a non-loopback address: engines verify its certificate
    there (on 127.0.0.1 they skip verification, as for any loopback registry)."""
    with reached_from_outside(testbed.container_host) as relay:
        yield relay


def _digest_pull(
    bed: Testbed,
    engine: EngineUnderTest,
    run_ghpkg: Run,
    tmp_path: Path,
    outside: Relay,
    *extra: str,
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Push a tiny image to the Container registry, remove it locally, pull it by digest
    with the engine connecting afresh to the outside address; the pull and NAME@DIGEST."""
    image = f"trust-ca-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", "trusted for one pull")
    argv = ["--hostname", bed.hostname, "--owner", OWNER, "--registry", "container"]
    argv += ["--image", image, "--ca-file", str(bed.ca_file), "--password-stdin"]
    env = {"DOCKER_HOST": engine.base_url}
    out = tmp_path / "outputs"
    pushed = run_ghpkg(
        "push", *argv, "--version", "1.0", "--source", source, "--output-file", str(out),
        env=env, stdin=bed.token("write"),
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    name = f"{bed.container_host}/{OWNER}/{image}"
    for doomed in (f"local/{image}:src", f"{name}:1.0"):
        engine.client.images.remove(doomed, force=True)
    digest = read_outputs(out)["digest"]
    outside.drop()
    done = run_ghpkg("pull", *argv, "--version", digest, *extra, env=env, stdin=bed.token("read"))
    return done, f"{name}@{digest}"


def _engine_alone_pulls(engine: EngineUnderTest, bed: Testbed, name: str) -> str:
    """What the engine says when it pulls from the registry itself, with what it trusts now."""
    auth = {"username": bed.user("read"), "password": bed.token("read")}
    try:
        for chunk in engine.client.api.pull(name, tag="absent", auth_config=auth, stream=True,
                                            decode=True):  # fmt: skip
            if "error" in chunk:
                return str(chunk["error"])
    except docker.errors.APIError as exc:
        return str(exc)
    return ""


UNTRUSTED = "x509: certificate signed by unknown authority"


def test_a_digest_pull_makes_the_engine_trust_the_ca_for_that_pull_only(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, outside: Relay
) -> None:
    folder = CERTS_DIR / bed.container_host
    assert not folder.exists(), f"{folder} is there before the test: the engine trusts it already"
    outside.drop()
    name = f"{bed.container_host}/{OWNER}/trust-ca-probe"
    assert UNTRUSTED in _engine_alone_pulls(engine, bed, name)  # the bed's CA is not trusted
    containerd = ghpkg.engine.Engine(engine.client).info().containerd_store
    extra = ["--retries", "0"] if containerd else []  # it fails there; ghpkg retries it 4 times
    done, pinned = _digest_pull(bed, engine, run_ghpkg, tmp_path, outside, *extra)
    outside.drop()  # the engine's next pull connects, and verifies, again
    assert (
        f"the engine trusts {bed.ca_file} for {bed.container_host} during this pull "
        f"({folder / 'ca.crt'})" in done.stderr
    )
    assert not folder.exists()  # removed, with the folder ghpkg made
    assert UNTRUSTED in _engine_alone_pulls(engine, bed, name)
    if containerd:
        # As the README says: this store fetches Bearer tokens without certs.d, so it needs the
        # CA in the system's trust store as well; with certs.d alone the pull fails at /token.
        last = done.stderr.strip().splitlines()[-1]
        assert done.returncode == 1, done.stderr
        assert last.startswith(f"error: docker pull of {pinned} failed")
        assert f'"https://{bed.container_host}/token"' in last
        assert UNTRUSTED in last
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == pinned
    printed = engine.client.containers.run(pinned, network_mode="none", remove=True)
    assert printed.decode().strip() == "trusted for one pull"
    engine.client.images.remove(pinned, force=True)


@pytest.mark.parametrize("engine", selected_engines()[:1], indirect=True)  # ghpkg's step, not its
def test_another_ca_in_certs_d_is_left_as_it_is_and_the_pull_says_why_it_fails(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path, outside: Relay
) -> None:
    other = another_ca(tmp_path, "the administrator's CA")
    target = CERTS_DIR / bed.container_host / "ca.crt"
    with trusting(other, bed.container_host):
        done, _ = _digest_pull(bed, engine, run_ghpkg, tmp_path, outside, "--retries", "0")
        assert target.read_bytes() == other.read_bytes()
    assert not target.exists()
    assert f"{target} holds another CA: left as it is" in done.stderr
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    assert "Traceback" not in done.stderr
    assert UNTRUSTED in last
