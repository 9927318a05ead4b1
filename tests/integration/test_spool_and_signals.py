"""The registry transport's spool: SIGTERM and Ctrl-C leave nothing behind (exit 143, 130), a
full disk is one clear line."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from testbed.bed import Testbed
from testbed.pytest_engines import EngineUnderTest, selected_engines
from tests.integration.conftest import clean_environment

pytestmark = pytest.mark.integration


def big_image(engine: EngineUnderTest, context: Path, megabytes: int) -> str:
    """A FROM-scratch image with one layer of random bytes."""
    context.mkdir()
    (context / "blob").write_bytes(os.urandom(megabytes << 20))
    (context / "Dockerfile").write_text("FROM scratch\nCOPY blob /blob\n")
    image, _logs = engine.client.images.build(path=str(context), rm=True)
    return str(image.id)


def push(
    bed: Testbed, engine: EngineUnderTest, image: str, source: str, tmpdir: Path
) -> subprocess.Popen[str]:
    env = {
        **clean_environment(),
        "DOCKER_HOST": engine.base_url,
        "GHPKG_TOKEN": bed.token("write"),
        "TMPDIR": str(tmpdir),
        "XDG_CACHE_HOME": str(tmpdir / "cache"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ghpkg", "push", "--hostname", bed.hostname,
         "--subdomain-isolation", "true", "--ca-file", str(bed.ca_file), "--owner", "octo-org",
         "--repository", "hello-world", "--image", image, "--version", "1.0",
         "--source", source, "--transport", "registry"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def tag_absent(bed: Testbed, image: str) -> bool:
    answer = requests.get(
        f"{bed.backend_url}/v2/octo-org/hello-world/{image}/manifests/1.0", timeout=30
    )
    return answer.status_code == 404


SIGNALS = [
    (signal.SIGTERM, 143, "error: terminated (SIGTERM); what was started is cleaned up"),
    (signal.SIGINT, 130, "error: interrupted"),
]


def _signal_cases() -> list[Any]:
    """SIGTERM (what a runner sends) on every engine, Ctrl-C on the first: the same unwinding."""
    first = selected_engines()[0]
    return [
        pytest.param(name, *case, id=f"{case[0].name}-{name}")
        for name in selected_engines()
        for case in SIGNALS
        if case[0] == signal.SIGTERM or name == first
    ]


@pytest.mark.parametrize(
    ("engine", "sent", "code", "last_line"), _signal_cases(), indirect=["engine"]
)
def test_a_signal_mid_push_cleans_the_spool_leaves_no_tag_and_exits_with_its_code(
    bed: Testbed,
    engine: EngineUnderTest,
    tmp_path: Path,
    sent: signal.Signals,
    code: int,
    last_line: str,
) -> None:
    source = big_image(engine, tmp_path / "ctx", 200)
    image = f"{sent.name.lower()}-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = push(bed, engine, image, source, tmpdir)
    deadline = time.monotonic() + 120
    while not list(tmpdir.glob("ghpkg-push-*/layer-*")):  # spooling has begun
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(sent)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == last_line
    assert "Traceback" not in err
    assert list(tmpdir.glob("ghpkg-push-*")) == []
    assert tag_absent(bed, image)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs for TMPDIR."""
    where = tmp_path / "small"
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=False)


def test_a_layer_that_does_not_fit_the_spool_is_one_clear_line(
    bed: Testbed, engine: EngineUnderTest, tmp_path: Path, small_disk: Path
) -> None:
    source = big_image(engine, tmp_path / "ctx", 48)
    image = f"nospace-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    proc = push(bed, engine, image, source, small_disk)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    last = err.strip().splitlines()[-1]
    assert re.match(rf"error: no room to spool a 50\.\d MB layer in {small_disk}/ghpkg-push-", last)
    assert "B free there; free some space, point TMPDIR at a larger disk" in last
    assert list(small_disk.glob("ghpkg-push-*")) == []
    assert tag_absent(bed, image)
    assert shutil.disk_usage(small_disk).used < 1 << 20
