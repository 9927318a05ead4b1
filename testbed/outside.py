"""One of the bed's hosts reached on a non-loopback address, where engines verify its certificate.

Docker engines treat a registry whose name resolves into 127.0.0.0/8 as insecure and skip TLS
verification for it (moby's registry configuration adds that range unconditionally), so on the
bed's 127.0.0.1 an engine accepts any certificate and `/etc/docker/certs.d` changes nothing.
`reached_from_outside(host)` points host at this machine's own non-loopback address, where a
TCP relay passes each connection to the bed's nginx untouched (TLS and all): there an engine
trusts the bed's CA only if something (ghpkg's `--ca-file`) told it to.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from testbed import etc_hosts
from testbed.config import FRONT_PORT

MARKER = "# ghpkg-outside"
# A moment for another writer's read-modify-write of /etc/hosts that may be under way. (The
# engines' Go resolver reads the file at most once in 5 s: a test that has an engine resolve a
# name just moved waits for `etc_hosts.settle`.)
_SETTLE_SECONDS = 1.0


def outside_address() -> str:
    """This machine's first IPv4 address outside 127.0.0.0/8 (eth0's, say)."""
    listing = subprocess.run(
        ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False
    ).stdout
    for line in listing.splitlines():
        fields = line.split()
        if "inet" in fields:
            address = fields[fields.index("inet") + 1].split("/")[0]
            if not address.startswith("127."):
                return address
    raise RuntimeError("this machine has no IPv4 address outside 127.0.0.0/8 to relay from")


class Relay:
    """A TCP relay on the outside address to the bed's nginx; `drop()` cuts what is open."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._listener = socket.create_server((address, FRONT_PORT))
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._claim: Callable[[], None] | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def drop(self) -> None:
        """Close every relayed connection, so an engine connects (and verifies) again, and point
        the host here again (a bed's start elsewhere may have rewritten its hosts line)."""
        if self._claim is not None:
            self._claim()
        self._cut()

    def close(self) -> None:
        """Stop listening (waking the accepting thread) and cut what is open; no claim."""
        self._claim = None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._cut()

    def _cut(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        """Pipe one connection to the bed's nginx and back until either side closes."""
        try:
            upstream = socket.create_connection(("127.0.0.1", FRONT_PORT), timeout=30)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._open |= {client, upstream}
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join(timeout=300)
        with self._lock:
            self._open -= {client, upstream}
        client.close()
        upstream.close()


@contextmanager
def reached_from_outside(host: str) -> Iterator[Relay]:
    """Resolve host to a non-loopback address of ours, relayed to the bed, while the block runs."""
    _rewrite(lambda lines: [_with(one, host) for one in lines if not _stale(one)])
    relay = Relay(outside_address())
    tag = f"{MARKER} {os.getpid()}"
    line = f"{relay.address} {host} {tag}"
    relay._claim = lambda: _rewrite(
        lambda lines: [*(_without(one, host) for one in lines if not one.endswith(tag)), line]
    )
    relay._claim()
    try:
        yield relay
    finally:

        def restore(lines: list[str]) -> list[str]:
            return [_with(one, host) for one in lines if not one.endswith(tag)]

        _rewrite(restore)
        relay.close()
        time.sleep(_SETTLE_SECONDS)
        _rewrite(restore)  # again: another writer of /etc/hosts may have read it before we did


def _stale(line: str) -> bool:
    """A line of ours whose process is gone (it could not restore the bed's line)."""
    pid = line.rsplit(" ", 1)[-1]
    return MARKER in line and pid.isdigit() and not os.path.exists(f"/proc/{pid}")


def _without(line: str, host: str) -> str:
    """The bed's hosts line without host."""
    if etc_hosts.HOSTS_MARKER not in line:
        return line
    return " ".join(word for word in line.split(" ") if word != host)


def _with(line: str, host: str) -> str:
    """The bed's hosts line with host back before its marker."""
    if etc_hosts.HOSTS_MARKER not in line or f" {host} " in line:
        return line
    return line.replace(f" {etc_hosts.HOSTS_MARKER}", f" {host} {etc_hosts.HOSTS_MARKER}")


def _rewrite(change: Callable[[list[str]], list[str]]) -> None:
    etc_hosts.write_lines(change(etc_hosts.read_lines()))


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
