"""The loopback registry: plain HTTP on 127.0.0.1, forwarding to the instance's Docker registry.

Clients (the Docker engine, containerd, skopeo) send no credentials: the shim adds the token on
the way out. It answers what the GHES registry lacks (manifests by digest, HEAD) and stores
what it would refuse (OCI manifests, indexes with attestations) as schema 2. Blobs stream
through in 1 MiB pieces; nothing but manifests is held in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.manifest import SCHEMA2
from ghpkg.registry import CHUNK_SIZE, RegistryClient
from ghpkg.shim.convert import MAX_MANIFEST, for_docker_registry
from ghpkg.shim.manifests import Manifests, Served, TagLister

Log = Callable[[str], None]
_NAME = r"(?P<name>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_ROUTES = (
    ("upload", re.compile(rf"^/v2/{_NAME}/blobs/uploads/(?P<id>[0-9a-f-]*)$")),
    ("blob", re.compile(rf"^/v2/{_NAME}/blobs/(?P<digest>sha256:[0-9a-f]{{64}})$")),
    ("manifest", re.compile(rf"^/v2/{_NAME}/manifests/(?P<ref>[A-Za-z0-9_.:-]{{1,128}})$")),
    ("tags", re.compile(rf"^/v2/{_NAME}/tags/list$")),
)
_WRITES = ("PUT", "POST", "PATCH", "DELETE")


@dataclass(frozen=True)
class Scope:
    """Which repositories the shim serves, and whether it takes pushes."""

    paths: frozenset[str] | None = None  # None: any the token may reach
    writable: bool = True

    def refusal(self, path: str, method: str) -> str:
        """Why a request is refused, or "" when it is in scope."""
        if self.paths is not None and path not in self.paths:
            return f"{path} is not among the repositories this shim serves"
        if method in _WRITES and not self.writable:
            return "this shim serves pulls only"
        return ""

    def may_mount_from(self, source: str, path: str) -> bool:
        """Cross-repository mounts only from a repository of the same owner."""
        return source.split("/", 1)[0] == path.split("/", 1)[0]


@dataclass
class _Upload:
    path: str
    location: str
    received: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)


@dataclass
class Activity:
    """What the shim saw: for the log, the caller's error and the tests."""

    requests: int = 0
    with_credentials: int = 0
    pushed: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, tag) -> digest
    served: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, tag) -> digest
    failures: list[GhpkgError] = field(default_factory=list)


