"""A TLS front for an engine's unix socket: a Docker engine reached as `tcp://` with TLS.

`TlsEngine` listens on a loopback port with a certificate from the bed's CA, and relays each
connection's bytes to the engine's socket. `env` is what the docker CLI needs to reach it:
DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem).
"""

from __future__ import annotations

import shutil
import socket
import ssl
import threading
from contextlib import suppress
from pathlib import Path

from testbed.pki import Pki, issue_cert


class TlsEngine:
    """The front: `start()`, `env`, `stop()`."""

    def __init__(self, socket_path: str, pki: Pki, directory: Path) -> None:
        self._socket_path = socket_path
        self._pki = pki
        self.directory = directory
        self._listener: socket.socket | None = None

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        assert self._listener is not None, "not started"
        return int(self._listener.getsockname()[1])

    @property
    def env(self) -> dict[str, str]:
        """DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as for the docker CLI."""
        return {
            "DOCKER_HOST": f"tcp://localhost:{self.port}",
            "DOCKER_TLS_VERIFY": "1",
            "DOCKER_CERT_PATH": str(self.directory),
        }

    def start(self) -> TlsEngine:
        """Issue the certificate (also the client's), write the CLI's files, and listen."""
        leaf = issue_cert(self._pki, ["localhost"], self.directory)
        shutil.copy(self._pki.ca_file, self.directory / "ca.pem")
        shutil.copy(leaf.cert_file, self.directory / "cert.pem")
        shutil.copy(leaf.key_file, self.directory / "key.pem")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(leaf.cert_file, leaf.key_file)
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, args=(context,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and remove the certificates."""
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _accept(self, context: ssl.SSLContext) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client, context), daemon=True).start()

    def _relay(self, client: socket.socket, context: ssl.SSLContext) -> None:
        try:
            tls = context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        engine.connect(self._socket_path)
        threading.Thread(target=_pump, args=(engine, tls), daemon=True).start()
        _pump(tls, engine)


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy bytes one way until either side closes, then close both."""
    with suppress(OSError):
        while data := source.recv(1 << 16):
            target.sendall(data)
    for end in (source, target):
        with suppress(OSError):
            end.close()
