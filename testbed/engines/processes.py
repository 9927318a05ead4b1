"""The engines' daemons as processes: started detached (and reaped), found by their arguments,
stopped with SIGTERM then SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from testbed import procs

# Engines this process started, kept so they can be reaped (never left as zombies).
_children: dict[int, subprocess.Popen[bytes]] = {}


def alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process; reaps it if it is our dead child."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    return procs.alive(pid)


def forget(proc: subprocess.Popen[bytes]) -> None:
    """Stop tracking a child that has exited (its exit status was read)."""
    _children.pop(proc.pid, None)


def pid_from(pidfile: Path, marker: str) -> int | None:
    """The live pid in pidfile if its command line contains marker, else None."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if marker in procs.cmdline(pid) and alive(pid) else None


def pids_of(program: str, marker: str) -> list[int]:
    """Live processes running program (by name) with marker among their arguments."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(args[0].decode(errors="replace")).name == program and any(
            marker.encode() in arg for arg in args[1:]
        ):
            pids.append(int(entry.name))
    return [pid for pid in pids if alive(pid)]


def spawn(argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start argv detached in its own session, appending its output to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    _children[proc.pid] = proc
    return proc


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM pid, wait up to timeout for it to exit, then SIGKILL it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.1)
    alive(pid)


def is_mountpoint(path: Path) -> bool:
    """Whether path is a mount point, bind mounts of the same filesystem included."""
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    return any(line.split()[4] == str(path) for line in mounts)
