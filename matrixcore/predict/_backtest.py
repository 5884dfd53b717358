"""Replaying a desk's history as the daemon would have lived it: when would each ticket have been
warned, and was it right?

Train on the first weeks (the history the predictor starts from), then step through the rest every
15 simulated minutes: arrivals join the queue, pickups leave it, and every waiting ticket before its
deadline gets its miss probability. The probabilities are kept per ticket, so any threshold can be
scored afterwards. Scores per *lead time*: the moment when a given share of the target is still
left (90% of it before the deadline ... 25%). Both rules are judged on the same tickets, those still
waiting at that moment: the elapsed-share rule warns all of them; the prediction the ones whose
probability has reached its threshold by then. Precision: the share of warned tickets that missed;
recall: the share of the misses that were warned.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ._model import Predictor

if TYPE_CHECKING:
    from matrixcore._engine import Engine
    from matrixcore._ticket import Ticket

__all__ = ["LEADS", "Case", "LeadScore", "Replay", "inject_spike", "replay"]

#: Lead times scored: the share of the pickup target still left when the warning must be given.
LEADS: Final = (0.9, 0.75, 0.66, 0.5, 0.25)
STEP: Final = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Case:
    """A ticket as it arrived, and when it was really picked up (``None``: never, in the data)."""

    ticket: Ticket
    picked_up: datetime | None


@dataclass(slots=True)
class _Outcome:
    key: str
    group: str
    created: float
    deadline: float
    picked: float | None
    #: When each share of the target had elapsed, by lead time (``LEADS``).
    marks: dict[float, float]
    #: (simulated instant, miss probability, which view set it) while it waited before its deadline.
    track: list[tuple[float, float, str]] = field(default_factory=list)

    @property
    def missed(self) -> bool:
        return self.picked is None or self.picked > self.deadline

    def warned_at(self, threshold: float) -> float | None:
        return next((t for t, p, _ in self.track if p >= threshold), None)


@dataclass(frozen=True, slots=True)
class LeadScore:
    """Precision and recall of both rules at one lead time."""

    lead: float
    tickets: int
    misses: int
    elapsed_warned: int
    elapsed_precision: float | None
    predicted_warned: int
    predicted_precision: float | None
    predicted_recall: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead": self.lead,
            "tickets": self.tickets,
            "misses": self.misses,
            "elapsed": {
                "warned": self.elapsed_warned,
                "precision": _r(self.elapsed_precision),
                "recall": 1.0,
            },
            "predicted": {
                "warned": self.predicted_warned,
                "precision": _r(self.predicted_precision),
                "recall": _r(self.predicted_recall),
            },
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class Replay:
    """The outcome of every replayed ticket, and its probabilities while it waited."""

    def __init__(self, outcomes: Sequence[_Outcome], start: datetime, end: datetime, steps: int) -> None:
        self.outcomes = outcomes
        self.start, self.end, self.steps = start, end, steps

    def scores(self, threshold: float, keys: Iterable[str] | None = None) -> list[LeadScore]:
        chosen = set(keys) if keys is not None else None
        out = []
        for lead in LEADS:
            cases = [o for o in self.outcomes if chosen is None or o.key in chosen]
            waiting = [o for o in cases if o.picked is None or o.picked > o.marks[lead]]
            misses = [o for o in waiting if o.missed]
            # Among the tickets still waiting at this lead time: those the prediction has warned.
            warned = []
            for o in waiting:
                at = o.warned_at(threshold)
                if at is not None and at <= o.marks[lead]:
                    warned.append(o)
            hits = sum(o.missed for o in warned)
            out.append(
                LeadScore(
                    lead=lead,
                    tickets=len(waiting),
                    misses=len(misses),
                    elapsed_warned=len(waiting),
                    elapsed_precision=_ratio(len(misses), len(waiting)),
                    predicted_warned=len(warned),
                    predicted_precision=_ratio(hits, len(warned)),
                    predicted_recall=_ratio(hits, len(misses)),
                )
            )
        return out

    def earliness(self, threshold: float, keys: Iterable[str], share: float = 0.5) -> dict[str, Any]:
        """For the misses among ``keys``: how much earlier than the ``share``-elapsed rule the
        prediction warned (minutes, median with min and max), and the prediction's precision there."""
        chosen = set(keys)
        cases = [o for o in self.outcomes if o.key in chosen]
        lead = round(1 - share, 2)
        gains = []
        warned = hits = 0
        for o in cases:
            at = o.warned_at(threshold)
            if at is None:
                continue
            warned += 1
            hits += o.missed
            if o.missed:
                gains.append((o.marks[lead] - at) / 60)
        misses = sum(o.missed for o in cases)
        return {
            "tickets": len(cases),
            "misses": misses,
            "warned": warned,
            "warned_misses": hits,
            "precision": _r(_ratio(hits, warned)),
            "recall": _r(_ratio(hits, misses)),
            "minutes_earlier_median": round(statistics.median(gains), 1) if gains else None,
            "minutes_earlier_min": round(min(gains), 1) if gains else None,
            "minutes_earlier_max": round(max(gains), 1) if gains else None,
        }

    def warnings(self, threshold: float) -> list[tuple[str, str]]:
        """(ticket key, first warning instant) for every warned ticket: what a golden file keeps."""
        out = []
        for o in sorted(self.outcomes, key=lambda o: (o.created, o.key)):
            at = o.warned_at(threshold)
            if at is not None:
                out.append((o.key, datetime.fromtimestamp(at, UTC).isoformat()))
        return out


