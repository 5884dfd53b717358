"""How long tickets wait for pickup: a Kaplan-Meier estimate on business time.

Tickets still waiting when the history was taken are *censored*, not dropped: dropping them would
make the desk look faster than it is exactly when it is slow. Waits are business seconds on the
ticket's pickup calendar, so a ticket that arrived on Friday evening did not "wait all weekend".
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

__all__ = ["Survival"]


class Survival:
    """S(t) = P(wait > t), a step function over the observed pickup times."""

    __slots__ = ("_all", "_falling", "_survival", "_times", "events", "size")

    def __init__(self, waits: Iterable[tuple[float, bool]]) -> None:
        """``waits``: (business seconds, picked up?) per ticket; ``False`` means still waiting then."""
        ordered = sorted(waits, key=lambda w: (w[0], not w[1]))  # events before censoring at a tie
        self.size = len(ordered)
        self._all = [w for w, _ in ordered]
        self.events = sum(1 for _, observed in ordered if observed)
        times: list[float] = []
        survival: list[float] = []
        at_risk = self.size
        current = 1.0
        index = 0
        while index < len(ordered):
            moment = ordered[index][0]
            events = leaving = 0
            while index < len(ordered) and ordered[index][0] == moment:
                events += ordered[index][1]
                leaving += 1
                index += 1
            if events:
                current *= 1.0 - events / at_risk
                times.append(moment)
                survival.append(current)
            at_risk -= leaving
        self._times = times
        self._survival = survival
        self._falling = [-value for value in survival]  # ascending, for bisection

    def at(self, seconds: float) -> float:
        """P(wait > seconds)."""
        index = bisect_right(self._times, seconds)
        return 1.0 if index == 0 else self._survival[index - 1]

    def miss_after(self, waited: float, target: float) -> float | None:
        """P(wait > target | wait > waited): the share of tickets that had waited this long and then
        still missed the target. ``None`` where no ticket in the history waited this long."""
        if waited >= target:
            return 1.0
        alive = self.at(waited)
        if alive <= 0.0:
            return None
        return min(self.at(target) / alive, 1.0)

    def reaching(self, level: float) -> float | None:
        """The first wait at which S falls to ``level`` or below (``None``: the history never did)."""
        index = bisect_left(self._falling, -level)
        return self._times[index] if index < len(self._times) else None

    def at_risk(self, waited: float) -> int:
        """How many tickets of the history had waited at least ``waited``: the weight behind
        ``miss_after`` (an estimate from three tickets is said to be one)."""
        return self.size - bisect_left(self._all, waited)
