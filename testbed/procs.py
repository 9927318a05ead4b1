"""Starting, probing and stopping the bed's processes, each in its own process group."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from pathlib import Path

_OURS = ("docker-registry", "nginx:", "testbed.front")
_DETACH = '"$@" </dev/null >>"$0" 2>&1 & echo $!'


class TestbedError(RuntimeError):
    """The bed could not start, stop or change; the message says which part and why."""

    __test__ = False  # not a pytest test class, despite the name


def spawn(argv: Sequence[str], log: Path, cwd: Path, env: dict[str, str]) -> int:
    """Start a daemon in a new process group, output appended to `log`; return its pid.

    A shell starts it in the background and exits, so it is nobody's child here: it outlives
    the caller (a pytest session, `python -m testbed up`) and leaves nothing to reap.
    """
    shell = subprocess.run(
        ["sh", "-c", _DETACH, str(log), *argv], cwd=cwd, env=env, capture_output=True,
        text=True, start_new_session=True, check=True,
    )  # fmt: skip
    return int(shell.stdout.strip())


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name, or None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def belongs_to(pid: int, root: Path) -> bool:
    """Whether a live process is one of the bed's: its program, run in or for `root`."""
    command = cmdline(pid)
    if not alive(pid) or not any(mark in command for mark in _OURS):
        return False
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = ""
    return cwd == str(root) or str(root) in command


def _group(pgid: int) -> list[int]:
    return [pid for pid in _pids() if (fields := _stat(pid)) and fields[2] == str(pgid)]


def children(pid: int) -> list[int]:
    """The live child processes of a process."""
    return [child for child in _pids() if (fields := _stat(child)) and fields[1] == str(pid)]


def stray_groups(root: Path) -> set[int]:
    """Process groups holding one of the bed's processes for `root`, recorded or not."""
    return {group for pid in _pids() if belongs_to(pid, root) and (group := group_of(pid))}


def group_of(pid: int) -> int | None:
    """The process group of a live process."""
    fields = _stat(pid)
    return int(fields[2]) if fields else None


def stop_groups(groups: set[int], timeout: float = 5.0) -> None:
    """SIGTERM each process group, then SIGKILL what is still alive after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pgid in groups:
            with suppress(ProcessLookupError):
                os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(alive(pid) for pgid in groups for pid in _group(pgid)):
                return
            time.sleep(0.05)


def port_free(port: int) -> bool:
    """Whether 127.0.0.1:PORT can be bound."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def get(port: int, path: str, ca_file: Path | None = None) -> tuple[int, bytes] | None:
    """GET http(s)://127.0.0.1:PORT/PATH; (status, body), or None if nothing answers."""
    conn: http.client.HTTPConnection
    if ca_file is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    else:
        context = ssl.create_default_context(cafile=str(ca_file))
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=context)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll `check` until it holds, or raise TestbedError naming `what`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TestbedError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
