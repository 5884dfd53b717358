"""ServiceNow's rate-limit headers tell the limit of the hour and its end, not what is left: the
adapter's budget counts, and waits for the reset instead of sending requests that are refused."""

from __future__ import annotations

from matrixcore.testing import FakeClock
from matrixcore_servicenow._ratelimit import RuleBudget


def budget(clock: FakeClock) -> RuleBudget:
    return RuleBudget(clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.time, max_pause=4000.0)


def governed(limit: int, reset: float, rule: str = "rule-1") -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Reset": str(int(reset)),
        "X-RateLimit-Rule": rule,
    }


def test_the_request_after_the_hours_last_waits_for_the_reset() -> None:
    clock = FakeClock()
    rules = budget(clock)
    reset = clock.time() + 1200
    for _ in range(3):
        assert rules.acquire() == 0.0
        rules.observe(governed(3, reset))
    assert rules.used == 3
    assert rules.acquire() == 1200.0  # the fourth would be refused: it waits for the new hour
    assert clock.sleeps == [1200.0]


def test_a_new_hour_or_another_rule_starts_the_count_again() -> None:
    clock = FakeClock()
    rules = budget(clock)
    reset = clock.time() + 600
    rules.observe(governed(2, reset))
    rules.observe(governed(2, reset + 3600))  # the next hour's first answer
    assert rules.used == 1
    rules.observe(governed(50, reset + 3600, rule="rule-2"))
    assert rules.used == 1
    assert rules.acquire() == 0.0


def test_refusals_and_ungoverned_answers_are_not_counted() -> None:
    clock = FakeClock()
    rules = budget(clock)
    reset = clock.time() + 600
    rules.observe(governed(2, reset))
    rules.observe({**governed(2, reset), "Retry-After": "600"}, status=429)
    rules.observe({})
    assert rules.used == 1
    # A server that does say what is left is believed as it is.
    rules.observe({**governed(100, reset), "X-RateLimit-Remaining": "0"})
    assert rules.used == 1
    assert rules.acquire() == 600.0
