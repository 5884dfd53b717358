"""Retry-After parsing and the retry policy's settings."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from matrixcore import RetryPolicy
from matrixcore._retry import parse_retry_after


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 3 ", 3.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), (None, None), ("nan", None)],
)
def test_delta_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_an_http_date_is_read_against_the_servers_date() -> None:
    server_now = 1_700_000_000
    later = formatdate(server_now + 90, usegmt=True)
    assert parse_retry_after(later, formatdate(server_now, usegmt=True)) == 90.0


def test_an_http_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_an_http_date_without_a_server_date_uses_our_clock() -> None:
    import time

    waited = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert waited is not None
    assert 25 <= waited <= 30


def test_policy_from_settings_and_validation() -> None:
    policy = RetryPolicy.from_settings({"max_attempts": 7, "max_wait": 10, "unrelated": 1}, backoff_base=0.1)
    assert (policy.max_attempts, policy.max_wait, policy.backoff_base) == (7, 10, 0.1)
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="must not be negative"):
        RetryPolicy(backoff_base=-1)
