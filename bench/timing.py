"""Run one command as a child process and measure it: wall time, exit code, peak RSS."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Child:
    """What one child process did."""

    wall_s: float
    exit_code: int
    rss_mb: float  # peak resident set size (ru_maxrss of this child, from wait4)
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        """The child's last `error:` line (else its last stderr line); '' if it exited 0."""
        if self.exit_code == 0:
            return ""
        lines = self.stderr.strip().splitlines() or ["(no output)"]
        errors = [line for line in lines if line.startswith("error:")]
        return (errors or lines)[-1]


# A small process that forks the command, reaps it with wait4 and reports its wall time and
# peak RSS on the pipe whose fd it is given. A child forked straight from this (large)
# benchmark process inherits the benchmark's resident size in its ru_maxrss (the kernel counts
# the forked address space); one forked from this ~10 MB starter does not.
_STARTER = """
import os, sys, time
report, argv = int(sys.argv[1]), sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(report)
    os.execvpe(argv[0], argv, os.environ)
_pid, status, usage = os.wait4(pid, 0)
os.write(report, f"{time.perf_counter() - started} {usage.ru_maxrss}".encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(argv: Sequence[str], env: Mapping[str, str], stdin: str = "") -> Child:
    """Run argv to the end: its wall time from the fork to the reaping, and its own peak RSS."""
    report_read, report_write = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _STARTER, str(report_write), *argv],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env=dict(env),
            pass_fds=(report_write,),
        )
        os.close(report_write)
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        except BrokenPipeError:  # it did not read stdin (an early failure): its output says why
            pass
        proc.wait()
        with os.fdopen(report_read, "rb") as report:
            wall, maxrss = report.read().decode().split()
        out.seek(0)
        err.seek(0)
        return Child(
            wall_s=float(wall),
            exit_code=proc.returncode,
            rss_mb=int(maxrss) / 1024,  # KiB on Linux
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def docker_first(pair: int) -> bool:
    """The order within pair number `pair` (from 0): docker first in even pairs, ghpkg in odd."""
    return pair % 2 == 0


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


_VIA = re.compile(r"\b(?:pushing|pulling) via (\w+).*")


def transport_used(stderr: str) -> str:
    """The transport ghpkg says it chose ('pushing via registry'), or '' if it did not say."""
    found = _VIA.search(stderr)
    return found.group(1) if found else ""


def transport_line(stderr: str) -> str:
    """ghpkg's whole line about its choice ('pushing via engine (fastest on ...)'), or ''."""
    found = _VIA.search(stderr)
    return found.group(0) if found else ""


def refused(child: Child) -> bool:
    """Whether ghpkg refused the transport asked, rather than failed at it: it exited non-zero
    with an error that sends the user to another `--transport` (as it does on an engine that
    cannot push through itself to this registry, or cannot reach ghpkg's loopback)."""
    return child.exit_code != 0 and "--transport" in child.error


def tree_option(parser: argparse.ArgumentParser, what: str) -> None:
    """`--tree LABEL=PATH`, repeatable: the trees a benchmark compares, taking turns."""
    parser.add_argument("--tree", action="append", required=True, metavar="LABEL=PATH", help=what)


def trees(given: Sequence[str]) -> dict[str, Path]:
    """`LABEL=PATH` items -> each label and its path (absolute), in the order given."""
    return {label: Path(path).resolve() for label, _, path in (t.partition("=") for t in given)}
