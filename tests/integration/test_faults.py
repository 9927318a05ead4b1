"""Push and pull through a proxy that breaks things: 5xx bursts, 429, drops, stalls.

Under each fault ghpkg either succeeds with the right digest or fails with one line once its
retries are spent; either way no tag points at an incomplete image. Default engine only: the
faults hit ghpkg's own HTTP client, whatever the engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.client import Pushed
from testbed.faults import Fault, FaultProxy
from testbed.images import build_hello
from testbed.pytest_engines import EnginePool, EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run, clean_environment, handling_engines

pytestmark = pytest.mark.integration

OWNER_REPO = "octo-org/hello-world"
BLOB_UPLOAD = r"/blobs/uploads/"
MANIFEST = r"/manifests/"
KIB64 = 64 * 1024


@pytest.fixture(scope="module", params=handling_engines())
def engine20(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """Each engine of HANDLING_ENGINES in turn; the faults do not depend on it."""
    return engine_pool.get(request.param)


def _image(engine: EngineUnderTest, prefix: str, own_layer: bool = False) -> tuple[str, str]:
    """A fresh image name and the ID of a fresh local image (its own config blob); with
    `own_layer`, also 256 KiB of random bytes, a layer no registry has and no mount stands in for.
    """
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    if not own_layer:
        return name, build_hello(engine.client, f"local/{name}:src", f"fault test {name}")
    with tempfile.TemporaryDirectory(prefix="ghpkg-fault-") as folder:
        context = Path(folder)
        shutil.copy2("/bin/busybox", context / "busybox")
        (context / "noise").write_bytes(os.urandom(256 << 10))
        (context / "Dockerfile").write_text(
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY noise /noise\n"
            f'CMD ["/bin/busybox", "echo", "fault test {name}"]\n'
        )
        image, _logs = engine.client.images.build(path=folder, tag=f"local/{name}:src", rm=True)
    return name, str(image.id)


def _run(
    run_ghpkg: Run,
    proxy: FaultProxy,
    engine: EngineUnderTest,
    bed: Testbed,
    out: Path,
    operation: str,
    image: str,
    *extra: str,
    retries: int = 3,
    timeout: int = 10,
    isolation: str = "true",
) -> subprocess.CompletedProcess[str]:
    """`ghpkg OPERATION` through the fault proxy, with the bed's write token."""
    return run_ghpkg(
        operation,
        "--hostname",
        proxy.hostname,
        "--subdomain-isolation",
        isolation,
        "--owner",
        "octo-org",
        "--repository",
        "hello-world",
        "--image",
        image,
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        "--retries",
        str(retries),
        "--timeout",
        str(timeout),
        "--output-file",
        str(out),
        *extra,
        env={
            "GHPKG_TOKEN": bed.token("write"),
            "DOCKER_HOST": engine.base_url,
            "XDG_CACHE_HOME": str(out.parent / "cache"),  # no blob cache: every blob goes up
        },
    )


