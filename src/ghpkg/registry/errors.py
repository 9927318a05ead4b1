"""What a registry failure means: error bodies, redaction, auth challenges, transport failures."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import requests

from ghpkg.errors import RegistryError
from ghpkg.retry import unresolvable

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
