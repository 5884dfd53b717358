"""Staffing: how many agents an interval needs to keep a channel's promise.

* **Real-time** channels (chat, phone, Twitter/X) queue: Erlang C (M/M/N) finds the fewest agents
  answering ``sl_target`` of contacts within ``answer_in`` at no more than ``max_occupancy``; where
  people give up (a mean patience is configured) Erlang A (M/M/N+M), whose service level counts a
  contact that abandons as not answered.
* **Right-time** channels (e-mail, the portal, posts) are a backlog with a deadline: the deadline
  model plans the fewest agents so that all work that arrived more than the response target ago
  (and the opening backlog) is done, interval by interval.

Times are in minutes throughout. Rostered headcount is ``ceil(raw / (1 - shrinkage))``: breaks,
meetings and leave take that share of paid time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Staffing",
    "deadline_plan",
    "erlang_a",
    "erlang_a_agents",
    "erlang_c",
    "erlang_c_agents",
    "fluid_simulation",
    "rostered",
]


@dataclass(frozen=True, slots=True)
class Staffing:
    """Agents for one interval: the raw number working, and what the quality of service then is."""

    agents: int
    service_level: float
    p_wait: float
    p_abandon: float = 0.0
    occupancy: float = 0.0


def rostered(agents: int, shrinkage: float) -> int:
    """Paid heads for ``agents`` working ones; a hair of float error never adds a head."""
    if agents <= 0:
        return 0
    exact = agents / (1.0 - shrinkage)
    return math.ceil(exact - 1e-9)


def _erlang_b(agents: int, load: float) -> float:
    """Erlang B by the stable recursion B(k) = A·B(k-1) / (k + A·B(k-1))."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float, aht: float, answer_in: float) -> tuple[float, float]:
    """Service level and probability of waiting with ``agents`` for ``load`` Erlangs (M/M/N)."""
    if agents <= load:
        return 0.0, 1.0
    b = _erlang_b(agents, load)
    p_wait = agents * b / (agents - load * (1.0 - b))
    service_level = max(0.0, 1.0 - p_wait * math.exp(-(agents - load) * (answer_in / aht)))
    return service_level, p_wait


