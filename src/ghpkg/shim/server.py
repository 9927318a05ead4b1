"""The loopback registry: plain HTTP on 127.0.0.1, forwarding to the instance's Docker registry.

Clients (the Docker engine, containerd, skopeo) log in with the shim's own login, made at random
for the run (`Login`), never the token: the shim adds the token on the way out. It answers what
the GHES registry lacks (manifests by digest, HEAD) and stores what it would refuse (OCI
manifests, indexes with attestations) as schema 2. Blobs stream through in 1 MiB pieces,
unhashed on the way down (the client checks each against its digest); nothing but manifests is
held in memory.
"""

from __future__ import annotations

import threading

from ghpkg.progress import Lines
from ghpkg.registry import RegistryClient
from ghpkg.shim.exchange import ShimServer
from ghpkg.shim.manifests import Manifests, TagLister
from ghpkg.shim.routes import Handler
from ghpkg.shim.scope import Activity, Login, Reach, Upload


class Shim:
    """A running loopback registry in front of one registry host (a context manager)."""

    def __init__(
        self,
        registry: RegistryClient,
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        scope: Reach | None = None,
        login: Login | None = None,
        tags_of: TagLister | None = None,
        log: Lines = lambda _: None,
        trace: bool = False,
    ) -> None:
        self.registry = registry
        self.scope = scope or Reach()
        self.login = login or Login.random()
        self.manifests = Manifests(registry, tags_of)
        self.activity = Activity()
        self.log = log
        self.trace = trace
        self.uploads: dict[str, Upload] = {}
        self.lock = threading.Lock()
        self._server = ShimServer(listen, Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.005,))
        self._thread.daemon = True

    @property
    def pushed(self) -> dict[tuple[str, str], str]:
        """The tags stored through the shim, with the digest the registry keeps."""
        return self.activity.pushed

    @property
    def served(self) -> dict[tuple[str, str], str]:
        """The tags read through the shim, with the digest served."""
        return self.activity.served

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`, the registry name clients use."""
        host, port = self._server.server_address[:2]
        host = str(host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def names(self) -> frozenset[str]:
        """The `Host` values the shim answers: its address, and `localhost:PORT` on 127.0.0.1."""
        host, port = self._server.server_address[:2]
        names = {self.address}
        if str(host).startswith("127."):
            names.add(f"localhost:{port}")
        if port == 80:
            names |= {name.rsplit(":", 1)[0] for name in names}
        return frozenset(names)

    def start(self) -> Shim:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop unfinished uploads."""
        self._server.shutdown()
        self._server.server_close()
        for upload in list(self.uploads.values()):
            self.registry.cancel_upload(upload.path, upload.location)
        self.uploads.clear()

    def __enter__(self) -> Shim:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


__all__ = ["Shim"]
