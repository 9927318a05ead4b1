"""The repository's `origin` remote as a GHES location: host, owner and repository."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# `git@HOST:OWNER/REPO.git`, git's scp-like syntax (no scheme, a colon before the path).
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


@dataclass(frozen=True)
class Remote:
    """Where `origin` points: its web host (no port for ssh) and OWNER/REPOSITORY."""

    host: str
    owner: str
    repository: str


def parse_remote(url: str) -> Remote | None:
    """`https://HOST/OWNER/REPO(.git)`, `ssh://git@HOST[:PORT]/OWNER/REPO.git`,
    `git@HOST:OWNER/REPO.git` -> Remote; None for anything else (a local path, no owner)."""
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            return None
        host = parts.hostname
        if parts.scheme in ("https", "http") and parts.port:
            host = f"{host}:{parts.port}"  # the web port is the instance's; ssh's is not
        path = parts.path
    else:
        match = _SCP.match(text)
        if match is None:
            return None
        host, path = match["host"], match["path"]
    segments = [segment for segment in path.strip("/").split("/") if segment]
    if len(segments) != 2:
        return None
    owner, repository = segments[0], segments[1].removesuffix(".git")
    return Remote(host.lower(), owner, repository) if owner and repository else None


def origin(workspace: Path, env: Mapping[str, str]) -> Remote | None:
    """`git remote get-url origin` in the workspace, parsed (None: no git, no origin, no match).

    git runs without any *TOKEN* variable: hooks and credential helpers get no token.
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace), "remote", "get-url", "origin"],
            env={name: value for name, value in env.items() if "TOKEN" not in name},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_remote(done.stdout) if done.returncode == 0 else None
