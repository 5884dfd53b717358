"""Synthetic ticket arrivals that look like a desk's: a weekly rhythm, a lunch dip, quiet weekends,
and counts over-dispersed the way real ones are (negative binomial: variance ``mu + d·mu²``).

For tests and benchmarks of ``matrixcore.forecast`` wherever the research data is absent; seeded, so
a figure measured on it is the same on every machine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, tzinfo

__all__ = ["DESK_CHANNELS", "arrival_counts", "arrival_times", "hourly_rhythm"]

#: Six channels with the daily volumes of a mid-sized desk (tickets on a weekday).
DESK_CHANNELS: dict[str, float] = {
    "phone": 160.0,
    "email": 120.0,
    "portal": 90.0,
    "chat": 60.0,
    "twitter": 25.0,
    "facebook": 12.0,
}


def hourly_rhythm(weekday: int, hour: int) -> float:
    """The share of a weekday's tickets in one hour (weekends: a tenth of the level, flatter)."""
    if weekday >= 5:
        return 0.1 / 24 * (1.5 if 9 <= hour < 21 else 0.5)
    if 8 <= hour < 18:
        return (0.085 if hour != 12 else 0.05) * (1.15 if hour in (9, 10) else 1.0)
    return 0.004


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def arrival_counts(
    weeks: int,
    level: float,
    *,
    seed: int = 1,
    dispersion: float = 0.08,
    trend: float = 0.0,
    minutes: int = 60,
) -> list[int]:
    """Counts per interval for ``weeks`` weeks from a Monday 00:00; ``level`` tickets on a weekday,
    growing by ``trend`` (a share) per week; a weekday's level varies day to day too."""
    rng = random.Random(seed)
    per_hour = 60 // minutes
    out: list[int] = []
    for week in range(weeks):
        for day in range(7):
            day_level = level * (1 + trend) ** week * rng.gammavariate(1 / 0.02, 0.02)
            for hour in range(24):
                for _ in range(per_hour):
                    mu = day_level * hourly_rhythm(day, hour) / per_hour
                    lam = rng.gammavariate(1 / dispersion, mu * dispersion) if mu > 0 else 0.0
                    out.append(_poisson(rng, lam))
    return out


def arrival_times(
    start: datetime, counts: Sequence[int], zone: tzinfo, minutes: int = 60, seed: int = 1
) -> Iterator[datetime]:
    """Creation times spreading ``counts`` uniformly over their intervals from ``start`` (local)."""
    rng = random.Random(seed)
    for i, count in enumerate(counts):
        base = start + timedelta(minutes=i * minutes)
        for _ in range(count):
            yield (base + timedelta(seconds=rng.uniform(0, minutes * 60 - 1))).replace(tzinfo=zone)
