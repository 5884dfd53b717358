"""The queue as a desk sees it: who is ahead of a ticket, and how many pickups and arrivals to expect.

A ticket is behind every waiting ticket of its group with a higher priority or an earlier deadline.
Lanes keep each group's deadlines sorted per priority, so "how many are ahead" is a few bisections,
not a scan. A ``Horizon`` turns hour-of-week rates into cumulative expected counts from the current
hour on, so "pickups between now and the deadline" is two look-ups.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from datetime import tzinfo
from typing import Final

from ._history import HOURS_PER_WEEK, hour_of_week

__all__ = ["Horizon", "Queue"]

_HOUR: Final = 3600.0
#: Hours a horizon is extended by at a time.
_CHUNK: Final = HOURS_PER_WEEK


class Queue:
    """Waiting tickets per group, each lane of one priority sorted by deadline."""

    __slots__ = ("_entries", "_lanes", "_ranks")

    def __init__(self, ranks: int) -> None:
        self._ranks = ranks
        self._entries: dict[str, tuple[str, int, float]] = {}
        self._lanes: dict[str, list[list[float]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def put(self, key: str, group: str, rank: int, deadline: float) -> None:
        """Add or move a waiting ticket."""
        if self._entries.get(key) == (group, rank, deadline):
            return
        self.drop(key)
        self._entries[key] = (group, rank, deadline)
        lanes = self._lanes.get(group)
        if lanes is None:
            lanes = self._lanes[group] = [[] for _ in range(self._ranks)]
        insort(lanes[rank], deadline)

    def drop(self, key: str) -> None:
        """Forget a ticket (picked up, resolved, gone); unknown keys are ignored."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        group, rank, deadline = entry
        lane = self._lanes[group][rank]
        index = bisect_left(lane, deadline)
        if index < len(lane) and lane[index] == deadline:
            del lane[index]

    def ahead(self, group: str, rank: int, deadline: float, since: float = float("-inf")) -> int:
        """Waiting tickets of ``group`` before one of priority ``rank`` due at ``deadline``; those
        whose own deadline passed before ``since`` are parked, not in line, and not counted."""
        lanes = self._lanes.get(group)
        if lanes is None:
            return 0
        count = 0
        for index, lane in enumerate(lanes):
            first = bisect_left(lane, since)
            count += max((len(lane) if index < rank else bisect_left(lane, deadline)) - first, 0)
        return count

    def groups(self) -> list[str]:
        return sorted(self._lanes)


class Horizon:
    """Expected counts from ``start`` (the beginning of an hour) on, given hour-of-week rates."""

    __slots__ = ("_cumulative", "_rates", "_zone", "start")

    def __init__(self, start: float, rates: Sequence[float], zone: tzinfo) -> None:
        self.start = start
        self._rates = rates
        self._zone = zone
        self._cumulative = [0.0]

    def _extend(self, hours: int) -> None:
        cumulative, rates, zone = self._cumulative, self._rates, self._zone
        while len(cumulative) <= hours:
            moment = self.start + (len(cumulative) - 1) * _HOUR
            slot = hour_of_week(moment, zone)
            for _ in range(_CHUNK):
                cumulative.append(cumulative[-1] + rates[slot])
                slot = (slot + 1) % HOURS_PER_WEEK

    def count(self, moment: float) -> float:
        """Expected count from ``start`` until ``moment``."""
        offset = max(moment - self.start, 0.0) / _HOUR
        whole = int(offset)
        self._extend(whole + 1)
        low = self._cumulative[whole]
        return low + (self._cumulative[whole + 1] - low) * (offset - whole)

    def between(self, start: float, end: float) -> float:
        return self.count(end) - self.count(start) if end > start else 0.0

    def reaching(self, moment: float, count: float, limit: float) -> float | None:
        """When ``count`` more are expected after ``moment`` (``None``: not before ``limit``)."""
        wanted = self.count(moment) + count
        self._extend(int(max(limit - self.start, 0.0) / _HOUR) + 1)
        cumulative = self._cumulative
        index = bisect_left(cumulative, wanted)
        if index >= len(cumulative):
            return None
        if index == 0:
            return self.start
        low, high = cumulative[index - 1], cumulative[index]
        share = (wanted - low) / (high - low) if high > low else 0.0
        found = self.start + (index - 1 + share) * _HOUR
        return found if found <= limit else None
