"""The registry API that ghpkg uses: manifests by tag, blobs, uploads, and what the loopback
shim relays. The GHES Docker registry resolves manifests only by tag, wants HTTP Basic on every
request and may not return a usable Docker-Content-Digest header: this client relies on none
of that."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from ghpkg.errors import RegistryError, UsageError
from ghpkg.manifest import ACCEPT, MANIFEST_MAX, sha256_digest
from ghpkg.progress import Lines
from ghpkg.registry import blobs
from ghpkg.registry.answers import bounded, short
from ghpkg.registry.credentials import Challenge, Credentials, challenge
from ghpkg.registry.http import Http, with_query
from ghpkg.registry.session import new_session
from ghpkg.registry.writes import Uploads
from ghpkg.secret import Secret
from ghpkg.settings import Remote

TAGS_MAX = 4 << 20  # a tag list's answer: 1,000 tags of 128 characters are 130 KB


def _quiet(_: str) -> None:
    """Discard a log line."""


class RegistryClient:
    """The registry API of one host: Basic auth (Bearer when asked), private CA, retries."""

    def __init__(
        self,
        host: str,
        username: str,
        token: Secret,
        *,
        ca_file: Path | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        log: Lines = _quiet,
        digests: bool = False,
        instance: str = "",
        session: requests.Session | None = None,
    ) -> None:
        self.host = host
        self.digests = digests  # whether manifests resolve by digest (the Container registry)
        credentials = Credentials(host, username, token, instance)
        session = session or new_session(ca_file)
        self.http = Http(credentials, session, timeout=timeout, retries=retries, log=log)
        self._uploads = Uploads(self.http)

    @classmethod
    def of(
        cls,
        remote: Remote,
        host: str,
        *,
        log: Lines = _quiet,
        digests: bool = False,
        retries: int | None = None,
        session: requests.Session | None = None,
    ) -> RegistryClient:
        """A client of the registry at `host` on the instance, with its credentials and CA;
        `session`: one already open to it (the layout probe's), whose TLS connection it reuses."""
        return cls(
            host,
            remote.username,
            remote.token,
            ca_file=remote.ca_file,
            timeout=remote.timeout,
            retries=remote.retries if retries is None else retries,
            log=log,
            digests=digests,
            instance=remote.hostname,
            session=session,
        )

    def ping(self, action: str = "pull") -> None:
        """GET /v2/ with credentials; raises when the registry refuses or cannot be reached.

        `action` is also what a refusal later names (a HEAD during a push is part of a push).
        """
        self.http.intent = action
        self.http.call("GET", "/v2/", path="", action=action, what=f"registry {self.host}").close()

    def challenge(self) -> Challenge:
        """What the registry asks a client without credentials for (an engine's push first)."""
        return challenge(self.http.session, self.host, self.http.timeout)

    def get_manifest(self, path: str, tag: str) -> tuple[bytes, str]:
        """The raw manifest and its Content-Type, by tag (by digest where `digests` is set)."""
        if not self.digests:
            _refuse_digest(tag)
        where = f"{self.host}/{path}{'@' if tag.startswith('sha256:') else ':'}{tag}"
        response = self.http.call(
            "GET",
            f"/v2/{path}/manifests/{tag}",
            path=path,
            action="pull",
            what=f"manifest of {where}",
            headers={"Accept": ACCEPT},
            stream=True,
            not_found=(
                f"{where} was not found",
                "check the image name and version (tags are case-sensitive) and that the "
                "token may read this repository's packages",
            ),
        )
        with response:
            raw = bounded(response, MANIFEST_MAX, f"the manifest of {where}")
        return raw, response.headers.get("Content-Type", "").split(";")[0].strip()

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str:
        """PUT a manifest by tag (or digest, where `digests`); returns the sha256 of the bytes."""
        if not self.digests:
            _refuse_digest(tag)
        self.http.call(
            "PUT",
            f"/v2/{path}/manifests/{tag}",
            path=path,
            action="push",
            what=f"manifest of {self.host}/{path}:{tag}",
            ok=(200, 201, 202),
            data=raw,
            headers={"Content-Type": media_type},
        ).close()
        return sha256_digest(raw)

    def blob_size(self, path: str, digest: str) -> int | None:
        """HEAD a blob: its size (-1 if not given), or None when the registry lacks it."""
        return blobs.blob_size(self.http, path, digest)

    def open_blob(self, path: str, digest: str, size: int | None = None) -> Iterator[bytes]:
        """Stream a blob in ~1 MiB chunks, checking its sha256 and size; resumes after breaks."""
        what = f"blob {short(digest)} of {path}"
        response = blobs.open_blob(self.http, path, digest, what, offset=0)
        return blobs.stream_blob(self.http, response, path, digest, size, what)

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool:
        """Mount a blob from another repository; False when the registry will not."""
        query = urlencode({"mount": digest, "from": from_path})
        scopes = [f"repository:{path}:pull,push", f"repository:{from_path}:pull"]
        try:  # a Bearer registry mounts only for a token that may also read the source
            self.http.credentials.widen(self.http.session, path, scopes, "push", self.http.timeout)
        except RegistryError as exc:
            self.http.log(f"{self.host} gave no token to read {from_path} ({exc}); uploading")
            return False
        response = self.http.call(
            "POST",
            f"/v2/{path}/blobs/uploads/?{query}",
            path=path,
            action="push",
            what=f"mount of {short(digest)} into {path}",
            ok=range(200, 500),
        )
        response.close()
        if response.status_code == 201:
            return True
        if response.status_code == 202 and response.headers.get("Location"):
            self._uploads.cancel(path, response.headers["Location"])
        self.http.log(
            f"{self.host} did not mount {short(digest)} from {from_path} "
            f"(HTTP {response.status_code}); uploading it"
        )
        return False

    def upload_stream(
        self, path: str, opener: Callable[[], bytes | Iterable[bytes]], digest: str, size: int
    ) -> None:
        """Upload a blob from the stream `opener` opens; opened again after a temporary failure."""
        self._uploads.again(path, opener, digest, size)

    # -- relaying (the loopback shim forwards a client's requests through these) -------

    def tags(self, path: str, limit: int = 1000) -> list[str]:
        """The repository's tags (at most `limit`); empty where the registry will not list them."""
        response = self.http.call(
            "GET",
            f"/v2/{path}/tags/list?n={limit}",
            path=path,
            action="pull",
            what=f"tags of {path}",
            ok=range(200, 500),
            stream=True,
        )
        with response:
            if response.status_code != 200:
                return []
            body = bounded(response, TAGS_MAX, f"the tag list of {self.host}/{path}")
        try:
            found = json.loads(body).get("tags") or []
        except (ValueError, AttributeError, RecursionError):
            return []
        return [str(tag) for tag in found if isinstance(tag, str)][:limit]

    def blob_response(self, path: str, digest: str, byte_range: str = "") -> requests.Response:
        """An open streamed GET of a blob (a part where `byte_range` asks), redirects followed."""
        headers = {"Accept-Encoding": "identity"}
        if byte_range:
            headers["Range"] = byte_range
        return self.http.call(
            "GET",
            f"/v2/{path}/blobs/{digest}",
            path=path,
            action="pull",
            what=f"blob {short(digest)} of {path}",
            ok=(200, 206, 404, 416),
            stream=True,
            headers=headers,
        )

    def open_upload(self, path: str) -> str:
        """Start an upload session and return its Location."""
        return self._uploads.start(path, f"upload to {path}")

    def send_upload(
        self, path: str, location: str, data: Any, digest: str = "", content_range: str = ""
    ) -> str:
        """PATCH bytes into an upload session, or PUT the last ones with `digest`; no retry.

        Returns the session's next Location. A stream cannot be sent twice: its sender retries.
        """
        headers = {"Content-Type": "application/octet-stream"}
        if content_range:
            headers["Content-Range"] = content_range
        response = self.http.call(
            "PUT" if digest else "PATCH",
            with_query(location, digest=digest) if digest else location,
            path=path,
            action="push",
            what=f"upload {'of ' + short(digest) + ' ' if digest else ''}to {path}",
            ok=(201, 202, 204),
            data=data,
            retry=data is None,
            headers=headers,
        )
        response.close()
        return response.headers.get("Location") or location

    def cancel_upload(self, path: str, location: str) -> None:
        """Drop an upload session (best effort)."""
        self._uploads.cancel(path, location)

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _refuse_digest(tag: str) -> None:
    if tag.startswith("sha256:") or "@" in tag:
        raise UsageError(
            f"version {tag!r} is a digest",
            "the GHES Docker registry resolves images only by tag, not by digest",
            "pass a tag such as 1.0 or latest",
        )
