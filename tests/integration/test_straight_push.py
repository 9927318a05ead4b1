"""A push straight to the instance: the engine's own push with the token, no loopback relay.

Where the engine trusts the registry's certificate (a CA in `/etc/docker/certs.d/HOST`) and
pushes schema 2 (the classic image store), ghpkg lets it push to the instance itself, then checks
what each tag serves (GET by tag) against what the engine reports it pushed and the local image.
The bed's access log tells who sent each request: the engine (`docker/…`) or ghpkg's shim
(`ghpkg/…`). The bed's hosts resolve to loopback, where engines skip certificate checks, so the
certs.d entry is what ghpkg's choice reads, not what makes the push work.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed import etc_hosts
from testbed.bed import Testbed
from testbed.certs_d import trusting
from testbed.engines.matrix import DATA_DIR, LOG_DIR, RUN_DIR, SPECS
from testbed.faults import Fault, FaultProxy
from testbed.hostile import HostileRegistry, Rule
from testbed.images import build_hello
from testbed.outside import reached_from_outside
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.helpers import another_ca, read_outputs
from tests.integration.conftest import Run
from tests.integration.test_secrets import files_written_since, holds, marker

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"
STRAIGHT = "The engine pushes straight to"


def _engines(*names: str) -> list[str]:
    return [name for name in names if name in selected_engines()]


@pytest.fixture(params=_engines("28.5", "28.5-containerd"))
def engine28(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """Engine 28.5, classic store (its push goes straight) and containerd store (the shim)."""
    return engine_pool.get(request.param)


def _push(
    run_ghpkg: Run, engine: EngineUnderTest, hostname: str, ca_file: Path, token: str,
    image: str, version: str, source: str, out: Path, env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return run_ghpkg(
        "push", "--hostname", hostname, "--subdomain-isolation", "true", "--owner", OWNER,
        "--repository", REPOSITORY, "--image", image, "--version", version, "--source", source,
        "--ca-file", str(ca_file), "--output-file", str(out),
        env={"GHPKG_TOKEN": token, "DOCKER_HOST": engine.base_url, **(env or {})},
    )  # fmt: skip


def _stored(bed: Testbed, image: str, version: str) -> dict[str, Any]:
    """The manifest the registry behind the front stores for a tag."""
    path = f"{OWNER}/{REPOSITORY}/{image}"
    answer = requests.get(
        f"{bed.backend_url}/v2/{path}/manifests/{version}", headers={"Accept": SCHEMA2}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _requests(bed: Testbed, offset: int, image: str, method: str, kind: str) -> list[str]:
    """The User-Agent of each of the bed's requests for this image since `offset` (kind:
    manifests, manifests/TAG or blobs/uploads)."""
    with (bed.paths.nginx / "access.log").open("rb") as stream:
        stream.seek(offset)
        lines = stream.read().decode(errors="replace").splitlines()
    wanted = f'"{method} /v2/{OWNER}/{REPOSITORY}/{image}/{kind}'
    return [line.rsplit('"', 2)[-2].split("/")[0] for line in lines if wanted in line]


def _agents(bed: Testbed, offset: int, image: str, method: str, kind: str) -> set[str]:
    """The User-Agents of the bed's requests for this image since `offset`."""
    return set(_requests(bed, offset, image, method, kind))


