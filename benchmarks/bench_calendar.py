"""How fast the business calendar counts: ``add`` and ``elapsed`` per second on a Dutch office calendar.

The engine computes a pickup and a resolve target for every ticket it sees, so ``add`` is on the hot
path. The workload is deliberately unkind: start instants spread over four years (every DST change
and Dutch public holiday in them), any time of day or night, durations from a minute to a week.
Seeded, so runs are comparable. The reference is a simple day-by-day walk of the same calendar
(``DayByDay``); both get the same pairs the same number of times, and every answer is compared.
Run ``python benchmarks/bench_calendar.py [n]``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Comparison, Row, compare, print_table

from matrixcore._calendar import BusinessCalendar

__all__ = ["GOAL", "NL_OFFICE", "DayByDay", "main", "rows", "run"]

#: The issue's goal: pickup computations per second, with holidays and DST.
GOAL = 200_000

#: A Dutch service desk: office hours with Dutch public holidays, in a zone with DST.
NL_OFFICE = {
    "timezone": "Europe/Amsterdam",
    "hours": {"mon-fri": ["08:30-17:00"]},
    "holidays": {"country": "NL", "dates": ["2025-12-24", "2025-12-31"], "open": ["2025-04-18"]},
}

_FIRST = datetime(2024, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp()
_LAST = datetime(2028, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp()


class DayByDay:
    """The reference: ``add`` as a person writes it, walking the calendar one day at a time.

    For each day from the start's local date: skip weekends and holidays (python-holidays for NL,
    plus the extra closed dates, minus the dates open after all), then take each opening interval's
    overlap with what remains, in UTC so DST days count their real length.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.tz = ZoneInfo(config["timezone"])
        ((days, spans),) = config["hours"].items()
        assert days == "mon-fri", days
        self.intervals = [tuple(time.fromisoformat(part) for part in span.split("-")) for span in spans]
        spec = config["holidays"]
        self.closed = {date.fromisoformat(d) for d in spec["dates"]}
        self.opened = {date.fromisoformat(d) for d in spec["open"]}
        self.country = spec["country"]
        self.years: dict[int, set[date]] = {}

    def closed_on(self, day: date) -> bool:
        if day in self.opened:
            return False
        if day.weekday() >= 5 or day in self.closed:
            return True
        found = self.years.get(day.year)
        if found is None:
            found = self.years[day.year] = set(holidays.country_holidays(self.country, years=day.year))
        return day in found

    def add(self, start: datetime, duration: timedelta) -> datetime:
        remaining = duration
        at = start.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        while True:
            if not self.closed_on(day):
                for opens, closes in self.intervals:
                    begin = datetime.combine(day, opens, self.tz).astimezone(UTC)
                    end = datetime.combine(day, closes, self.tz).astimezone(UTC)
                    begin = max(begin, at)
                    if begin >= end:
                        continue
                    if remaining <= end - begin:
                        return (begin + remaining).astimezone(self.tz)
                    remaining -= end - begin
            day += timedelta(days=1)


def run(n: int = 20_000, repeats: int = 5, seed: int = 20250101) -> Comparison:
    """``add`` and the day-by-day walk over the same ``n`` (start, duration) pairs, answers checked."""
    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Amsterdam")
    calendar = BusinessCalendar.from_config("nl-office", NL_OFFICE)
    reference = DayByDay(NL_OFFICE)
    starts = [rng.uniform(_FIRST, _LAST) for _ in range(n)]
    # Log-uniform from one minute to a week: most targets are hours, some are days.
    spans = [60 * 10 ** rng.uniform(0, 4) for _ in range(n)]
    args = [
        (datetime.fromtimestamp(round(s), tz), timedelta(seconds=round(d)))
        for s, d in zip(starts, spans, strict=True)
    ]
    # Warm the lazily built chunks and holiday years, as a running engine has them.
    for a, d in args[:2000]:
        calendar.add(a, d)
        reference.add(a, d)
    add, walk = calendar.add, reference.add
    result = compare(
        {"BusinessCalendar.add": lambda x: add(*x), "day-by-day walk": lambda x: walk(*x)},
        args,
        "day-by-day walk",
        repeats,
    )
    got, expected = result.results["BusinessCalendar.add"], result.results["day-by-day walk"]
    wrong = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
    if wrong:
        i = wrong[0]
        raise AssertionError(
            f"add disagrees with the walk on {len(wrong)} of {n}; first {args[i]}: {got[i]} != {expected[i]}"
        )
    return result


def rows(n: int = 20_000, repeats: int = 5) -> list[Row]:
    result = run(n, repeats)
    rate = result.rate("BusinessCalendar.add")
    return [
        Row(
            "calendar add (NL office, holidays, DST), per CPU-s",
            rate.text(),
            f"day-by-day walk {result.rate('day-by-day walk').text()}",
            result.ratio("BusinessCalendar.add").text(".1f", "x"),
            f">= {GOAL:,}/s",
            rate.median >= GOAL,
        )
    ]


def main(argv: Sequence[str] = ()) -> None:
    print_table(rows(int(argv[0]) if argv else 20_000))


if __name__ == "__main__":
    main(sys.argv[1:])
