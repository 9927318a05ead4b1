"""Debian packages for the engines: the system apt, and a suite's debs fetched and unpacked
through private apt state (the system's sources and lists are never changed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from testbed.engines.matrix import SYSTEM_PATH, Dist, EngineError

DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
DEBIAN_SOURCES_LIST = Path("/etc/apt/sources.list")


def run_quietly(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """Run a command quietly and return its output; raise EngineError with the tail on failure."""
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(out.splitlines()[-15:])
        raise EngineError(f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n{tail}")
    return out


def apt_install(*packages: str) -> None:
    """Install Debian packages with the system apt, updating its lists once if needed."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PATH": SYSTEM_PATH}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    try:
        run_quietly(cmd, env=env)
    except EngineError:
        run_quietly(["apt-get", "update"], env=env)
        run_quietly(cmd, env=env)


def fetch(dist: Dist, home: Path) -> Path:
    """Download a suite's packages (apt state in HOME/apt) and unpack them into HOME/root."""
    debs = _download(dist, home / "apt", home / "debs")
    root = home / "root"
    shutil.rmtree(root, ignore_errors=True)
    for deb in debs:
        run_quietly(["dpkg-deb", "-x", str(deb), str(root)])
    shutil.rmtree(home / "debs")
    return root


def _debian_mirror() -> tuple[str, str]:
    """(URI, signed-by keyring) of the system's main bookworm source."""
    if DEBIAN_SOURCES.exists():
        for stanza in re.split(r"\n\s*\n", DEBIAN_SOURCES.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                key, sep, value = line.partition(":")
                if sep and not line.startswith(("#", " ")):
                    fields[key.strip().lower()] = value.strip()
            if (
                "deb" in fields.get("types", "").split()
                and "bookworm" in fields.get("suites", "").split()
            ):
                keyring = fields.get("signed-by", "")
                return fields["uris"].split()[0], keyring if keyring.startswith("/") else ""
    if DEBIAN_SOURCES_LIST.exists():
        found = re.search(
            r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", DEBIAN_SOURCES_LIST.read_text(), re.M
        )
        if found:
            return found.group(1), ""
    return "http://deb.debian.org/debian", ""


def _apt_options(apt_dir: Path) -> list[str]:
    """apt options that confine it to a private sources list, lists and cache."""
    options = {
        "Dir::Etc::SourceList": apt_dir / "sources.list",
        "Dir::Etc::SourceParts": "/dev/null",
        "Dir::State::Lists": apt_dir / "lists",
        "Dir::Cache": apt_dir / "cache",
        "APT::Sandbox::User": "root",
    }
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def _download(dist: Dist, apt_dir: Path, dest: Path) -> list[Path]:
    """apt-get download a suite's packages into dest, through private apt state."""
    uri, keyring = _debian_mirror()
    shutil.rmtree(dest, ignore_errors=True)
    (apt_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    signed = f"[signed-by={keyring}] " if keyring else ""
    (apt_dir / "sources.list").write_text(f"deb {signed}{uri} {dist.suite} main\n")
    env = {**os.environ, "PATH": SYSTEM_PATH}
    run_quietly(["apt-get", *_apt_options(apt_dir), "update"], env=env)
    dest.mkdir(parents=True, exist_ok=True)
    download = ["apt-get", *_apt_options(apt_dir), "download"]
    try:
        run_quietly([*download, *dist.packages], cwd=dest, env=env)
    except EngineError as error:
        if not dist.moves_on:
            raise
        current = [package.split("=", 1)[0] for package in dist.packages]
        said = str(error).splitlines()[-1]
        print(
            f"testbed: {dist.suite} no longer offers {' '.join(dist.packages)} ({said}); "
            f"using its current {' '.join(current)}",
            file=sys.stderr,
        )
        run_quietly([*download, *current], cwd=dest, env=env)
    return sorted(dest.glob("*.deb"))
