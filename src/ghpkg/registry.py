"""HTTP client for the registry API: Basic auth (Bearer when asked), private CA, retries, blobs.

The GHES Docker registry resolves manifests only by tag, wants HTTP Basic on every request
and may not return a usable Docker-Content-Digest header: this client relies on none of that.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import requests.auth
import urllib3.exceptions

from ghpkg.auth import refusal_fix, token_kind
from ghpkg.errors import AuthError, RegistryError, UsageError
from ghpkg.manifest import ACCEPT, MANIFEST_MAX, load_object, sha256_digest
from ghpkg.registry_errors import (
    TEMPORARY_STATUS,
    backoff_delay,
    error_codes_and_message,
    parse_challenge,
    parse_retry_after,
    transport_error,
)
from ghpkg.registry_probe import downgrade, new_session, probe_isolation
from ghpkg.secret import Secret

CHUNK_SIZE = 1 << 20
_ERROR_BODY = 64 * 1024
_PATCH_REFUSED = frozenset({400, 404, 405})
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    """Discard a log line."""


class _Header(requests.auth.AuthBase):
    """Sets one Authorization value; requests drops it on redirects to another host."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "_Header('***')"


class RegistryClient:
    """HTTP client for one registry host: Basic auth, private CA, retries, tags, blobs."""

    def __init__(
        self,
        host: str,
        username: str,
        token: Secret,
        *,
        ca_file: Path | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        log: Log = _quiet,
        digests: bool = False,
    ) -> None:
        self.host = host
        self.digests = digests  # whether manifests resolve by digest (the Container registry)
        self._username = username
        self._token = token
        self._timeout = timeout
        self._retries = max(0, retries)
        self._log = log
        self._session = new_session(ca_file)
        self._bearer: dict[str, str] = {}
        self._patch_refused = False
        self._intent = "pull"
        self.backoff_base = 1.0
        self.sleep: Callable[[float], None] = time.sleep

    # -- public API ---------------------------------------------------------------------

    def ping(self, action: str = "pull") -> None:
        """GET /v2/ with credentials; raises when the registry refuses or cannot be reached.

        `action` is also what a refusal later names (a HEAD during a push is part of a push).
        """
        self._intent = action
        self._call("GET", "/v2/", path="", action=action, what=f"registry {self.host}").close()

    def get_manifest(self, path: str, tag: str) -> tuple[bytes, str]:
        """The raw manifest and its Content-Type, by tag (by digest where `digests` is set)."""
        if not self.digests:
            _refuse_digest(tag)
        where = f"{self.host}/{path}{'@' if tag.startswith('sha256:') else ':'}{tag}"
        response = self._call(
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
            raw = _bounded(response, MANIFEST_MAX, f"the manifest of {where}")
        return raw, response.headers.get("Content-Type", "").split(";")[0].strip()

    def blob_size(self, path: str, digest: str) -> int | None:
        """HEAD a blob: its size (-1 if not given), or None when the registry lacks it."""
        response = self._call(
            "HEAD",
            f"/v2/{path}/blobs/{digest}",
            path=path,
            action="pull",
            what=f"blob {digest} in {path}",
            ok=(200, 404),
            allow_redirects=True,
        )
        response.close()
        if response.status_code == 404:
            return None
        length = response.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else -1

    def open_blob(self, path: str, digest: str, size: int | None = None) -> Iterator[bytes]:
        """Stream a blob in ~1 MiB chunks, checking its sha256 and size; resumes after breaks."""
        what = f"blob {_short(digest)} of {path}"
        response = self._open_blob(path, digest, what, offset=0)
        return self._stream_blob(response, path, digest, size, what)

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool:
        """Mount a blob from another repository; False when the registry will not."""
        query = urlencode({"mount": digest, "from": from_path})
        response = self._call(
            "POST",
            f"/v2/{path}/blobs/uploads/?{query}",
            path=path,
            action="push",
            what=f"mount of {_short(digest)} into {path}",
            ok=range(200, 500),
        )
        response.close()
        if response.status_code == 201:
            return True
        if response.status_code == 202 and response.headers.get("Location"):
            self._cancel_upload(path, response.headers["Location"])
        self._log(
            f"{self.host} did not mount {_short(digest)} from {from_path} "
            f"(HTTP {response.status_code}); uploading it"
        )
        return False

    def upload_blob(
        self, path: str, chunks: Iterable[bytes] | bytes, digest: str, size: int | None = None
    ) -> None:
        """Upload a blob: POST, one streamed PATCH, PUT ?digest=; then confirm it with HEAD.

        Bytes are sent again from a new upload after a temporary failure; an iterator cannot be.
        """
        if isinstance(chunks, (bytes, bytearray, memoryview)):
            data = bytes(chunks)
            self._upload_again(path, lambda: data, digest, len(data) if size is None else size)
        else:
            iterator = iter(chunks)
            self._upload(path, lambda: iterator, digest, size, False)

    def upload_stream(
        self, path: str, opener: Callable[[], Iterable[bytes]], digest: str, size: int
    ) -> None:
        """Upload a blob from the stream `opener` opens; opened again after a temporary failure."""
        self._upload_again(path, opener, digest, size)

    def upload_file(self, path: str, file: Path, digest: str, size: int) -> None:
        """Upload a blob from a file; retried as a whole on temporary errors."""
        self._upload_again(path, lambda: _FileBody(file), digest, size)

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str:
        """PUT a manifest by tag (or digest, where `digests`); returns the sha256 of the bytes."""
        if not self.digests:
            _refuse_digest(tag)
        self._call(
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

    # -- relaying (the loopback shim forwards a client's requests through these) -------

    def tags(self, path: str, limit: int = 1000) -> list[str]:
        """The repository's tags (at most `limit`); empty where the registry will not list them."""
        response = self._call(
            "GET",
            f"/v2/{path}/tags/list?n={limit}",
            path=path,
            action="pull",
            what=f"tags of {path}",
            ok=range(200, 500),
        )
        with response:
            if response.status_code != 200:
                return []
            try:
                found = response.json().get("tags") or []
            except (ValueError, AttributeError, RecursionError):
                return []
        return [str(tag) for tag in found if isinstance(tag, str)][:limit]

    def blob_response(self, path: str, digest: str, byte_range: str = "") -> requests.Response:
        """An open streamed GET of a blob (a part where `byte_range` asks), redirects followed."""
        headers = {"Accept-Encoding": "identity"}
        if byte_range:
            headers["Range"] = byte_range
        return self._call(
            "GET",
            f"/v2/{path}/blobs/{digest}",
            path=path,
            action="pull",
            what=f"blob {_short(digest)} of {path}",
            ok=(200, 206, 404, 416),
            stream=True,
            headers=headers,
        )

    def open_upload(self, path: str, mount: str = "", from_path: str = "") -> str | None:
        """Start an upload session and return its Location; None when a mount did it all."""
        query = f"?{urlencode({'mount': mount, 'from': from_path})}" if mount else ""
        response = self._call(
            "POST",
            f"/v2/{path}/blobs/uploads/{query}",
            path=path,
            action="push",
            what=f"upload to {path}",
            ok=(201, 202),
        )
        response.close()
        if response.status_code == 201:
            return None
        location = response.headers.get("Location")
        if not location:
            raise RegistryError(f"upload to {path} failed", "the registry gave no Location", "")
        return location

    def send_upload(
        self, path: str, location: str, data: Any, digest: str = "", content_range: str = ""
    ) -> str:
        """PATCH bytes into an upload session, or PUT the last ones with `digest`; no retry.

        Returns the session's next Location. A stream cannot be sent twice: its sender retries.
        """
        headers = {"Content-Type": "application/octet-stream"}
        if content_range:
            headers["Content-Range"] = content_range
        response = self._call(
            "PUT" if digest else "PATCH",
            _with_query(location, digest=digest) if digest else location,
            path=path,
            action="push",
            what=f"upload {'of ' + _short(digest) + ' ' if digest else ''}to {path}",
            ok=(201, 202, 204),
            data=data,
            retry=data is None,
            headers=headers,
        )
        response.close()
        return response.headers.get("Location") or location

    def cancel_upload(self, path: str, location: str) -> None:
        """Drop an upload session (best effort)."""
        self._cancel_upload(path, location)

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- blobs --------------------------------------------------------------------------

    def _open_blob(self, path: str, digest: str, what: str, offset: int) -> requests.Response:
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        return self._call(
            "GET",
            f"/v2/{path}/blobs/{digest}",
            path=path,
            action="pull",
            what=what,
            ok=(200, 206),
            stream=True,
            headers=headers,
            not_found=(
                f"{what} is missing from {self.host}",
                "the image in the registry is incomplete; publish it again",
            ),
        )

    def _stream_blob(
        self, response: requests.Response, path: str, digest: str, size: int | None, what: str
    ) -> Iterator[bytes]:
        hasher = hashlib.sha256()
        received = 0
        breaks = 0
        while True:
            try:
                with response:
                    for chunk in response.raw.stream(CHUNK_SIZE, decode_content=False):
                        received += len(chunk)
                        if size is not None and received > size:
                            raise _mismatch(what, f"more than the {size} bytes the manifest names")
                        hasher.update(chunk)
                        yield chunk
                break
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                error = transport_error(self.host, response.url, exc)
                if breaks >= self._retries:
                    raise _gave_up(error, breaks + 1) from None
                self._pause(breaks, None, f"{what} (at byte {received})", error)
                breaks += 1
                response = self._open_blob(path, digest, what, offset=received)
                if received and response.status_code != 206:
                    response.close()
                    raise error from None
        if size is not None and received != size:
            raise _mismatch(what, f"{received} bytes received, the manifest names {size}")
        actual = "sha256:" + hasher.hexdigest()
        if actual != digest:
            raise _mismatch(what, f"its content has digest {actual}")

    def _upload_again(self, path: str, body: Callable[[], Any], digest: str, size: int) -> None:
        """Upload; after a temporary failure, start a new upload session from the first byte."""
        for attempt in range(self._retries + 1):
            try:
                self._upload(path, body, digest, size, True, retry=False)
                return
            except RegistryError as exc:
                if not exc.temporary or attempt >= self._retries:
                    raise _gave_up(exc, attempt + 1) from None
                what = f"upload of {_short(digest)} to {path}"  # restarts from its first byte
                self._pause(attempt, exc.retry_after, what, exc)

    def _upload(
        self,
        path: str,
        body: Callable[[], Any],
        digest: str,
        size: int | None,
        reiterable: bool,
        *,
        retry: bool = True,
    ) -> None:
        what = f"upload of {_short(digest)} to {path}"
        location = self._start_upload(path, what, retry)
        if not self._patch_refused:
            with self._dropped_on_failure(path, location):
                response = self._call(
                    "PATCH",
                    location,
                    path=path,
                    action="push",
                    what=what,
                    ok=range(200, 500),
                    data=body(),
                    retry=False,
                    headers={"Content-Type": "application/octet-stream"},
                )
            response.close()
            if response.status_code in (202, 204):
                location = response.headers.get("Location") or location
                with self._dropped_on_failure(path, location):
                    self._finish_upload(path, location, digest, None, what)
                self._confirm(path, digest, size, what)
                return
            if response.status_code not in _PATCH_REFUSED:
                raise self._status_error(response, what, "push")
            self._cancel_upload(path, location)
            if not reiterable:
                raise RegistryError(
                    f"{what} failed",
                    f"{self.host} refused a streamed PATCH upload (HTTP {response.status_code})",
                    "upload from a file (upload_file) so the blob can be sent in one PUT",
                )
            self._patch_refused = True
            self._log(
                f"{self.host} refused a streamed upload (HTTP {response.status_code}); "
                "sending blobs in one PUT"
            )
            location = self._start_upload(path, what, retry)
        with self._dropped_on_failure(path, location):
            self._finish_upload(path, location, digest, body(), what, retry=retry and reiterable)
        self._confirm(path, digest, size, what)

    @contextlib.contextmanager
    def _dropped_on_failure(self, path: str, location: str) -> Iterator[None]:
        """Cancel an upload session whose bytes did not all arrive: it is never resumed."""
        try:
            yield
        except RegistryError:
            self._cancel_upload(path, location)
            raise

    def _start_upload(self, path: str, what: str, retry: bool = True) -> str:
        response = self._call(
            "POST",
            f"/v2/{path}/blobs/uploads/",
            path=path,
            action="push",
            what=what,
            ok=(202,),
            retry=retry,  # False inside _upload_again, which retries the whole upload
        )
        response.close()
        location = response.headers.get("Location")
        if not location:
            raise RegistryError(f"{what} failed", "the registry gave no upload Location", "")
        return location

    def _finish_upload(
        self, path: str, location: str, digest: str, data: Any, what: str, *, retry: bool = False
    ) -> None:
        self._call(
            "PUT",
            _with_query(location, digest=digest),
            path=path,
            action="push",
            what=what,
            ok=(201, 204),
            data=data,
            retry=retry,
            headers={"Content-Type": "application/octet-stream"},
        ).close()

    def _confirm(self, path: str, digest: str, size: int | None, what: str) -> None:
        stored = self.blob_size(path, digest)
        if stored is None or (size is not None and stored not in (size, -1)):
            raise RegistryError(
                f"{what} did not stick",
                f"the registry reports {'no blob' if stored is None else f'{stored} bytes'}"
                + (f", expected {size}" if size is not None else ""),
                "run again; if it persists, report it to the site administrator",
                temporary=True,
            )

    def _cancel_upload(self, path: str, location: str) -> None:
        with contextlib.suppress(RegistryError):
            self._call(
                "DELETE",
                location,
                path=path,
                action="push",
                what="cancel upload",
                ok=range(200, 600),
                retry=False,
            ).close()

    # -- HTTP core ----------------------------------------------------------------------

    def _call(
        self,
        method: str,
        target: str,
        *,
        path: str,
        action: str,
        what: str,
        ok: Iterable[int] = (200,),
        retry: bool = True,
        not_found: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, retrying temporary failures; map refusals to errors."""
        url = urljoin(f"https://{self.host}/", target)
        if urlsplit(url).scheme != "https":
            raise downgrade(f"https://{self.host}/", url)
        accepted = set(ok)
        attempt = 0
        while True:
            try:
                response = self._send(method, url, path, action, dict(headers or {}), kwargs)
            except RegistryError as exc:
                if not (retry and exc.temporary) or attempt >= self._retries:
                    raise _gave_up(exc, attempt + 1) from None
                self._pause(attempt, None, what, exc)
                attempt += 1
                continue
            if response.status_code in accepted:
                return response
            error = self._status_error(response, what, action)
            response.close()
            if response.status_code == 404 and _web_page(response, error):
                raise RegistryError(
                    f"{self.host} answered with a web page, not the registry API ({what})",
                    error.cause,
                    "check --subdomain-isolation and that the site administrator enabled "
                    "GitHub Packages' Docker registry",
                    status=404,
                )
            if response.status_code == 404 and not_found:
                raise RegistryError(
                    not_found[0], error.cause, not_found[1], status=404, codes=error.codes
                )
            if not (retry and error.temporary) or attempt >= self._retries:
                raise _gave_up(error, attempt + 1) if retry else error
            self._pause(attempt, error.retry_after, what, error)
            attempt += 1

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        action: str,
        headers: dict[str, str],
        kwargs: dict[str, Any],
    ) -> requests.Response:
        """One request with credentials; does the Bearer token exchange once if challenged."""
        kwargs.setdefault("timeout", self._timeout)
        kwargs.setdefault("allow_redirects", method == "GET")
        auth = self._auth_for(url, path)
        try:
            response = self._session.request(method, url, headers=headers, auth=auth, **kwargs)
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code == 401 and not self._trusted(response.url):
                response.close()
                raise self._foreign(response.url, "answered HTTP 401 after a redirect")
            if response.status_code == 401 and challenge.lower().startswith("bearer"):
                data = kwargs.get("data")
                if data is None or isinstance(data, (bytes, _FileBody)):
                    response.close()
                    self._bearer[path] = self._exchange(challenge, action)
                    auth = self._auth_for(url, path)
                    response = self._session.request(
                        method, url, headers=headers, auth=auth, **kwargs
                    )
        except requests.RequestException as exc:
            raise transport_error(self.host, url, exc) from None
        return response

    def _auth_for(self, url: str, path: str) -> requests.auth.AuthBase | None:
        if not _same_host(url, self.host):
            return None
        if path in self._bearer:
            return _Header(f"Bearer {self._bearer[path]}")
        basic = f"{self._username}:{self._token.reveal()}".encode()
        return _Header("Basic " + base64.b64encode(basic).decode())

    def _trusted(self, url: str) -> bool:
        """Whether url is on the instance (its host or a subdomain, same port)."""
        parts = urlsplit(url)
        mine = urlsplit(f"https://{self.host}")
        instance = _instance(mine.hostname or "")
        name = parts.hostname or ""
        return (
            parts.scheme == "https"
            and (parts.port or 443) == (mine.port or 443)
            and (name == instance or name.endswith("." + instance))
        )

    def _foreign(self, url: str, cause: str) -> RegistryError:
        """The error for a host outside the instance that wants credentials: none are sent."""
        parts = urlsplit(url)
        where = f"{parts.scheme}://{parts.netloc}"
        instance = _instance(urlsplit(f"https://{self.host}").hostname or "")
        return RegistryError(
            f"{self.host} wants credentials sent to {where}, which is not part of {instance}",
            f"{where} {cause}",
            f"ghpkg sends the token only to {instance} and its subdomains; check --hostname, "
            "and ask the site administrator to check the registry's token service and storage",
        )

    def _exchange(self, challenge: str, action: str) -> str:
        """Trade Basic credentials for a Bearer token at the challenge's realm."""
        _scheme, params = parse_challenge(challenge)
        realm = params.get("realm", "")
        if not realm.startswith("https://"):
            raise RegistryError(
                f"{self.host} asked for a token from {realm!r}",
                "",
                "only https token services are used",
            )
        if not self._trusted(realm):
            raise self._foreign(realm, "is the token service its Bearer challenge names")
        query = {key: params[key] for key in ("service", "scope") if key in params}
        basic = f"{self._username}:{self._token.reveal()}".encode()
        response = self._session.get(
            realm,
            params=query,
            timeout=self._timeout,
            auth=_Header("Basic " + base64.b64encode(basic).decode()),
        )
        with response:
            if response.status_code != 200:
                raise self._status_error(response, f"token service of {self.host}", action)
            raw = _bounded(response, 1 << 20, f"the answer of the token service of {self.host}")
        body = load_object(raw, f"the answer of the token service of {self.host}")
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError(f"token service of {self.host} gave no token", "", "")
        return str(token)

    def _status_error(self, response: requests.Response, what: str, action: str) -> RegistryError:
        status = response.status_code
        try:
            body = _head(response, _ERROR_BODY) if response.request.method != "HEAD" else b""
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
            body = b""
        codes, message = error_codes_and_message(body, response.headers.get("Content-Type", ""))
        cause = f"HTTP {status}" + (f" {message}" if message else "")
        if status in (401, 403):
            kind = token_kind(self._token)
            action = "push" if self._intent == "push" else action
            return AuthError(
                f"{self.host} refused the {kind.value} for {action} ({what})",
                cause,
                refusal_fix(self._token, action),
                status=status,
                codes=codes,
            )
        temporary = status in TEMPORARY_STATUS
        fix = "the registry is busy or failing; try again later" if temporary else ""
        if "MANIFEST_INVALID" in codes or "MANIFEST_BLOB_UNKNOWN" in codes:
            fix = "push a single-platform Docker v2 schema-2 image (ghpkg push does)"
        return RegistryError(
            f"{what} failed",
            cause,
            fix,
            status=status,
            codes=codes,
            temporary=temporary,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _pause(self, attempt: int, retry_after: float | None, what: str, exc: Exception) -> None:
        delay = backoff_delay(attempt, retry_after, base=self.backoff_base)
        text = str(exc) if str(exc).startswith(what) else f"{what}: {exc}"
        self._log(f"{text}; retry {attempt + 1}/{self._retries} in {delay:.1f}s")
        self.sleep(delay)


class _FileBody:
    """A file read in 1 MiB pieces with a known length, so requests sends Content-Length."""

    def __init__(self, file: Path) -> None:
        self._file = file
        self._size = file.stat().st_size

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        with self._file.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk


def _gave_up(error: RegistryError, attempts: int) -> RegistryError:
    """The last attempt's error, saying how many attempts there were when it was retried."""
    if error.temporary and attempts > 1:
        error.cause = f"{error.cause} (gave up after {attempts} attempts)".strip()
    return error


def _mismatch(what: str, cause: str) -> RegistryError:
    return RegistryError(
        f"{what} does not match its manifest",
        cause,
        "the download was discarded; run again, and if it persists publish the image again",
    )


def _refuse_digest(tag: str) -> None:
    if tag.startswith("sha256:") or "@" in tag:
        raise UsageError(
            f"version {tag!r} is a digest",
            "the GHES Docker registry resolves images only by tag, not by digest",
            "pass a tag such as 1.0 or latest",
        )


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _web_page(response: requests.Response, error: RegistryError) -> bool:
    """A 404 from a web server (HTML, no registry error codes), not from the registry API."""
    return not error.codes and "html" in response.headers.get("Content-Type", "")


def _same_host(url: str, host: str) -> bool:
    parts = urlsplit(url)
    mine = urlsplit(f"https://{host}")
    return parts.scheme == "https" and (parts.hostname, parts.port or 443) == (
        mine.hostname,
        mine.port or 443,
    )


def _bounded(response: requests.Response, limit: int, what: str) -> bytes:
    """The (decompressed) body, refused once it passes `limit` bytes: no gzip bomb inflates."""
    try:
        body = _head(response, limit + 1)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise transport_error(urlsplit(response.url).netloc, response.url, exc) from None
    if len(body) > limit:
        raise RegistryError(
            f"{what} is larger than {limit} bytes",
            "the registry sent more than any image needs",
            "check the image; if it persists, report it to the site administrator",
        )
    return body


def _head(response: requests.Response, limit: int) -> bytes:
    """At most the first `limit` bytes of the decompressed body."""
    data = bytearray()
    for chunk in response.iter_content(16 * 1024):
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


def _instance(registry: str) -> str:
    """The instance's host name behind a registry host (docker.H and containers.H -> H)."""
    for prefix in ("docker.", "containers."):
        if registry.startswith(prefix):
            return registry[len(prefix) :]
    return registry


def _short(digest: str) -> str:
    return digest.split(":", 1)[-1][:12]


__all__ = ["CHUNK_SIZE", "RegistryClient", "probe_isolation"]
