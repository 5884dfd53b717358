"""Rate-limit accounting of the Zendesk emulator: fixed windows per bucket, Zendesk's headers.

Zendesk counts several budgets at once: the plan's account-wide limit per minute, 10 a minute on
the incremental export, and for ticket updates 100 a minute per account and 30 per 10 minutes per
user and ticket. A request must fit every bucket it touches; the first exhausted one answers 429
with ``Retry-After`` (seconds until that window resets).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

__all__ = ["Bucket", "RateLimits", "Verdict"]

#: Per-minute account limits by plan (Zendesk's rate-limits reference).
PLAN_LIMITS: Final = {"team": 200, "growth": 400, "professional": 400, "enterprise": 700, "high_volume": 2500}


@dataclass(frozen=True, slots=True)
class Bucket:
    """One budget: ``limit`` requests per ``seconds``, counted under ``key``."""

    key: str
    limit: int
    seconds: int = 60
    #: The header reporting this bucket (``Zendesk-RateLimit-<name>``), if Zendesk sends one.
    header: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]
    retry_after: int = 0


@dataclass(slots=True)
class _Window:
    started: float
    used: int = 0


@dataclass
class RateLimits:
    """Counts requests per bucket in fixed windows that start with a bucket's first request."""

    now: Callable[[], datetime]
    windows: dict[str, _Window] = field(default_factory=dict)

    def _window(self, bucket: Bucket, at: float) -> _Window:
        window = self.windows.get(bucket.key)
        if window is None or at - window.started >= bucket.seconds:
            window = self.windows[bucket.key] = _Window(at)
        return window

    def charge(self, buckets: Sequence[Bucket]) -> Verdict:
        """Count one request against every bucket, or refuse it (counting nothing) if one is full.

        The first bucket is the account budget, reported in ``X-Rate-Limit`` and ``ratelimit-*``.
        """
        at = self.now().timestamp()
        windows = [self._window(b, at) for b in buckets]
        for bucket, window in zip(buckets, windows, strict=True):
            if window.used >= bucket.limit:
                wait = max(1, math.ceil(window.started + bucket.seconds - at))
                return Verdict(False, self._headers(buckets, windows, at), wait)
        for window in windows:
            window.used += 1
        return Verdict(True, self._headers(buckets, windows, at))

    @staticmethod
    def _headers(buckets: Sequence[Bucket], windows: Sequence[_Window], at: float) -> dict[str, str]:
        headers: dict[str, str] = {}
        for index, (bucket, window) in enumerate(zip(buckets, windows, strict=True)):
            remaining = max(0, bucket.limit - window.used)
            resets = max(0, math.ceil(window.started + bucket.seconds - at))
            if index == 0:
                headers.update(
                    {
                        "X-Rate-Limit": str(bucket.limit),
                        "X-Rate-Limit-Remaining": str(remaining),
                        "ratelimit-limit": str(bucket.limit),
                        "ratelimit-remaining": str(remaining),
                        "ratelimit-reset": str(resets),
                    }
                )
            if bucket.header:
                headers[bucket.header] = f"total={bucket.limit}; remaining={remaining}; resets={resets}"
        return headers
