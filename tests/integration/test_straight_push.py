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
from testbed.faults import Fault, FaultProxy
from testbed.images import build_hello
from testbed.outside import reached_from_outside
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.helpers import another_ca, read_outputs
from tests.integration.conftest import Run

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
    image: str, version: str, source: str, out: Path,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return run_ghpkg(
        "push", "--hostname", hostname, "--subdomain-isolation", "true", "--owner", OWNER,
        "--repository", REPOSITORY, "--image", image, "--version", version, "--source", source,
        "--ca-file", str(ca_file), "--output-file", str(out),
        env={"GHPKG_TOKEN": token, "DOCKER_HOST": engine.base_url},
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
    OCI). Either way the outputs name the local image, which the tag serves."""
    classic = engine28.name == "28.5"
    image = f"straight-{engine28.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine28.client, f"local/{image}:src", "pushed straight")
    log = bed.paths.nginx / "access.log"

    reads: dict[str, int] = {}  # ghpkg's GETs of each version's manifest

    def push(version: str) -> tuple[str, set[str], set[str]]:
        offset = log.stat().st_size
        out = tmp_path / f"out-{version}"
        done = _push(run_ghpkg, engine28, bed.hostname, bed.ca_file, bed.token("write"), image,
                     version, source, out)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs = read_outputs(out)
        assert outputs["image-id"] == source
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
        return done.stderr, manifests, uploads

    stderr, manifests, uploads = push("1.0")  # the engine does not trust the bed's CA
    assert STRAIGHT not in stderr
    assert manifests == {"ghpkg"}
    assert uploads == {"ghpkg"}
    with trusting(bed.ca_file, bed.registry_host):
        stderr, manifests, uploads = push("2.0")
    if classic:
        assert f"{STRAIGHT} {bed.registry_host} (it trusts its certificate)" in stderr
        assert manifests == {"docker"}  # the engine's own requests, not the shim's
        assert uploads <= {"docker"}  # none where the registry mounted or had the blobs
        assert "loopback registry instead" not in stderr
        assert reads["2.0"] == 1  # the straight push's check; push's verify reads no more
    else:
        assert STRAIGHT not in stderr
        assert manifests == {"ghpkg"}


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
    """On a non-loopback address the engine checks the certificate itself (the Container
    registry's host, relayed there): with the bed's CA in certs.d it pushes straight; with
    another CA there it refuses the certificate, and the push goes through the shim, saying so."""
    engine = engine_pool.get("28.5")
    image = f"straight-tls-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", "verified")
    other = another_ca(tmp_path, "another CA")
    host = bed.container_host
    argv = ["push", "--hostname", bed.hostname, "--owner", OWNER, "--registry", "container",
            "--image", image, "--source", source, "--ca-file", str(bed.ca_file)]  # fmt: skip
    env = {"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url}
    with reached_from_outside(host) as outside:
        etc_hosts.settle()  # the engine must resolve the host to the outside address
        with trusting(bed.ca_file, host):
            outside.drop()
            verified = run_ghpkg(*argv, "--version", "1.0", env=env)
        with trusting(other, host):
            outside.drop()
            refused = run_ghpkg(*argv, "--version", "2.0", env=env)
    assert verified.returncode == 0, verified.stderr
    assert f"{STRAIGHT} {host} (it trusts its certificate)" in verified.stderr
    assert "loopback registry instead" not in verified.stderr
    assert refused.returncode == 0, refused.stderr
    notes = [line for line in refused.stderr.splitlines() if "loopback registry instead" in line]
    assert len(notes) == 1, refused.stderr
    assert notes[0].startswith(f"the engine's own push to {host} was refused (")
    assert "x509: certificate signed by unknown authority" in notes[0]
    assert refused.stdout.split() == [f"{host}/{OWNER}/{image}:2.0"]
