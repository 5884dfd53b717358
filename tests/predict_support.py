"""A generated desk for the predicted-miss tests: seeded, so every run replays the same weeks.

Three teams pick up tickets in priority and deadline order at a few an hour in office hours; one
ticket in twenty is parked for days (waiting for a part, a vendor) and picked up late; ``spike``
triples one team's arrivals for four hours. Pickups are simulated, so the truth is known.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from matrixcore import Ticket
from matrixcore.predict._backtest import Case

#: Monday 4 January 2027, 00:00 UTC: the generated desk's first day.
START = datetime(2027, 1, 4, tzinfo=UTC)
TEAMS = {"service": 4.0, "network": 2.0, "apps": 1.5}  # arrivals an hour in office hours
CAPACITY = {"service": 5, "network": 3, "apps": 2}  # pickups an hour in office hours
PRIORITIES = (("1 - Critical", 0.03), ("2 - High", 0.12), ("3 - Moderate", 0.7), ("4 - Low", 0.15))
TARGET_HOURS = {"1 - Critical": 1, "2 - High": 2, "3 - Moderate": 4, "4 - Low": 8}


def _office(moment: datetime) -> bool:
    return moment.weekday() < 5 and 8 <= moment.hour < 18


def generate(weeks: int = 6, seed: int = 7, spike: tuple[str, datetime] | None = None) -> list[Case]:
    rng = random.Random(seed)
    tickets: list[tuple[datetime, str, str, int]] = []
    number = 0
    for hour in range(weeks * 168):
        moment = START + timedelta(hours=hour)
        for team, rate in TEAMS.items():
            rate = rate if _office(moment) else rate / 10
            if spike and spike[0] == team and spike[1] <= moment < spike[1] + timedelta(hours=4):
                rate *= 3
            count = sum(1 for _ in range(20) if rng.random() < rate / 20)
            for _ in range(count):
                number += 1
                created = moment + timedelta(seconds=rng.uniform(0, 3600))
                roll, priority = rng.random(), PRIORITIES[-1][0]
                for name, share in PRIORITIES:
                    if roll < share:
                        priority = name
                        break
                    roll -= share
                tickets.append((created, team, priority, number))
    tickets.sort()
    picked: dict[int, datetime | None] = {}
    for team in TEAMS:
        queue: list[tuple[int, datetime, int]] = []
        mine = [t for t in tickets if t[1] == team]
        index = 0
        for hour in range(weeks * 168 + 24 * 14):
            moment = START + timedelta(hours=hour)
            while index < len(mine) and mine[index][0] < moment + timedelta(hours=1):
                created, _, priority, n = mine[index]
                index += 1
                if rng.random() < 0.05:  # parked for days
                    picked[n] = created + timedelta(hours=rng.uniform(30, 90))
                    continue
                deadline = created + timedelta(hours=TARGET_HOURS[priority])
                queue.append((int(priority[0]), deadline, n))
            if not _office(moment):
                continue
            queue.sort()
            served, queue = queue[: CAPACITY[team]], queue[CAPACITY[team] :]
            created_of = {t[3]: t[0] for t in mine}
            for slot, (_, _, n) in enumerate(served):
                at = moment + timedelta(minutes=(slot + 0.5) * 60 / CAPACITY[team])
                picked[n] = max(at, created_of[n] + timedelta(minutes=2))
        for _, _, n in queue:
            picked[n] = None
    return [
        Case(
            Ticket(
                source="generated",
                id=f"G{n:05d}",
                number=f"G{n:05d}",
                created=created,
                priority=priority,
                custom={"assignment_group": team},
            ),
            picked.get(n),
        )
        for created, team, priority, n in tickets
    ]
