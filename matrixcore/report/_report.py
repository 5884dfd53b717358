"""The dry-run report: every ticket through the engine as it arrived, and judged against what happened.

For each ticket the report asks what matrixcore would have done when the ticket came in: the
classification (``matrixcore_classify``, so plugins decide as they do in the daemon), the promised
pickup and resolution moments, and the messages the requester would have had, replayed through the
communication policies (``matrixcore_select_messages``) from arrival until the ticket was picked up.
Then it compares the promises with the export's real pickup and resolution times (the backtest).

Nothing is written anywhere: the source is read, rows go to the output format, and the summary is
built as the rows stream past (``_summary``), so memory does not grow with the export.

Formats (``matrixcore_report_formats``) get a ``Report``: iterate ``report.rows`` for the tickets
selected for output, then read ``report.summary`` (reading it first simply skips the rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final, Literal

from matrixcore._decision import FROM_SOURCE, Decision, Message, SentMessage, TraceStep
from matrixcore._engine import Engine
from matrixcore._plugins import Plugins
from matrixcore._ruleset import Ruleset
from matrixcore._ticket import Ticket, parse_instant
from matrixcore.predict._backtest import Case
from matrixcore.predict._report import MAX_CASES, prediction_backtest

from ._summary import Summary

__all__ = [
    "DIMENSIONS",
    "TICKET_SELECTIONS",
    "Outcome",
    "Report",
    "ReportMeta",
    "ReportRow",
    "SourceFacts",
]

DIMENSIONS: Final = ("impact", "urgency", "priority")
#: What ``--tickets`` takes: which tickets get a row of their own (the summary counts all).
TICKET_SELECTIONS: Final = ("all", "changed", "missed", "none")
#: How a promise fared: kept, broken, not yet due (still open at ``as_of``), or not known because
#: the export lacks the time.
Outcome = Literal["met", "missed", "pending", "unknown"]
#: Words in a status that say the work on a ticket is over (any tool, any case): such a ticket
#: without a resolution time is "unknown", never "missed".
_DONE_WORDS: Final = (
    "closed",
    "resolved",
    "solved",
    "cancel",
    "complete",
    "done",
    "gesloten",
    "afgemeld",
    "afgesloten",
    "opgelost",
    "gereed",
    "afgehandeld",
    "geannuleerd",
)
#: How a ticket that is done but has no resolution time fared by its closing time: closed before
#: the promised resolution (so certainly resolved in time), closed after it (resolved some time
#: before closing: not known), or with no closing time either.
ClosedOutcome = Literal["within", "after", "no_time"]
#: Rounds of message selection per ticket; each round sends at least one message or stops, and a
#: ruleset has a handful of timed policies, so this bound is never reached by real rules.
_MAX_ROUNDS: Final = 16


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What the report is about: shown in every format's header."""

    as_of: datetime
    generated_at: datetime
    source: str
    rules: str
    rules_name: str = ""
    config: str = ""
    tickets: str = "changed"
    version: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "source": self.source,
            "rules": self.rules,
            "rules_name": self.rules_name,
            "config": self.config,
            "tickets": self.tickets,
            "matrixcore": self.version,
        }


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """Which ticket fields the source carries, so a missing column reads "unknown", not "missed"."""

    first_response: bool = True
    resolved: bool = True
    impact: bool = True
    urgency: bool = True
    priority: bool = True

    @classmethod
    def of(cls, provides: Callable[[str], bool] | None) -> SourceFacts:
        if provides is None:
            return cls()
        return cls(*(provides(name) for name in ("first_response", "resolved", *DIMENSIONS)))


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One ticket: what it has now, what matrixcore proposes, what was promised and how it fared."""

    ticket: Ticket
    #: The decision as the ticket arrived (``now`` = its creation time).
    decision: Decision
    #: Dimensions whose proposed value differs from the ticket's current one (or sets a missing one).
    changed: tuple[str, ...]
    pickup: Outcome
    resolution: Outcome
    #: The source system's own SLA outcome; ``None`` when the export carries none.
    source_sla: Outcome | None
    #: When the ticket was picked up as far as the export says (first response, else resolution).
    picked_up_at: datetime | None
    #: The messages that would have gone out, in order, rendered in the requester's language.
    messages: tuple[Message, ...] = ()
    #: The report's trace cache (traces of alike decisions are expanded once).
    traces: _Traces | None = field(default=None, repr=False, compare=False)
    #: Done (closed or resolved) without a resolution time: how it fared by its closing time.
    closed_without_resolution: ClosedOutcome | None = None

    @property
    def number(self) -> str:
        return self.ticket.number or self.ticket.id

    @property
    def priority(self) -> str:
        """The proposed priority."""
        return self.decision.priority

    @property
    def current(self) -> tuple[str | None, str | None, str | None]:
        return self.ticket.impact, self.ticket.urgency, self.ticket.priority

    @property
    def proposed(self) -> tuple[str, str, str]:
        return self.decision.impact, self.decision.urgency, self.decision.priority

    @property
    def missed(self) -> bool:
        return self.pickup == "missed" or self.resolution == "missed"

    def trace(self, ruleset: Ruleset) -> list[TraceStep]:
        """The decision's trace (``Decision.trace``): which rule set what, the targets, the clock."""
        if self.traces is not None and self.traces.ruleset is ruleset:
            return self.traces.steps(self.decision)
        return self.decision.trace(ruleset)

    def reasons(self, ruleset: Ruleset) -> str:
        """The rules that decided, in a few words: ``major-outage; vip-requester`` or ``defaults``."""
        evaluation = self.decision.evaluation
        names = [ruleset.rules[i].name for i in dict.fromkeys(evaluation.deciding_rules())]
        if FROM_SOURCE in (evaluation.impact_rule, evaluation.urgency_rule):
            names.insert(0, "kept from the source")
        return "; ".join(reversed(names)) if names else "defaults"

    def as_dict(self, ruleset: Ruleset) -> dict[str, Any]:
        ticket, decision = self.ticket, self.decision
        pickup_by, resolve_by = _iso(decision.pickup_by), _iso(decision.resolve_by)
        if self.traces is not None and self.traces.ruleset is ruleset:
            trace = self.traces.dicts(decision, pickup_by or "", resolve_by or "")
        else:
            trace = [step.as_dict() for step in decision.trace(ruleset)]
        return {
            "ticket": ticket.key,
            "number": self.number,
            "subject": ticket.subject,
            "channel": ticket.channel,
            "language": ticket.requester.language,
            "created": ticket.created.isoformat(),
            "current": {"impact": ticket.impact, "urgency": ticket.urgency, "priority": ticket.priority},
            "proposed": {
                "impact": decision.impact,
                "urgency": decision.urgency,
                "priority": decision.priority,
            },
            "changed": list(self.changed),
            "pickup_by": pickup_by,
            "resolve_by": resolve_by,
            "pickup_from_channel": decision.pickup_from_channel,
            "picked_up": _iso(self.picked_up_at),
            "resolved": _iso(ticket.resolved),
            "backtest": {
                "pickup": self.pickup,
                "resolution": self.resolution,
                "source_sla": self.source_sla,
                "closed_without_resolution": self.closed_without_resolution,
            },
            "trace": trace,
            "messages": [message.as_dict() for message in self.messages],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class _Traces:
    """``Decision.trace`` for a million tickets: traces differ between tickets only in the two
    deadlines when the same rules decided, so each kind of decision is expanded once and the
    deadlines filled in. One per report; it holds kinds of decision, never tickets."""

    _LIMIT: Final = 4096

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._kinds: dict[tuple[Any, ...], tuple[list[TraceStep], list[dict[str, Any]]]] = {}

    def _kind(self, decision: Decision) -> tuple[list[TraceStep], list[dict[str, Any]]]:
        key = (
            decision.evaluation,
            decision.pickup_from_channel,
            decision.pickup_target,
            decision.resolve_target,
            decision.counted,
            decision.paused,
            decision.picked_up,
        )
        found = self._kinds.get(key)
        if found is None:
            steps = decision.trace(self.ruleset)
            found = (steps, [step.as_dict() for step in steps])
            if len(self._kinds) < self._LIMIT:
                self._kinds[key] = found
        return found

    def steps(self, decision: Decision) -> list[TraceStep]:
        steps, _ = self._kind(decision)
        return [
            TraceStep(s.dimension, _deadline(s.dimension, decision), s.source, s.detail, s.rule)
            if s.dimension in _DEADLINES
            else s
            for s in steps
        ]

    def dicts(self, decision: Decision, pickup_by: str, resolve_by: str) -> list[dict[str, Any]]:
        """``step.as_dict()`` of every step, the deadlines given as the ISO text already made."""
        _, dicts = self._kind(decision)
        out = []
        for d in dicts:
            dimension = d["dimension"]
            if dimension == "pickup_by":
                d = {**d, "value": pickup_by}
            elif dimension == "resolve_by":
                d = {**d, "value": resolve_by}
            out.append(d)
        return out


_DEADLINES: Final = frozenset({"pickup_by", "resolve_by"})


def _deadline(dimension: str, decision: Decision) -> str:
    value = decision.pickup_by if dimension == "pickup_by" else decision.resolve_by
    return value.isoformat() if value else ""


class Report:
    """The report a format renders: ``meta``, ``ruleset``, ``rows`` (once) and ``summary``."""

    def __init__(
        self,
        engine: Engine,
        tickets: Iterable[Ticket],
        meta: ReportMeta,
        *,
        plugins: Plugins | None = None,
        provides: Callable[[str], bool] | None = None,
        source_stats: Callable[[], Any] | None = None,
        on_ticket: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.ruleset = engine.ruleset
        self.meta = meta
        self._plugins = plugins or Plugins()
        #: Asked once the source has read its header (at the first ticket), not before.
        self._provides = provides
        self._facts = SourceFacts()
        self._tickets = tickets
        self._source_stats = source_stats
        self._on_ticket = on_ticket
        self._summary = Summary(self.ruleset, meta.as_of)
        self._traces = _Traces(self.ruleset)
        self._rows: Iterator[ReportRow] | None = None
        self._done = False
        #: Arrived tickets and their pickups, for the predicted-miss backtest (only with such a policy).
        self._cases: list[Case] | None = (
            [] if any(p.event == "predicted_miss" for p in self.ruleset.messages.policies) else None
        )

    @property
    def zone(self) -> tzinfo:
        """The time zone people read the report's times in: that of the calendar most priorities'
        pickup targets run on (the office's)."""
        calendars = Counter(level.pickup.calendar for level in self.ruleset.priorities.values())
        return self.ruleset.calendars[calendars.most_common(1)[0][0]].tzinfo

    @property
    def rows(self) -> Iterator[ReportRow]:
        """The tickets selected for output (``meta.tickets``), in source order; one pass only."""
        if self._rows is None:
            self._rows = self._stream()
        return self._rows

    @property
    def summary(self) -> Summary:
        """The totals over every ticket; reading it before the rows are done reads the rest first."""
        if not self._done:
            for _ in self.rows:
                pass
        return self._summary

    def _stream(self) -> Iterator[ReportRow]:
        selection = self.meta.tickets
        evaluate, add, tick = self.evaluate, self._summary.add, self._on_ticket
        first = True
        for ticket in self._tickets:
            if first:
                self._facts, first = SourceFacts.of(self._provides), False
            row = evaluate(ticket)
            add(row)
            if tick is not None:
                tick()
            if (
                selection == "all"
                or (selection == "changed" and row.changed)
                or (selection == "missed" and row.missed)
            ):
                self._summary.shown += 1
                yield row
        stats = self._source_stats() if self._source_stats else None
        self._summary.finish(stats, self._facts)
        if self._cases is not None:
            self._summary.prediction = prediction_backtest(self.engine, self._cases, self.meta.as_of)
            self._cases = None
        self._done = True

    # --- one ticket ---------------------------------------------------------------------------------

    def evaluate(self, ticket: Ticket) -> ReportRow:
        """The report's row for ``ticket``: classified as it arrived, messages replayed, backtested."""
        plugins, engine, facts, as_of = self._plugins, self.engine, self._facts, self.meta.as_of
        ticket = plugins.enrich(ticket)
        arrived = ticket
        if ticket.first_response or ticket.resolved or ticket.paused_since:
            arrived = ticket.evolve(first_response=None, resolved=None, paused_since=None)
        if self.ruleset.is_paused(arrived.status):  # on hold now, but not when it came in
            arrived = arrived.evolve(status="")
        if self._cases is not None and len(self._cases) <= MAX_CASES:
            self._cases.append(Case(arrived, ticket.first_response))
        decision = plugins.classify(engine, arrived, ticket.created)
        closed_at = _closed_at(ticket)
        done = ticket.resolved is not None or closed_at is not None or _is_done(ticket.status)
        # Only a recorded first response shows when a ticket was picked up: a ticket that is done
        # without one was picked up at some unknown moment (its resolution says nothing about it).
        picked_up_at = ticket.first_response if facts.first_response else None
        pickup: Outcome = (
            "unknown"
            if picked_up_at is None and done
            else _outcome(picked_up_at, decision.pickup_by, as_of, facts.first_response)
        )
        closed: ClosedOutcome | None = None
        if ticket.resolved is None and done:
            resolution: Outcome = "unknown"
            if closed_at is None:
                closed = "no_time"
            else:
                closed = "within" if decision.resolve_by and closed_at <= decision.resolve_by else "after"
        else:
            resolution = _outcome(ticket.resolved, decision.resolve_by, as_of, facts.resolved)
        ended = ticket.first_response or ticket.resolved or closed_at or as_of
        messages = self._messages(arrived, decision, min(ended, as_of))
        return ReportRow(
            ticket,
            decision,
            _changed(ticket, decision, facts),
            pickup,
            resolution,
            _source_sla(ticket, as_of, facts.resolved, done),
            picked_up_at,
            messages,
            self._traces,
            closed,
        )

    def _messages(self, ticket: Ticket, decision: Decision, stop: datetime) -> tuple[Message, ...]:
        """Replay the policies from arrival until ``stop`` (pickup, or ``as_of``): what went out when."""
        select = self._plugins.select_messages
        now = ticket.created
        sent: list[SentMessage] = []
        out: list[Message] = []
        for _ in range(_MAX_ROUNDS):
            due = select(self.engine, ticket, decision, sent, now)
            for message in due.messages:
                out.append(message)
                sent.append(
                    SentMessage(
                        message.policy, message.key, now, message.visible_to_requester, message.priority
                    )
                )
            upcoming = due.next_due
            if upcoming is None or upcoming >= stop or upcoming <= now:
                break
            now = upcoming
        return tuple(out)


def _outcome(at: datetime | None, due: datetime | None, as_of: datetime, known: bool) -> Outcome:
    if not known or due is None:
        return "unknown"
    if at is not None:
        return "met" if at <= due else "missed"
    return "missed" if as_of > due else "pending"


def _changed(ticket: Ticket, decision: Decision, facts: SourceFacts) -> tuple[str, ...]:
    out = []
    for dim, current, proposed, exported in (
        ("impact", ticket.impact, decision.impact, facts.impact),
        ("urgency", ticket.urgency, decision.urgency, facts.urgency),
        ("priority", ticket.priority, decision.priority, facts.priority),
    ):
        if current != proposed and (current is not None or exported):
            out.append(dim)
    return tuple(out)


def _is_done(status: str) -> bool:
    folded = status.casefold()
    return bool(folded) and any(word in folded for word in _DONE_WORDS)


def _closed_at(ticket: Ticket) -> datetime | None:
    """The closing time an export carries apart from the resolution time (``custom.closed_at``)."""
    text = ticket.custom.get("closed_at") if ticket.custom else None
    if not text:
        return None
    try:
        return parse_instant(text, "closed_at")
    except ValueError:
        return None


def _source_sla(ticket: Ticket, as_of: datetime, resolved_known: bool, done: bool) -> Outcome | None:
    """The source's verdict: its exported SLA flag, else its own target date against the resolution."""
    flag = ticket.custom.get("sla_met") if ticket.custom else None
    if isinstance(flag, bool):
        return "met" if flag else "missed"
    target = ticket.custom.get("target_date") if ticket.custom else None
    if not target:
        return None
    try:
        due = parse_instant(target, "target_date")
    except ValueError:
        return None
    if ticket.resolved is None and done:
        return "unknown"
    return _outcome(ticket.resolved, due, as_of, resolved_known)
