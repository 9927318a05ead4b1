"""A hostile REST API (testbed.hostile): an answer that never ends stops at the size cap.

PyGithub reads the REST API's answers; ghpkg's connections under it (`rest.connection`) read at
most 4 MiB of each. The double's body never ends, so a run that ends at all read no more than
the cap: one `error:` line, exit 1, no traceback, no MemoryError.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.bed import Testbed
from testbed.hostile import HostileRegistry, Rule
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.integration.conftest import Run
from tests.integration.test_hostile import assert_refused

pytestmark = pytest.mark.integration

VERSION = (
    b'{"id": 7, "name": "sha256:' + b"a" * 64 + b'", "created_at": "2026-01-01T00:00:00Z", '
    b'"updated_at": "2026-01-01T00:00:00Z", "metadata": {"docker": {"tag": ["1.0"]}}}, '
)
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def one_engine(engine_pool: EnginePool) -> EngineUnderTest:
    """One engine: the REST API's answers do not depend on it."""
    return engine_pool.get(selected_engines()[0])


def _common(hostile: HostileRegistry, bed: Testbed) -> tuple[str, ...]:
    return (
        *("--hostname", hostile.hostname, "--subdomain-isolation", "true"),
        *("--owner", "octo-org", "--repository", "hello-world", "--image", "app"),
        *("--ca-file", str(bed.ca_file), "--retries", "1", "--timeout", "10"),
    )


@pytest.mark.parametrize("status", [200, 503])
def test_an_endless_versions_listing_is_one_clear_error(
    bed: Testbed, hostile: HostileRegistry, run_ghpkg: Run, status: int
) -> None:
    """A 503's endless body is not drained before the retry either: the retry's answer stops."""
    versions = "/packages/docker/hello-world%2Fapp/versions"
    hostile.script(Rule(versions, status, JSON, b"[", host=hostile.name, repeat=VERSION * 64))
    done = run_ghpkg("versions", *_common(hostile, bed), env={"GHPKG_TOKEN": bed.token("write")})
    line = assert_refused(done, bed, "REST API", f"{versions}", "larger than 4194304 bytes")
    assert "--hostname" in line
    assert "MemoryError" not in done.stderr
    listings = [hit for hit in hostile.hits(hostile.name) if versions in hit.path]
    assert len(listings) == (2 if status == 503 else 1)  # --retries 1: the 503 was retried


def test_an_endless_repository_answer_stops_a_build_before_it_starts(
    bed: Testbed, hostile: HostileRegistry, one_engine: EngineUnderTest, run_ghpkg: Run,
    tmp_path: Path,
) -> None:  # fmt: skip
    """The repository's metadata a build reads for its labels: refused, not warned past."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /\n")
    hostile.script(
        Rule("^/api/v3/repos/octo-org/hello-world$", 200, JSON, b'{"description": "',
             host=hostile.name, repeat=b"x" * 65536),
    )  # fmt: skip
    done = run_ghpkg(
        "push", *_common(hostile, bed), "--version", "1.0", "--context", str(tmp_path),
        "--no-push",
        env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": one_engine.base_url},
    )  # fmt: skip
    assert_refused(done, bed, "/repos/octo-org/hello-world", "larger than 4194304 bytes")
    assert "MemoryError" not in done.stderr
    asked = [hit.path for hit in hostile.hits(hostile.name)]
    assert asked == ["/api/v3/repos/octo-org/hello-world"]  # the labels come before the build


def test_an_endless_answer_to_the_token_check_stops_a_pull(
    bed: Testbed, hostile: HostileRegistry, one_engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    """GET /user, which a pull asks once the registry refuses its first read (to name a missing
    scope): refused, not warned past, and the pull goes no further."""
    hostile.script(
        Rule("/manifests/", 403, host=f"docker\\.{hostile.name}"),
        Rule("^/api/v3/user$", 200, JSON, b'{"login": "', host=hostile.name, repeat=b"x" * 65536),
    )
    done = run_ghpkg(
        "pull", *_common(hostile, bed), "--version", "1.0", "--transport", "registry",
        env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": one_engine.base_url},
    )  # fmt: skip
    assert_refused(done, bed, "/api/v3/user", "larger than 4194304 bytes")
    assert "MemoryError" not in done.stderr
    assert [hit.path for hit in hostile.hits() if "/api/v3/" in hit.path] == ["/api/v3/user"]
    assert [hit for hit in hostile.hits() if "/blobs/" in hit.path] == []
