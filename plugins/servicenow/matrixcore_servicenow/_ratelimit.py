"""ServiceNow's rate-limit rules, read the way the instance states them.

A rule allows so many requests per user per clock hour. Every governed response says which rule
(``X-RateLimit-Rule``), how many requests the hour allows (``X-RateLimit-Limit``) and when it ends
(``X-RateLimit-Reset``, epoch seconds), but not how many are left; only the refusal itself (429
with ``Retry-After``) says the hour is used up (ServiceNow docs, *Inbound REST API rate limiting*).
matrixcore's ``RequestBudget`` waits for a server's reset once it says nothing is left, so this
budget counts the requests it has had answered in the rule's current hour and tells the base what
remains. The count is a lower bound (other clients of the same user are not seen, and the
instance's nodes share their counts only every 30 seconds), so it never waits needlessly; it spares
the instance, and the log, the requests that would certainly be refused.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from matrixcore import RequestBudget
from matrixcore._ratelimit import RateLimitInfo

__all__ = ["RuleBudget"]


class RuleBudget(RequestBudget):
    """A ``RequestBudget`` that turns ServiceNow's limit and reset into a remaining count."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rule_lock = threading.Lock()
        #: (rule sys_id, reset) of the hour being counted, and the requests answered in it.
        self._window: tuple[str, str] | None = None
        self.used = 0

    def observe(self, headers: Mapping[str, str], status: int = 200) -> RateLimitInfo:
        lower = {k.lower(): v for k, v in headers.items()}
        limit, reset = lower.get("x-ratelimit-limit", ""), lower.get("x-ratelimit-reset", "")
        if limit.isdigit() and reset and "x-ratelimit-remaining" not in lower and status != 429:
            with self._rule_lock:
                window = (lower.get("x-ratelimit-rule", ""), reset)
                if window != self._window:  # another rule, or the next hour: its count starts over
                    self._window, self.used = window, 0
                self.used += 1
                left = max(int(limit) - self.used, 0)
            if left == 0:
                self._logger.info(
                    "ServiceNow rate-limit rule %s: the %s requests of this hour are used; "
                    "further requests wait for its reset",
                    window[0] or "(unnamed)",
                    limit,
                )
            headers = {**headers, "X-RateLimit-Remaining": str(left)}
        return super().observe(headers, status)
