"""Arrival counts per channel and interval: the history every forecast starts from.

Tickets are counted, not kept: a year of hourly counts for six channels is ~52,000 integers, whatever
the number of tickets. Intervals are slots of local wall time in the desk's zone, numbered from the
Monday 1970-01-05 00:00, so every week has exactly ``per_week`` slots and slot ``k`` is the same
weekday and hour in every week (on the night the clocks change, the skipped hour counts nothing and
the repeated hour counts twice: the desk's own clock is what staffing follows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Final

__all__ = [
    "INTERVALS",
    "ArrivalCounter",
    "ArrivalSeries",
    "slot_of",
    "slot_start",
]

#: The interval lengths a forecast may use, by how ``--interval`` spells them, in minutes.
INTERVALS: Final = {"15m": 15, "30m": 30, "60m": 60}
_EPOCH: Final = datetime(1970, 1, 5)  # a Monday: slot 0 of every week is Monday 00:00
_WEEK_MINUTES: Final = 7 * 24 * 60


def slot_of(moment: datetime, minutes: int, zone: tzinfo) -> int:
    """The interval ``moment`` falls in: local wall time in ``zone``, ``minutes`` long slots."""
    local = moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment
    return int((local - _EPOCH).total_seconds() // 60) // minutes


def slot_start(slot: int, minutes: int) -> datetime:
    """The naive local wall time at which ``slot`` begins."""
    return _EPOCH + timedelta(minutes=slot * minutes)


@dataclass(frozen=True, slots=True)
class ArrivalSeries:
    """Arrivals of one channel per interval over whole weeks, oldest first.

    ``first_slot`` is the slot of ``values[0]``; ``values`` always holds a whole number of weeks, so
    ``values[i]`` and ``values[i + per_week]`` are the same interval of the week.
    """

    channel: str
    minutes: int
    first_slot: int
    values: tuple[float, ...]

    @property
    def per_day(self) -> int:
        return 24 * 60 // self.minutes

    @property
    def per_week(self) -> int:
        return _WEEK_MINUTES // self.minutes

    @property
    def phase(self) -> int:
        """Where in the week ``values[0]`` falls (0: Monday 00:00)."""
        return self.first_slot % self.per_week

    @property
    def weeks(self) -> int:
        return len(self.values) // self.per_week

    @property
    def end_slot(self) -> int:
        """The first slot after the history: where a forecast begins."""
        return self.first_slot + len(self.values)

    @property
    def start(self) -> datetime:
        return slot_start(self.first_slot, self.minutes)

    @property
    def end(self) -> datetime:
        return slot_start(self.end_slot, self.minutes)

    def days(self) -> list[date]:
        """The local date of every value (for holidays and events)."""
        return [slot_start(self.first_slot + i, self.minutes).date() for i in range(len(self.values))]


class ArrivalCounter:
    """Counts arrivals into intervals as tickets stream by; constant memory per interval.

    ``add`` takes one arrival; ``add_count`` a count already made (the daemon's state, a backfill).
    ``series`` cuts whole weeks of history per channel, ending at a slot boundary.
    """

    def __init__(self, minutes: int, zone: tzinfo) -> None:
        if minutes not in INTERVALS.values():
            raise ValueError(f"an interval is 15, 30 or 60 minutes, not {minutes}")
        self.minutes = minutes
        self.zone = zone
        self._counts: dict[str, dict[int, float]] = {}
        #: Per channel, the handle times seen (sum of minutes, count), where the source has them.
        self.handle: dict[str, tuple[float, int]] = {}
        self.tickets = 0

    def add(self, channel: str, created: datetime, handle_minutes: float | None = None) -> None:
        slot = slot_of(created, self.minutes, self.zone)
        counts = self._counts.setdefault(channel, {})
        counts[slot] = counts.get(slot, 0.0) + 1.0
        self.tickets += 1
        if handle_minutes is not None and handle_minutes > 0:
            total, n = self.handle.get(channel, (0.0, 0))
            self.handle[channel] = (total + handle_minutes, n + 1)

    def add_count(self, channel: str, slot: int, count: float) -> None:
        counts = self._counts.setdefault(channel, {})
        counts[slot] = counts.get(slot, 0.0) + count

    @property
    def channels(self) -> list[str]:
        return sorted(self._counts)

    def counts(self, channel: str) -> Mapping[int, float]:
        return self._counts.get(channel, {})

    def last_slot(self) -> int | None:
        """The latest slot with an arrival on any channel, ``None`` before the first."""
        slots = [max(c) for c in self._counts.values() if c]
        return max(slots) if slots else None

    def series(
        self, end_slot: int, max_weeks: int = 52, channels: Iterable[str] | None = None
    ) -> dict[str, ArrivalSeries]:
        """Per channel, the whole weeks of history before ``end_slot`` (at most ``max_weeks``).

        A channel's history begins on the day of its own first arrival: a new social channel gets the
        weeks it has, not a year of zeros (and an export that starts at 01:16 still has its first
        day). A channel with less than one whole week gets an empty series.
        """
        per_week = _WEEK_MINUTES // self.minutes
        per_day = per_week // 7
        out: dict[str, ArrivalSeries] = {}
        for channel in channels if channels is not None else self.channels:
            counts = self._counts.get(channel, {})
            before = [slot for slot in counts if slot < end_slot]
            first_day = min(before) - min(before) % per_day if before else end_slot
            weeks = min(max_weeks, (end_slot - first_day) // per_week)
            first = end_slot - weeks * per_week
            values = tuple(counts.get(slot, 0.0) for slot in range(first, end_slot))
            out[channel] = ArrivalSeries(channel, self.minutes, first, values)
        return out
