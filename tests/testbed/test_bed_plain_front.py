"""The plain front (testbed/plain_front.py): what a user's own registry is, the fair baseline
bench/ times docker against. `docker login` + `docker push`/`docker pull` work there on every
engine, the containerd store included; it asks for Basic auth and takes only its password."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from testbed.certs_d import trusting
from testbed.images import build_hello
from testbed.plain_front import PLAIN_HOST, USER
from testbed.pytest_engines import EngineUnderTest

pytestmark = pytest.mark.integration


def docker(engine: EngineUnderTest, config: Path, *args: str, stdin: str = "") -> str:
    """The docker CLI against ENGINE with its own config dir; stdout, or the failure raised."""
    done = subprocess.run(
        ["docker", *args],
        env={**engine.env, "DOCKER_CONFIG": str(config)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_plain_front_asks_for_basic_auth_and_takes_only_its_password(bed: Testbed) -> None:
    ca = str(bed.ca_file)
    anonymous = requests.get(f"https://{PLAIN_HOST}/v2/", verify=ca, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    wrong = requests.get(f"https://{PLAIN_HOST}/v2/", auth=(USER, "nope"), verify=ca, timeout=10)
    assert wrong.status_code == 401
    right = requests.get(
        f"https://{PLAIN_HOST}/v2/", auth=(USER, bed.token("write")), verify=ca, timeout=10
    )
    assert right.status_code == 200
    assert right.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_docker_login_push_and_pull_work_through_it(
    bed: Testbed, engine: EngineUnderTest, tmp_path: Path
) -> None:
    """Where the bed's own registry refuses a plain `docker pull` (no manifest by digest), the
    plain front serves it: it is a registry without GHES's rules."""
    reference = f"{PLAIN_HOST}/octo-org/hello-world/plain-{uuid.uuid4().hex[:8]}:1"
    image_id = build_hello(engine.client, reference, "through the plain front")
    with trusting(bed.ca_file, PLAIN_HOST):  # as a user's engine trusts their registry's CA
        docker(
            engine,
            tmp_path,
            "login",
            "--username",
            USER,
            "--password-stdin",
            PLAIN_HOST,
            stdin=bed.token("write") + "\n",
        )
        docker(engine, tmp_path, "push", reference)
        engine.client.images.remove(image_id, force=True)
        docker(engine, tmp_path, "pull", reference)
    printed = engine.client.containers.run(reference, remove=True, network_mode="none")
    assert printed.decode().strip() == "through the plain front"
    engine.client.images.remove(reference, force=True)
