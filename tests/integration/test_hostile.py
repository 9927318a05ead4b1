"""A hostile registry (testbed.hostile): what it answers must never take the token elsewhere.

Each case ends as one `error:` line and exit 1; the token is in no output and reaches no host
outside the instance (`foreign-PID.test` sees no Authorization header).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest

from testbed.bed import Testbed
from testbed.hostile import HostileRegistry, Rule, tiny_image
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

PATH = "octo-org/hello-world/app"
SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _ghpkg(
    run_ghpkg: Run,
    hostile: HostileRegistry,
    bed: Testbed,
    engine: EngineUnderTest,
    operation: str,
    *extra: str,
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


def assert_refused(done: subprocess.CompletedProcess[str], bed: Testbed, *words: str) -> str:
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
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
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
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
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
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
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
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    source = build_hello(engine.client, f"local/hostile-{uuid.uuid4().hex[:8]}:src", "hostile")
    plain = hostile.registry_url(f"/v2/{PATH}/blobs/uploads/1", scheme="http")
    hostile.script(
        Rule("/blobs/uploads/", 202, {"Location": plain}, method="POST", host=_registry(hostile))
    )
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "push", "--source", source)
    assert_refused(done, bed, "step down from https", f"http://{hostile.registry_host}")
    assert [hit for hit in hostile.seen if hit.method in ("PATCH", "PUT")] == []


def _manifest_answer(hostile: HostileRegistry, body: bytes, **headers: str) -> Rule:
    return Rule(
        f"^/v2/{PATH}/manifests/1.0$",
        headers={"Content-Type": SCHEMA2, **headers},
        body=body,
        host=_registry(hostile),
    )


@pytest.mark.parametrize(
    ("body", "encoding", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "", ("not a JSON object",)),
        (b"[]", "", ("not a JSON object",)),
        (b'{"schemaVersion": 2, "config": [], "layers": {}}', "", ("malformed",)),
        (gzip.compress(b'{"x": "' + b" " * (64 << 20) + b'"}'), "gzip", ("larger than",)),
    ],
    ids=["deeply-nested", "list-for-object", "wrong-types", "gzip-bomb"],
)
def test_a_manifest_that_is_no_manifest_is_one_clear_error(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run,
    body: bytes, encoding: str, words: tuple[str, ...],
) -> None:  # fmt: skip
    headers = {"Content-Encoding": encoding} if encoding else {}
    hostile.script(_manifest_answer(hostile, body, **headers))
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull")
    assert_refused(done, bed, *words)


def test_a_digest_that_would_be_a_path_is_refused_before_anything_is_written(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    image = tiny_image()
    manifest = json.loads(image.manifest)
    manifest["layers"][0]["digest"] = "sha256:../../../../tmp/ghpkg-escaped"
    hostile.script(_manifest_answer(hostile, json.dumps(manifest).encode()))
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull")
    assert_refused(done, bed, "invalid digest")
    assert not Path("/tmp/ghpkg-escaped").exists()


def test_a_503_with_a_deeply_nested_body_is_retried(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    nested = b'{"errors":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    hostile.script(
        Rule("/manifests/1.0$", 503, {"Content-Type": "application/json"}, nested,
             host=_registry(hostile))
    )  # fmt: skip
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull")
    assert_refused(done, bed, "HTTP 503", "gave up after 2 attempts")
    assert "retry 1/1" in done.stderr


def test_an_index_child_that_does_not_match_its_digest_is_refused(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    image, other = tiny_image(), tiny_image(gzip.compress(b"other", mtime=0))
    child = "sha256:" + hashlib.sha256(image.manifest).hexdigest()
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": SCHEMA2, "digest": child, "size": len(image.manifest),
             "platform": {"os": "linux", "architecture": "amd64"}},
        ],
    }  # fmt: skip
    containers = f"containers\\.{hostile.name}"
    hostile.script(
        Rule("^/v2/octo-org/app/manifests/1.0$", headers={"Content-Type": OCI_INDEX},
             body=json.dumps(index).encode(), host=containers),
        Rule(f"^/v2/octo-org/app/manifests/{child}$", headers={"Content-Type": SCHEMA2},
             body=other.manifest, host=containers),
        *hostile.serve_image("octo-org/app", "x", other, registry="containers"),
    )  # fmt: skip
    done = _ghpkg(run_ghpkg, hostile, bed, engine, "pull", "--registry", "container")
    assert_refused(done, bed, "does not match its digest", child)


def test_tags_from_a_hostile_api_are_printed_not_obeyed(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    versions = [
        {"id": 7, "name": "sha256:" + "a" * 64, "created_at": "2026-01-01T00:00:00Z",
         "updated_at": "2026-01-01T00:00:00Z",
         "metadata": {"container": {"tags": ["::stop-commands::pwned"]},
                      "docker": {"tag": ["::stop-commands::pwned"]}}},
    ]  # fmt: skip
    hostile.script(
        Rule("/packages/docker/hello-world%2Fapp/versions", headers={
            "Content-Type": "application/json"}, body=json.dumps(versions).encode(),
             host=hostile.name),
    )  # fmt: skip
    summary = tmp_path / "summary.md"
    done = run_ghpkg(
        "versions", "--hostname", hostile.hostname, "--subdomain-isolation", "true",
        "--owner", "octo-org", "--repository", "hello-world", "--image", "app",
        "--ca-file", str(bed.ca_file),
        env={"GHPKG_TOKEN": bed.token("write"), "GITHUB_ACTIONS": "true",
             "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "stop-commands" in done.stdout
    lines = (done.stdout + done.stderr).splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::stop-commands")]


def test_the_auto_probe_wants_the_registry_apis_answer_not_any_200(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    hostile.script(Rule("^/v2/", headers={"Content-Type": "application/json"}, body=b"{}", host=""))
    done = run_ghpkg(
        "pull", "--hostname", hostile.hostname, "--owner", "octo-org",
        "--repository", "hello-world", "--image", "app", "--version", "1.0",
        "--ca-file", str(bed.ca_file), "--retries", "0", "--timeout", "10",
        env={"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url},
    )  # fmt: skip
    assert_refused(done, bed, "not enabled", "answers as a registry")


def test_a_delete_retried_after_a_lost_answer_counts_as_done(
    bed: Testbed, hostile: HostileRegistry, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    listed = [  # not only the last version: GitHub refuses to delete that one
        {"id": 7, "name": "sha256:" + "a" * 64, "created_at": "2026-01-01T00:00:00Z",
         "updated_at": "2026-01-01T00:00:00Z", "metadata": {"docker": {"tag": ["old"]}}},
        {"id": 8, "name": "sha256:" + "b" * 64, "created_at": "2026-02-01T00:00:00Z",
         "updated_at": "2026-02-01T00:00:00Z", "metadata": {"docker": {"tag": ["new"]}}},
    ]  # fmt: skip
    versions = "/packages/docker/hello-world%2Fapp/versions"
    json_type = {"Content-Type": "application/json"}
    hostile.script(
        Rule(f"{versions}/7$", 502, method="DELETE", host=hostile.name, times=1),
        Rule(f"{versions}/7$", 404, json_type, b'{"message":"Not Found"}', method="DELETE",
             host=hostile.name),
        Rule(versions, headers=json_type, body=json.dumps(listed).encode(), method="GET",
             host=hostile.name),
    )  # fmt: skip
    done = run_ghpkg(
        "delete", "--hostname", hostile.hostname, "--subdomain-isolation", "true",
        "--owner", "octo-org", "--repository", "hello-world", "--image", "app",
        "--version", "old", "--ca-file", str(bed.ca_file), "--retries", "2",
        env={"GHPKG_TOKEN": bed.token("delete")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    deletes = [hit for hit in hostile.hits(hostile.name) if hit.method == "DELETE"]
    assert len(deletes) == 2


@pytest.mark.parametrize("answer", ["missing", "another-manifest"])
def test_a_kept_version_whose_manifest_cannot_be_trusted_stops_delete_before_any_delete(
    bed: Testbed, hostile: HostileRegistry, run_ghpkg: Run, answer: str
) -> None:
    """The index that stays may name the version that would go: unknown, so nothing goes."""
    kept = "sha256:" + "b" * 64
    listed = [
        {"id": 7, "name": "sha256:" + "a" * 64, "created_at": "2026-01-01T00:00:00Z",
         "updated_at": "2026-01-01T00:00:00Z", "metadata": {"container": {"tags": ["old"]}}},
        {"id": 8, "name": kept, "created_at": "2026-02-01T00:00:00Z",
         "updated_at": "2026-02-01T00:00:00Z", "metadata": {"container": {"tags": ["new"]}}},
    ]  # fmt: skip
    containers = f"containers\\.{hostile.name}"
    manifest = (
        Rule(f"^/v2/octo-org/app/manifests/{kept}$", 404, {"Content-Type": "application/json"},
             b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', host=containers)
        if answer == "missing"
        else Rule(f"^/v2/octo-org/app/manifests/{kept}$", headers={"Content-Type": SCHEMA2},
                  body=tiny_image().manifest, host=containers)
    )  # fmt: skip
    hostile.script(
        manifest,
        Rule("/packages/container/app/versions", headers={"Content-Type": "application/json"},
             body=json.dumps(listed).encode(), method="GET", host=hostile.name),
    )  # fmt: skip
    done = run_ghpkg(
        "delete", "--hostname", hostile.hostname, "--subdomain-isolation", "true",
        "--registry", "container", "--owner", "octo-org", "--image", "app",
        "--version", "old", "--ca-file", str(bed.ca_file), "--retries", "1",
        env={"GHPKG_TOKEN": bed.token("delete")},
    )  # fmt: skip
    said = "was not found" if answer == "missing" else "with another manifest"
    assert_refused(done, bed, "new (id 8)", said)
    assert [hit for hit in hostile.hits(hostile.name) if hit.method == "DELETE"] == []
