"""A hostile registry (testbed.hostile): what it answers must never take the token elsewhere.

Each case ends as one `error:` line and exit 1; the token is in no output and reaches no host
outside the instance (`foreign-PID.test` sees no Authorization header).
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from testbed.hostile import HostileRegistry, Rule, tiny_image
from testbed.images import build_hello
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

PATH = "octo-org/hello-world/app"


def _ghpkg(
    run_ghpkg: Run, hostile: HostileRegistry, bed: Any, engine: Any, operation: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`ghpkg OPERATION` against the hostile double, with the bed's write token."""
    return run_ghpkg(
        operation,
        "--hostname",
        hostile.hostname,
        "--subdomain-isolation",
        "true",
        "--owner",
        "octo-org",
        "--repository",
        "hello-world",
        "--image",
        "app",
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        "--transport",
        "registry",
        "--retries",
        "1",
        "--timeout",
        "10",
        *extra,
        env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url},
    )


def assert_refused(done: subprocess.CompletedProcess[str], bed: Any, *words: str) -> str:
    """Exit 1, one error line holding `words`, no traceback, the token nowhere; the line."""
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    token = bed.token("write")
    assert token not in done.stderr + done.stdout
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def assert_no_credentials_abroad(hostile: HostileRegistry) -> None:
    """The foreign host never got an Authorization header."""
    leaked = [hit for hit in hostile.hits(hostile.foreign) if hit.authorization]
    assert leaked == [], leaked


def _registry(hostile: HostileRegistry) -> str:
    return f"docker\\.{hostile.name}"


def test_a_bearer_realm_on_another_host_gets_no_credentials(
    bed: Any, hostile: HostileRegistry, engine: Any, run_ghpkg: Run
) -> None:
    realm = hostile.foreign_url("/token")
    hostile.script(
        Rule(
            "^/v2/",
            401,
            {"WWW-Authenticate": f'Bearer realm="{realm}",service="x",scope="pull"'},
            host=_registry(hostile),
        )
    )
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull")
    assert_refused(done, bed, hostile.foreign, "token service", "not part of")
    assert hostile.hits(hostile.foreign) == []


def test_a_401_from_where_a_blob_was_redirected_is_a_clear_error(
    bed: Any, hostile: HostileRegistry, engine: Any, run_ghpkg: Run
) -> None:
    image = tiny_image()
    config = next(iter(image.blobs))
    realm = hostile.foreign_url("/token")
    hostile.script(
        Rule(
            f"/blobs/{config}$",
            307,
            {"Location": hostile.foreign_url(f"/storage/{config}")},
            host=_registry(hostile),
        ),
        Rule(
            "^/storage/",
            401,
            {"WWW-Authenticate": f'Bearer realm="{realm}",service="storage"'},
            host=hostile.foreign,
        ),
        Rule("^/token", body=b'{"token":"stolen"}', host=hostile.foreign),
        *hostile.serve_image(PATH, "1.0", image),
    )
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull")
    assert_refused(done, bed, hostile.foreign, "HTTP 401 after a redirect")
    assert_no_credentials_abroad(hostile)
    assert [hit for hit in hostile.hits(hostile.foreign) if hit.path.startswith("/token")] == []


def test_a_redirect_down_to_plain_http_is_not_followed(
    bed: Any, hostile: HostileRegistry, engine: Any, run_ghpkg: Run
) -> None:
    image = tiny_image()
    config = next(iter(image.blobs))
    plain = hostile.registry_url(f"/v2/{PATH}/blobs/{config}", scheme="http")
    hostile.script(
        Rule(f"/blobs/{config}$", 302, {"Location": plain}, host=_registry(hostile)),
        *hostile.serve_image(PATH, "1.0", image),
    )
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull")
    assert_refused(done, bed, "step down from https", f"http://{hostile.registry_host}")


def test_an_upload_location_on_plain_http_gets_no_bytes(
    bed: Any, hostile: HostileRegistry, engine: Any, run_ghpkg: Run, tmp_path: Path
) -> None:
    source = build_hello(engine.client, f"local/hostile-{uuid.uuid4().hex[:8]}:src", "hostile")
    plain = hostile.registry_url(f"/v2/{PATH}/blobs/uploads/1", scheme="http")
    hostile.script(
        Rule("/blobs/uploads/", 202, {"Location": plain}, method="POST", host=_registry(hostile))
    )
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "push", "--source", source)
    assert_refused(done, bed, "step down from https", f"http://{hostile.registry_host}")
    assert [hit for hit in hostile.seen if hit.method in ("PATCH", "PUT")] == []
