"""REST API retries: what may pass (5xx, timeouts) is retried with one line each; what cannot
change (a name without an address) fails at the first attempt."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
import requests
from requests.adapters import HTTPAdapter

from ghpkg.rest.retry import LoggedRetry


def _session(lines: list[str], total: int) -> requests.Session:
    session = requests.Session()
    retry = LoggedRetry(lines.append, total=total, respect_retry_after_header=False)
    retry.sleep = lambda *_args: None  # type: ignore[method-assign]
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def test_a_host_that_does_not_resolve_is_asked_once(
    failing_lookups: Callable[[OSError], list[str]],
) -> None:
    lookups = failing_lookups(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    lines: list[str] = []
    with pytest.raises(requests.ConnectionError):
        _session(lines, 4).get("https://ghes.invalid/api/v3/rate_limit", timeout=5)
    assert lookups == ["ghes.invalid"]
    assert lines == []


def test_a_timeout_is_retried_and_each_retry_says_so_in_the_one_shape(
    failing_lookups: Callable[[OSError], list[str]],
) -> None:
    attempts = failing_lookups(TimeoutError("timed out"))
    lines: list[str] = []
    with pytest.raises(requests.ConnectionError):
        _session(lines, 2).get("https://ghes.invalid/api/v3/rate_limit", timeout=5)
    assert len(attempts) == 3
    assert len(lines) == 2
    assert lines[0].startswith("REST API GET https://ghes.invalid/api/v3/rate_limit: ")
    assert [line.split("; ")[-1].split(" in ")[0] for line in lines] == ["retry 1/2", "retry 2/2"]
    assert all(line.endswith("s") for line in lines)
