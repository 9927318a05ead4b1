"""Making an engine's binaries present: apt's docker.io for the system engine, a newer suite's
debs unpacked under the cache for the others (each binary checked to run on this glibc)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from testbed.engines.buildx import install_buildx
from testbed.engines.debs import apt_install, fetch, run_quietly
from testbed.engines.matrix import (
    BUILDX_ENGINES,
    CACHE_DIR,
    DISTS,
    SPECS,
    SYSTEM_PATH,
    Dist,
    EngineError,
    bin_dir,
    check_name,
    locked,
)

SYSTEM_RUNC = Path("/usr/sbin/runc")
# What each extra engine's private bin directory holds: name on PATH -> path in the unpacked debs.
# runc comes from bookworm: trixie's and sid's runc need glibc 2.38, bookworm has 2.36.
_BINARIES: dict[str, str] = {
    "dockerd": "usr/sbin/dockerd",
    "docker-proxy": "usr/sbin/docker-proxy",
    "docker-init": "usr/bin/tini-static",
    "containerd": "usr/bin/containerd",
    "containerd-shim-runc-v2": "usr/bin/containerd-shim-runc-v2",
    "runc": str(SYSTEM_RUNC),
}
_VERSION_FLAG: dict[str, str] = {"containerd-shim-runc-v2": "-v"}


def install(name: str) -> None:
    """Make an engine's binaries present (apt for the system one, cached debs for the others),
    with the buildx plugin for the engines that get it."""
    check_name(name)
    spec = SPECS[name]
    if spec is None:
        system_dockerd()
    else:
        _install_dist(DISTS[spec[0]])
    if name in BUILDX_ENGINES:
        install_buildx()


def installed_version(name: str) -> str:
    """The version the engine's dockerd binary reports (installing it if needed)."""
    install(name)
    spec = SPECS[name]
    dockerd = system_dockerd() if spec is None else str(bin_dir(spec[0]) / "dockerd")
    found = re.search(r"version (\S+?),", run_quietly([dockerd, "--version"]))
    return found.group(1) if found else "unknown"


def system_dockerd() -> str:
    """Path of bookworm's dockerd, installing docker.io if it is missing."""
    found = shutil.which("dockerd", path=SYSTEM_PATH)
    if found is None:
        apt_install("docker.io")
        found = shutil.which("dockerd", path=SYSTEM_PATH)
    if found is None:
        raise EngineError("apt-get install docker.io left no dockerd on PATH")
    return found


def _install_dist(dist: Dist) -> None:
    """Fetch and unpack a suite's engine under the cache dir, unless it is there already."""
    home = CACHE_DIR / dist.suite
    marker = home / "installed"
    if marker.exists():
        return
    with locked(CACHE_DIR / f"{dist.suite}.lock"):
        if marker.exists():
            return
        if not SYSTEM_RUNC.exists():
            apt_install("runc")
        root = fetch(dist, home)
        suite_bin = bin_dir(dist.suite)
        shutil.rmtree(suite_bin, ignore_errors=True)
        suite_bin.mkdir(parents=True)
        for name, target in _BINARIES.items():
            (suite_bin / name).symlink_to(root / target)
        version = _check_runs(suite_bin, dist.suite)
        given = re.search(r"version (\S+?),", version)
        if not given or not dist.series_ok(given.group(1)):
            raise EngineError(f"{dist.suite} gave {version!r}, expected {dist.docker_version}.x")
        marker.write_text(version + "\n")


def _check_runs(suite_bin: Path, suite: str) -> str:
    """Run each binary once (they must work on this glibc); return dockerd's version line."""
    for name in _BINARIES:
        binary = suite_bin / name
        try:
            run_quietly([str(binary), _VERSION_FLAG.get(name, "--version")])
        except (EngineError, OSError) as exc:
            raise EngineError(f"{name} from {suite} does not run here: {exc}") from exc
    return run_quietly([str(suite_bin / "dockerd"), "--version"]).strip()
