"""`import ghpkg` as docs/library.md shows it: a request per verb over one Remote, a Result of
typed fields out (records, not JSON text), errors as GhpkgError."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

import ghpkg
from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest, selected_engines

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def push_request(
    engine: EngineUnderTest, image: str, source: str, versions: tuple[str, ...] = ("1.0", "latest")
) -> ghpkg.PushRequest:
    """A push of the local image `source` to octo-org/hello-world/IMAGE, through this engine."""
    package = ghpkg.Package("octo-org", "hello-world", image)
    access = ghpkg.EngineAccess(docker_host=engine.base_url)
    return ghpkg.PushRequest(package, versions, source=source, engine=access)


def test_push_then_pull_through_the_library(bed: Testbed, engine: EngineUnderTest) -> None:
    image = f"library-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", f"library {image}")
    write = remote(bed)
    pushed = ghpkg.push(push_request(engine, image, source), write, ghpkg.Log(quiet=True))
    assert pushed.images == tuple(
        f"{bed.registry_host}/octo-org/hello-world/{image}:{tag}" for tag in ("1.0", "latest")
    )
    assert pushed.digest.startswith("sha256:")
    engine.client.images.remove(pushed.images[0], force=True)
    access = ghpkg.EngineAccess(docker_host=engine.base_url)
    request = ghpkg.PullRequest(ghpkg.Package("octo-org", "hello-world", image), "1.0", access)
    pulled = ghpkg.pull(request, write, ghpkg.Log(quiet=True))
    assert pulled.digest == pushed.digest
    assert pulled.image_id == engine.client.images.get(pushed.images[0]).id


def test_a_refusal_is_a_ghpkg_error_with_its_fix(bed: Testbed, engine: EngineUnderTest) -> None:
    refused = dataclasses.replace(remote(bed), token=ghpkg.Secret("ghp_" + "0" * 36))
    with pytest.raises(ghpkg.GhpkgError) as failed:
        ghpkg.push(push_request(engine, "never", "x"), refused, ghpkg.Log(quiet=True))
    assert failed.value.exit_code == 1
    assert failed.value.fix


def remote(bed: Testbed, token: str = "write", **fields: Any) -> ghpkg.Remote:
    """The bed as a library user names it: host, user, token, the bed's CA."""
    secret = ghpkg.Secret(bed.token(token))
    return ghpkg.Remote(bed.hostname, "octocat", secret, ca_file=Path(bed.ca_file), **fields)


def pushed_twice(bed: Testbed, engine: EngineUnderTest, image: str) -> list[str]:
    """Push 1.0, then another image as 2.0, through the library; their digests."""
    digests = []
    for version in ("1.0", "2.0"):
        source = build_hello(engine.client, f"local/{image}:{version}", f"{image} {version}")
        request = push_request(engine, image, source, (version,))
        digests.append(ghpkg.push(request, remote(bed), ghpkg.Log(quiet=True)).digest)
    return digests


def test_ref_gives_references_without_a_network() -> None:
    where = ghpkg.Remote("ghes.example.com", "octocat", ghpkg.Secret(""), isolation=False)
    request = ghpkg.RefRequest(ghpkg.Package("octo-org", "hello-world", "app"), ("1.0", "latest"))
    result = ghpkg.ref(request, where, ghpkg.Log(quiet=True))
    assert result.images == (
        "ghes.example.com/octo-org/hello-world/app:1.0",
        "ghes.example.com/octo-org/hello-world/app:latest",
    )
    assert result.package_url == "https://ghes.example.com/octo-org/hello-world/packages"