def test_a_trusted_classic_engine_pushes_straight_and_the_others_through_the_shim(
    bed: Testbed, engine28: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    """Without the CA in certs.d the engine pushes through the shim; with it, the classic store
    pushes straight to the instance (the containerd store still through the shim: it pushes
    OCI). Either way the outputs name the local image, which the tag serves. The straight push
    leaves the token nowhere: not in ghpkg's output, HOME, cache, or any file of the engine's
    (its data root, its run directory, its log), and the engine asks no token service."""
    classic = engine28.name == "28.5"
    image = f"straight-{engine28.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine28.client, f"local/{image}:src", "pushed straight")
    log = bed.paths.nginx / "access.log"
    token = bed.token("write")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}

    reads: dict[str, int] = {}  # ghpkg's GETs of each version's manifest
    engine_requests: dict[str, list[str]] = {}  # the engine's own requests to the bed's front

    def push(version: str) -> tuple[subprocess.CompletedProcess[str], set[str], set[str]]:
        offset = log.stat().st_size
        out = tmp_path / f"out-{version}"
        done = _push(run_ghpkg, engine28, bed.hostname, bed.ca_file, token, image, version,
                     source, out, env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs = read_outputs(out)
        assert outputs["image-id"] == source
        assert token not in out.read_text()
        if classic:  # the containerd store names an image by its OCI manifest, which the shim
            # stores as schema 2 (what that store does is test_shim's)
            assert _stored(bed, image, version)["config"]["digest"] == source
        manifests = _agents(bed, offset, image, "PUT", "manifests")
        # the requests that carry a blob: a session's PATCH or PUT, a monolithic POST (the
        # token's write check opens a session of ghpkg's own and cancels it: not a blob)
        uploads = _agents(bed, offset, image, "POST", "blobs/uploads/?digest=")
        uploads |= _agents(bed, offset, image, "POST", "blobs/uploads/?mount=")
        for method in ("PATCH", "PUT"):
            uploads |= _agents(bed, offset, image, method, "blobs/uploads")
        got = _requests(bed, offset, image, "GET", f"manifests/{version} ")
        reads[version] = got.count("ghpkg")
        engine_requests[version] = _paths_of(bed, offset, "docker", image)
        return done, manifests, uploads

    done, manifests, uploads = push("1.0")  # the engine does not trust the bed's CA
    assert STRAIGHT not in done.stderr
    assert manifests == {"ghpkg"}
    assert uploads == {"ghpkg"}
    with trusting(bed.ca_file, bed.registry_host):
        start = marker(tmp_path)
        done, manifests, uploads = push("2.0")
    assert token not in done.stdout + done.stderr
    if classic:
        assert f"{STRAIGHT} {bed.registry_host} (it trusts its certificate)" in done.stderr
        assert manifests == {"docker"}  # the engine's own requests, not the shim's
        assert uploads <= {"docker"}  # none where the registry mounted or had the blobs
        assert "loopback registry instead" not in done.stderr
        assert reads["2.0"] == 1  # the straight push's check; push's verify reads no more
        # the token stays where the push put it: nothing the push could write holds it
        data_root = Path("/var/lib/docker") if SPECS["28.5"] is None else DATA_DIR / "28.5"
        engine_log = LOG_DIR / "28.5.log"
        tops = (data_root, RUN_DIR / "28.5", engine_log, home, Path("/root/.docker"), tmp_path)
        written = files_written_since(start, bed.paths.root, tops)
        assert tmp_path / "out-2.0" in written, "the search did not see what the push wrote"
        assert [path for path in written if holds(path, token.encode())] == []
        assert not holds(engine_log, token.encode())
        assert not (home / ".docker").exists(), "no Docker config.json is written"
        # Basic challenge: the engine asked the registry alone, no token service (the front
        # serves only the bed's hosts; a token service elsewhere would be a request not here)
        assert engine_requests["2.0"], "the engine's requests were not seen"
        assert all(path.startswith("/v2/") for path in engine_requests["2.0"])
    else:
        assert STRAIGHT not in done.stderr
        assert manifests == {"ghpkg"}


def _paths_of(bed: Testbed, offset: int, agent: str, image: str) -> list[str]:
    """The paths of the bed's requests for this image since `offset` (a token service's too:
    its scope names the image) whose User-Agent starts with `agent/`."""
    with (bed.paths.nginx / "access.log").open("rb") as stream:
        stream.seek(offset)
        lines = stream.read().decode(errors="replace").splitlines()
    return [
        line.split('"')[1].split()[1]
        for line in lines
        if image in line and line.rsplit('"', 2)[-2].startswith(f"{agent}/")
    ]


@pytest.fixture(scope="module")
def faults(testbed: Testbed) -> Iterator[FaultProxy]:
    proxy = FaultProxy(testbed).start()
    yield proxy
    proxy.stop()


@pytest.mark.skipif(not _engines("28.5"), reason="Engine 28.5 (classic store) is not selected")
def test_a_tag_that_serves_another_config_after_a_straight_push_fails_it_in_one_line(
    bed: Testbed, faults: FaultProxy, engine_pool: EnginePool, run_ghpkg: Run, tmp_path: Path
) -> None:
    """The engine pushes straight through the fault proxy; the tag then answers with another
    image's manifest (someone else's push in between, or a hostile registry): the push fails."""
    engine = engine_pool.get("28.5")
    image = f"straight-forged-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", "the real one")
    other = "sha256:" + "e" * 64
    forged = {"schemaVersion": 2, "mediaType": SCHEMA2, "layers": [],
              "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                         "size": 2, "digest": other}}  # fmt: skip
    faults.script(
        Fault("status", "GET", r"/manifests/1\.0$", status=200, content_type=SCHEMA2,
              body=json.dumps(forged).encode())
    )  # fmt: skip
    etc_hosts.settle()  # the engine resolves the fault proxy's name itself
    with trusting(bed.ca_file, faults.registry_host):
        done = _push(run_ghpkg, engine, faults.hostname, bed.ca_file, bed.token("write"), image,
                     "1.0", source, tmp_path / "out")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"{STRAIGHT} {faults.registry_host}" in done.stderr
    assert [s.status for s in faults.requests("PUT", "/manifests/")] == [201]  # the engine's
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [done.stderr.strip().splitlines()[-1]]
    assert errors[0].startswith(
        f"error: {faults.registry_host}/{OWNER}/{REPOSITORY}/{image}:1.0 holds a manifest the "
        "engine did not push: the engine pushed sha256:"
    )
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not _engines("28.5"), reason="Engine 28.5 (classic store) is not selected")
def test_the_engine_verifies_the_instance_and_a_certificate_it_refuses_sends_the_push_via_the_shim(
    bed: Testbed, engine_pool: EnginePool, run_ghpkg: Run, tmp_path: Path
) -> None:
    """On a non-loopback address the engine checks the certificate itself (the registry's host,
    relayed there): with the bed's CA in certs.d it pushes straight; with another CA there it
    refuses the certificate, and the push goes through the shim, saying so."""
    engine = engine_pool.get("28.5")
    image = f"straight-tls-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", "verified")
    other = another_ca(tmp_path, "another CA")
    host = bed.registry_host
    with reached_from_outside(host) as outside:
        etc_hosts.settle()  # the engine must resolve the host to the outside address
        with trusting(bed.ca_file, host):
            outside.drop()
            verified = _push(run_ghpkg, engine, bed.hostname, bed.ca_file, bed.token("write"),
                             image, "1.0", source, tmp_path / "out-1")  # fmt: skip
        with trusting(other, host):
            outside.drop()
            refused = _push(run_ghpkg, engine, bed.hostname, bed.ca_file, bed.token("write"),
                            image, "2.0", source, tmp_path / "out-2")  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert f"{STRAIGHT} {host} (it trusts its certificate)" in verified.stderr
    assert "loopback registry instead" not in verified.stderr
    assert refused.returncode == 0, refused.stderr
    notes = [line for line in refused.stderr.splitlines() if "loopback registry instead" in line]
    assert len(notes) == 1, refused.stderr
    assert notes[0].startswith(f"the engine's own push to {host} was refused (")
    assert "x509: certificate signed by unknown authority" in notes[0]
    assert refused.stdout.split() == [f"{host}/{OWNER}/{REPOSITORY}/{image}:2.0"]


