"""`import ghpkg` as docs/library.md shows it: Settings in, a Result out, errors as GhpkgError."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

import ghpkg
from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest

pytestmark = pytest.mark.integration


def settings(bed: Testbed, engine: EngineUnderTest, image: str, **fields: Any) -> ghpkg.Settings:
    values: dict[str, Any] = {
        "operation": "push",
        "hostname": bed.hostname,
        "isolation": None,
        "owner": "octo-org",
        "repository": "hello-world",
        "image": image,
        "versions": ("1.0", "latest"),
        "username": "octocat",
        "token": ghpkg.Secret(bed.token("write")),
        "ca_file": Path(bed.ca_file),
        "docker_host": engine.base_url,
    }
    return ghpkg.Settings(**(values | fields))


def test_push_then_pull_through_the_library(bed: Testbed, engine: EngineUnderTest) -> None:
    image = f"library-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine.client, f"local/{image}:src", f"library {image}")
    pushed = ghpkg.push(settings(bed, engine, image, source=source), ghpkg.Log(quiet=True))
    assert pushed.images == tuple(
        f"{bed.registry_host}/octo-org/hello-world/{image}:{tag}" for tag in ("1.0", "latest")
    )
    assert pushed.digest.startswith("sha256:")
    engine.client.images.remove(pushed.images[0], force=True)
    remote = ghpkg.Remote(
        bed.hostname, "octocat", ghpkg.Secret(bed.token("write")), ca_file=Path(bed.ca_file)
    )
    access = ghpkg.EngineAccess(docker_host=engine.base_url)
    request = ghpkg.PullRequest(ghpkg.Package("octo-org", "hello-world", image), "1.0", access)
    pulled = ghpkg.pull(request, remote, ghpkg.Log(quiet=True))
    assert pulled.digest == pushed.digest
    assert pulled.image_id == engine.client.images.get(pushed.images[0]).id


def test_a_refusal_is_a_ghpkg_error_with_its_fix(bed: Testbed, engine: EngineUnderTest) -> None:
    refused = settings(bed, engine, "never", token=ghpkg.Secret("ghp_" + "0" * 36), source="x")
    with pytest.raises(ghpkg.GhpkgError) as failed:
        ghpkg.push(refused, ghpkg.Log(quiet=True))
    assert failed.value.exit_code == 1
    assert failed.value.fix
