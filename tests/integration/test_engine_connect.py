"""ghpkg finds the engine as the docker CLI does: DOCKER_HOST with DOCKER_TLS_VERIFY/CERT_PATH."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from ghpkg.transports.choice import shares_network
from testbed.bed import Testbed
from testbed.client import Pushed
from testbed.engine_tls import TlsEngine
from testbed.pki import Pki
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.helpers import read_outputs
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration


@pytest.fixture
def tls_engine(engine: EngineUnderTest, bed: Testbed, tmp_path: Path) -> Iterator[TlsEngine]:
    """The engine under test behind a TLS front (tcp://localhost:PORT, the bed's CA)."""
    front = TlsEngine(engine.base_url.removeprefix("unix://"), Pki(bed.paths.pki), tmp_path / "tls")
    yield front.start()
    front.stop()


def test_pull_into_an_engine_reached_over_tls(
    bed: Testbed,
    engine: EngineUnderTest,
    tls_engine: TlsEngine,
    tiny_image: Pushed,
    run_ghpkg: Run,
    tmp_path: Path,
) -> None:
    owner, repository, image = tiny_image.name.split("/")
    out = tmp_path / "out"
    done = run_ghpkg(
        "pull", "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--owner", owner, "--repository", repository, "--image", image,
        "--version", tiny_image.tag, "--ca-file", str(bed.ca_file),
        "--transport", "registry", "--output-file", str(out),
        env={"GHPKG_TOKEN": bed.token("read"), **tls_engine.env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reference = f"docker.{bed.hostname}/{tiny_image.name}:{tiny_image.tag}"
    assert read_outputs(out)["image-id"] == engine.client.images.get(reference).id


def test_an_engine_over_tls_without_its_certificates_is_one_clear_error(
    bed: Testbed, engine: EngineUnderTest, tls_engine: TlsEngine, run_ghpkg: Run, tmp_path: Path
) -> None:
    env = {**tls_engine.env, "DOCKER_CERT_PATH": str(tmp_path / "nowhere")}
    done = run_ghpkg(
        "pull", "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--owner", "octo-org", "--repository", "hello-world", "--image", "app",
        "--version", "1.0", "--ca-file", str(bed.ca_file), "--transport", "registry",
        env={"GHPKG_TOKEN": bed.token("read"), **env},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("error:") == 1
    assert "error: cannot reach the Docker engine" in done.stderr
    assert "DOCKER_CERT_PATH" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("url", "tls", "said"),
    [
        ("tcp://192.0.2.10:2375", None, "plain TCP"),
        ("tcp://192.0.2.10:2376", False, "TLS without checking its certificate"),
    ],
    ids=["plain-tcp", "unverified-tls"],
)
def test_no_credential_goes_to_an_engine_elsewhere_without_verified_tls(
    url: str, tls: bool | None, said: str
) -> None:
    """Judged from how the engine is reached, before the call: exit 2 with the fix."""
    import ghpkg.engine
    from ghpkg.errors import UsageError
    from ghpkg.secret import Secret

    config = docker.tls.TLSConfig(verify=tls) if tls is not None else False
    client = docker.DockerClient(base_url=url, version="1.41", tls=config)
    with pytest.raises(UsageError, match=said) as refused:
        ghpkg.engine.Engine(client).pull("x/y:1", "me", Secret("ghp_" + "a" * 36), lambda _: None)
    assert refused.value.exit_code == 2
    assert "DOCKER_TLS_VERIFY=1" in str(refused.value)


def test_a_dockerd_in_this_network_namespace_needs_no_reach_probe(engine_pool: EnginePool) -> None:
    """This machine is a container (/.dockerenv) whose engines run beside ghpkg: each socket's
    listener is a dockerd sharing ghpkg's loopback, so a pull takes the engine without probing."""
    for name in selected_engines():
        assert shares_network(engine_pool.get(name).base_url), name
