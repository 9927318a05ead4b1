"""The engine matrix: its names, what each engine is made of, and where each one lives.

20.10 is the system engine (bookworm's docker.io on /var/run/docker.sock); the others are
dockerd and containerd from newer Debian suites, each with its own socket, roots and bin
directory. The lock files here keep two processes from installing or starting one at once.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENGINE_NAMES: tuple[str, ...] = ("20.10", "26.1", "28.5", "28.5-containerd")
# Engines whose docker CLI gets the buildx plugin; 20.10 keeps the legacy builder path covered.
BUILDX_ENGINES: frozenset[str] = frozenset({"26.1", "28.5", "28.5-containerd"})

SYSTEM_SOCKET = Path("/var/run/docker.sock")
SYSTEM_PIDFILE = Path("/var/run/docker.pid")
CACHE_DIR = Path(os.environ.get("GHPKG_ENGINES_CACHE", "/var/cache/ghpkg-engines"))
RUN_DIR = Path("/run/ghpkg-engines")
DATA_DIR = Path("/var/lib/ghpkg-engines")
LOG_DIR = Path("/var/log/ghpkg-engines")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class EngineError(RuntimeError):
    """An engine could not be installed, started or stopped."""


@dataclass(frozen=True)
class Engine:
    """A running engine: its matrix name, API address and reported server version."""

    name: str
    base_url: str
    version: str


@dataclass(frozen=True)
class Dist:
    """Debs of one Debian suite that together make an engine (or the buildx plugin)."""

    suite: str
    docker_version: str
    packages: tuple[str, ...]
    # An unstable suite moves on and drops old versions: once it no longer offers the pinned
    # ones, its current packages stand in (the install says so), so CI never depends on an
    # archive keeping an old version. A stable suite keeps its series: its pins must hold.
    moves_on: bool = False

    def series_ok(self, version: str) -> bool:
        """Whether an engine VERSION (e.g. "28.5.2") is what this suite may give."""
        if version.startswith(f"{self.docker_version}."):
            return True
        found = re.match(r"(\d+)\.(\d+)\.", version)
        pinned = tuple(int(part) for part in self.docker_version.split("."))
        return self.moves_on and found is not None and tuple(map(int, found.groups())) > pinned


DISTS: dict[str, Dist] = {
    "trixie": Dist("trixie", "26.1", ("docker.io=26.1.*", "containerd=1.7.*", "tini")),
    "sid": Dist(
        "sid", "28.5", ("docker.io=28.5.*", "containerd=2.1.*", "tini-static"), moves_on=True
    ),
}
# matrix name -> (suite, daemon features); None is the system engine.
SPECS: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "20.10": None,
    "26.1": ("trixie", ()),
    "28.5": ("sid", ()),
    "28.5-containerd": ("sid", ("containerd-snapshotter",)),
}


def check_name(name: str) -> None:
    """Raise EngineError unless name is in the matrix."""
    if name not in SPECS:
        raise EngineError(f"unknown engine {name!r}; the matrix is {', '.join(ENGINE_NAMES)}")


def socket_path(name: str) -> Path:
    """The API socket of an engine."""
    check_name(name)
    return SYSTEM_SOCKET if SPECS[name] is None else RUN_DIR / name / "docker.sock"


def base_url(name: str) -> str:
    """The docker-py base_url of an engine."""
    return f"unix://{socket_path(name)}"


def bin_dir(suite: str) -> Path:
    """The private bin directory (first on PATH) of a suite's engines."""
    return CACHE_DIR / suite / "bin"


def process_env(bin_dir: Path | None) -> dict[str, str]:
    """Environment for an engine's processes: its bin directory first on PATH."""
    path = SYSTEM_PATH if bin_dir is None else f"{bin_dir}:{SYSTEM_PATH}"
    return {"PATH": path, "HOME": "/root", "LANG": "C.UTF-8"}


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on path for the duration (other processes wait)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
