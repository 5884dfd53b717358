"""The miss probability: the desk's history and its queue, combined, with the reasons people read.

Two views of one question, "will this ticket be picked up before its pickup target?":

* history: of the tickets of its group and priority that had waited as long as this one, how many
  still missed (a Kaplan-Meier estimate on business time; see ``_survival``);
* queue: the tickets ahead of it, the pickups its group makes in each coming hour of the week, and
  the arrivals that will jump ahead of it before its deadline (higher priority). The ticket misses
  when fewer than ``ahead + 1 + jumpers`` pickups happen before the deadline; the count of pickups
  minus jumpers is taken as normal with the variance of a (dispersed) Poisson difference.

The larger of the two is the estimate: a quiet queue does not excuse a ticket that the history says
is stuck, and a flood warns before the clock has run down, which history alone never does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final

from matrixcore._decision import TraceStep

from ._history import Observation, PickupHistory
from ._queue import Horizon, Queue
from ._reasons import history_reason, part_of_day, queue_reason

if TYPE_CHECKING:
    from matrixcore._decision import Decision
    from matrixcore._engine import Engine
    from matrixcore._ticket import Ticket

__all__ = ["ArrivalRates", "Prediction", "Predictor"]

_HOUR: Final = 3600.0
#: How far ahead an expected pickup is looked for.
_LIMIT: Final = 8 * 7 * 86400.0
#: The stretch the "we pick up about N an hour" rate is averaged over.
_RATE_WINDOW: Final = 3 * _HOUR
#: Tickets of history an estimate needs at the ticket's age before it is used.
_MIN_AT_RISK: Final = 10

#: Hour-of-week arrival rates for (group, priorities): the workload forecast's, where it exists.
ArrivalRates = Callable[[str, Sequence[str]], Sequence[float] | None]


@dataclass(frozen=True, slots=True)
class Prediction:
    """How likely a ticket is to miss its pickup target, when we expect to pick it up, and why."""

    probability: float
    #: "queue", "history" or "deadline" (the target already passed): which view set the probability.
    basis: str
    queue_probability: float | None
    history_probability: float | None
    #: Waiting tickets of the group before this one.
    ahead: int
    #: Pickups per hour the group makes in the window the reason speaks of, and when that window starts.
    rate: float
    rate_from: datetime
    #: Expected pickups and jumping arrivals between now and the deadline.
    pickups: float
    arrivals: float
    expected_at: datetime | None
    group: str
    #: Which history the survival estimate came from ("group and priority", "priority", "desk"), and
    #: how many of its tickets had waited this long.
    history: str
    at_risk: int
    now: datetime
    zone: tzinfo

    def reason(self, language: str) -> str:
        """The sentence for the requester, in ``language`` (English where there is no phrase book)."""
        if self.basis == "history" and self.history_probability is not None:
            return history_reason(self.history_probability, language)
        part = part_of_day(self.rate_from, self.now, self.zone, language)
        return queue_reason(self.ahead, self.rate, part, language)

    def as_dict(self) -> dict[str, Any]:
        return {
            "probability": round(self.probability, 3),
            "basis": self.basis,
            "queue_probability": _round(self.queue_probability),
            "history_probability": _round(self.history_probability),
            "group": self.group,
            "ahead": self.ahead,
            "pickup_rate": round(self.rate, 2),
            "expected_pickups": round(self.pickups, 2),
            "expected_arrivals_ahead": round(self.arrivals, 2),
            "expected_pickup": self.expected_at.isoformat() if self.expected_at else None,
            "history": self.history,
            "history_at_risk": self.at_risk,
            "reason": self.reason("en"),
        }

    def step(self) -> TraceStep:
        """The prediction as one step of the decision trace."""
        when = self.expected_at.isoformat() if self.expected_at else "not within 8 weeks"
        return TraceStep(
            "predicted_miss",
            f"{self.probability:.0%}",
            "prediction",
            f"miss probability {self.probability:.0%} ({self.basis}: queue {_pct(self.queue_probability)}, "
            f"history {_pct(self.history_probability)}); expected pickup {when}; {self.reason('en')}",
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.0%}"


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


class Predictor:
    """Miss probabilities for a desk's waiting tickets, from its history and its current queue.

    Feed it every ticket it should know of (``observe``) and ask for one (``predict``): the queue is
    kept up to date incrementally, so a cycle or a re-evaluation between polls costs a bisection per
    ticket, not a pass over the desk.
    """

    def __init__(
        self,
        engine: Engine,
        history: PickupHistory,
        *,
        group_field: str | None = None,
        dispersion: float = 1.0,
        arrivals: ArrivalRates | None = None,
        parked_after: float = 86400.0,
    ) -> None:
        self.engine = engine
        #: Seconds past its deadline after which a waiting ticket counts as parked (set aside by the
        #: desk, waiting for something) rather than in line: it is no longer counted as ahead.
        self.parked_after = parked_after
        self.history = history
        self.group_field = group_field
        self.dispersion = dispersion
        self.zone = history.zone
        self._arrival_source = arrivals
        self._priorities = list(engine.ruleset.priorities)
        self._ranks = {name: level.rank for name, level in engine.ruleset.priorities.items()}
        ordered = sorted(self._ranks, key=self._ranks.__getitem__)
        self._above = {name: ordered[: self._ranks[name]] for name in ordered}
        self._rank_index = {name: index for index, name in enumerate(ordered)}
        self.queue = Queue(len(ordered))
        #: ``False``: the history stays as built (a backtest keeps its training weeks apart).
        self.learn = True
        #: Tickets already counted in the history as arrived, and as picked up.
        self._arrived: set[str] = set()
        self._picked: set[str] = set()
        self._horizons: dict[tuple[str, str | None], Horizon | None] = {}
        self._hour = -1.0

    # -- building ------------------------------------------------------------------------------------
    @classmethod
    def from_tickets(
        cls,
        engine: Engine,
        tickets: Iterable[Ticket],
        now: datetime,
        *,
        group_field: str | None = None,
        dispersion: float = 1.0,
        arrivals: ArrivalRates | None = None,
    ) -> Predictor:
        """History from ``tickets`` (an export, or the daemon's snapshots) as of ``now``; those still
        waiting also form the queue."""
        observations: list[Observation] = []
        waiting: list[tuple[Ticket, Decision]] = []
        seen: list[Ticket] = []
        end = now.timestamp()
        for ticket in tickets:
            if ticket.created > now:
                continue
            seen.append(ticket)
            decision = engine.classify(ticket, now)
            observations.append(observe(engine, ticket, decision, group_of(ticket, group_field), end))
            if _waiting(ticket, decision, now):
                waiting.append((ticket, decision))
        zone = _zone(engine)
        history = PickupHistory(observations, zone, end=end)
        predictor = cls(engine, history, group_field=group_field, dispersion=dispersion, arrivals=arrivals)
        predictor._arrived.update(t.key for t in seen)
        predictor._picked.update(t.key for t in seen if t.first_response or t.resolved)
        for ticket, decision in waiting:
            predictor.observe(ticket, decision)
        return predictor

    def group(self, ticket: Ticket) -> str:
        return group_of(ticket, self.group_field)

    def observe(self, ticket: Ticket, decision: Decision) -> None:
        """Keep the queue as the desk has it now (waiting tickets in, picked up or resolved ones out)
        and learn from it: a new arrival, a pickup and its wait join the history."""
        key = ticket.key
        group = self.group(ticket)
        if self.learn and key not in self._arrived:
            self._arrived.add(key)
            self.history.arrived(group, decision.priority, ticket.created.timestamp())
        if self.learn and key not in self._picked and (ticket.first_response or ticket.resolved):
            self._picked.add(key)
            item = observe(self.engine, ticket, decision, group, decision.now.timestamp())
            if item.picked_up is not None:
                self.history.picked(group, item.picked_up)
                self.history.waited(group, item.priority, item.wait, True)
        if _waiting(ticket, decision, decision.now) and decision.pickup_by is not None:
            rank = self._rank_index.get(decision.priority, len(self._priorities) - 1)
            self.queue.put(ticket.key, self.group(ticket), rank, decision.pickup_by.timestamp())
        else:
            self.queue.drop(ticket.key)

    # -- predicting ----------------------------------------------------------------------------------
    def _horizon(self, group: str, priority: str | None, now: float) -> Horizon | None:
        """Cumulative pickups (``priority`` None) or jumping arrivals from the current hour on."""
        hour = now - now % _HOUR
        if hour != self._hour:
            self._horizons.clear()
            self._hour = hour
        key = (group, priority)
        if key in self._horizons:
            return self._horizons[key]
        rates: Sequence[float] | None
        if priority is None:
            rates = self.history.pickup_rates(group)
        else:
            above = self._above.get(priority, [])
            rates = self._arrival_source(group, above) if self._arrival_source else None
            if rates is None:
                rates = self.history.arrival_rates(group, above)
        horizon = Horizon(hour, rates, self.zone) if rates is not None else None
        self._horizons[key] = horizon
        return horizon

    def predict(self, ticket: Ticket, decision: Decision) -> Prediction | None:
        """The miss probability of a waiting ticket as of ``decision.now``; ``None`` when it is not
        waiting (picked up, resolved, paused) or nothing is known to predict from."""
        now = decision.now
        if not _waiting(ticket, decision, now) or decision.pickup_by is None:
            return None
        group = self.group(ticket)
        at, deadline = now.timestamp(), decision.pickup_by.timestamp()
        target = decision.pickup_target.within.total_seconds()
        waited = decision.counted.total_seconds()
        rank = self._rank_index.get(decision.priority, len(self._priorities) - 1)
        ahead = self.queue.ahead(group, rank, deadline, at - self.parked_after)
        # history
        history_p: float | None = None
        history_at: float | None = None
        stratum, at_risk = "none", 0
        found = self.history.survival(group, decision.priority)
        if found is not None:
            survival, stratum = found
            at_risk = survival.at_risk(waited)
            if at_risk >= _MIN_AT_RISK:
                history_p = survival.miss_after(waited, target)
                if history_p is not None:
                    alive = survival.at(waited)
                    median = survival.reaching(alive / 2)
                    if median is not None:
                        calendar = self.engine.calendars[decision.pickup_target.calendar]
                        start = ticket.created.timestamp()
                        history_at = max(calendar.add_epoch(start, median + ticket.paused_seconds), at)
        # queue
        queue_p: float | None = None
        queue_at: float | None = None
        pickups = arrivals = rate = 0.0
        rate_from = at
        served = self._horizon(group, None, at)
        if served is not None:
            jumping = self._horizon(group, decision.priority, at)
            pickups = served.between(at, deadline)
            arrivals = jumping.between(at, deadline) if jumping else 0.0
            mean = pickups - arrivals
            spread = math.sqrt(self.dispersion * (pickups + arrivals))
            need = ahead + 0.5  # the ticket misses when at most ``ahead`` net pickups happen
            if deadline <= at:
                queue_p = 1.0
            elif spread > 0:
                queue_p = _normal_cdf((need - mean) / spread)
            else:
                queue_p = 1.0 if mean < need else 0.0
            first = served.reaching(at, ahead + 1, at + _LIMIT)
            if first is not None and jumping is not None:
                first = served.reaching(at, ahead + 1 + jumping.between(at, first), at + _LIMIT)
            queue_at = first
            rate, rate_from = _rate(served, at)
        if deadline <= at:
            probability, basis = 1.0, "deadline"
        elif queue_p is None and history_p is None:
            return None
        elif history_p is not None and (queue_p is None or history_p >= queue_p):
            probability, basis = history_p, "history"
        else:
            probability, basis = queue_p or 0.0, "queue"
        # The expected pickup the stronger view gives (the other's where it has none).
        expected = (history_at, queue_at) if basis == "history" else (queue_at, history_at)
        moment = next((m for m in expected if m is not None), None)
        zone = self.zone
        return Prediction(
            probability=probability,
            basis=basis,
            queue_probability=queue_p,
            history_probability=history_p,
            ahead=ahead,
            rate=rate,
            rate_from=datetime.fromtimestamp(rate_from, UTC),
            pickups=pickups,
            arrivals=arrivals,
            expected_at=datetime.fromtimestamp(moment, zone) if moment is not None else None,
            group=group,
            history=stratum,
            at_risk=at_risk,
            now=now,
            zone=zone,
        )


def _rate(served: Horizon, at: float) -> tuple[float, float]:
    """The pickup rate people are told: over the next few hours, or, if the desk is closed now,
    over the first hours it picks up again."""
    start = at
    for _ in range(7 * 24):
        rate = served.between(start, start + _RATE_WINDOW) / (_RATE_WINDOW / _HOUR)
        if rate >= 0.05:
            return rate, start
        start = start - start % _HOUR + _HOUR
    return 0.0, at


def _waiting(ticket: Ticket, decision: Decision, now: datetime) -> bool:
    return not (decision.picked_up or decision.resolved or decision.paused)


def _zone(engine: Engine) -> tzinfo:
    calendars = engine.calendars
    default = next(iter(engine.ruleset.priorities.values()), None)
    if default is not None and default.pickup.calendar in calendars:
        return calendars[default.pickup.calendar].tzinfo
    return next(iter(calendars.values())).tzinfo if calendars else UTC


def group_of(ticket: Ticket, field: str | None) -> str:
    """The queue a ticket waits in: the value of the configured field ("" = the whole desk)."""
    if not field:
        return ""
    value = ticket.get(field)
    return "" if value in (None, "") else str(value)


def observe(engine: Engine, ticket: Ticket, decision: Decision, group: str, end: float) -> Observation:
    """One ticket as history: when it arrived, when it left the queue, and its business wait."""
    left = ticket.first_response or ticket.resolved
    created = ticket.created.timestamp()
    picked = min(left.timestamp(), end) if left is not None else None
    calendar = engine.calendars[decision.pickup_target.calendar]
    wait = calendar.elapsed_epoch(created, picked if picked is not None else end) - ticket.paused_seconds
    return Observation(group, decision.priority, created, picked, max(wait, 0.0))
