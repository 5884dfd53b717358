"""Staffing measured against references: Erlang C against the golden table (to 1e-12), Erlang A
against a seeded simulation of its own queue, the deadline model against a fluid simulation."""

from __future__ import annotations

import heapq
import math
import random
from collections import deque

import pytest

from matrixcore.forecast import (
    deadline_plan,
    erlang_a,
    erlang_a_agents,
    erlang_c,
    erlang_c_agents,
    fluid_simulation,
    rostered,
)

# volume, interval, aht, answer_in, sl_target, max_occ, shrinkage, raw_n, rostered, sl, p_wait
# (../shared/research-data/staffing/README.md: pyworkforce 0.5.1 and CRAN ErlangC agree on them)
GOLDEN = [
    (100, 30, 3, 20 / 60, 0.80, 0.85, 0.30, 14, 20, 0.8883500191794669, 0.1741319335950498),
    (50, 60, 4, 0.5, 0.80, 1.0, 0, 6, 6, 0.8937981243813748, 0.14821665718080065),
    (200, 60, 5, 20 / 60, 0.90, 1.0, 0, 23, 23, 0.9340228649847533, 0.10063805485991582),
    (20, 60, 10, 1, 0.80, 1.0, 0, 6, 6, 0.8864766620475466, 0.14821665718080057),
    (1000, 60, 3, 20 / 60, 0.80, 1.0, 0, 56, 56, 0.8411755456891564, 0.30934779621316305),
]


@pytest.mark.parametrize("row", GOLDEN, ids=[f"{r[0]}-in-{r[1]}m" for r in GOLDEN])
def test_erlang_c_reproduces_every_row_of_the_golden_table(row):
    volume, interval, aht, answer_in, target, occupancy, shrinkage, raw_n, heads, sl, p_wait = row
    result = erlang_c_agents(volume, interval, aht, answer_in, target, occupancy)
    assert result.agents == raw_n
    assert rostered(result.agents, shrinkage) == heads
    assert abs(result.service_level - sl) < 1e-12
    assert abs(result.p_wait - p_wait) < 1e-12
    # one agent fewer misses a target
    fewer_sl, _ = erlang_c(raw_n - 1, volume / interval * aht, aht, answer_in)
    assert fewer_sl < target or volume / interval * aht / (raw_n - 1) > occupancy


def test_an_interval_without_work_needs_nobody_and_an_overload_waits_always():
    assert erlang_c_agents(0, 60, 5, 1, 0.8).agents == 0
    assert erlang_c(5, 5.0, 3, 1) == (0.0, 1.0)
    assert rostered(0, 0.3) == 0
    assert rostered(7, 0.3) == 10


def simulate_erlang_a(agents, rate, aht, patience, answer_in, arrivals, seed):
    """M/M/N+M by discrete events: FIFO, exponential patience; the share of all arrivals answered
    within ``answer_in`` and the share that gave up."""
    rng = random.Random(seed)
    busy: list[float] = []  # completion times of busy agents
    queue: deque[tuple[float, float]] = deque()  # (arrived, gives up at)
    answered = abandoned = 0
    now = 0.0

    def serve(at: float, arrived: float) -> None:
        nonlocal answered
        if at - arrived <= answer_in:
            answered += 1
        heapq.heappush(busy, at + rng.expovariate(1 / aht))

    def free_until(until: float) -> None:
        nonlocal abandoned
        while busy and busy[0] <= until:
            done = heapq.heappop(busy)
            while queue and queue[0][1] < done:
                queue.popleft()
                abandoned += 1
            if queue:
                arrived, _ = queue.popleft()
                serve(done, arrived)

    for _ in range(arrivals):
        now += rng.expovariate(rate)
        free_until(now)
        if len(busy) < agents:
            serve(now, now)
        else:
            queue.append((now, now + rng.expovariate(1 / patience)))
    free_until(math.inf)
    abandoned += len(queue)
    return answered / arrivals, abandoned / arrivals


# agents, lambda per minute, aht, mean patience; the reference rows of the staffing README
ERLANG_A_ROWS = [(14, 100 / 30, 3, 2), (10, 100 / 30, 3, 2), (10, 100 / 30, 3, 5)]