def erlang_c_agents(
    volume: float,
    interval: float,
    aht: float,
    answer_in: float,
    sl_target: float,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents meeting both the service level and the occupancy cap (Erlang C)."""
    if volume <= 0:
        return Staffing(0, 1.0, 0.0)
    load = volume / interval * aht
    agents = max(1, math.floor(load) + 1, math.ceil(load / max_occupancy - 1e-12))
    while True:
        service_level, p_wait = erlang_c(agents, load, aht, answer_in)
        if service_level >= sl_target and load / agents <= max_occupancy + 1e-12:
            return Staffing(agents, service_level, p_wait, 0.0, load / agents)
        agents += 1


def erlang_a(agents: int, rate: float, aht: float, patience: float, answer_in: float) -> Staffing:
    """Erlang A (M/M/N+M): service level (answered within ``answer_in``, of all arrivals) and the
    probability of abandoning, for ``rate`` arrivals per minute and exponential ``patience``.

    Exact up to truncation: the birth-death chain's stationary distribution, and for a contact
    that finds ``j`` waiting ahead, the chance of being served (a product over the queue it climbs)
    and of being served within ``answer_in`` (uniformisation of that climb).
    """
    mu, theta = 1.0 / aht, (1.0 / patience if math.isfinite(patience) and patience > 0 else 0.0)
    if theta == 0.0 and rate * aht >= agents:
        return Staffing(agents, 0.0, 1.0, 0.0, 1.0)
    weights = [1.0]
    total, k = 1.0, 0
    while True:
        k += 1
        leave = k * mu if k <= agents else agents * mu + (k - agents) * theta
        weights.append(weights[-1] * rate / leave)
        total += weights[-1]
        if k > agents and weights[-1] < 1e-15 * total:
            break
    pi = [w / total for w in weights]
    waiting = pi[agents:]
    ahead = len(waiting)
    # served eventually, with j ahead: climb j+1 steps, each won against one's own patience
    serve_rate = [agents * mu + j * theta for j in range(ahead)]
    exit_rate = [agents * mu + (j + 1) * theta for j in range(ahead)]
    served, product = [], 1.0
    for j in range(ahead):
        product *= serve_rate[j] / exit_rate[j]
        served.append(product)
    # served within t: uniformised at rate L; f_m(j) = P(served within m jumps | j ahead)
    top = max(exit_rate) if exit_rate else 1.0
    step = [0.0] * ahead
    within = [0.0] * ahead
    poisson, mass, m = math.exp(-top * answer_in), 0.0, 0
    while mass < 1.0 - 1e-13 and m < 10_000:
        for j in range(ahead):
            within[j] += poisson * step[j]
        mass += poisson
        step = [
            serve_rate[j] / top * (step[j - 1] if j else 1.0) + (1.0 - exit_rate[j] / top) * step[j]
            for j in range(ahead)
        ]
        m += 1
        poisson *= top * answer_in / m
    p_wait = sum(waiting)
    answered_at_once = 1.0 - p_wait
    service_level = answered_at_once + sum(p * w for p, w in zip(waiting, within, strict=True))
    p_abandon = sum(p * (1.0 - s) for p, s in zip(waiting, served, strict=True))
    occupancy = rate * aht * (1.0 - p_abandon) / agents
    return Staffing(agents, service_level, p_wait, p_abandon, occupancy)


def erlang_a_agents(
    volume: float,
    interval: float,
    aht: float,
    answer_in: float,
    sl_target: float,
    patience: float,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents meeting the service level (Erlang A) and the occupancy cap."""
    if volume <= 0:
        return Staffing(0, 1.0, 0.0)
    rate = volume / interval
    agents = max(1, math.ceil(rate * aht * 0.5))
    while True:
        result = erlang_a(agents, rate, aht, patience, answer_in)
        if result.service_level >= sl_target and result.occupancy <= max_occupancy + 1e-12:
            return result
        agents += 1


def deadline_plan(
    work: Sequence[float],
    interval: float,
    response: float,
    occupancy: float = 1.0,
    backlog: float = 0.0,
) -> list[int]:
    """The fewest agents per interval so that no work waits longer than ``response`` minutes.

    ``work[s]`` is the agent-minutes arriving in interval ``s`` (volume x handle time) and
    ``backlog`` the agent-minutes waiting at the start. The intervals are the staffed ones only,
    back to back: a target counts business time, so work that arrives while the desk is closed
    belongs to the next open interval (the caller moves it there). Capacity up to the end of each
    interval must cover the backlog and all work that arrived more than ``response`` before it; each
    interval gets just enough for that, no earlier than needed: the least total.
    """
    n = len(work)
    per_agent = interval * occupancy
    arrived = []
    total = backlog
    for amount in work:
        total += amount
        arrived.append(total)
    lag = response / interval
    plan = [0] * n
    done = 0.0
    for s in range(n):
        cutoff = (s + 1) - lag  # how many intervals (and a fraction) have fallen due by the end of s
        whole = math.floor(cutoff)
        due = backlog if whole < 1 else arrived[min(whole, n) - 1]
        if 0 <= whole < n and cutoff > whole:
            due += work[whole] * (cutoff - whole)
        short = due - done
        agents = math.ceil(short / per_agent - 1e-9) if short > 1e-9 else 0
        plan[s] = agents
        done = min(done + agents * per_agent, arrived[s])
    return plan


def fluid_simulation(
    plan: Sequence[int],
    work: Sequence[float],
    interval: float,
    response: float,
    occupancy: float = 1.0,
    backlog: float = 0.0,
) -> float:
    """The share of work done within ``response`` under ``plan``: work served first come, first
    served as a fluid, each interval's arrivals and capacity spread evenly over it, minute by minute
    (a minute's work arrives by its end, and is done by the end of the minute it is served in).
    Work still waiting at the end counts late once its deadline has passed."""
    steps = max(1, round(interval))
    minute = interval / steps
    queue: deque[list[float]] = deque([[0.0, backlog]] if backlog > 0 else [])  # [arrived at, work]
    late = 0.0
    for s, amount in enumerate(work):
        for i in range(steps):
            now = (s * steps + i) * minute
            queue.append([now, amount / steps])
            capacity = plan[s] * minute * occupancy
            while capacity > 1e-12 and queue:
                head = queue[0]
                take = min(capacity, head[1])
                if now - head[0] > response + 1e-9:  # done in the minute that starts ``now``
                    late += take
                head[1] -= take
                capacity -= take
                if head[1] <= 1e-12:
                    queue.popleft()
    end = len(work) * interval
    late += sum(item[1] for item in queue if end - item[0] > response + 1e-9)
    total = backlog + sum(work)
    return 1.0 - late / total if total else 1.0
