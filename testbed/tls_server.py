"""An HTTPS server on a loopback port for the bed's doubles (faults, hostile): TLS per thread."""

from __future__ import annotations

import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TlsServer(ThreadingHTTPServer):
    """Accepts on a loopback port; TLS is done in each connection's thread."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context
        self._handler = handler

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Handshake, then serve the connection's requests."""
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            tls.settimeout(300)
            self._handler(tls, client_address, self)
        except OSError:
            pass
        finally:
            tls.close()
