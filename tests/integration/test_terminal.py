"""On a terminal, `ghpkg pull` draws one progress bar in place; in a log it writes plain lines.

Run on the engines that take each path: the registry transport's download (20.10) and the
engine's own pull through the shim (26.1). The containerd image store's pull reports no bytes
per layer, so there the engine's lines are all a terminal gets."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import uuid

import pytest

from testbed.bed import Testbed
from testbed.images import build_layers
from testbed.pytest_engines import EnginePool, EngineUnderTest, selected_engines
from tests.integration.conftest import Run, clean_environment
from tests.integration.test_push_cli import unique, workflow_env

pytestmark = pytest.mark.integration


@pytest.fixture(params=[name for name in ("20.10", "26.1") if name in selected_engines()])
def handling_engine(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """An engine that reports a pull's bytes, on each transport (registry: 20.10, engine: 26.1)."""
    return engine_pool.get(request.param)


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ghpkg with stderr on a pseudo-terminal; return its exit code and what it drew."""
    leader, follower = pty.openpty()
    done = subprocess.Popen(
        [sys.executable, "-m", "ghpkg", *args],
        env={**clean_environment(), **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    drawn = bytearray()
    while True:
        try:
            piece = os.read(leader, 65536)
        except OSError:  # the other side closed: ghpkg is done
            break
        if not piece:
            break
        drawn += piece
    os.close(leader)
    return done.wait(timeout=600), drawn.decode(errors="replace")


def test_a_pull_on_a_terminal_draws_a_bar_and_in_a_log_writes_lines(
    bed: Testbed, handling_engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    engine = handling_engine
    image = unique("bar", engine)
    source = f"local/{image}:src"
    build_layers(engine.client, source, [("random", 24_000_000)], seed=uuid.uuid4().int)
    common = ["--image", image, "--version", "1.0", "--ca-file", str(bed.ca_file)]
    env = {**workflow_env(bed, engine), **engine.env}
    pushed = run_ghpkg("push", *common, "--source", source, env=env)
    assert pushed.returncode == 0, pushed.stderr
    reference = pushed.stdout.strip()
    engine.client.images.remove(reference, force=True)
    engine.client.images.remove(source, force=True)

    pulling = [*common, "--transport", "registry" if engine.name == "20.10" else "engine"]
    code, drawn = on_a_terminal(["pull", *pulling], env)
    assert code == 0, drawn
    assert "\r\x1b[K" in drawn  # redrawn in place
    assert "] " in drawn
    assert "%" in drawn
    assert re.search(r"\] +\d+% [\d.]+/2[34]\.\d MB", drawn)  # against the layer's ~24 MB

    engine.client.images.remove(reference, force=True)
    logged = run_ghpkg("pull", *pulling, env=env)
    assert logged.returncode == 0, logged.stderr
    assert "\x1b" not in logged.stderr  # a log gets plain lines
    assert "\r" not in logged.stderr
    engine.client.images.remove(reference, force=True)
