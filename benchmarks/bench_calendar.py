"""How fast the business calendar counts: ``add`` and ``elapsed`` per second on a Dutch office calendar.

The engine computes a pickup and a resolve target for every ticket it sees, so ``add`` is on the hot
path. The workload is deliberately unkind: start instants spread over four years (every DST change
and Dutch public holiday in them), any time of day or night, durations from a minute to a week.
Seeded, so runs are comparable. Run ``python benchmarks/bench_calendar.py [n]``.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from matrixcore._calendar import BusinessCalendar

__all__ = ["GOAL", "NL_OFFICE", "main", "run"]

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


def _rate(func: Callable[[Any, Any], object], args: Sequence[tuple[Any, Any]]) -> float:
    began = time.perf_counter()
    for a, b in args:
        func(a, b)
    return len(args) / (time.perf_counter() - began)


def run(n: int = 200_000, seed: int = 20250101) -> dict[str, float]:
    """Computations per second of ``add``, ``elapsed`` and their epoch variants (best of three)."""
    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Amsterdam")
    calendar = BusinessCalendar.from_config("nl-office", NL_OFFICE)
    starts = [rng.uniform(_FIRST, _LAST) for _ in range(n)]
    # Log-uniform from one minute to a week: most targets are hours, some are days.
    spans = [60 * 10 ** rng.uniform(0, 4) for _ in range(n)]
    add_args = [
        (datetime.fromtimestamp(round(s), tz), timedelta(seconds=round(d)))
        for s, d in zip(starts, spans, strict=True)
    ]
    elapsed_args = [(s, s + d) for s, d in add_args]
    epoch_args = [(float(round(s)), float(round(d))) for s, d in zip(starts, spans, strict=True)]
    epoch_elapsed_args = [(s, s + d) for s, d in epoch_args]
    # Warm the lazily built chunks and holiday years, as a running engine has them.
    for s, d in add_args[:2000]:
        calendar.add(s, d)
    results: dict[str, float] = {}
    cases: tuple[tuple[str, Callable[[Any, Any], object], Sequence[tuple[Any, Any]]], ...] = (
        ("add/s", calendar.add, add_args),
        ("elapsed/s", calendar.elapsed, elapsed_args),
        ("add_epoch/s", calendar.add_epoch, epoch_args),
        ("elapsed_epoch/s", calendar.elapsed_epoch, epoch_elapsed_args),
    )
    for label, func, args in cases:
        results[label] = max(_rate(func, args) for _ in range(3))
    return results


def main(argv: Sequence[str] = ()) -> None:
    count = int(argv[0]) if argv else 200_000
    print(f"business calendar, Europe/Amsterdam office hours with NL holidays, n={count:,}")
    for name, rate in run(count).items():
        goal = f"   ({rate / GOAL:.1f}x the goal of {GOAL:,}/s)" if name == "add/s" else ""
        print(f"  {name:<16} {rate:>12,.0f}{goal}")


if __name__ == "__main__":
    main(sys.argv[1:])
