"""A scripted HTTPS server for the registry client's error paths (refusals, 5xx, breaks)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from testbed.pki import ensure_pki


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What the fake sends back; `body` may be cut short after `break_after` bytes."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    break_after: int | None = None


Script = Callable[[Seen], Answer]


@dataclass
class Fake:
    """The running fake: its host:port, the CA to trust, what it saw, and the script to run."""

    host: str
    ca_file: Path
    seen: list[Seen]
    script: Script

    def answer(self, script: Script) -> None:
        """Replace the script."""
        self.script = script


def _handler(fake_ref: list[Fake]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _serve(self) -> None:
            fake = fake_ref[0]
            seen = Seen(self.command, self.path, dict(self.headers.items()), self._body())
            fake.seen.append(seen)
            answer = fake.script(seen)
            self.send_response(answer.status)
            headers = {"Content-Length": str(len(answer.body)), **answer.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            if answer.break_after is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            if answer.break_after is not None:
                self.wfile.write(answer.body[: answer.break_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(answer.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


@contextmanager
def fake_registry(directory: Path, script: Script) -> Iterator[Fake]:
    """Serve script over TLS on 127.0.0.1 (certificate from a private CA in directory)."""
    pki = ensure_pki(directory / "pki", ["localhost"])
    holder: list[Fake] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    host = f"127.0.0.1:{server.server_address[1]}"
    holder.append(Fake(host, pki.ca_file, [], script))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
