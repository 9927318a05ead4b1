"""The bed's Python front: nginx asks it about tokens, and sends it manifests and the REST API.

Run as `python -m testbed.front --state DIR`; it binds a free 127.0.0.1 port and writes it to
DIR/front.port. Blob bytes never come here: nginx proxies them straight to the backend.
"""

from __future__ import annotations

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from testbed.config import CONTAINER_HOST, Paths, load_switches, read_json, write_json
from testbed.ghes import container_registry, docker_registry, rest_api
from testbed.ghes.tokens import Token, TokenTable
from testbed.ghes.wire import Request, Response


class FrontServer(ThreadingHTTPServer):
    """The HTTP server, holding the bed's token table and paths."""

    daemon_threads = True

    def __init__(self, paths: Paths) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.paths = paths
        self._stamp = -1
        self._tokens = TokenTable({})
        self.grants = container_registry.Grants()

    @property
    def tokens(self) -> TokenTable:
        """The token table of state.json, read again whenever the file changes."""
        try:
            stamp = self.paths.state_file.stat().st_mtime_ns
        except OSError:
            return self._tokens
        if stamp != self._stamp:
            saved = read_json(self.paths.state_file).get("tokens", {})
            self._tokens = TokenTable({name: Token.from_json(d) for name, d in saved.items()})
            self._stamp = stamp
        return self._tokens

    def answer(self, request: Request) -> Response:
        """Route one request to the rules that answer it."""
        path = request.path
        if (request.header("Host") or "").split(":")[0] == CONTAINER_HOST:
            return self._containers(request)
        if path == "/_auth":
            return docker_registry.auth_answer(request, self.tokens)
        if path == "/_health":
            return Response(200, b"ok\n")
        if path == "/api/v3" or path.startswith("/api/v3/"):
            switches = load_switches(self.paths)
            return rest_api.handle(request, self.tokens, self.paths.storage, switches)
        if path.startswith("/v2"):
            return docker_registry.handle(request, self.tokens, load_switches(self.paths))
        return Response(404, b"not found\n")

    def _containers(self, request: Request) -> Response:
        """The Container registry's host: its token service and its auth subrequests."""
        if request.path == "/_auth":
            return container_registry.auth_answer(request, self.grants)
        if request.path == "/token":
            return container_registry.token_answer(request, self.tokens, self.grants, self.paths)
        if request.path.endswith("/blobs/uploads/") and request.method == "POST":
            return container_registry.start_upload(request, self.grants)
        return Response(404, b"not found\n")


class Handler(BaseHTTPRequestHandler):
    """Reads a request, asks the server for the answer, writes it back (keep-alive)."""

    protocol_version = "HTTP/1.1"
    # headers and body leave in two writes: with Nagle on, a kept-alive upstream connection
    # holds the body until nginx's delayed ACK (40 ms a request), a stall no GHES has
    disable_nagle_algorithm = True
    server: FrontServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, self.path, self.headers, self.rfile.read(length))
        try:
            response = self.server.answer(request)
        except Exception as exc:  # a bug in the bed: say so rather than hang the client
            self.log_error("error answering %s %s: %r", self.command, self.path, exc)
            response = Response(500, f"test bed front error: {exc!r}\n".encode())
        self.send_response(response.status)
        names = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Log to stderr (the bed's front.log), without the client address."""
        sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


def main(argv: list[str] | None = None) -> int:
    """Serve until killed."""
    parser = argparse.ArgumentParser(prog="python -m testbed.front")
    parser.add_argument("--state", type=Path, required=True, help="the bed's state directory")
    args = parser.parse_args(argv)
    paths = Paths(args.state)
    server = FrontServer(paths)
    write_json(paths.front_port_file, {"port": server.server_address[1]})
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
