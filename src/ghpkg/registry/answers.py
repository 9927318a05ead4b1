"""What the registry answered and what a failure means: error bodies (spec codes, a web page's
title), redaction, auth challenges, transport failures, bounded bodies, failed downloads."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3.exceptions

from ghpkg.errors import AuthError, RegistryError
from ghpkg.retry import TEMPORARY_STATUS, parse_retry_after, unresolvable
from ghpkg.secret import Secret
from ghpkg.settings import Registry
from ghpkg.tokens import refusal_fix, token_kind

_MESSAGE_LIMIT = 300
CA_FIX = "pass --ca-file with your GHES CA (PEM)"


def redact_url(url: str) -> str:
    """A URL without credentials or query string (signed storage URLs carry secrets there)."""
    try:
        parts = urlsplit(url)
        netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "<url>"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_text(text: str) -> str:
    """Text with every URL in it redacted and any Authorization value masked."""
    text = re.sub(r"https?://[^\s'\"<>)]+", lambda m: redact_url(m.group(0)), text)
    return re.sub(
        r"(?i)((?:authorization|token|password)[\"']?\s*[:=]\s*[\"']?)"
        r"(?:(?:basic|bearer)\s+)?[^\s\"',}]+",
        r"\1***",
        text,
    )


def error_codes_and_message(body: bytes, content_type: str) -> tuple[tuple[str, ...], str]:
    """The spec error codes and a one-line message from a registry error body."""
    text = body[:65536].decode("utf-8", "replace").strip()
    if not text:
        return (), ""
    if "json" in content_type or text.startswith("{"):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict):
            return _spec_errors(parsed)
    return (), _shorten(_strip_html(text))


def _spec_errors(body: Mapping[str, object]) -> tuple[tuple[str, ...], str]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        message = body.get("message") or body.get("error") or body.get("details") or ""
        return (), _shorten(str(message))
    codes: list[str] = []
    parts: list[str] = []
    for item in errors[:3]:
        if not isinstance(item, dict):
            continue
        code = str(item.get("code") or "").upper()
        message = str(item.get("message") or "").strip()
        detail = item.get("detail")
        if code:
            codes.append(code)
        text = f"{code}: {message}" if code and message else code or message
        if detail and len(str(detail)) <= 120 and str(detail) not in text:
            text += f" ({detail})"
        parts.append(text)
    return tuple(codes), _shorten("; ".join(parts))


def _strip_html(text: str) -> str:
    if "<" not in text:
        return text
    title = re.search(r"(?is)<title>(.*?)</title>", text)
    if title:
        return html.unescape(title.group(1))
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", text))


def _shorten(text: str) -> str:
    line = " ".join(redact_text(text).split())
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 1] + "…"


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="…",service="…"` -> ("bearer", {"realm": …, "service": …})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {key.lower(): value for key, value in re.findall(r'(\w+)="([^"]*)"', rest)}
    return scheme.lower(), params


def connection_cause(exc: BaseException) -> str:
    """A short, redacted reason for a connection failure ('Connection refused', 'timed out')."""
    text = str(exc)
    for pattern in (
        r"certificate verify failed: ([^'\"()]+)",
        r"\[Errno -?\d+\] ([^'\"()]+)",
        r"(Read timed out|Connect timed out|timed out)",
        r"(Name or service not known|Temporary failure in name resolution)",
        r"(Connection aborted|Connection reset by peer|Remote end closed connection[^'\"]*)",
        r"(IncompleteRead\([^)]*\)|Connection broken: [^'\"]+)",
    ):
        match = re.search(pattern, text)
        if match:
            return redact_text(match.group(1).strip().rstrip(".:"))
    return type(exc).__name__


def transport_error(host: str, url: str, exc: BaseException) -> RegistryError:
    """A RegistryError for a failed connection: temporary (retried) unless no retry can change
    it, i.e. a certificate the client refuses or a host name without an address."""
    cause = connection_cause(exc)
    if unresolvable(exc):
        return RegistryError(
            f"{host} does not resolve",
            f"{cause} ({redact_url(url)})",
            "check the hostname (--hostname, --subdomain-isolation) and this machine's DNS",
        )
    if isinstance(exc, requests.exceptions.SSLError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return RegistryError(
                f"TLS certificate of {host} is not trusted", f"{cause} ({redact_url(url)})", CA_FIX
            )
        if "EOF" in text:  # the connection closed under TLS: a broken network, not trust
            return RegistryError(
                f"the connection to {host} broke",
                f"closed in the middle of TLS ({redact_url(url)})",
                "check the network and any proxy in between",
                temporary=True,
            )
        return RegistryError(f"TLS handshake with {host} failed", cause, CA_FIX)
    return RegistryError(
        f"cannot reach {host}",
        f"{cause} ({redact_url(url)})",
        "check the hostname, subdomain isolation and the network",
        temporary=True,
    )


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
    """The registry's (decompressed) body, at most `limit` bytes; a read that breaks is a
    transport error."""
    try:
        return capped(
            response,
            limit,
            what,
            "the registry sent more than any image needs",
            "check the image; if it persists, report it to the site administrator",
        )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise transport_error(urlsplit(response.url).netloc, response.url, exc) from None


def capped(response: requests.Response, limit: int, what: str, cause: str, fix: str) -> bytes:
    """The (decompressed) body, refused once it passes `limit` bytes (no gzip bomb inflates),
    with the sender's `cause` and `fix`."""
    body = head(response, limit + 1)
    if len(body) > limit:
        raise RegistryError(f"{what} is larger than {limit} bytes", cause, fix)
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