def replay(
    engine: Engine,
    cases: Sequence[Case],
    train_end: datetime,
    end: datetime,
    *,
    step: timedelta = STEP,
    group_field: str | None = None,
    dispersion: float = 1.0,
) -> Replay:
    """Train on the cases created before ``train_end``; replay the rest until ``end``."""
    history = []
    for case in cases:
        if case.ticket.created >= train_end:
            continue
        picked = case.picked_up if case.picked_up is not None and case.picked_up <= train_end else None
        history.append(case.ticket.evolve(first_response=picked) if picked else case.ticket)
    predictor = Predictor.from_tickets(
        engine, history, train_end, group_field=group_field, dispersion=dispersion
    )
    predictor.learn = False  # the training weeks only: nothing of the replay leaks into the history
    pickups = sorted(
        (c.picked_up.timestamp(), c.ticket.key)
        for c in cases
        if c.picked_up is not None and c.picked_up > train_end
    )
    arrivals = sorted(
        (c for c in cases if train_end <= c.ticket.created < end),
        key=lambda c: (c.ticket.created, c.ticket.key),
    )
    outcomes: dict[str, _Outcome] = {}
    tickets: dict[str, Ticket] = {}
    picked_at = {c.ticket.key: c.picked_up.timestamp() if c.picked_up else None for c in cases}
    active: dict[str, float] = {}  # waiting replayed tickets before their deadline -> deadline
    now, steps = train_end, 0
    next_arrival = next_pickup = 0
    while now < end:
        moment = now.timestamp()
        while next_arrival < len(arrivals) and arrivals[next_arrival].ticket.created <= now:
            case = arrivals[next_arrival]
            next_arrival += 1
            ticket = case.ticket
            key = ticket.key
            decision = engine.classify(ticket, now)
            if decision.pickup_by is None:
                continue
            target = decision.pickup_target
            calendar = engine.calendars[target.calendar]
            marks = {
                lead: calendar.add(ticket.created, target.within * (1 - lead)).timestamp() for lead in LEADS
            }
            pickup = picked_at[key]
            outcomes[key] = _Outcome(
                key, predictor.group(ticket), ticket.created.timestamp(), decision.pickup_by.timestamp(),
                pickup, marks,
            )  # fmt: skip
            if pickup is None or pickup > moment:
                tickets[key] = ticket
                predictor.observe(ticket, decision)
                active[key] = decision.pickup_by.timestamp()
        while next_pickup < len(pickups) and pickups[next_pickup][0] <= moment:
            key = pickups[next_pickup][1]
            next_pickup += 1
            predictor.queue.drop(key)
            active.pop(key, None)
        for key, deadline in list(active.items()):
            if deadline <= moment:
                del active[key]
                continue
            ticket = tickets[key]
            decision = engine.classify(ticket, now)
            prediction = predictor.predict(ticket, decision)
            if prediction is not None:
                outcomes[key].track.append((moment, prediction.probability, prediction.basis))
        now += step
        steps += 1
    # Only tickets whose outcome the data can tell: their deadline before the end of the replay.
    known = [o for o in outcomes.values() if o.deadline <= end.timestamp()]
    return Replay(known, train_end, end, steps)


