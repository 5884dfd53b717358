"""When and how long to retry a request: tenacity, driven by the server's ``Retry-After`` when it gives one.

Waits honour ``Retry-After`` (delta seconds or an HTTP date, read against the server's own ``Date``
to cancel clock skew) up to ``max_wait``; without one, exponential backoff with jitter so many
daemons that failed together do not return together. Sleeping and the clock are part of the policy,
so tests swap in a fake clock and assert on the waits instead of spending them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

__all__ = ["RetryPolicy", "parse_http_date", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a request is retried.

    ``max_attempts`` counts the first try. The n-th backoff wait is ``backoff_base * 2**(n-1)`` plus
    up to ``jitter`` seconds (default: ``backoff_base``); every wait, ``Retry-After`` included, is
    capped at ``max_wait``. ``sleep`` and ``clock`` (monotonic seconds) are injectable for tests.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    max_wait: float = 60.0
    jitter: float | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.max_wait < 0:
            raise ValueError("backoff_base and max_wait must not be negative")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], **overrides: Any) -> RetryPolicy:
        """From a connection's ``retry`` section (``max_attempts``, ``backoff_base``, ``max_wait``)."""
        known = {
            k: settings[k] for k in ("max_attempts", "backoff_base", "max_wait", "jitter") if k in settings
        }
        return cls(**{**known, **overrides})

    def backoff(self) -> wait_base:
        """The wait without ``Retry-After``: exponential with jitter, capped."""
        jitter = self.backoff_base if self.jitter is None else self.jitter
        exponential = wait_exponential(multiplier=self.backoff_base, max=self.max_wait)
        return exponential + wait_random(0, jitter) if jitter > 0 else exponential

    def retrying(
        self,
        should_retry: Callable[[BaseException], bool],
        before_sleep: Callable[[RetryCallState], None] | None = None,
    ) -> Retrying:
        """A tenacity ``Retrying`` for this policy; ``should_retry`` decides per exception.

        Exceptions may carry ``retry_after`` (seconds) to set the next wait. Non-retryable
        exceptions propagate unchanged; when attempts run out, tenacity raises ``RetryError``.
        """
        return Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=_WaitRetryAfter(self.backoff(), self.max_wait),
            retry=retry_if_exception(should_retry),
            sleep=self.sleep,
            before_sleep=before_sleep,
        )


class _WaitRetryAfter(wait_base):
    """The server's ``Retry-After`` (capped) when the failure carries one, else the fallback."""

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            return min(max(float(retry_after), 0.0), self.cap)
        return min(float(self.fallback(retry_state)), self.cap)


#: One IMF-fixdate (or RFC 850 / asctime-like) date inside a header that may hold several.
_HTTP_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[A-Za-z]{1,5}|[+-]\d{4}))?"
)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date as an aware UTC ``datetime``, or ``None`` when there is none to read.

    Read defensively, because proxies and WAFs send odd ones: HTTP dates are GMT (RFC 9110
    §5.6.7), so a date without a zone or with ``-0000`` is taken as UTC; a header sent twice
    (``requests`` joins the values with a comma) gives its first readable date; garbage gives
    ``None``, never an exception.
    """
    if not value:
        return None
    text = value.strip()
    for candidate in (text, *(m.group(0) for m in _HTTP_DATE.finditer(text))):
        try:
            when = parsedate_to_datetime(candidate)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    return None


def parse_retry_after(value: str | None, server_date: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta seconds or an HTTP date.

    An HTTP date is measured from the response's ``Date`` header when it can be read (the server's
    clock against the server's clock), else from our clock. Past dates give 0; garbage gives ``None``.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is garbage
    when = parse_http_date(text)
    if when is None:
        return None
    now = parse_http_date(server_date) or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)