@pytest.mark.parametrize("row", ERLANG_A_ROWS, ids=["14-agents", "10-agents", "patient"])
def test_erlang_a_is_within_a_point_of_a_seeded_simulation(row):
    agents, rate, aht, patience = row
    formula = erlang_a(agents, rate, aht, patience, 20 / 60)
    sl, p_abandon = simulate_erlang_a(agents, rate, aht, patience, 20 / 60, 150_000, seed=agents + patience)
    assert abs(formula.service_level - sl) < 0.01
    assert abs(formula.p_abandon - p_abandon) < 0.01


def test_erlang_a_matches_the_reference_formula_values():
    """The README's formula column (Mandelbaum and Zeltyn's Erlang A), to its four digits."""
    expected = [(0.9327, 0.0228), (0.6399, 0.1375), (0.5168, 0.1094)]
    for (agents, rate, aht, patience), (sl, ab) in zip(ERLANG_A_ROWS, expected, strict=True):
        result = erlang_a(agents, rate, aht, patience, 20 / 60)
        assert round(result.service_level, 4) == sl
        assert round(result.p_abandon, 4) == ab


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    load = 100 / 30 * 3
    c_sl, c_wait = erlang_c(14, load, 3, 20 / 60)
    gaps = []
    for patience in (5, 50, 500, 5000, 1e7):
        a = erlang_a(14, 100 / 30, 3, patience, 20 / 60)
        gaps.append(abs(a.service_level - c_sl))
        assert a.p_abandon < 1 / patience * 10
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[-1] < 1e-6
    assert abs(erlang_a(14, 100 / 30, 3, 1e7, 20 / 60).p_wait - c_wait) < 1e-6


def test_impatient_people_need_fewer_agents_for_the_same_answered_share():
    c = erlang_c_agents(100, 30, 3, 20 / 60, 0.8)
    a = erlang_a_agents(100, 30, 3, 20 / 60, 0.8, patience=1.0)
    assert a.agents <= c.agents
    assert a.service_level >= 0.8


def synthetic_week(seed=7):
    """A week of right-time work in agent-minutes per open hour (10 a weekday), busy mornings."""
    rng = random.Random(seed)
    work = []
    for _day in range(5):
        for hour in range(10):
            work.append(rng.uniform(0.6, 1.4) * (300 if hour < 3 else 150))
    return work


def test_the_deadline_plan_answers_all_work_within_the_target():
    work = synthetic_week()
    plan = deadline_plan(work, 60, response=240, occupancy=0.85, backlog=500)
    assert fluid_simulation(plan, work, 60, 240, 0.85, 500) == 1.0
    # the least plan: nothing is staffed before work falls due
    assert plan[:3] == [0, 0, 0] or sum(plan[:3]) * 60 * 0.85 <= 500 + 60 * 0.85 * 3


def test_removing_one_agent_hour_from_the_tightest_interval_breaks_the_plan():
    work = synthetic_week()
    plan = deadline_plan(work, 60, response=240, occupancy=0.85, backlog=500)
    # the tightest interval: the least capacity to spare over what had fallen due by its end
    done = 0.0
    slack = []
    arrived = 500.0
    for s, agents in enumerate(plan):
        arrived += work[s]
        done = min(done + agents * 60 * 0.85, arrived)
        due = 500 + sum(work[: max(0, s + 1 - 4)])
        slack.append((done - due, s) if agents else (math.inf, s))
    tightest = min(slack)[1]
    fewer = list(plan)
    fewer[tightest] -= 1
    assert fluid_simulation(fewer, work, 60, 240, 0.85, 500) < 1.0
    # and so does any other staffed interval: no agent-hour in the plan is spare
    for s in range(len(plan)):
        if plan[s]:
            fewer = list(plan)
            fewer[s] -= 1
            assert fluid_simulation(fewer, work, 60, 240, 0.85, 500) < 1.0, s


def test_plain_division_is_the_deadline_model_with_a_day_to_answer():
    """ServiceNow's demand forecast (volume x work time / agent day) is the case R = one day."""
    work = [480.0] * 8 + [0.0] * 8  # one day of 8 hours' work, then a quiet day
    plan = deadline_plan(work, 60, response=8 * 60, occupancy=1.0)
    assert sum(plan) == 64  # 3840 agent-minutes = 64 agent-hours: volume x work time / agent hour
    assert plan == [0] * 8 + [8] * 8  # each hour's work done within the day (here: the next day)
    assert fluid_simulation(plan, work, 60, 8 * 60) == 1.0
