"""Asking an engine over its unix socket whether it is up (/_ping) and what it is (/version)."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path

from testbed.engines.matrix import Engine, base_url, socket_path


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, enough for /_ping and /version."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        """Connect to the unix socket instead of TCP."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _get(sock: Path, url: str, timeout: float = 5.0) -> bytes | None:
    """Body of a 200 answer to GET url on an engine socket, None if it does not answer so."""
    conn = _UnixHTTPConnection(str(sock), timeout)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        body = resp.read()
        return body if resp.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def running(name: str) -> Engine | None:
    """The engine if it answers /_ping and /version right now, without starting anything."""
    sock = socket_path(name)
    if _get(sock, "/_ping") is None:
        return None
    body = _get(sock, "/version")
    version = str(json.loads(body).get("Version", "unknown")) if body else "unknown"
    return Engine(name, base_url(name), version)
