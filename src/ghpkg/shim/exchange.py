"""The shim's HTTP plumbing: who may ask, routing, request bodies (chunked too), answers, errors.

Only a client with the shim's login is served, only by the name it listens on (a web page that
rebinds its own host name to 127.0.0.1 sends that name), never a browser (`Origin`,
`Sec-Fetch-Site`); a connection idle past READ_TIMEOUT is dropped, and past MAX_CONNECTIONS
new ones are closed at once.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.registry import CHUNK_SIZE
from ghpkg.shim.convert import MAX_MANIFEST
from ghpkg.shim.scope import WRITES, Activity, Login, Reach, Upload

if TYPE_CHECKING:
    from ghpkg.registry import RegistryClient
    from ghpkg.shim.manifests import Manifests

_NAME = r"(?P<name>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)"
_ROUTES = (
    ("upload", re.compile(rf"^/v2/{_NAME}/blobs/uploads/(?P<id>[0-9a-f-]*)$")),
    ("blob", re.compile(rf"^/v2/{_NAME}/blobs/(?P<digest>sha256:[0-9a-f]{{64}})$")),
    ("manifest", re.compile(rf"^/v2/{_NAME}/manifests/(?P<ref>[A-Za-z0-9_.:-]{{1,128}})$")),
    ("tags", re.compile(rf"^/v2/{_NAME}/tags/list$")),
)


READ_TIMEOUT = 60.0  # seconds a client may keep the shim waiting for its next bytes
MAX_CONNECTIONS = 64  # the engine opens a few per layer; more is a client gone wrong
BROWSER_HEADERS = ("Origin", "Sec-Fetch-Site")  # sent by browsers, never by registry clients


class ShimState(Protocol):
    """What the requests' handlers read and count of their shim (`shim.server.Shim` is one)."""

    registry: RegistryClient
    scope: Reach
    login: Login
    manifests: Manifests
    activity: Activity
    uploads: dict[str, Upload]
    lock: threading.Lock
    log: Callable[[str], None]
    trace: bool

    @property
    def address(self) -> str: ...

    @property
    def names(self) -> frozenset[str]: ...


class ShimServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its shim, with a cap on open connections."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], shim: ShimState
    ) -> None:
        self.shim = shim
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a thread of its own, or close it when too many are open."""
        if not self._connections.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()


class Exchange(BaseHTTPRequestHandler):
    """One client connection: requests routed to `_{kind}_{method}` handlers of a subclass."""

    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT
    server: ShimServer
    query: dict[str, str]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the shim reports through its own log."""

    def handle_one_request(self) -> None:
        """Answer a TLS handshake with plain HTTP, as Go's server does, so clients fall back."""
        try:
            first = self.rfile.peek(1)[:1]  # type: ignore[attr-defined]
        except OSError:  # silent past READ_TIMEOUT, or gone
            self.close_connection = True
            return
        if first == b"\x16":
            self.wfile.write(b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n")
            self.close_connection = True
            return
        try:
            super().handle_one_request()
        except ConnectionError:  # the client went away mid-request
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    # -- routing ------------------------------------------------------------------------

    def _serve(self) -> None:
        shim = self.server.shim
        with shim.lock:
            shim.activity.requests += 1
            if self.headers.get("Authorization"):
                shim.activity.with_credentials += 1
        url = urlsplit(self.path)
        self.query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if not self._admitted():
            return
        try:
            if url.path in ("/v2", "/v2/"):
                self._answer(200, {"Content-Type": "application/json"}, b"{}")
                return
            for kind, pattern in _ROUTES:
                match = pattern.match(url.path)
                if match:
                    self._dispatch(kind, match.groupdict())
                    return
            self._error(404, "NAME_UNKNOWN", f"no registry route for {url.path}")
        except GhpkgError as exc:
            self._failed(exc)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _admitted(self) -> bool:
        """Whether the request may be served: else it is answered here (403 or 401)."""
        shim = self.server.shim
        host = self.headers.get("Host", "")
        refusal = ""
        if host not in shim.names:
            refusal = f"this registry answers only as {shim.address}, not {host[:100]!r}"
        elif any(self.headers.get(name) for name in BROWSER_HEADERS):
            refusal = "this registry does not answer web browsers"
        if refusal:
            with shim.lock:
                shim.activity.refused += 1
            self._error(403, "DENIED", refusal)
            return False
        if shim.login.accepts(self.headers.get("Authorization", "")):
            return True
        with shim.lock:
            shim.activity.refused += 1
        body = json.dumps(
            {"errors": [{"code": "UNAUTHORIZED", "message": "log in with this shim's login"}]}
        ).encode()
        if self.command in WRITES:
            self.close_connection = True  # its body is unread
        headers = {"Content-Type": "application/json", "WWW-Authenticate": 'Basic realm="ghpkg"'}
        self._answer(401, headers, body)
        return False

    def _dispatch(self, kind: str, parts: dict[str, str]) -> None:
        path = parts["name"]
        refusal = self.server.shim.scope.refusal(path, self.command)
        if refusal:
            self._error(403, "DENIED", refusal)
            return
        handler = getattr(self, f"_{kind}_{self.command.lower()}", None)
        if handler is None:
            self._error(405, "UNSUPPORTED", f"{self.command} of a {kind} is not supported")
            return
        handler(path, parts)

    # -- request and answer -------------------------------------------------------------

    def _length(self) -> int | None:
        """The request body's length; None when it comes chunked."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        value = self.headers.get("Content-Length", "0")
        return int(value) if value.isdigit() else 0

    def _body(self) -> Iterator[bytes]:
        length = self._length()
        if length is None:  # Go sends small chunks: forward them in 1 MiB pieces
            return _coalesced(_dechunked(self.rfile))
        return _limited(self.rfile, length)

    def _small_body(self) -> bytes:
        data = bytearray()
        for chunk in self._body():
            data += chunk
            if len(data) > MAX_MANIFEST:
                self.close_connection = True
                raise RegistryError(
                    "a manifest over 4 MiB was pushed",
                    "registries refuse manifests that large",
                    "",
                    status=400,
                    codes=("MANIFEST_INVALID",),
                )
        return bytes(data)

    def _answer(
        self, status: int, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> None:
        if self.server.shim.trace:
            self.server.shim.log(f"{self.command} {self.path} -> {status}")
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        headers["Docker-Distribution-API-Version"] = "registry/2.0"
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        if self.command in WRITES:
            self.close_connection = True  # its body may be unread
        self._answer(status, {"Content-Type": "application/json"}, body)

    def _failed(self, exc: GhpkgError) -> None:
        shim = self.server.shim
        status = getattr(exc, "status", None) or 502
        with shim.lock:  # a missing tag or blob is an answer, not a failure: kept apart
            (shim.activity.missing if status == 404 else shim.activity.failures).append(exc)
        if status != 404:
            shim.log(f"{self.command} {urlsplit(self.path).path}: {exc}")
        codes = getattr(exc, "codes", ()) or ()
        if status in (401, 403):
            status, code = 403, "DENIED"
        elif getattr(exc, "temporary", False) or status >= 500:
            status, code = 503, "UNAVAILABLE"
        else:
            code = codes[0] if codes else "UNKNOWN"
        self._error(status, code, str(exc))


def _limited(stream: BufferedIOBase, length: int) -> Iterator[bytes]:
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, CHUNK_SIZE))
        if not chunk:
            raise ConnectionError("the client closed the connection mid-body")
        remaining -= len(chunk)
        yield chunk


def _dechunked(stream: BufferedIOBase) -> Iterator[bytes]:
    """A body sent with Transfer-Encoding: chunked, piece by piece."""
    while True:
        line = stream.readline(1024)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ConnectionError("a malformed chunk in the client's body") from None
        if size == 0:
            while stream.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        yield from _limited(stream, size)
        stream.readline(8)


def _coalesced(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The same bytes in pieces of at least CHUNK_SIZE (the last may be shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        if len(pending) >= CHUNK_SIZE:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)