def _push(
    run_ghpkg: Run, proxy: FaultProxy, engine: EngineUnderTest, bed: Testbed, out: Path, image: str,
    source: str, *extra: str, **options: Any,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return _run(
        run_ghpkg, proxy, engine, bed, out, "push", image, "--source", source,
        "--transport", "registry", *extra, **options,
    )  # fmt: skip


def _stored(bed: Testbed, image: str, tag: str = "1.0") -> bytes | None:
    """The manifest the backend stores for a tag, or None."""
    answer = requests.get(
        f"{bed.backend_url}/v2/{OWNER_REPO}/{image}/manifests/{tag}",
        headers={"Accept": SCHEMA2},
        timeout=30,
    )
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    return answer.content


def assert_tag_whole_or_absent(bed: Testbed, image: str) -> bytes | None:
    """No tag points at an incomplete image: absent, or every blob it names is stored."""
    raw = _stored(bed, image)
    if raw is not None:
        manifest = json.loads(raw)
        for blob in [manifest["config"], *manifest["layers"]]:
            head = requests.head(
                f"{bed.backend_url}/v2/{OWNER_REPO}/{image}/blobs/{blob['digest']}", timeout=30
            )
            assert head.status_code == 200, f"{blob['digest']} is missing"
            assert int(head.headers["Content-Length"]) == blob["size"]
    return raw


def assert_pushed(
    done: subprocess.CompletedProcess[str], bed: Testbed, image: str, out: Path
) -> None:
    """The push succeeded and its digest output is that of the stored manifest."""
    assert done.returncode == 0, done.stderr
    raw = assert_tag_whole_or_absent(bed, image)
    assert raw is not None
    assert read_outputs(out)["digest"] == _digest(raw)


def assert_one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1 with exactly one error line, no traceback; returns the line."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == errors[0]
    for word in words:
        assert word in errors[0]
    return errors[0]


def _digest(raw: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(raw).hexdigest()


# -- push ---------------------------------------------------------------------------------


def test_push_rides_out_a_503_burst_and_a_502_on_the_manifest(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "burst")
    faults.script(
        Fault("status", "POST", BLOB_UPLOAD, times=2, status=503),
        Fault("status", "PUT", MANIFEST, times=1, status=502),
    )
    done = _push(run_ghpkg, faults, engine20, bed, tmp_path / "out", image, source)
    assert_pushed(done, bed, image, tmp_path / "out")
    assert "HTTP 503" in done.stderr
    assert "retry 2/3" in done.stderr
    assert "HTTP 502" in done.stderr
    assert [s.status for s in faults.requests("PUT", MANIFEST)] == [502, 201]
    seen = faults.seen
    last_blob = max(i for i, s in enumerate(seen) if s.method == "PUT" and "digest=" in s.path)
    first_manifest = min(i for i, s in enumerate(seen) if s.method == "PUT" and MANIFEST in s.path)
    assert last_blob < first_manifest, "a manifest was written before its blobs"


def test_push_waits_as_long_as_retry_after_says(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "slowdown")
    faults.script(Fault("status", "HEAD", "/blobs/", times=1, status=429, retry_after="2"))
    started = time.monotonic()
    done = _push(run_ghpkg, faults, engine20, bed, tmp_path / "out", image, source)
    assert_pushed(done, bed, image, tmp_path / "out")
    assert "HTTP 429" in done.stderr
    assert "in 2.0s" in done.stderr
    assert time.monotonic() - started >= 2


def test_push_restarts_a_blob_upload_dropped_midway(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "dropped", own_layer=True)
    faults.script(Fault("drop", "PATCH", BLOB_UPLOAD, times=1, after=KIB64))
    done = _push(run_ghpkg, faults, engine20, bed, tmp_path / "out", image, source)
    assert_pushed(done, bed, image, tmp_path / "out")
    retried = [line for line in done.stderr.splitlines() if "retry 1/3" in line]
    assert retried, done.stderr
    assert retried[0].startswith("upload of ")  # how the reset reads varies: broke, aborted
    patches = faults.requests("PATCH", BLOB_UPLOAD)
    assert [s.fault for s in patches].count("drop") == 1
    sessions = len(faults.requests("POST", BLOB_UPLOAD)) - 1  # less the token's write check
    assert sessions == len(patches), "a new session per try"


def test_push_gives_a_stalled_upload_up_after_the_timeout_and_retries(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "stalled")
    faults.script(Fault("stall", "PATCH", BLOB_UPLOAD, times=1, seconds=60))
    started = time.monotonic()
    done = _push(run_ghpkg, faults, engine20, bed, tmp_path / "out", image, source, timeout=2)
    assert_pushed(done, bed, image, tmp_path / "out")
    assert "timed out" in done.stderr
    assert time.monotonic() - started < 30


def test_push_that_keeps_failing_ends_in_one_line_and_no_tag(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "down")
    faults.script(Fault("status", "PATCH", BLOB_UPLOAD, times=None, status=503))
    done = _push(run_ghpkg, faults, engine20, bed, tmp_path / "out", image, source, retries=2)
    assert_one_line(done, "HTTP 503", "gave up after 3 attempts")
    assert faults.requests("PUT", MANIFEST) == []
    assert assert_tag_whole_or_absent(bed, image) is None


def test_a_failed_repush_leaves_the_tag_on_the_old_whole_image(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "repush")
    first = _push(run_ghpkg, faults, engine20, bed, tmp_path / "one", image, source)
    assert_pushed(first, bed, image, tmp_path / "one")
    before = _stored(bed, image)
    newer = build_hello(engine20.client, f"local/{image}:newer", "a newer build")
    faults.script(Fault("status", "PUT", MANIFEST, times=None, status=503, retry_after="0"))
    done = _push(run_ghpkg, faults, engine20, bed, tmp_path / "two", image, newer, retries=1)
    assert_one_line(done, "manifest", "HTTP 503", "gave up after 2 attempts")
    assert assert_tag_whole_or_absent(bed, image) == before


def test_engine_push_retries_a_bad_gateway_from_the_registry(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "viaengine")
    faults.script(Fault("status", "PUT", MANIFEST, times=1, status=502))
    out = tmp_path / "out"
    done = _run(
        run_ghpkg, faults, engine20, bed, out, "push", image, "--source", source,
        "--transport", "engine",
    )  # fmt: skip
    assert_pushed(done, bed, image, out)
    retried = [line for line in done.stderr.splitlines() if "retry 1/3" in line]
    assert retried, done.stderr
    assert "HTTP 502" in retried[0]  # the shim's registry client retried the manifest PUT


def test_engine_push_that_keeps_failing_ends_in_one_line_and_no_tag(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "enginedown")
    faults.script(Fault("status", "PUT", MANIFEST, times=None, status=503))
    done = _run(
        run_ghpkg, faults, engine20, bed, tmp_path / "out", "push", image, "--source", source,
        "--transport", "engine", retries=1,
    )  # fmt: skip
    assert_one_line(done, "manifest", "503", "gave up after 2 attempts")
    assert assert_tag_whole_or_absent(bed, image) is None


def test_rest_api_and_probe_retry_server_errors_and_a_408(
    bed: Testbed,
    faults: FaultProxy,
    engine20: EngineUnderTest,
    tiny_image: Pushed,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    """The probe and the login retry a 503 on a pull, which asks no REST API while the registry
    takes the token; the REST API's token check (which `versions` asks) retries a 502 and a 408."""
    faults.script(
        Fault("status", "GET", r"^/api/v3/user$", times=1, status=502),
        Fault("status", "GET", r"^/api/v3/user$", times=1, status=408),
        Fault("status", "GET", r"^/v2/$", times=1, status=503),
    )
    image = tiny_image.name.rsplit("/", 1)[1]
    out = tmp_path / "out"
    done = _run(
        run_ghpkg, faults, engine20, bed, out, "pull", image, "--transport", "registry",
        isolation="auto",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert read_outputs(out)["digest"] == tiny_image.digest
    assert "subdomain isolation on" in done.stderr
    assert faults.requests("", r"^/api/v3/") == []  # the registry took the token: no REST API
    listed = run_ghpkg(
        "versions", "--hostname", faults.hostname, "--subdomain-isolation", "true",
        "--owner", "octo-org", "--repository", "hello-world", "--image", image,
        "--ca-file", str(bed.ca_file), "--retries", "3",
        env={"GHPKG_TOKEN": bed.token("write")},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "1.0" in [line.split("\t")[0] for line in listed.stdout.splitlines()]
    api = f"REST API GET https://{faults.hostname}/api/v3/user"
    assert f"{api}: HTTP 502; retry 1/3 in " in listed.stderr
    assert f"{api}: HTTP 408; retry 2/3 in " in listed.stderr
    assert "could not check the token" not in listed.stderr


def test_a_408_request_timeout_is_retried_by_the_registry_client_and_probe(
    bed: Testbed, faults: FaultProxy, engine20: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    image, source = _image(engine20, "timeout408")
    faults.script(
        Fault("status", "GET", r"^/v2/$", times=1, status=408),
        Fault("status", "HEAD", "/blobs/", times=1, status=408),
    )
    done = _push(
        run_ghpkg, faults, engine20, bed, tmp_path / "out", image, source, isolation="auto"
    )
    assert_pushed(done, bed, image, tmp_path / "out")
    assert "subdomain isolation on" in done.stderr
    for method, path in (("GET", r"^/v2/$"), ("HEAD", "/blobs/")):
        answers = [seen.status for seen in faults.requests(method, path)]
        assert answers[0] == 408
        assert len(answers) >= 2, f"{method} {path} was not asked again after its 408"


# -- pull ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """An image on the bed, pushed without faults, and gone from the local engine."""

    image: str
    digest: str
    layer: str
    config: str  # the local image's ID (the config digest on the classic store)
    diff_ids: tuple[str, ...]


@pytest.fixture(scope="module")
def published(
    testbed: Testbed, engine20: EngineUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Published:
    """One image to pull, published straight to the bed (no proxy)."""
    image, source = _image(engine20, "pullme")
    context = tmp_path_factory.mktemp("published")
    done = subprocess.run(
        [
            sys.executable, "-m", "ghpkg", "push", "--hostname", testbed.hostname,
            "--subdomain-isolation", "true", "--owner", "octo-org", "--repository", "hello-world",
            "--image", image, "--version", "1.0", "--source", source, "--transport", "registry",
            "--ca-file", str(testbed.ca_file),
        ],
        env=clean_environment()
        | {"GHPKG_TOKEN": testbed.token("write"), "DOCKER_HOST": engine20.base_url,
           "XDG_CACHE_HOME": str(context / "cache")},
        cwd=context, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = _stored(testbed, image)
    assert raw is not None
    manifest = json.loads(raw)
    diff_ids = tuple(engine20.client.images.get(source).attrs["RootFS"]["Layers"])
    return Published(image, _digest(raw), manifest["layers"][0]["digest"], source, diff_ids)


@pytest.fixture
def absent(published: Published, engine20: EngineUnderTest) -> Iterator[Published]:
    """The published image, not in the local engine before or after the test."""

    def remove() -> None:  # by ID, and by name: on the containerd store a load has its own ID
        for image in engine20.client.images.list():
            named = any(f"/{published.image}:" in tag for tag in image.tags)
            if image.id == published.config or named:
                engine20.client.images.remove(str(image.id), force=True)

    remove()
    yield published
    remove()


def _pull(
    run_ghpkg: Run,
    proxy: FaultProxy,
    engine: EngineUnderTest,
    bed: Testbed,
    out: Path,
    image: str,
    **options: Any,
) -> subprocess.CompletedProcess[str]:
    return _run(
        run_ghpkg, proxy, engine, bed, out, "pull", image, "--transport", "registry", **options
    )


def assert_pulled(
    done: subprocess.CompletedProcess[str], engine: EngineUnderTest, proxy: FaultProxy,
    image: Published, out: Path,
) -> None:  # fmt: skip
    """The pull succeeded with the published digest and the engine has the image."""
    assert done.returncode == 0, done.stderr
    assert read_outputs(out)["digest"] == image.digest
    local = engine.client.images.get(f"{proxy.registry_host}/{OWNER_REPO}/{image.image}:1.0")
    assert read_outputs(out)["image-id"] == local.id
    assert tuple(local.attrs["RootFS"]["Layers"]) == image.diff_ids
    if not engine.name.endswith("containerd"):  # there the ID is the config digest
        assert local.id == image.config


def test_pull_resumes_a_layer_dropped_midway(
    bed: Testbed,
    faults: FaultProxy,
    engine20: EngineUnderTest,
    absent: Published,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    faults.script(Fault("drop", "GET", f"/blobs/{absent.layer}", times=1, after=KIB64))
    done = _pull(run_ghpkg, faults, engine20, bed, tmp_path / "out", absent.image)
    assert_pulled(done, engine20, faults, absent, tmp_path / "out")
    assert "at byte" in done.stderr
    assert "retry 1/3" in done.stderr
    assert len(faults.requests("GET", f"/blobs/{absent.layer}")) == 2


def test_pull_rides_out_503_on_the_manifest_and_429_on_a_layer(
    bed: Testbed,
    faults: FaultProxy,
    engine20: EngineUnderTest,
    absent: Published,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    faults.script(
        Fault("status", "GET", MANIFEST, times=2, status=503),
        Fault("status", "GET", f"/blobs/{absent.layer}", times=1, status=429, retry_after="1"),
    )
    done = _pull(run_ghpkg, faults, engine20, bed, tmp_path / "out", absent.image)
    assert_pulled(done, engine20, faults, absent, tmp_path / "out")
    assert "HTTP 503" in done.stderr
    assert "HTTP 429" in done.stderr
    assert "in 1.0s" in done.stderr


def test_pull_gives_a_stalled_layer_up_after_the_timeout_and_resumes(
    bed: Testbed,
    faults: FaultProxy,
    engine20: EngineUnderTest,
    absent: Published,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    faults.script(Fault("stall", "GET", f"/blobs/{absent.layer}", after=KIB64, seconds=60))
    started = time.monotonic()
    done = _pull(run_ghpkg, faults, engine20, bed, tmp_path / "out", absent.image, timeout=2)
    assert_pulled(done, engine20, faults, absent, tmp_path / "out")
    assert "timed out" in done.stderr
    assert time.monotonic() - started < 30


def test_pull_that_keeps_breaking_ends_in_one_line_and_loads_nothing(
    bed: Testbed,
    faults: FaultProxy,
    engine20: EngineUnderTest,
    absent: Published,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    faults.script(Fault("drop", "GET", f"/blobs/{absent.layer}", times=None, after=KIB64))
    done = _pull(run_ghpkg, faults, engine20, bed, tmp_path / "out", absent.image, retries=2)
    assert_one_line(done, absent.layer.split(":")[1][:12], "gave up after 3 attempts")
    with pytest.raises(docker.errors.ImageNotFound):
        engine20.client.images.get(absent.config)
