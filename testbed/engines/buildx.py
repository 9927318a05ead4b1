"""The docker CLI's buildx plugin for the buildx engines: trixie's docker-buildx, unpacked once
under the cache, offered through a per-engine DOCKER_CONFIG (the others get none)."""

from __future__ import annotations

import os
from pathlib import Path

from testbed.engines.debs import fetch, run_quietly
from testbed.engines.matrix import (
    BUILDX_ENGINES,
    CACHE_DIR,
    RUN_DIR,
    Dist,
    EngineError,
    check_name,
    locked,
)

BUILDX_VERSION = "0.13"
_BUILDX = Dist("trixie", BUILDX_VERSION, (f"docker-buildx={BUILDX_VERSION}.*",))
_PLUGIN = "usr/libexec/docker/cli-plugins/docker-buildx"


def install_buildx() -> Path:
    """Fetch and unpack trixie's docker-buildx under the cache dir (once); return the plugin."""
    home = CACHE_DIR / "buildx"
    marker, plugin = home / "installed", home / "root" / _PLUGIN
    if marker.exists():
        return plugin
    with locked(CACHE_DIR / "buildx.lock"):
        if marker.exists():
            return plugin
        fetch(_BUILDX, home)
        try:
            version = run_quietly([str(plugin), "version"]).strip()
        except (EngineError, OSError) as exc:
            raise EngineError(f"docker-buildx from trixie does not run here: {exc}") from exc
        if f" {BUILDX_VERSION}." not in f" {version}":
            raise EngineError(f"docker-buildx gave {version!r}, expected {BUILDX_VERSION}.x")
        marker.write_text(version + "\n")
    return plugin


def docker_config(name: str) -> Path:
    """A DOCKER_CONFIG dir for the docker CLI against an engine: its cli-plugins/ holds buildx
    on the buildx engines and nothing on the others (so the CLI has no buildx there)."""
    check_name(name)
    plugins = RUN_DIR / name / "docker-config" / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "docker-buildx"
    if name not in BUILDX_ENGINES:
        link.unlink(missing_ok=True)
        return plugins.parent
    target = install_buildx()
    if not link.is_symlink() or os.readlink(link) != str(target):
        fresh = plugins / f".docker-buildx.{os.getpid()}"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(target)
        fresh.replace(link)
    return plugins.parent
