"""The desk's own pickup history: how long tickets waited, and when tickets arrive and are picked up.

Kept as counts per group and hour of the week (168 numbers each, however long the history) plus one
wait per ticket for the survival estimate, so a year of history stays small. Hours of the week are
read on the business calendar's clock, so "Monday 9:00" means the desk's Monday morning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final

from ._survival import Survival

__all__ = ["HOURS_PER_WEEK", "Observation", "PickupHistory", "hour_of_week"]

HOURS_PER_WEEK: Final = 168
_WEEK: Final = 7 * 86400.0
#: Tickets a survival estimate needs before it is trusted over a coarser one (group -> desk), and
#: pickups among them (a history in which nobody was ever picked up says nothing about waiting).
MIN_STRATUM: Final = 30
MIN_PICKUPS: Final = 5


def hour_of_week(epoch: float, zone: tzinfo) -> int:
    """0 = Monday 00:00-01:00 on the calendar's clock."""
    local = datetime.fromtimestamp(epoch, zone)
    return local.weekday() * 24 + local.hour


@dataclass(frozen=True, slots=True)
class Observation:
    """One ticket of the history."""

    group: str
    priority: str
    #: Arrival, POSIX seconds.
    created: float
    #: Pickup, POSIX seconds; ``None`` while it was still waiting when the history was taken.
    picked_up: float | None
    #: Business seconds waited until pickup (or until the history was taken, if still waiting).
    wait: float


class PickupHistory:
    """Pickup and arrival rates per group and hour of the week, and waiting-time survival estimates."""

    def __init__(
        self, observations: Iterable[Observation], zone: tzinfo, *, end: float | None = None
    ) -> None:
        self.zone = zone
        self._pickups: dict[str, list[float]] = {}

        self._arrivals: dict[tuple[str, str], list[float]] = {}
        self._waits: dict[tuple[str | None, str | None], list[tuple[float, bool]]] = {}
        start = float("inf")
        last = float("-inf")
        self.size = 0
        self._survival: dict[tuple[str | None, str | None], tuple[Survival, int]] = {}
        for item in observations:
            self.size += 1
            start = min(start, item.created)
            last = max(last, item.created, item.picked_up or item.created)
            self.arrived(item.group, item.priority, item.created)
            if item.picked_up is not None:
                self.picked(item.group, item.picked_up)
            self.waited(item.group, item.priority, item.wait, item.picked_up is not None)
        end = last if end is None else end
        #: Weeks the history covers (at least one, so a few days of history do not inflate rates).
        self.weeks = max((end - start) / _WEEK, 1.0) if self.size else 1.0
        self.start = start if self.size else None
        self.end = end if self.size else None

    # -- learning as the desk goes on (the daemon adds what it sees between rebuilds) -----------------
    def arrived(self, group: str, priority: str, created: float) -> None:
        counts = self._arrivals.setdefault((group, priority), [0.0] * HOURS_PER_WEEK)
        counts[hour_of_week(created, self.zone)] += 1

    def picked(self, group: str, moment: float) -> None:
        counts = self._pickups.setdefault(group, [0.0] * HOURS_PER_WEEK)
        counts[hour_of_week(moment, self.zone)] += 1

    def waited(self, group: str, priority: str, wait: float, picked_up: bool) -> None:
        for stratum in ((group, priority), (None, priority), (None, None)):
            self._waits.setdefault(stratum, []).append((wait, picked_up))

    @property
    def groups(self) -> list[str]:
        return sorted({g for g, _ in self._arrivals} | set(self._pickups))

    def pickup_rates(self, group: str) -> list[float] | None:
        """Pickups per hour in each hour of the week; ``None`` for a group never seen picking up."""
        counts = self._pickups.get(group)
        return None if counts is None else [c / self.weeks for c in counts]

    def arrival_rates(self, group: str, priorities: Iterable[str]) -> list[float]:
        """Arrivals per hour of the week into ``group`` with one of ``priorities``."""
        out = [0.0] * HOURS_PER_WEEK
        for priority in priorities:
            counts = self._arrivals.get((group, priority))
            if counts is not None:
                for index, count in enumerate(counts):
                    out[index] += count / self.weeks
        return out

    def survival(self, group: str, priority: str) -> tuple[Survival, str] | None:
        """The finest trustworthy estimate for a ticket: its group and priority, else its priority
        across the desk, else the whole desk; with the name of the one used."""
        for stratum, name in (
            ((group, priority), "group and priority"),
            ((None, priority), "priority"),
            ((None, None), "desk"),
        ):
            waits = self._waits.get(stratum)
            if waits is None or len(waits) < MIN_STRATUM:
                continue
            built = self._survival.get(stratum)
            # Rebuilt once the stratum grew by 1% (at once while it is small): a busy desk adds
            # pickups all the time, and a sort per prediction would be the cost of the whole pass.
            if built is None or len(waits) - built[1] > max(built[1] // 100, 0):
                built = self._survival[stratum] = (Survival(waits), len(waits))
            estimate = built[0]
            if estimate.events < MIN_PICKUPS:
                continue
            return estimate, name
        return None

    def summary(self) -> Mapping[str, object]:
        return {
            "tickets": self.size,
            "weeks": round(self.weeks, 2),
            "groups": len(self.groups),
            "picked_up": sum(sum(c) for c in self._pickups.values()),
        }
