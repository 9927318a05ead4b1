"""This machine's /etc/hosts: the bed's line and its doubles' lines, each under a marker of its own.

The bed resolves its host names to 127.0.0.1 with one line marked `# ghpkg-testbed`; the doubles
(faults, hostile, outside) add lines marked with their own marker and their process id, and
remove them by marker. Nothing else in the file is touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

HOSTS_FILE = Path("/etc/hosts")
HOSTS_MARKER = "# ghpkg-testbed"
_OUTSIDE_MARKER = "# ghpkg-outside"
# Go's resolver, which the engines' dockerd uses, reads /etc/hosts at most once in 5 s
# (`cacheMaxAge` in Go's net/hosts.go): a name added or moved just now may still resolve as before.
GO_HOSTS_CACHE_SECONDS = 5.0


def read_lines() -> list[str]:
    """The lines of /etc/hosts (none if it does not exist)."""
    try:
        return HOSTS_FILE.read_text().splitlines()
    except FileNotFoundError:
        return []


def write_lines(lines: Iterable[str]) -> None:
    """Replace /etc/hosts with these lines."""
    HOSTS_FILE.write_text("\n".join(lines) + "\n")


def settle() -> None:
    """Wait until an engine resolves names as /etc/hosts says now (at most 5 s after a change)."""
    try:
        age = time.time() - HOSTS_FILE.stat().st_mtime
    except FileNotFoundError:
        return
    time.sleep(max(0.0, GO_HOSTS_CACHE_SECONDS + 0.2 - age))


def add_line(line: str) -> None:
    """Append one line."""
    write_lines([*read_lines(), line])


def remove_lines(doomed: Callable[[str], bool]) -> None:
    """Remove the lines `doomed` picks (the file is left alone if there are none)."""
    lines = read_lines()
    kept = [line for line in lines if not doomed(line)]
    if kept != lines:
        write_lines(kept)


def install_bed_names(names: Iterable[str]) -> None:
    """Resolve the bed's host names to 127.0.0.1 (engines are not told to trust its CA); drop
    what a test process that is gone left pointing a bed name elsewhere (testbed.outside)."""
    lines = [line for line in read_lines() if HOSTS_MARKER not in line and not _orphan(line)]
    write_lines([*lines, f"127.0.0.1 {' '.join(names)} {HOSTS_MARKER}"])


def remove_bed_names() -> None:
    """Undo `install_bed_names`: remove the bed's line."""
    remove_lines(lambda line: HOSTS_MARKER in line)


def _orphan(line: str) -> bool:
    """A `# ghpkg-outside PID` line whose process is gone."""
    words = line.split()
    return (
        _OUTSIDE_MARKER in line and words[-1].isdigit() and not Path(f"/proc/{words[-1]}").exists()
    )