def inject_spike(
    cases: Sequence[Case],
    group_field: str,
    group: str,
    start: datetime,
    *,
    hours: float = 4.0,
    factor: int = 3,
    capacity: Mapping[int, float],
    seed: int = 0,
) -> tuple[list[Case], list[str]]:
    """Arrivals into ``group`` multiplied by ``factor`` for ``hours`` from ``start`` (seeded copies of
    the real arrivals, spread over the next 15 minutes), and the pickups they would get.

    The truth inside a spike is not in the data, so it is simulated and said to be: the group picks
    up at most ``capacity[hour of the week]`` an hour (the most it ever did in training), serving the
    tickets of the spike by priority rank and arrival, never earlier than a ticket's own real pickup
    (a copy: its original's wait). Tickets outside the spike keep their real pickups. Returns the new
    cases and the keys of the spike's tickets (originals and copies).
    """
    rng = random.Random(seed)
    end = start + timedelta(hours=hours)
    out: list[Case] = []
    spike: list[Case] = []
    for case in cases:
        ticket = case.ticket
        if start <= ticket.created < end and str(ticket.get(group_field) or "") == group:
            spike.append(case)
            for copy in range(factor - 1):
                offset = timedelta(seconds=rng.uniform(0, 900))
                clone = ticket.evolve(id=f"{ticket.id}~spike{copy + 1}", created=ticket.created + offset)
                picked = case.picked_up + offset if case.picked_up is not None else None
                spike.append(Case(clone, picked))
        else:
            out.append(case)
    # Slots the desk has left: capacity per hour minus the real pickups of the group's other tickets.
    used: dict[int, int] = {}
    for case in out:
        if case.picked_up is not None and str(case.ticket.get(group_field) or "") == group:
            index = int((case.picked_up - start).total_seconds() // 3600)
            used[index] = used.get(index, 0) + 1
    order = sorted(spike, key=lambda c: (c.ticket.created, c.ticket.id))
    hour, taken = 0, 0
    served: list[Case] = []
    waiting: list[Case] = []
    pending = list(order)
    while pending or waiting:
        moment = start + timedelta(hours=hour)
        while pending and pending[0].ticket.created < moment + timedelta(hours=1):
            waiting.append(pending.pop(0))
        slot_hour = (moment.weekday() * 24 + moment.hour) % 168
        room = max(int(capacity.get(slot_hour, 0.0)) - used.get(hour, 0), 0)
        waiting.sort(key=lambda c: (c.ticket.priority or "", c.ticket.created, c.ticket.id))
        taken = 0
        keep: list[Case] = []
        for case in waiting:
            if taken < room and case.ticket.created < moment + timedelta(hours=1):
                taken += 1
                slot = max(moment + timedelta(minutes=60 * taken / max(room, 1)), case.ticket.created)
                real = case.picked_up
                served.append(Case(case.ticket, max(slot, real) if real is not None else None))
            else:
                keep.append(case)
        waiting = keep
        hour += 1
        if hour > 24 * 28:  # nothing served for four weeks: leave the rest as never picked up
            served += [Case(c.ticket, None) for c in waiting + pending]
            break
    out += served
    out.sort(key=lambda c: (c.ticket.created, c.ticket.id))
    return out, [c.ticket.key for c in spike]
