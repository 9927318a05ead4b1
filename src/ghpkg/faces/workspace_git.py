"""What the workspace's git says: its tags (for `latest`) and where `origin` points (host, owner
and repository, the laptop's defaults). git runs without ghpkg's token or any *TOKEN* variable:
hooks and credential helpers get no token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from ghpkg.secret import Secret

# `git@HOST:OWNER/REPO.git`, git's scp-like syntax (no scheme, a colon before the path).
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


class GitRemote(NamedTuple):
    """Where `origin` points: its web host (no port for ssh) and OWNER/REPOSITORY."""

    host: str
    owner: str
    repository: str


def parse_remote(url: str) -> GitRemote | None:
    """`https://HOST/OWNER/REPO(.git)`, `ssh://git@HOST[:PORT]/OWNER/REPO.git`,
    `git@HOST:OWNER/REPO.git` -> GitRemote; None for anything else (a local path, no owner)."""
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
    return GitRemote(host.lower(), owner, repository) if owner and repository else None


def origin(workspace: Path, env: Mapping[str, str]) -> GitRemote | None:
    """`git remote get-url origin`, parsed (None: no git, no origin, no host and owner in it)."""
    url = _git(workspace, ["remote", "get-url", "origin"], env, Secret(""))
    return parse_remote(url) if url is not None else None


def git_tags(workspace: Path, env: Mapping[str, str], token: Secret) -> list[str] | None:
    """`git tag --list`, or None where git or the repository is missing."""
    listed = _git(workspace, ["tag", "--list"], env, token)
    return listed.split() if listed is not None else None


def _git(workspace: Path, args: list[str], env: Mapping[str, str], token: Secret) -> str | None:
    """git's output in the workspace, or None when it fails."""
    import subprocess  # only when git is asked: not where the flags name the repository

    from ghpkg.build.options import clean_environment

    clean = {k: v for k, v in clean_environment(env, token).items() if "TOKEN" not in k}
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace), *args],
            env=clean,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
