"""What the fault proxy does to each request: forward it to the bed, or apply a scripted `Fault`.

A `Fault` answers with an error status, drops the connection or stalls it after some bytes of
the request body (uploads) or of the response body (downloads); `Seen` records what the client
got. Upload Locations in the bed's answers are rewritten onto the proxy's names.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import struct
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from testbed.tls_server import TlsServer

if TYPE_CHECKING:
    from testbed.faults import FaultProxy

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
_CHUNK = 64 * 1024
_NGINX_PAGE = (
    "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center></body></html>"
)
_REASONS = {408: "Request Timeout", 429: "Too Many Requests", 500: "Internal Server Error"}
_REASONS |= {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}


@dataclass
class Fault:
    """What to do to requests matching `method` and `path` (a regex), the first `times` times.

    `status` answers without forwarding (with `body` and `content_type` where given: a forged
    answer, such as another image's manifest for a tag); `drop` resets the connection after
    `after` bytes of the request body (uploads) or of the response body (downloads); `stall` goes
    silent there for `seconds`, then drops. `times=None` hits every match.
    """

    action: str
    method: str = ""
    path: str = ""
    times: int | None = 1
    status: int = 503
    retry_after: str | None = None
    after: int = 0
    seconds: float = 30.0
    body: bytes = b""
    content_type: str = ""

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault, not yet used up, applies to the request."""
        return (
            (self.times is None or self.times > 0)
            and (not self.method or self.method == method)
            and re.search(self.path, path) is not None
        )


@dataclass(frozen=True)
class Seen:
    """One request the proxy saw: what the client got (0: dropped) and the fault applied."""

    method: str
    path: str
    status: int
    fault: str


class FaultServer(TlsServer):
    """The proxy's listening socket: each connection served by a FaultHandler."""

    def __init__(self, proxy: FaultProxy, context: ssl.SSLContext) -> None:
        super().__init__(FaultHandler, context)
        self.proxy = proxy


class FaultHandler(BaseHTTPRequestHandler):
    """One client connection: each request faulted or forwarded, keep-alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as front.Handler: no 40 ms stall between head and body
    server: FaultServer
    _conn: http.client.HTTPSConnection | None = None

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test looks at `seen` instead."""

    def finish(self) -> None:
        """Close the connection to the bed with the client's."""
        if self._conn is not None:
            self._conn.close()
        with suppress(OSError):
            super().finish()

    def _serve(self) -> None:
        proxy = self.server.proxy
        fault = proxy.take(self.command, self.path)
        if fault and fault.action in ("drop", "stall") and (self._has_body() or not fault.after):
            # An upload broken or hung after `after` bytes, or no answer at all: not forwarded.
            self._read_body(limit=fault.after if fault.after or fault.action == "drop" else None)
            proxy.record(Seen(self.command, self.path, 0, fault.action))
            if fault.action == "stall":
                proxy.stopping.wait(fault.seconds)
            self._reset()
            return
        body = self._read_body()
        if fault and fault.action == "status":
            proxy.record(Seen(self.command, self.path, fault.status, "status"))
            self._answer(fault)
            return
        try:
            response = self._forward(body)
        except (OSError, http.client.HTTPException) as exc:
            proxy.record(Seen(self.command, self.path, 502, f"upstream {exc!r}"))
            self._answer(Fault("status", status=502))
            return
        with response:
            fired = self._relay(response, fault)
        status = 0 if fired else response.status
        proxy.record(Seen(self.command, self.path, status, fault.action if fired and fault else ""))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    # -- request ------------------------------------------------------------------------

    def _has_body(self) -> bool:
        return "chunked" in self.headers.get("Transfer-Encoding", "").lower() or bool(
            self._body_length()
        )

    def _body_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value and value.isdigit() else None

    def _read_body(self, limit: int | None = None) -> bytes:
        """The request body (chunked or not), or its first `limit` bytes."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            for piece in self._chunks():
                data += piece
                if limit is not None and len(data) >= limit:
                    return data[:limit]
            return data
        length = self._body_length() or 0
        return self.rfile.read(length if limit is None else min(limit, length))

    def _chunks(self) -> Iterator[bytes]:
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline()

    def _forward(self, body: bytes) -> http.client.HTTPResponse:
        proxy = self.server.proxy
        host = proxy.to_bed(self.headers.get("Host", ""))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = host
        headers.pop("Content-Length", None)
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # nginx may have closed an idle keep-alive connection
            if self._conn is None:
                self._conn = proxy.upstream(host)
            try:
                self._conn.request(self.command, self.path, body=body, headers=headers)
                return self._conn.getresponse()
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # -- response -----------------------------------------------------------------------

    def _relay(self, response: http.client.HTTPResponse, fault: Fault | None) -> bool:
        """Send the bed's answer on, with a download fault (drop or stall) after `after` bytes."""
        proxy = self.server.proxy
        bodiless = self.command == "HEAD" or response.status in (204, 304)
        data = b"" if bodiless else None
        length = response.getheader("Content-Length")
        if not bodiless and length is None:
            data = response.read()
            length = str(len(data))
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() in _HOP_BY_HOP or name.lower() == "content-length":
                continue
            self.send_header(name, proxy.from_bed(value) if name.lower() == "location" else value)
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        sent = 0
        limit = fault.after if fault and fault.action in ("drop", "stall") else None
        for piece in [data] if data is not None else _pieces(response):
            if limit is not None and sent + len(piece) >= limit:
                self.wfile.write(piece[: max(0, limit - sent)])
                self.wfile.flush()
                if fault is not None and fault.action == "stall":
                    proxy.stopping.wait(fault.seconds)
                self._reset()
                return True
            self.wfile.write(piece)
            sent += len(piece)
        return False  # the body was shorter than `after`: it went through whole

    def _answer(self, fault: Fault) -> None:
        """A scripted error answer, as a registry (JSON) or a proxy in front (HTML) gives it."""
        status = fault.status
        reason = _REASONS.get(status, "Error")
        if fault.body:
            body, kind = fault.body, fault.content_type or "application/json"
        elif status in (502, 504):
            body = _NGINX_PAGE.format(f"{status} {reason}").encode()
            kind = "text/html"
        else:
            code = "TOOMANYREQUESTS" if status == 429 else "UNAVAILABLE"
            body = f'{{"errors":[{{"code":"{code}","message":"{reason.lower()}"}}]}}'.encode()
            kind = "application/json"
        self.send_response(status, reason)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if fault.retry_after is not None:
            self.send_header("Retry-After", fault.retry_after)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, no TLS close_notify: a broken network."""
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with suppress(OSError):
            self.connection.close()
        self.close_connection = True


def _pieces(response: http.client.HTTPResponse) -> Iterator[bytes]:
    while piece := response.read(_CHUNK):
        yield piece