def test_versions_and_delete_give_version_records(bed: Testbed, engine: EngineUnderTest) -> None:
    image = f"library-v-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    pushed_twice(bed, engine, image)
    package = ghpkg.Package("octo-org", "hello-world", image)
    listed = ghpkg.versions(ghpkg.VersionsRequest(package), remote(bed), ghpkg.Log(quiet=True))
    assert listed.versions is not None
    assert [version.tags for version in listed.versions] == [("2.0",), ("1.0",)]  # newest first
    assert all(isinstance(version, ghpkg.PackageVersion) for version in listed.versions)
    assert all(version.id > 0 and version.created_at for version in listed.versions)

    request = ghpkg.DeleteRequest(package, keep=1, dry_run=True)
    plan = ghpkg.delete(request, remote(bed), ghpkg.Log(quiet=True))
    assert plan.deleted == (listed.versions[1],)  # 1.0 would go, the newest stays
    assert plan.versions == (listed.versions[0],)
    again = ghpkg.versions(ghpkg.VersionsRequest(package), remote(bed), ghpkg.Log(quiet=True))
    assert again.versions == listed.versions  # a dry run deletes nothing

    deleting = remote(bed, "delete")  # delete:packages
    gone = ghpkg.delete(ghpkg.DeleteRequest(package, keep=1), deleting, ghpkg.Log(quiet=True))
    assert gone.deleted == (listed.versions[1],)
    left = ghpkg.versions(ghpkg.VersionsRequest(package), remote(bed), ghpkg.Log(quiet=True))
    assert left.versions == (listed.versions[0],)


def test_copy_and_pull_take_their_requests(bed: Testbed, engine: EngineUnderTest) -> None:
    image = f"library-c-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    digests = pushed_twice(bed, engine, image)
    package = ghpkg.Package("octo-org", "hello-world", image)
    request = ghpkg.CopyRequest(package, ("2.0",), to_image=f"{image}-c")
    copied = ghpkg.copy(request, remote(bed), ghpkg.Log(quiet=True))
    assert copied.images == (f"{bed.container_host}/octo-org/{image}-c:2.0",)
    assert copied.digest == digests[1]

    access = ghpkg.EngineAccess(docker_host=engine.base_url)
    container = ghpkg.Package("octo-org", "", f"{image}-c")
    request_pull = ghpkg.PullRequest(container, "2.0", access)
    pulled = ghpkg.pull(request_pull, remote(bed, registry="container"), ghpkg.Log(quiet=True))
    assert pulled.images == copied.images
    assert pulled.image_id == engine.client.images.get(copied.images[0]).id


def test_doctor_gives_its_checks_as_records(bed: Testbed, engine: EngineUnderTest) -> None:
    request = ghpkg.DoctorRequest(
        ghpkg.Package("octo-org", "hello-world", ""),
        engine=ghpkg.EngineAccess(docker_host=engine.base_url),
    )
    result = ghpkg.doctor(request, remote(bed, retries=0), ghpkg.Log(quiet=True))
    assert result.doctor is not None
    assert result.doctor.ok
    names = [check.name for check in result.doctor.checks]
    assert {"host", "tls", "registry", "token", "login", "engine"} <= set(names)
    assert all(check.status is not ghpkg.Status.FAIL for check in result.doctor.checks)
    assert (result.doctor.registry, result.doctor.subdomain_isolation) == (bed.registry_host, True)
    assert result.registry == bed.registry_host
    token = result.doctor.token
    assert token is not None
    assert (token.kind.name, token.owner) == ("CLASSIC_PAT", "octocat")
    assert token.scopes == ("read:packages", "repo", "write:packages")
    assert result.doctor.engine is not None
    assert result.doctor.engine.version == engine.version
    assert result.doctor.engine.containerd_store is engine.name.endswith("containerd")
    faster = ghpkg.Transport.ENGINE if engine.name.startswith("28") else ghpkg.Transport.REGISTRY
    assert result.doctor.engine.transport is faster  # a push's, on this engine


def test_a_doctor_that_finds_a_failure_raises_unfinished_with_its_report(
    bed: Testbed, engine: EngineUnderTest
) -> None:
    request = ghpkg.DoctorRequest(
        ghpkg.Package("octo-org", "hello-world", ""),
        engine=ghpkg.EngineAccess(docker_host=engine.base_url),
    )
    bad = dataclasses.replace(remote(bed, retries=0), token=ghpkg.Secret("ghp_" + "0" * 36))
    with pytest.raises(ghpkg.Unfinished) as failed:
        ghpkg.doctor(request, bad, ghpkg.Log(quiet=True))
    report = failed.value.result.doctor
    assert report is not None
    assert not report.ok
    assert ghpkg.Status.FAIL in {check.status for check in report.checks}


