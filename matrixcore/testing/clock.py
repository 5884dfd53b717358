"""A fake clock: retries and request budgets wait on it instantly, and tests read what they waited."""

from __future__ import annotations

import threading

from matrixcore._retry import RetryPolicy

__all__ = ["FakeClock"]


class FakeClock:
    """Monotonic and wall time that only move when something sleeps on them (or ``advance``).

    ``sleeps`` records every wait in order, so a test asserts "the client waited the server's
    ``Retry-After`` of 2 s" without spending the 2 s.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    #: Wall-clock seconds since the epoch, on the same fake timeline.
    time = monotonic

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Let time pass without recording a sleep (the world moved on)."""
        with self._lock:
            self._now += seconds

    @property
    def slept(self) -> float:
        """Total seconds slept."""
        with self._lock:
            return sum(self.sleeps)

    def retry_policy(
        self, max_attempts: int = 3, backoff_base: float = 0.5, max_wait: float = 30.0, jitter: float = 0.0
    ) -> RetryPolicy:
        """A ``RetryPolicy`` that sleeps on this clock (no real waiting, waits recorded)."""
        return RetryPolicy(
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            max_wait=max_wait,
            jitter=jitter,
            sleep=self.sleep,
            clock=self.monotonic,
        )
