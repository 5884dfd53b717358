"""The request budget: a token bucket that the server's rate limit headers tighten."""

from __future__ import annotations

import pytest

from matrixcore import RequestBudget
from matrixcore._ratelimit import read_rate_limit
from matrixcore.testing import FakeClock


def budget(
    clock: FakeClock, per_minute: float | None = None, *, burst: float | None = None, max_pause: float = 300.0
) -> RequestBudget:
    return RequestBudget(
        per_minute,
        burst=burst,
        max_pause=max_pause,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall_clock=clock.time,
    )


def test_a_full_bucket_allows_a_burst_then_paces(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock, 120, burst=3)
    for _ in range(3):
        assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(0.5)
    assert bucket.acquire() == pytest.approx(0.5)
    fake_clock.advance(10)  # idle time refills up to the burst, not beyond
    assert [bucket.acquire() for _ in range(4)] == [0, 0, 0, pytest.approx(0.5)]


def test_no_rate_of_our_own_never_waits_unasked(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock)
    assert [bucket.acquire() for _ in range(100)] == [0] * 100


@pytest.mark.parametrize(
    "headers",
    [
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"},
        {"ratelimit-remaining": "0", "ratelimit-reset": "12"},
        {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "12"},
        {"RateLimit": "limit=100, remaining=0, reset=12"},
        {"RateLimit": '"default";r=0;t=12'},
    ],
    ids=["x-ratelimit", "ietf-fields", "zendesk-style", "ietf-combined", "ietf-structured"],
)
def test_an_exhausted_server_window_waits_for_its_reset(
    fake_clock: FakeClock, headers: dict[str, str]
) -> None:
    bucket = budget(fake_clock)
    bucket.observe(headers)
    assert bucket.server_remaining == 0
    assert bucket.acquire() == 12
    assert bucket.acquire() == 0  # a new window


def test_an_epoch_reset_is_read_against_the_wall_clock(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock)
    bucket.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(fake_clock.time()) + 40)})
    assert bucket.acquire() == 40


def test_remaining_requests_are_counted_down_until_the_reset(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock)
    bucket.observe({"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "30"})
    assert [bucket.acquire(), bucket.acquire()] == [0, 0]
    assert bucket.acquire() == 30
    bucket.observe({"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "30"})
    fake_clock.advance(31)  # the window passed on its own
    assert bucket.acquire() == 0
    assert bucket.server_remaining is None


def test_no_reset_given_assumes_a_minute(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock)
    bucket.observe({"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "0"})
    assert bucket.acquire() == 60


def test_retry_after_on_429_pauses_everyone(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock, 600)
    info = bucket.observe({"Retry-After": "9"}, 429)
    assert info.retry_after == 9
    assert bucket.acquire() == 9
    assert bucket.acquire() == 0


def test_retry_after_on_a_200_is_ignored(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock)
    bucket.observe({"Retry-After": "9"}, 200)
    assert bucket.acquire() == 0


def test_server_pauses_are_capped(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock, max_pause=120)
    bucket.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"})
    assert bucket.acquire() == 120


def test_a_policy_header_lowers_our_rate(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock, 600)
    bucket.observe({"RateLimit-Policy": "10;w=60"})
    assert bucket.per_minute == 10
    waits = [bucket.acquire() for _ in range(11)]
    assert waits[:10] == [0] * 10
    assert waits[10] == pytest.approx(6)


def test_a_policy_above_our_rate_is_ignored(fake_clock: FakeClock) -> None:
    bucket = budget(fake_clock, 60)
    bucket.observe({"RateLimit-Policy": "1000;w=60"})
    assert bucket.per_minute == 60


def test_garbage_headers_change_nothing(fake_clock: FakeClock) -> None:
    info = read_rate_limit(
        {"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "soon", "Retry-After": "x"}, 429
    )
    assert (info.remaining, info.reset_after, info.retry_after, info.window_quota) == (None, None, None, None)


def test_per_minute_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_minute must be positive"):
        RequestBudget(0)
