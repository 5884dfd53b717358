"""A request budget per minute that also listens to what the server says about its limits.

A token bucket keeps us under the configured rate without the server having to tell us; the rate
limit headers vendors send (``X-RateLimit-*`` at ServiceNow and GitHub, ``X-Rate-Limit-Remaining``
at Zendesk, the IETF ``RateLimit-*`` fields) tighten it: when the server says nothing is left, every
request waits for the server's reset, and a ``Retry-After`` pauses all requests through the budget,
not only the one that was refused.

Waiting is by reservation (take a token, sleep off any debt), so one computation per request and
no polling loop, and a fake clock in tests need not advance for the budget to terminate.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from ._retry import parse_retry_after

__all__ = ["RateLimitInfo", "RequestBudget", "read_rate_limit"]

_REMAINING: Final = ("x-ratelimit-remaining", "x-rate-limit-remaining", "ratelimit-remaining")
_RESET: Final = ("x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset")
_POLICY: Final = ("ratelimit-policy", "x-ratelimit-policy")
#: Reset values above this are epoch seconds (ServiceNow, GitHub), below it delta seconds (IETF).
_EPOCH_THRESHOLD: Final = 1_000_000_000
_PARAM: Final = re.compile(r"(?:^|[;,\s])(remaining|r|reset|t|w|q)\s*=\s*(\d+(?:\.\d+)?)")
_QUOTA: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)")


class RateLimitInfo:
    """What one response said about the server's limit (``None``: it did not say)."""

    __slots__ = ("remaining", "reset_after", "retry_after", "window_quota")

    def __init__(
        self,
        remaining: float | None = None,
        reset_after: float | None = None,
        retry_after: float | None = None,
        window_quota: tuple[float, float] | None = None,
    ) -> None:
        self.remaining = remaining
        self.reset_after = reset_after
        self.retry_after = retry_after
        #: ``(requests, seconds)`` from a ``RateLimit-Policy`` such as ``100;w=60``.
        self.window_quota = window_quota

    def __repr__(self) -> str:
        return (
            f"RateLimitInfo(remaining={self.remaining}, reset_after={self.reset_after}, "
            f"retry_after={self.retry_after}, window_quota={self.window_quota})"
        )


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    match = _QUOTA.match(text)
    return float(match.group(1)) if match else None


def read_rate_limit(
    headers: Mapping[str, str], status: int = 200, wall_clock: Callable[[], float] = time.time
) -> RateLimitInfo:
    """Read the rate limit headers of a response (names case-insensitive)."""
    lower = {k.lower(): v for k, v in headers.items()}
    remaining = next((_number(lower[n]) for n in _REMAINING if n in lower), None)
    reset = next((_number(lower[n]) for n in _RESET if n in lower), None)
    combined = lower.get(
        "ratelimit"
    )  # draft-ietf-httpapi-ratelimit-headers: "limit=100, remaining=5, reset=9"
    if combined:
        params = dict(_PARAM.findall(combined))
        remaining = _number(params.get("remaining") or params.get("r")) if remaining is None else remaining
        reset = _number(params.get("reset") or params.get("t")) if reset is None else reset
    if reset is not None and reset > _EPOCH_THRESHOLD:
        reset = max(reset - wall_clock(), 0.0)
    quota: tuple[float, float] | None = None
    policy = next((lower[n] for n in _POLICY if n in lower), None)
    if policy:
        params = dict(_PARAM.findall(policy))
        amount = _number(params.get("q")) or _number(policy)
        window = _number(params.get("w"))
        if amount and window:
            quota = (amount, window)
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(lower.get("retry-after"), lower.get("date"))
    return RateLimitInfo(remaining, reset, retry_after, quota)


class RequestBudget:
    """At most ``per_minute`` requests a minute (bursts up to ``burst``), tightened by the server.

    ``per_minute=None`` sets no rate of our own; the budget then only obeys the server's headers.
    Server-ordered pauses are capped at ``max_pause`` seconds: past that we ask anyway, and the
    retry policy turns a refusal into a clear error instead of hanging a run for an hour.
    """

    def __init__(
        self,
        per_minute: float | None = None,
        *,
        burst: float | None = None,
        max_pause: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        if per_minute is not None and per_minute <= 0:
            raise ValueError(f"per_minute must be positive, got {per_minute}")
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._logger = logger or logging.getLogger("matrixcore.http")
        self.max_pause = max_pause
        self._lock = threading.Lock()
        self._rate: float | None = None
        self._capacity = 0.0
        self._tokens = float("inf")  # starts full: _set_rate caps it at the capacity
        self._updated = clock()
        self._set_rate(per_minute, burst)
        #: Nothing is sent before this monotonic instant (server said so).
        self._not_before = 0.0
        #: Requests the server still allows before ``_server_reset_at``.
        self._server_remaining: float | None = None
        self._server_reset_at: float | None = None

    def _set_rate(self, per_minute: float | None, burst: float | None = None) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0 if per_minute else None
        self._capacity = max(1.0, burst if burst is not None else (per_minute or 1.0))
        self._tokens = min(self._tokens, self._capacity)

    def _refill(self, now: float) -> None:
        if self._rate is not None:
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def acquire(self) -> float:
        """Take one request's worth; sleep first if the budget is spent. Returns the seconds slept."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            wait = max(self._not_before - now, 0.0)
            if self._server_remaining is not None:
                if self._server_reset_at is not None and now + wait >= self._server_reset_at:
                    self._server_remaining = self._server_reset_at = None  # a new server window
                elif self._server_remaining <= 0 and self._server_reset_at is not None:
                    wait = max(wait, self._server_reset_at - now)
                    self._server_remaining = self._server_reset_at = None
                else:
                    self._server_remaining -= 1
            if self._rate is not None:
                self._tokens -= 1.0
                if self._tokens < 0:
                    wait = max(wait, -self._tokens / self._rate)
            wait = min(wait, self.max_pause)
        if wait > 0:
            self._logger.debug("request budget: waiting %.2fs", wait)
            self._sleep(wait)
        return wait

    def observe(self, headers: Mapping[str, str], status: int = 200) -> RateLimitInfo:
        """Learn from a response's rate limit headers; returns what was read."""
        info = read_rate_limit(headers, status, self._wall_clock)
        with self._lock:
            now = self._clock()
            if info.retry_after is not None:
                self._not_before = max(self._not_before, now + min(info.retry_after, self.max_pause))
            if info.remaining is not None:
                self._server_remaining = info.remaining
                if info.reset_after is not None:
                    self._server_reset_at = now + info.reset_after
                elif info.remaining <= 0:
                    self._server_reset_at = now + 60.0  # no reset given: assume a minute's window
                else:
                    self._server_reset_at = None
            if info.window_quota is not None:
                amount, window = info.window_quota
                learned = amount * 60.0 / window
                if self.per_minute is None or learned < self.per_minute:
                    self._refill(now)
                    self._set_rate(learned, burst=min(amount, learned))
        return info

    @property
    def server_remaining(self) -> float | None:
        """Requests the server last said we have left in its window (``None``: unknown)."""
        return self._server_remaining
