"""Helpers for integration tests: run the real `ghpkg` command against the test bed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

import docker
import pytest


class Run(Protocol):
    """The `run_ghpkg` fixture: `python -m ghpkg ARGS`, with an environment, stdin and cwd."""

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]: ...


def clean_environment() -> dict[str, str]:
    """The test process's environment without any workflow or ghpkg variables."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "GHPKG_", "INPUT_", "RUNNER_", "DOCKER_"))
    }


@pytest.fixture
def run_ghpkg() -> Run:
    """Run `python -m ghpkg ARGS` with an environment, optional stdin and cwd; never raises."""

    def run(
        *args: str,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full_env = clean_environment()
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "ghpkg", *args],
            env=full_env,
            cwd=cwd,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    return run


@pytest.fixture
def hello_context(tmp_path: Path) -> Path:
    """A build context for a FROM-scratch image that prints a greeting with static busybox."""
    context = tmp_path / "context"
    context.mkdir()
    (context / "busybox").write_bytes(Path("/bin/busybox").read_bytes())
    (context / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        'CMD ["/bin/busybox", "echo", "hello from a ghpkg test"]\n'
    )
    return context


@pytest.fixture(scope="module")
def system_engine() -> Iterator[docker.DockerClient]:
    """A client of the system engine (20.10), the one act's host executor and its steps use."""
    from testbed.engines import start

    client = docker.DockerClient(base_url=start("20.10").base_url)
    yield client
    client.close()


# ghpkg's own handling (faults, secrets, bad input the world refuses) on two engines, one for
# each path through ghpkg: 20.10 (the registry transport both ways, the classic store) and 28.5
# with the containerd store (the engine transport through the shim both ways). 26.1's mix of the
# two (registry push, engine pull) takes the same code, and runs in every per-engine test.
HANDLING_ENGINES = ("20.10", "28.5-containerd")


def handling_engines() -> list[str]:
    """HANDLING_ENGINES among those this run tests (GHPKG_ENGINES)."""
    from testbed.pytest_engines import selected_engines

    chosen = [name for name in HANDLING_ENGINES if name in selected_engines()]
    return chosen or selected_engines()[:1]
