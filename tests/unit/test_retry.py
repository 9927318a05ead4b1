"""The one retry policy: Retry-After, backoff with jitter and its cap."""

from __future__ import annotations

import email.utils

import pytest

from ghpkg.retry import MAX_RETRY_AFTER, backoff_delay, parse_retry_after


def test_retry_after_seconds_date_and_garbage() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("100000") == MAX_RETRY_AFTER
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1000.0 + 30, usegmt=True)
    assert parse_retry_after(date, now=lambda: 1000.0) == pytest.approx(30.0)
    past = email.utils.formatdate(10.0, usegmt=True)
    assert parse_retry_after(past, now=lambda: 1000.0) == 0.0


@pytest.mark.parametrize("attempt", [0, 1, 2, 3, 4, 10])
def test_backoff_grows_with_jitter_and_a_cap(attempt: int) -> None:
    low = backoff_delay(attempt, rand=lambda: 0.0)
    high = backoff_delay(attempt, rand=lambda: 1.0)
    ceiling = min(30.0, 2.0**attempt)
    assert low == pytest.approx(ceiling / 2)
    assert high == pytest.approx(ceiling)


def test_retry_after_wins_over_backoff() -> None:
    assert backoff_delay(0, 12.0) == 12.0
