"""The one retry policy: what is temporary, how long to wait, the one loop and its log line.

The registry's `Http`, the REST API's PyGithub client (`rest.retry.LoggedRetry`) and the engine's
push and pull all retry by it.
"""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable
from typing import TypeVar

from ghpkg.errors import GhpkgError
from ghpkg.progress import duration

T = TypeVar("T")

# Statuses worth another try: the registry or a proxy in front of it is busy or restarting.
TEMPORARY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0


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