def test_migrate_dry_run_gives_image_records_with_a_status(bed: Testbed) -> None:
    import requests

    from testbed.seed_images import push as seed_push
    from tests.integration.test_migrate import forget

    prefix = f"l{uuid.uuid4().hex[:6]}"
    repository = f"{prefix}-repo"
    with requests.Session() as session:
        for tag in ("1.0", "latest"):
            seed_push(session, bed.backend_url, f"other-org/{repository}/{prefix}-a", tag, [tag])
    request = ghpkg.MigrateRequest("other-org", repository, dry_run=True)
    try:
        result = ghpkg.migrate(request, remote(bed), ghpkg.Log(quiet=True))
    finally:
        forget(bed, f"other-org/{repository}")
    assert result.migration is not None
    assert result.migration.dry_run
    (image,) = result.migration.images
    assert image.status is ghpkg.ImageStatus.PLANNED
    assert {tag.tag: tag.status for tag in image.tags} == {
        "1.0": ghpkg.TagStatus.COPY,
        "latest": ghpkg.TagStatus.COPY,
    }
    assert result.migration.totals.planned == 1


def test_the_library_page_example_runs(
    bed: Testbed, engine: EngineUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/library.md's first example, on the bed: its host, CA and a package of two versions."""
    image = f"library-doc-{uuid.uuid4().hex[:8]}"
    pushed_twice(bed, engine, image)
    page = (ROOT / "docs" / "library.md").read_text()
    example = re.findall(r"```python\n(.*?)```", page, re.S)[0]
    example = example.replace("ghes.example.com", bed.hostname).replace('"app"', repr(image))
    exec(example, {"token": bed.token("write"), "ca_file": Path(bed.ca_file)})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[1].rsplit(" ", 1)[0] for line in printed[:2]] == [
        "('2.0',)",
        "('1.0',)",
    ]
    assert printed[2] == "would delete: [('1.0',)]"


@pytest.mark.parametrize("engine", selected_engines()[:1], indirect=True)  # join: the registry's
def test_join_makes_the_version_of_its_platform_tags_and_refuses_a_platform_it_is_not(
    bed: Testbed, engine: EngineUnderTest
) -> None:
    image = f"library-join-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", f"join {image}")
    machine = str(engine.client.info()["Architecture"])
    own = ghpkg.Platform("linux", {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine))
    other = ghpkg.Platform("linux", "s390x")  # the tag says s390x, the image is the engine's own
    write, log = remote(bed), ghpkg.Log(quiet=True)
    tags = (own.tag("1.0"), other.tag("1.0"))
    pushed = ghpkg.push(push_request(engine, image, source, tags), write, log)
    package = ghpkg.Package("octo-org", "hello-world", image)
    joined = ghpkg.join(ghpkg.JoinRequest(package, ("1.0",), (own,)), write, log)
    assert joined.images == (f"{bed.registry_host}/octo-org/hello-world/{image}:1.0",)
    assert joined.digest == pushed.digest  # 1.0 serves the platform tag's manifest
    with pytest.raises(ghpkg.RegistryError) as refused:
        ghpkg.join(ghpkg.JoinRequest(package, ("1.0",), (other,)), write, log)
    where = f"{bed.registry_host}/octo-org/hello-world/{image}:{other.tag('1.0')}"
    assert refused.value.what == f"{where} holds a {own} image, not {other}"
    assert refused.value.fix


def test_serve_lends_the_registry_to_its_login_only_and_stops_on_sigterm(
    bed: Testbed, tmp_path: Path
) -> None:
    login_file = tmp_path / "login.json"
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    answers: list[int] = []

    def client() -> None:
        """Once serve wrote its login (its SIGTERM handler is set by then): ask without it and
        with it, then stop serve as a service manager would."""
        deadline = time.monotonic() + 60
        while not login_file.exists():
            if time.monotonic() > deadline:
                return  # serve failed before serving: its error is the test's failure
            time.sleep(0.05)
        try:
            login = json.loads(login_file.read_text())
            url = f"http://127.0.0.1:{port}/v2/"
            answers.append(requests.get(url, timeout=10).status_code)
            auth = (login["username"], login["password"])
            answers.append(requests.get(url, auth=auth, timeout=10).status_code)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=client)
    thread.start()
    request = ghpkg.ServeRequest(listen=f"127.0.0.1:{port}", credentials_file=login_file)
    served = ghpkg.serve(request, remote(bed, "read"), ghpkg.Log(quiet=True))
    thread.join(10)
    assert answers == [401, 200]
    assert served.images == ()
    assert served.registry == bed.registry_host
    assert not login_file.exists()  # removed at exit
