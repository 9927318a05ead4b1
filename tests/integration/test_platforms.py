"""One image for many platforms, as users run it: `--platform linux/amd64,linux/arm64`, the
matrix form (`--platform-tags` per job, then `ghpkg join`), and a pull that picks the engine's
platform. Both platforms build here without emulation, with BuildKit and with 20.10's legacy
builder: the images are `FROM scratch` with no RUN step, so the builder only labels them for
arm64 (a RUN step for another architecture would need binfmt/QEMU on the runner)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from testbed.pytest_engines import EnginePool, EngineUnderTest
from tests.integration.conftest import Run, handling_engines
from tests.integration.test_container_registry import ACCEPT, OCI_INDEX
from tests.integration.test_push_cli import digest_of, stored_manifest, unique, workflow_env

pytestmark = pytest.mark.integration


@pytest.fixture(params=handling_engines())
def handling_engine(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """The engines that take each path through ghpkg (both transports, both image stores)."""
    return engine_pool.get(request.param)


@pytest.fixture
def one_engine(engine_pool: EnginePool) -> EngineUnderTest:
    """One engine: what a registry-only step does does not depend on it."""
    return engine_pool.get(handling_engines()[-1])


PATH = "octo-org/hello-world"


@pytest.fixture
def scratch_context(tmp_path: Path) -> Path:
    """A context whose image builds for any platform: a file and a label, no RUN."""
    context = tmp_path / "context"
    context.mkdir()
    (context / "hello.txt").write_text("hello from every platform\n")
    (context / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    return context


def ghpkg(
    run_ghpkg: Run,
    bed: Testbed,
    engine: EngineUnderTest,
    verb: str,
    image: str,
    *extra: str,
    version: str = "1.0",
) -> subprocess.CompletedProcess[str]:
    """One ghpkg command as a workflow runs it, on this engine with its docker CLI config."""
    return run_ghpkg(
        verb,
        "--image",
        image,
        "--version",
        version,
        "--ca-file",
        str(bed.ca_file),
        *extra,
        env={**workflow_env(bed, engine), **engine.env},
    )


def container_manifest(bed: Testbed, path: str, tag: str) -> bytes:
    """What the Container registry's backend stores for a tag (an index, or an image manifest)."""
    answer = requests.get(
        f"{bed.container_backend_url}/v2/{path}/manifests/{tag}",
        headers={"Accept": f"{ACCEPT}, {OCI_INDEX}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.content


def architecture(bed: Testbed, path: str, tag: str) -> str:
    """The architecture the image config of a tag stored on the Docker registry names."""
    manifest = json.loads(stored_manifest(bed, path, tag)[0])
    digest = manifest["config"]["digest"]
    config = requests.get(f"{bed.backend_url}/v2/{path}/blobs/{digest}", timeout=30)
    assert config.status_code == 200, config.text
    return str(config.json()["architecture"])


def test_two_platforms_get_a_tag_each_and_the_version_names_the_engines_one(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, scratch_context: Path
) -> None:
    image = unique("multi", engine)
    path = f"{PATH}/{image}"
    done = ghpkg(
        run_ghpkg,
        bed,
        engine,
        "push",
        image,
        "--context",
        str(scratch_context),
        "--platform",
        "linux/arm64,linux/amd64",
    )
    assert done.returncode == 0, done.stderr
    assert architecture(bed, path, "1.0-linux-arm64") == "arm64"
    assert architecture(bed, path, "1.0-linux-amd64") == "amd64"
    plain, media_type = stored_manifest(bed, path, "1.0")
    assert media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert plain == stored_manifest(bed, path, "1.0-linux-amd64")[0]  # this engine's platform
    reference = f"docker.{bed.hostname}/{path}:1.0"
    assert reference in done.stdout.split()
    assert f"{reference}-linux-arm64" in done.stdout.split()

    engine.client.images.remove(reference, force=True)
    pulled = ghpkg(run_ghpkg, bed, engine, "pull", image)
    assert pulled.returncode == 0, pulled.stderr
    assert "pulling 1.0-linux-amd64" in pulled.stderr
    assert engine.client.images.get(reference).attrs["Architecture"] == "amd64"
    assert not engine.client.images.list(name=f"docker.{bed.hostname}/{path}:1.0-linux-amd64")


def test_a_pull_picks_the_engines_platform_where_the_version_names_another(
    bed: Testbed, handling_engine: EngineUnderTest, run_ghpkg: Run, scratch_context: Path
) -> None:
    engine = handling_engine
    image = unique("picks", engine)
    path = f"{PATH}/{image}"
    build = ("--context", str(scratch_context))
    arm = ghpkg(run_ghpkg, bed, engine, "push", image, *build, "--platform", "linux/arm64")
    assert arm.returncode == 0, arm.stderr  # an arm64 runner pushed plain 1.0 last
    assert architecture(bed, path, "1.0") == "arm64"
    amd = ghpkg(
        run_ghpkg,
        bed,
        engine,
        "push",
        image,
        *build,
        "--platform",
        "linux/amd64",
        "--platform-tags",
    )
    assert amd.returncode == 0, amd.stderr  # a matrix job: its platform tag only
    assert architecture(bed, path, "1.0") == "arm64"
    assert architecture(bed, path, "1.0-linux-amd64") == "amd64"

    reference = f"docker.{bed.hostname}/{path}:1.0"
    engine.client.images.remove(reference, force=True)
    pulled = ghpkg(run_ghpkg, bed, engine, "pull", image)
    assert pulled.returncode == 0, pulled.stderr
    assert engine.client.images.get(reference).attrs["Architecture"] == "amd64"


def test_matrix_jobs_joined_make_one_index_on_the_container_registry(
    bed: Testbed, one_engine: EngineUnderTest, run_ghpkg: Run, scratch_context: Path
) -> None:
    engine = one_engine
    image = unique("joined", engine)
    path = f"octo-org/{image}"
    container = ("--registry", "container", "--hostname", bed.hostname, "--owner", "octo-org")
    for platform in ("linux/amd64", "linux/arm64"):
        job = ghpkg(
            run_ghpkg,
            bed,
            engine,
            "push",
            image,
            *container,
            "--context",
            str(scratch_context),
            "--platform",
            platform,
            "--platform-tags",
        )
        assert job.returncode == 0, job.stderr
    platforms = ("--platform", "linux/amd64,linux/arm64", "--json")
    joined = ghpkg(run_ghpkg, bed, engine, "join", image, *container, *platforms)
    assert joined.returncode == 0, joined.stderr
    index = json.loads(container_manifest(bed, path, "1.0"))
    assert index["mediaType"] == OCI_INDEX
    children = {
        f"{m['platform']['os']}/{m['platform']['architecture']}": m for m in index["manifests"]
    }
    assert set(children) == {"linux/amd64", "linux/arm64"}
    for name, entry in children.items():
        stored = container_manifest(bed, path, f"1.0-{name.replace('/', '-')}")
        assert entry["digest"] == digest_of(stored)
    reference = f"containers.{bed.hostname}/{path}:1.0"
    document = json.loads(joined.stdout)
    assert document["digest"] == digest_of(container_manifest(bed, path, "1.0"))
    assert document["images"] == [reference]

    pulled = ghpkg(run_ghpkg, bed, engine, "pull", image, *container)
    assert pulled.returncode == 0, pulled.stderr
    assert engine.client.images.get(reference).attrs["Architecture"] == "amd64"


def test_join_refuses_a_platform_tag_that_holds_another_platform(
    bed: Testbed, one_engine: EngineUnderTest, run_ghpkg: Run, scratch_context: Path
) -> None:
    engine = one_engine
    image = unique("mislabel", engine)
    build = ("--context", str(scratch_context), "--platform", "linux/arm64")
    wrong = ghpkg(run_ghpkg, bed, engine, "push", image, *build, version="1.0-linux-amd64")
    assert wrong.returncode == 0, wrong.stderr
    joined = ghpkg(run_ghpkg, bed, engine, "join", image, "--platform", "linux/amd64")
    assert joined.returncode == 1
    lines = joined.stderr.strip().splitlines()
    assert "1.0-linux-amd64 holds a linux/arm64 image, not linux/amd64" in lines[-1]
    assert "Traceback" not in joined.stderr


def test_two_platforms_pushed_at_once_make_one_index_on_the_container_registry(
    bed: Testbed, one_engine: EngineUnderTest, run_ghpkg: Run, scratch_context: Path
) -> None:
    engine = one_engine
    image = unique("index", engine)
    path = f"octo-org/{image}"
    container = ("--registry", "container", "--hostname", bed.hostname, "--owner", "octo-org")
    build = ("--context", str(scratch_context), "--platform", "linux/arm64,linux/amd64")
    noted = ("--annotation", "index:org.example.team=web")  # build-push-action's annotations
    done = ghpkg(run_ghpkg, bed, engine, "push", image, *container, *build, *noted, "--json")
    assert done.returncode == 0, done.stderr
    index = json.loads(container_manifest(bed, path, "1.0"))
    assert index["mediaType"] == OCI_INDEX
    assert index["annotations"]["org.example.team"] == "web"
    platforms = [
        f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index["manifests"]
    ]
    assert platforms == ["linux/arm64", "linux/amd64"]
    source = index["annotations"]["org.opencontainers.image.source"]  # the package page's link
    assert source.lower() == f"https://{bed.hostname}/octo-org/hello-world"
    assert json.loads(done.stdout)["digest"] == digest_of(container_manifest(bed, path, "1.0"))
