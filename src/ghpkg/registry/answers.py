"""Reading what the registry answered: bounded bodies, refusals as errors, failed downloads."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from ghpkg.errors import AuthError, RegistryError
from ghpkg.registry.errors import error_codes_and_message, transport_error
from ghpkg.retry import TEMPORARY_STATUS, parse_retry_after
from ghpkg.secret import Secret
from ghpkg.settings import Registry
from ghpkg.tokens import refusal_fix, token_kind

ERROR_BODY = 64 * 1024


def status_error(
    response: requests.Response, host: str, what: str, action: str, token: Secret
) -> RegistryError:
    """The error for an unwanted status: a refused token (401/403) says which and how to fix."""
    status = response.status_code
    try:
        body = head(response, ERROR_BODY) if response.request.method != "HEAD" else b""
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        body = b""
    codes, message = error_codes_and_message(body, response.headers.get("Content-Type", ""))
    cause = f"HTTP {status}" + (f" {message}" if message else "")
    if status in (401, 403):
        registry = Registry.CONTAINER if host.startswith("containers.") else Registry.DOCKER
        return AuthError(
            f"{host} refused the {token_kind(token).value} for {action} ({what})",
            cause,
            refusal_fix(token, action, registry),
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


def web_page(response: requests.Response, error: RegistryError) -> bool:
    """A 404 from a web server (HTML, no registry error codes), not from the registry API."""
    return not error.codes and "html" in response.headers.get("Content-Type", "")


def gave_up(error: RegistryError, attempts: int) -> RegistryError:
    """The last attempt's error, saying how many attempts there were when it was retried."""
    if error.temporary and attempts > 1:
        error.cause = f"{error.cause} (gave up after {attempts} attempts)".strip()
    return error


def mismatch(what: str, cause: str) -> RegistryError:
    """A download that is not what its manifest names."""
    return RegistryError(
        f"{what} does not match its manifest",
        cause,
        "the download was discarded; run again, and if it persists publish the image again",
    )


def bounded(response: requests.Response, limit: int, what: str) -> bytes:
    """The (decompressed) body, refused once it passes `limit` bytes: no gzip bomb inflates."""
    try:
        body = head(response, limit + 1)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise transport_error(urlsplit(response.url).netloc, response.url, exc) from None
    if len(body) > limit:
        raise RegistryError(
            f"{what} is larger than {limit} bytes",
            "the registry sent more than any image needs",
            "check the image; if it persists, report it to the site administrator",
        )
    return body


def head(response: requests.Response, limit: int) -> bytes:
    """At most the first `limit` bytes of the decompressed body."""
    data = bytearray()
    for chunk in response.iter_content(16 * 1024):
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


def short(digest: str) -> str:
    """A digest's first 12 hex digits (or an archive member's first name), for log lines."""
    return digest.split(":", 1)[-1].split("/", 1)[0][:12]
