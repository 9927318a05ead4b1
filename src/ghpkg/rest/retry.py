"""Retries for REST API calls: 5xx, 429, resets and timeouts, with jitter, a cap and a log line.

What no retry can change (a host name without an address, a refused certificate) fails at once.

`LoggedRetry` is PyGithub's `GithubRetry` (a rate-limit 403 waited out, Retry-After capped) with
the one policy (`ghpkg.retry`: what is temporary, the backoff, the log line);
`rest.auth.api_client` gives it to the one PyGithub client every REST API call goes through.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from github import GithubRetry
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, SSLError
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

from ghpkg.progress import Lines
from ghpkg.registry.answers import connection_cause, redact_url
from ghpkg.rest.connection import ANSWER_MAX
from ghpkg.retry import MAX_RETRY_AFTER, TEMPORARY_STATUS, backoff_delay, retry_line, unresolvable


def _quiet(_: str) -> None:
    """Discard a log line."""


class LoggedRetry(GithubRetry):
    """Retry 5xx, 429, rate-limit 403s and broken connections, saying so in the log."""

    def __init__(self, log: Lines = _quiet, **kwargs: Any) -> None:
        kwargs.setdefault("status_forcelist", sorted(TEMPORARY_STATUS))
        kwargs.setdefault("raise_on_status", False)
        super().__init__(**kwargs)
        self.log = log
        self.planned: float | None = None  # the wait the log line announced

    def new(self, **kwargs: Any) -> LoggedRetry:
        """A copy with the counters moved on, keeping the log."""
        retry = super().new(**kwargs)
        retry.log = self.log
        return retry

    def get_backoff_time(self) -> float:
        """The wait before the next attempt: the one the log line announced."""
        return self.planned if self.planned is not None else float(super().get_backoff_time())

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        """Count one failed attempt and say so (raises when the budget is spent)."""
        certificate = isinstance(error, SSLError) and "EOF" not in str(error)
        if (certificate or (error is not None and unresolvable(error))) and _pool is not None:
            raise MaxRetryError(_pool, str(url), error)  # no retry changes either
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if response is not None:  # urllib3 would drain its body before retrying: it may not end
            response.close()
        cause = (
            f"HTTP {response.status}"
            if response is not None
            else connection_cause(error)
            if error is not None
            else "no answer"
        )
        if url and "://" not in url and _pool is not None:  # urllib3 hands the path alone
            port = f":{_pool.port}" if _pool.port not in (None, 80, 443) else ""
            url = f"{_pool.scheme}://{_pool.host}{port}{url}"
        where = redact_url(str(url or ""))
        if isinstance(retry, LoggedRetry):
            retry.planned = backoff_delay(len(retry.history) - 1)  # the one policy's wait
            used = len(retry.history)
            self.log(
                retry_line(
                    f"REST API {method} {where}: {cause}", used - 1, self.budget, retry.planned
                )
            )
        return retry

    @staticmethod
    def get_content(resp: HTTPResponse, url: str) -> bytes:
        """A 403's body, read to tell a rate limit from a refusal: at most ANSWER_MAX bytes."""
        return bytes(resp.read(ANSWER_MAX + 1, decode_content=True) or b"")

    @property
    def budget(self) -> int:
        """How many retries this client may make in all."""
        used = len(self.history)
        return used + (self.total if isinstance(self.total, int) else 0)


def github_retry(log: Lines, total: int) -> Retry:
    """The REST API's retry: at most `total` retries, a rate limit's wait capped."""
    return LoggedRetry(log, total=total, max_rate_limit_wait=MAX_RETRY_AFTER)