@pytest.mark.skipif(not _engines("28.5"), reason="Engine 28.5 (classic store) is not selected")
def test_a_registry_with_a_token_service_gets_the_push_through_the_shim_not_straight(
    bed: Testbed, engine_pool: EnginePool, run_ghpkg: Run, tmp_path: Path
) -> None:
    """The Container registry answers a client without credentials with a Bearer challenge
    (a token service on its own host): were the engine given the token, it would follow that
    realm, which only ghpkg's own requests check. So even where the engine trusts the host, the
    push goes through the shim, the log says why, and the engine asks the instance nothing."""
    engine = engine_pool.get("28.5")
    image = f"straight-bearer-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", "through the shim")
    host = bed.container_host
    offset = (bed.paths.nginx / "access.log").stat().st_size
    with trusting(bed.ca_file, host):
        done = run_ghpkg(
            "push", "--hostname", bed.hostname, "--owner", OWNER, "--registry", "container",
            "--image", image, "--version", "1.0", "--source", source,
            "--ca-file", str(bed.ca_file),
            env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert STRAIGHT not in done.stderr
    assert (
        f"The engine pushes via ghpkg's loopback registry, not straight to {host}: it names a "
        f"token service, https://{host}/token, where the engine would send the token"
    ) in done.stderr
    assert f"/v2/{OWNER}/{image}/manifests/1.0" in _paths_of(bed, offset, "ghpkg", image)
    assert _paths_of(bed, offset, "docker", image) == []  # no token service, no registry
    assert done.stdout.split() == [f"{host}/{OWNER}/{image}:1.0"]


@pytest.mark.skipif(not _engines("28.5"), reason="Engine 28.5 (classic store) is not selected")
def test_a_registry_that_sends_a_client_without_credentials_elsewhere_gets_no_straight_push(
    bed: Testbed, hostile: HostileRegistry, engine_pool: EnginePool, run_ghpkg: Run
) -> None:
    """A registry that takes ghpkg's Basic credentials (its login meets no challenge) but sends
    a client without them to a token service on another host, as it would the engine: the
    push goes to the shim, never straight, and the foreign host is asked nothing. (The double
    stores nothing, so the push through the shim then fails, in one line.)"""
    engine = engine_pool.get("28.5")
    source = build_hello(engine.client, f"local/hostile-{uuid.uuid4().hex[:8]}:src", "hostile")
    registry = re.escape(hostile.registry_host.split(":")[0])
    realm = hostile.foreign_url("/token")
    upload = hostile.registry_url(f"/v2/{OWNER}/{REPOSITORY}/app/blobs/uploads/1")
    hostile.script(
        Rule("^/v2/$", 200, {"Docker-Distribution-API-Version": "registry/2.0"}, host=registry,
             times=1),  # ghpkg's login, with Basic credentials
        Rule("^/v2/$", 401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="x"'},
             host=registry),  # everyone after it
        Rule("/blobs/uploads/$", 202, {"Location": upload}, method="POST", host=registry),
        Rule("/blobs/uploads/1", 204, method="DELETE", host=registry),  # the token may write
        Rule("/blobs/sha256:", 200, body=b"x", method="HEAD", host=registry),  # no upload
    )  # fmt: skip
    with trusting(bed.ca_file, hostile.registry_host):
        done = run_ghpkg(
            "push", "--hostname", hostile.hostname, "--subdomain-isolation", "true",
            "--owner", OWNER, "--repository", REPOSITORY, "--image", "app", "--version", "1.0",
            "--source", source, "--ca-file", str(bed.ca_file), "--transport", "engine",
            "--retries", "0", "--timeout", "10",
            env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url},
        )  # fmt: skip
    assert (
        f"The engine pushes via ghpkg's loopback registry, not straight to "
        f"{hostile.registry_host}: it names a token service, {realm}, where the engine would "
        "send the token"
    ) in done.stderr
    assert done.returncode == 1, done.stderr
    # through the shim, whose loopback name the engine's lines never show
    assert "127.0.0.1:" not in done.stderr
    assert STRAIGHT not in done.stderr
    # ghpkg's login (Basic) met no challenge; its question without credentials met the Bearer
    assert [bool(hit.authorization) for hit in hostile.hits() if hit.path == "/v2/"] == [
        True,
        False,
    ]
    assert hostile.hits(hostile.foreign) == []
    assert bed.token("write") not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "Traceback" not in done.stderr
