"""How the engine's failures become EngineError: exceptions, stream chunks, and retries.

docker-py reports a failed build, push, pull or load as an `{"error": ...}` chunk in the
JSON stream, not as an exception: every stream is scanned here and turned into EngineError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import docker.errors
import requests
import urllib3.exceptions

from ghpkg.errors import EngineError, GhpkgError
from ghpkg.retry import backoff_delay, retried, retry_line

T = TypeVar("T")

# What an engine call can raise: docker-py's errors, and requests'/urllib3's when a stream
# breaks or times out (docker-py lets those through), which are worth another try.
BROKEN = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)
ENGINE_ERRORS = (docker.errors.DockerException, *BROKEN)
# What a registry's trouble looks like in the engine's JSON stream, and what is a refusal.
_TEMPORARY = re.compile(
    r"\b(5\d\d|429)\b|too ?many ?requests|service unavailable|bad gateway|gateway time-?out"
    r"|timeout|timed out|deadline exceeded|connection reset|broken pipe|\bEOF\b"
    r"|connection refused|request canceled",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"unauthori[sz]ed|denied|forbidden|authentication required|no basic auth|x509"
    r"|certificate|\b40[0134]\b|not found|unknown|invalid",
    re.IGNORECASE,
)


def raise_stream_error(chunk: Mapping[str, Any], what: str) -> None:
    """Raise EngineError for an `{"error": ...}` chunk of a JSON stream."""
    if "error" in chunk:
        detail = chunk.get("errorDetail") or {}
        message = str(detail.get("message") if isinstance(detail, dict) else "") or str(
            chunk["error"]
        )
        raise EngineError(what, message.strip(), "", temporary=temporary_message(message))


def temporary_message(message: str) -> bool:
    """Whether an engine's registry error is worth another try (5xx, 429, resets, timeouts)."""
    return bool(_TEMPORARY.search(message)) and not _REFUSED.search(message)


def again(attempt: Callable[[], T], what: str, retries: int, log: Callable[[str], None]) -> T:
    """Run `attempt`, again after a temporary error, at most `retries` more times."""

    def pause(number: int, exc: GhpkgError) -> None:
        delay = backoff_delay(number)
        log(retry_line(f"{what}: {exc.cause}", number, retries, delay))
        time.sleep(delay)

    return retried(attempt, retries, pause)


def broken(exc: BaseException) -> bool:
    """A connection that broke or timed out (worth another try), not an answer from the engine.

    docker-py's APIError is a requests HTTPError too: an answer, judged by its text instead.
    """
    return isinstance(exc, BROKEN) and not isinstance(exc, docker.errors.DockerException)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
