"""Reading blobs: whether one is there, and a stream checked against its digest and size that
picks up where it broke off."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import requests
import urllib3.exceptions

from ghpkg.registry.answers import gave_up, mismatch, transport_error
from ghpkg.registry.http import CHUNK_SIZE, Http


def blob_size(http: Http, path: str, digest: str) -> int | None:
    """HEAD a blob: its size (-1 if not given), or None when the registry lacks it."""
    response = http.call(
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


def open_blob(http: Http, path: str, digest: str, what: str, offset: int) -> requests.Response:
    """A streamed GET of a blob from `offset` on (a Range request), redirects followed."""
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return http.call(
        "GET",
        f"/v2/{path}/blobs/{digest}",
        path=path,
        action="pull",
        what=what,
        ok=(200, 206),
        stream=True,
        headers=headers,
        not_found=(
            f"{what} is missing from {http.host}",
            "the image in the registry is incomplete; publish it again",
        ),
    )


def stream_blob(
    http: Http, response: requests.Response, path: str, digest: str, size: int | None, what: str
) -> Iterator[bytes]:
    """The blob's bytes; after a break, a Range request goes on from the last byte received."""
    hasher = hashlib.sha256()
    received = 0
    breaks = 0
    while True:
        try:
            with response:
                for chunk in response.raw.stream(CHUNK_SIZE, decode_content=False):
                    received += len(chunk)
                    if size is not None and received > size:
                        raise mismatch(what, f"more than the {size} bytes the manifest names")
                    hasher.update(chunk)
                    yield chunk
            break
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            error = transport_error(http.host, response.url, exc)
            if breaks >= http.retries:
                raise gave_up(error, breaks + 1) from None
            http.pause(breaks, None, f"{what} (at byte {received})", error)
            breaks += 1
            response = open_blob(http, path, digest, what, offset=received)
            if received and response.status_code != 206:
                response.close()
                raise error from None
    if size is not None and received != size:
        raise mismatch(what, f"{received} bytes received, the manifest names {size}")
    actual = "sha256:" + hasher.hexdigest()
    if actual != digest:
        raise mismatch(what, f"its content has digest {actual}")
