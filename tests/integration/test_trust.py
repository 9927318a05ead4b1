"""What ghpkg trusts on the runner: a digest cache an earlier job wrote, an image already there.

Nothing from the cache decides what is published, and a pull never keeps a local image whose
config differs from the registry's.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from testbed.client import BedClient, Pushed
from testbed.images import build_hello
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

OWNER, REPOSITORY = "octo-org", "hello-world"


def _ghpkg(run_ghpkg: Run, bed: Any, engine: Any, operation: str, image: str, version: str,
           *extra: str, cache: Path | None = None) -> Any:  # fmt: skip
    env = {"GHPKG_TOKEN": bed.token("write"), "DOCKER_HOST": engine.base_url}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    done = run_ghpkg(
        operation, "--hostname", bed.hostname, "--subdomain-isolation", "true",
        "--owner", OWNER, "--repository", REPOSITORY, "--image", image, "--version", version,
        "--ca-file", str(bed.ca_file), "--transport", "registry", *extra, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def _published_cmd(bed_client: BedClient, name: str, tag: str) -> list[str]:
    manifest = bed_client.get_manifest(name, tag).json()
    path = f"/v2/{name}/blobs/{manifest['config']['digest']}"
    config = bed_client.request("GET", path, "read").json()
    return list(config["config"]["Cmd"])


def test_a_poisoned_config_entry_in_the_cache_does_not_decide_what_is_published(
    bed: Any, engine: Any, bed_client: BedClient, run_ghpkg: Run, tmp_path: Path
) -> None:
    image = f"trust-{uuid.uuid4().hex[:8]}"
    first = build_hello(engine.client, f"local/{image}:a", "first")
    _ghpkg(run_ghpkg, bed, engine, "push", image, "1.0", "--source", first, cache=tmp_path)
    dockerfile = f'FROM {first}\nCMD ["/bin/busybox", "echo", "second"]\n'
    second, _ = engine.client.images.build(fileobj=io.BytesIO(dockerfile.encode()), rm=True)
    cache_file = tmp_path / "ghpkg" / "blobs.json"
    cache = json.loads(cache_file.read_text())
    first_id = engine.client.images.get(first).id
    cache["configs"][second.id] = cache["configs"][first_id]  # an earlier job's lie
    cache_file.write_text(json.dumps(cache))
    _ghpkg(run_ghpkg, bed, engine, "push", image, "2.0", "--source", second.id, cache=tmp_path)
    name = f"{OWNER}/{REPOSITORY}/{image}"
    assert _published_cmd(bed_client, name, "2.0") == ["/bin/busybox", "echo", "second"]
    assert _published_cmd(bed_client, name, "1.0") == ["/bin/busybox", "echo", "first"]


def test_pull_loads_a_release_that_changed_only_its_config(
    bed: Any, engine: Any, bed_client: BedClient, tiny_image: Pushed, run_ghpkg: Run
) -> None:
    image = tiny_image.name.split("/")[-1]
    _ghpkg(run_ghpkg, bed, engine, "pull", image, tiny_image.tag)
    manifest = json.loads(tiny_image.manifest)
    path = f"/v2/{tiny_image.name}/blobs/{manifest['config']['digest']}"
    config = bed_client.request("GET", path, "read").json()
    config["config"] = {"Cmd": ["/bin/true"], "User": "1000"}  # same layers, time and platform
    raw = json.dumps(config).encode()
    manifest["config"] = {**manifest["config"], "size": len(raw)}
    manifest["config"]["digest"] = bed_client.upload(tiny_image.name, raw)
    assert bed_client.put_manifest(tiny_image.name, tiny_image.tag, manifest).status_code == 201
    done = _ghpkg(run_ghpkg, bed, engine, "pull", image, tiny_image.tag)
    assert "already present" not in done.stderr + done.stdout
    local = engine.client.images.get(f"docker.{bed.hostname}/{tiny_image.name}:{tiny_image.tag}")
    assert local.attrs["Config"]["Cmd"] == ["/bin/true"]
    assert local.attrs["Config"]["User"] == "1000"