class Shim:
    """A running loopback registry in front of one registry host (a context manager)."""

    def __init__(
        self,
        registry: RegistryClient,
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        scope: Scope | None = None,
        tags_of: TagLister | None = None,
        log: Log = lambda _: None,
        trace: bool = False,
    ) -> None:
        self.registry = registry
        self.scope = scope or Scope()
        self.manifests = Manifests(registry, tags_of)
        self.activity = Activity()
        self.log = log
        self.trace = trace
        self.uploads: dict[str, _Upload] = {}
        self.lock = threading.Lock()
        self._server = _Server(listen, _Handler, self)
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
        return f"{host!s}:{port}"

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[_Handler], shim: Shim) -> None:
        self.shim = shim
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the shim reports through its own log."""

    def handle_one_request(self) -> None:
        """Answer a TLS handshake with plain HTTP, as Go's server does, so clients fall back."""
        if self.rfile.peek(1)[:1] == b"\x16":  # type: ignore[attr-defined]
            self.wfile.write(b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n")
            self.close_connection = True
            return
        super().handle_one_request()

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

    # -- manifests ----------------------------------------------------------------------

    def _manifest_get(self, path: str, parts: dict[str, str]) -> None:
        manifests = self.server.shim.manifests
        ref = parts["ref"]
        if ref.startswith("sha256:"):
            found = manifests.by_digest(path, ref) if _DIGEST.match(ref) else None
        else:
            found = manifests.by_tag(path, ref)
            with self.server.shim.lock:
                self.server.shim.activity.served[(path, ref)] = found.digest
        if found is None:
            self._error(404, "MANIFEST_UNKNOWN", f"no manifest {ref} in {path}")
            return
        headers = {"Content-Type": found.media_type, "Docker-Content-Digest": found.digest}
        self._answer(200, headers, found.raw)

    _manifest_head = _manifest_get

    def _manifest_put(self, path: str, parts: dict[str, str]) -> None:
        shim, ref = self.server.shim, parts["ref"]
        raw = self._small_body()
        sent = Served(raw, self.headers.get("Content-Type", "").split(";")[0].strip())
        if ref.startswith("sha256:") and ref != sent.digest:
            self._error(400, "DIGEST_INVALID", f"the manifest's digest is {sent.digest}")
            return
        if shim.registry.digests:  # the Container registry takes OCI as it is
            shim.registry.put_manifest(path, ref, sent.raw, sent.media_type)
            shim.manifests.remember(path, sent)
            if not ref.startswith("sha256:"):
                with shim.lock:
                    shim.activity.pushed[(path, ref)] = sent.digest
        elif ref.startswith("sha256:"):  # a child of an index, pushed before it: held here
            shim.manifests.remember(path, sent)
        else:
            stored = for_docker_registry(sent.raw, sent.media_type, self._held(path))
            shim.registry.put_manifest(path, ref, stored.raw, SCHEMA2)
            shim.manifests.remember(path, Served(stored.raw, SCHEMA2))
            shim.manifests.remember(path, sent)
            with shim.lock:
                shim.activity.pushed[(path, ref)] = stored.digest
            if stored.note:
                shim.log(f"{path}:{ref}: {stored.note} (stored as {stored.digest})")
        location = f"/v2/{path}/manifests/{sent.digest}"
        self._answer(201, {"Location": location, "Docker-Content-Digest": sent.digest})

    def _held(self, path: str) -> Callable[[str], bytes | None]:
        def held(digest: str) -> bytes | None:
            found = self.server.shim.manifests.by_digest(path, digest, search=False)
            return found.raw if found else None

        return held

    # -- blobs --------------------------------------------------------------------------

    def _blob_head(self, path: str, parts: dict[str, str]) -> None:
        size = self.server.shim.registry.blob_size(path, parts["digest"])
        if size is None:
            self._error(404, "BLOB_UNKNOWN", f"no blob {parts['digest']} in {path}")
            return
        headers = {"Docker-Content-Digest": parts["digest"], "Accept-Ranges": "bytes"}
        headers["Content-Length"] = str(max(size, 0))
        self._answer(200, headers)

    def _blob_get(self, path: str, parts: dict[str, str]) -> None:
        digest = parts["digest"]
        wanted = self.headers.get("Range", "")
        response = self.server.shim.registry.blob_response(path, digest, wanted)
        with response:
            if response.status_code in (404, 416):
                code = "BLOB_UNKNOWN" if response.status_code == 404 else "RANGE_INVALID"
                self._error(response.status_code, code, f"blob {digest} of {path}")
                return
            headers = {"Content-Type": "application/octet-stream", "Docker-Content-Digest": digest}
            for name in ("Content-Length", "Content-Range"):
                if response.headers.get(name):
                    headers[name] = response.headers[name]
            if "Content-Length" not in headers:
                self.close_connection = True
            self.send_response(response.status_code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            chunks = response.raw.stream(CHUNK_SIZE, decode_content=False)
            whole = response.status_code == 200
            self._relay(_checked(chunks, digest) if whole else chunks, path, digest)

    def _relay(self, chunks: Iterator[bytes], path: str, digest: str) -> None:
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except RegistryError as exc:  # cut the answer short: the client must not accept it
            self.close_connection = True
            self.server.shim.log(f"blob {digest} of {path}: {exc}")
        except Exception as exc:
            self.close_connection = True
            self.server.shim.log(f"blob {digest} of {path}: download broke ({exc})")

    # -- uploads ------------------------------------------------------------------------

    def _upload_post(self, path: str, parts: dict[str, str]) -> None:
        shim = self.server.shim
        mount, source = self.query.get("mount", ""), self.query.get("from", "")
        if mount and not (_DIGEST.match(mount) and shim.scope.may_mount_from(source, path)):
            mount = source = ""
        location = shim.registry.open_upload(path, mount, source)
        if location is None:
            headers = {"Location": f"/v2/{path}/blobs/{mount}", "Docker-Content-Digest": mount}
            self._answer(201, headers)
            return
        upload_id = str(uuid.uuid4())
        with shim.lock:
            shim.uploads[upload_id] = _Upload(path, location)
        digest = self.query.get("digest", "")
        if digest:  # a monolithic upload in the POST itself
            self._upload_put(path, {"id": upload_id})
            return
        self._answer(202, self._session_headers(path, upload_id, 0))

    def _upload_patch(self, path: str, parts: dict[str, str]) -> None:
        upload = self._session(parts["id"])
        if upload is None:
            return
        body = _Body(self._body(), upload, self._length())
        upload.location = self.server.shim.registry.send_upload(
            path, upload.location, body, content_range=self.headers.get("Content-Range", "")
        )
        self._answer(202, self._session_headers(path, parts["id"], upload.received))

    def _upload_put(self, path: str, parts: dict[str, str]) -> None:
        shim = self.server.shim
        upload = self._session(parts["id"])
        digest = self.query.get("digest", "")
        if upload is None:
            return
        if not _DIGEST.match(digest):
            self._error(400, "DIGEST_INVALID", "the upload's digest is missing or not sha256")
            return
        length = self._length()
        body = _Body(self._body(), upload, length) if length != 0 else None
        try:
            shim.registry.send_upload(path, upload.location, body, digest=digest)
        finally:
            with shim.lock:
                shim.uploads.pop(parts["id"], None)
        actual = "sha256:" + upload.hasher.hexdigest()
        if actual != digest:
            self._error(400, "DIGEST_INVALID", f"the uploaded bytes have digest {actual}")
            return
        self._answer(
            201, {"Location": f"/v2/{path}/blobs/{digest}", "Docker-Content-Digest": digest}
        )

    def _upload_get(self, path: str, parts: dict[str, str]) -> None:
        upload = self._session(parts["id"])
        if upload is not None:
            self._answer(204, self._session_headers(path, parts["id"], upload.received))

    def _upload_delete(self, path: str, parts: dict[str, str]) -> None:
        shim = self.server.shim
        with shim.lock:
            upload = shim.uploads.pop(parts["id"], None)
        if upload is not None:
            shim.registry.cancel_upload(upload.path, upload.location)
        self._answer(204)

    def _session(self, upload_id: str) -> _Upload | None:
        with self.server.shim.lock:
            upload = self.server.shim.uploads.get(upload_id)
        if upload is None:
            self._error(404, "BLOB_UPLOAD_UNKNOWN", f"no upload session {upload_id!r}")
        return upload

    @staticmethod
    def _session_headers(path: str, upload_id: str, received: int) -> dict[str, str]:
        return {
            "Location": f"/v2/{path}/blobs/uploads/{upload_id}",
            "Range": f"0-{max(received - 1, 0)}",
            "Docker-Upload-UUID": upload_id,
        }

    # -- tags ---------------------------------------------------------------------------

    def _tags_get(self, path: str, parts: dict[str, str]) -> None:
        tags = self.server.shim.registry.tags(path)
        body = json.dumps({"name": path, "tags": tags}).encode()
        self._answer(200, {"Content-Type": "application/json"}, body)

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
        if self.command in _WRITES:
            self.close_connection = True  # its body may be unread
        self._answer(status, {"Content-Type": "application/json"}, body)

    def _failed(self, exc: GhpkgError) -> None:
        shim = self.server.shim
        status = getattr(exc, "status", None) or 502
        if status != 404:  # a missing tag or blob is an answer, not a failure
            with shim.lock:
                shim.activity.failures.append(exc)
            shim.log(f"{self.command} {urlsplit(self.path).path}: {exc}")
        codes = getattr(exc, "codes", ()) or ()
        if status in (401, 403):
            status, code = 403, "DENIED"
        elif getattr(exc, "temporary", False) or status >= 500:
            status, code = 503, "UNAVAILABLE"
        else:
            code = codes[0] if codes else "UNKNOWN"
        self._error(status, code, str(exc))


class _Body:
    """A client's upload body on its way upstream, counted and hashed."""

    def __init__(self, chunks: Iterator[bytes], upload: _Upload, length: int | None) -> None:
        self._chunks = chunks
        self._upload = upload
        self._length = length

    def __len__(self) -> int:
        return self._length or 0  # 0: unknown, so requests sends it chunked

    def __bool__(self) -> bool:
        return True  # a body even when its length is unknown

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._upload.received += len(chunk)
            self._upload.hasher.update(chunk)
            yield chunk


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


def _checked(chunks: Iterator[bytes], digest: str) -> Iterator[bytes]:
    """The blob's pieces, the last held back until the whole matches its digest."""
    hasher = hashlib.sha256()
    previous: bytes | None = None
    for chunk in chunks:
        hasher.update(chunk)
        if previous is not None:
            yield previous
        previous = chunk
    if "sha256:" + hasher.hexdigest() != digest:
        raise RegistryError(
            f"blob {digest} does not match its digest",
            "the registry sent other bytes",
            "the download was cut short",
        )
    if previous is not None:
        yield previous


__all__ = ["Activity", "Scope", "Shim"]
