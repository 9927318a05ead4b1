"""What a registry failure means (error bodies, redaction, auth challenges, transport failures)
and the one retry policy (backoff with jitter, Retry-After) the registry, the REST API and the
engine stream share."""

from __future__ import annotations

import email.utils
import html
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.progress import duration

T = TypeVar("T")

# Statuses worth another try: the registry or a proxy in front of it is busy or restarting.
TEMPORARY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
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


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return float(min(max(0.0, when.timestamp() - now()), MAX_RETRY_AFTER))


def backoff_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: float = 1.0,
    cap: float = 30.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with jitter for attempt 0, 1, …; Retry-After wins when given."""
    if retry_after is not None:
        return retry_after
    ceiling = min(cap, base * 2.0**attempt)
    return ceiling / 2 + rand() * ceiling / 2


def retried(attempt: Callable[[], T], retries: int, pause: Callable[[int, GhpkgError], None]) -> T:
    """Run `attempt`; after a temporary error `pause(n, error)` (wait, say so) and run it again,
    at most `retries` more times. The last error says how many attempts there were.

    The one retry loop of the registry client, its uploads and the engine's push and pull.
    """
    number = 0
    while True:
        try:
            return attempt()
        except GhpkgError as exc:
            if not exc.temporary or number >= retries:
                if exc.temporary and number:
                    exc.cause = f"{exc.cause} (gave up after {number + 1} attempts)".strip()
                raise
            pause(number, exc)
            number += 1


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


# A name with no address: asking the resolver again gives the same answer (glibc, musl, macOS,
# Windows). "Temporary failure in name resolution" (no resolver reachable) may pass: not here.
_NO_SUCH_NAME = re.compile(
    r"Name or service not known|No address associated with hostname|Name does not resolve"
    r"|nodename nor servname provided|getaddrinfo failed",
    re.IGNORECASE,
)


def unresolvable(exc: BaseException) -> bool:
    """Whether a connection failed because the host name has no address (no retry changes it)."""
    return bool(_NO_SUCH_NAME.search(str(exc)))


def retry_line(what: str, attempt: int, retries: int, delay: float) -> str:
    """The one shape of a retry's log line: `WHAT; retry 1/4 in 1.3 s`."""
    return f"{what}; retry {attempt + 1}/{retries} in {duration(delay)}"


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
