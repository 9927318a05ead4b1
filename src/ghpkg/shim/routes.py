"""The shim's answers: manifests (by tag, by digest, converted on push), blobs, uploads, tags."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

from ghpkg.manifest import SCHEMA2
from ghpkg.registry import CHUNK_SIZE
from ghpkg.registry.blob_writer import BlobWriter
from ghpkg.shim.convert import for_docker_registry
from ghpkg.shim.exchange import Exchange
from ghpkg.shim.manifests import Served
from ghpkg.shim.scope import DIGEST, Received, Upload

MAX_UPLOADS = 32  # open upload sessions at once (the engine runs 5 per push)


class Handler(Exchange):
    """Registry API v2 on the client's side, the instance's registry on the other."""

    # -- manifests ----------------------------------------------------------------------

    def _manifest_get(self, path: str, parts: dict[str, str]) -> None:
        manifests = self.server.shim.manifests
        ref = parts["ref"]
        if ref.startswith("sha256:"):
            found = manifests.by_digest(path, ref) if DIGEST.match(ref) else None
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
                    shim.activity.received[(path, ref)] = Received(sent.digest, _config(sent.raw))
        elif ref.startswith("sha256:"):  # a child of an index, pushed before it: held here
            shim.manifests.remember(path, sent)
        else:
            stored = for_docker_registry(sent.raw, sent.media_type, self._held(path))
            shim.registry.put_manifest(path, ref, stored.raw, SCHEMA2)
            shim.manifests.remember(path, Served(stored.raw, SCHEMA2))
            shim.manifests.remember(path, sent)
            with shim.lock:
                shim.activity.pushed[(path, ref)] = stored.digest
                shim.activity.received[(path, ref)] = Received(sent.digest, _config(stored.raw))
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
        size = BlobWriter(self.server.shim.registry, path).size(parts["digest"])
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
            self._relay(response.raw.stream(CHUNK_SIZE, decode_content=False), path, digest)

    def _relay(self, chunks: Iterator[bytes], path: str, digest: str) -> None:
        """The blob's bytes as they come, not hashed here: every client of the registry API (the
        engine, containerd, skopeo, crane) checks a blob against its digest before it keeps it,
        and a download cut short ends the connection, so the client sees a short body."""
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except Exception as exc:
            self.close_connection = True
            self.server.shim.log(f"blob {digest} of {path}: download broke ({exc})")

    # -- uploads ------------------------------------------------------------------------

    def _upload_post(self, path: str, parts: dict[str, str]) -> None:
        shim = self.server.shim
        mount, source = self.query.get("mount", ""), self.query.get("from", "")
        lent = mount and DIGEST.match(mount) and shim.scope.may_mount_from(source, path)
        if lent and BlobWriter(shim.registry, path).mount(mount, None, [source]):
            headers = {"Location": f"/v2/{path}/blobs/{mount}", "Docker-Content-Digest": mount}
            self._answer(201, headers)
            return
        with shim.lock:
            crowded = len(shim.uploads) >= MAX_UPLOADS
        if crowded:
            self._error(429, "TOOMANYREQUESTS", f"{MAX_UPLOADS} uploads are open already")
            return
        location = shim.registry.open_upload(path)
        upload_id = str(uuid.uuid4())
        with shim.lock:
            shim.uploads[upload_id] = Upload(path, location)
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
        if not DIGEST.match(digest):
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
        BlobWriter(shim.registry, path).confirm(digest, upload.received)
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

    def _session(self, upload_id: str) -> Upload | None:
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


class _Body:
    """A client's upload body on its way upstream, counted and hashed."""

    def __init__(self, chunks: Iterator[bytes], upload: Upload, length: int | None) -> None:
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


def _config(raw: bytes) -> str:
    """The config digest a manifest names ("" for an index, or what is no manifest)."""
    try:
        config = json.loads(raw).get("config") or {}
    except (ValueError, AttributeError, RecursionError):
        return ""
    return str(config.get("digest", "")) if isinstance(config, dict) else ""
