"""The report's totals, built as rows stream past: memory grows with the number of distinct
priorities, channels, policies, days and rule groups, never with the number of tickets.

* the priority shift (current x proposed) and what changes;
* the distribution per channel and priority, and the messages of each kind;
* the backtest: promised pickup and resolution met or missed, per priority and channel, next to the
  source system's own SLA outcome where the export carries one;
* the delay messages that would have gone out, per policy, per day and per hour of the week;
* the consistency audit (``_consistency``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final

from ._consistency import ConsistencyAudit

if TYPE_CHECKING:
    from matrixcore._ruleset import Ruleset

    from ._report import ReportRow

__all__ = ["DELAY_EVENTS", "MEASURES", "NONE", "OUTCOMES", "PREMISE", "Summary", "reading_notice"]

OUTCOMES: Final = ("met", "missed", "pending", "unknown")
#: The backtest's three verdicts: matrixcore's promised pickup and resolution, and the source's SLA.
MEASURES: Final = ("pickup", "resolution", "source_sla")
#: Policy events whose requester-visible messages say "this takes longer".
DELAY_EVENTS: Final = frozenset({"pickup_elapsed", "pickup_missed"})
#: How a missing value (no priority in the source, no channel) is shown.
NONE: Final = "(none)"
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: What the backtest can and cannot show; every format says it where the backtest is shown.
PREMISE: Final = (
    "The real pickups and resolutions happened under the source's own priorities and targets, not "
    "under matrixcore's: the backtest sets those real times against the moments matrixcore would have "
    "promised. A ticket matrixcore would have raised might have been picked up sooner, one it would "
    "have lowered later; the figures say how the desk's real work measures up to the new promises."
)


class Summary:
    """Every total of the report; ``add`` each row, ``finish`` once, then read or ``as_dict``."""

    def __init__(self, ruleset: Ruleset, as_of: datetime) -> None:
        self.ruleset = ruleset
        self.as_of = as_of
        self.priorities: tuple[str, ...] = tuple(ruleset.priorities)
        self._rank = {name: i for i, name in enumerate(self.priorities)}
        self.tickets = 0
        #: Rows the format was given (``--tickets``).
        self.shown = 0
        #: (current priority or NONE, proposed priority) -> tickets.
        self.shift: Counter[tuple[str, str]] = Counter()
        #: impact, urgency, priority, any, raised, lowered, set (the source had none) -> tickets.
        self.changes: Counter[str] = Counter()
        #: (channel, proposed priority) -> tickets.
        self.channels: Counter[tuple[str, str]] = Counter()
        #: (policy, event, visible to requester) -> messages.
        self.messages: Counter[tuple[str, str, bool]] = Counter()
        self.tickets_with_messages = 0
        #: measure -> (priority, channel, outcome) -> tickets.
        self.outcomes: dict[str, Counter[tuple[str, str, str]]] = {m: Counter() for m in MEASURES}
        #: (source SLA outcome, matrixcore's resolution outcome) -> tickets, where both are known.
        self.agreement: Counter[tuple[str, str]] = Counter()
        #: Done without a resolution time: within / after the promise by the closing time, no_time.
        self.closed_without_resolution: Counter[str] = Counter()
        #: Which ticket fields the source carries (``SourceFacts``), set by ``finish``.
        self.facts: Any = None
        self.delays_by_policy: Counter[str] = Counter()
        self.delays_by_day: Counter[str] = Counter()
        #: weekday (0 = Monday) x hour, in the zone of the pickup target's calendar.
        self.delays_by_hour: list[list[int]] = [[0] * 24 for _ in range(7)]
        self.audit = ConsistencyAudit(ruleset)
        #: The source's reading statistics (``SourceStats`` for an export), set by ``finish``.
        self.source: Any = None
        self._zones: dict[str, tzinfo] = {name: cal.tzinfo for name, cal in ruleset.calendars.items()}
        self._channel_names: dict[str, str] = {}

    # --- collecting ---------------------------------------------------------------------------------

    def channel_of(self, raw: str) -> str:
        name = self._channel_names.get(raw)
        if name is None:
            known = self.ruleset.channel(raw)
            name = known.name if known else (raw or NONE)
            if len(self._channel_names) < 1000:
                self._channel_names[raw] = name
        return name

    def add(self, row: ReportRow) -> None:
        ticket, decision = row.ticket, row.decision
        proposed = decision.priority
        channel = self.channel_of(ticket.channel)
        self.tickets += 1
        current = ticket.priority
        self.shift[current or NONE, proposed] += 1
        changes = self.changes
        if row.changed:
            changes["any"] += 1
            for dim in row.changed:
                changes[dim] += 1
            if "priority" in row.changed:
                if current is None:
                    changes["set"] += 1
                elif self._rank.get(proposed, 0) < self._rank.get(current, 0):
                    changes["raised"] += 1
                else:
                    changes["lowered"] += 1
        self.channels[channel, proposed] += 1
        outcomes = self.outcomes
        outcomes["pickup"][proposed, channel, row.pickup] += 1
        outcomes["resolution"][proposed, channel, row.resolution] += 1
        if row.closed_without_resolution is not None:
            self.closed_without_resolution[row.closed_without_resolution] += 1
        if row.source_sla is not None:
            outcomes["source_sla"][proposed, channel, row.source_sla] += 1
            if row.source_sla in ("met", "missed") and row.resolution in ("met", "missed"):
                self.agreement[row.source_sla, row.resolution] += 1
        if row.messages:
            self.tickets_with_messages += 1
            zone = self._zones[decision.pickup_target.calendar]
            for message in row.messages:
                self.messages[message.policy, message.event, message.visible_to_requester] += 1
                if message.event in DELAY_EVENTS and message.visible_to_requester:
                    self.delays_by_policy[message.policy] += 1
                    local = message.due_at.astimezone(zone)
                    self.delays_by_day[local.date().isoformat()] += 1
                    self.delays_by_hour[local.weekday()][local.hour] += 1
        self.audit.add(ticket, decision)

    def finish(self, source: Any = None, facts: Any = None) -> None:
        self.source = source
        self.facts = facts

    def measured_from(self) -> dict[str, str | None]:
        """What each backtest figure is measured from, in words; ``None`` where nothing could be:
        pickups without first-response times, resolutions without resolution times, no source SLA."""
        columns: dict[str, str] = dict(getattr(self.source, "columns", None) or {})
        exported = self.source is not None

        def where(*targets: str) -> str:
            found = [columns[t] for t in targets if t in columns]
            return f" (column {found[0]!r})" if found and exported else ""

        carries = self.facts.first_response if self.facts is not None else True
        pickup = None
        if carries and (not exported or where("first_response", "first_response_minutes")):
            pickup = "the real first-response times" + where("first_response", "first_response_minutes")
        resolves = self.facts.resolved if self.facts is not None else True
        resolution = None
        if resolves and (not exported or where("resolved", "resolution_minutes")):
            resolution = "the real resolution times" + where("resolved", "resolution_minutes")
        source_sla = None
        if "sla_met" in columns:
            source_sla = (
                f"the source's own SLA flag{where('sla_met')}, set by the source against its own "
                "priorities and targets; it may cover pickup, resolution or both, so it stands beside "
                "the resolution figures, not in place of them"
            )
        elif "target_date" in columns:
            source_sla = (
                f"the source's own resolution target{where('target_date')} against the real resolution "
                "time: compare it with the resolution figures"
            )
        elif self.outcome_total("source_sla"):
            source_sla = "the source's own SLA outcome"
        return {"pickup": pickup, "resolution": resolution, "source_sla": source_sla}

    #: The predicted-miss backtest's figures (``predict._report``); ``None`` without such a policy.
    prediction: dict[str, Any] | None = None

    # --- reading --------------------------------------------------------------------------------

    @property
    def current_priorities(self) -> tuple[str, ...]:
        """Rows of the shift matrix: the ruleset's priorities, then NONE and any unknown names."""
        seen = {current for current, _ in self.shift}
        extra = sorted(seen - set(self.priorities) - {NONE})
        return (*self.priorities, *extra, *((NONE,) if NONE in seen else ()))

    def channel_names(self) -> list[str]:
        """Channels by volume, busiest first."""
        volume: Counter[str] = Counter()
        for (channel, _), n in self.channels.items():
            volume[channel] += n
        return [name for name, _ in sorted(volume.items(), key=lambda kv: (-kv[1], kv[0]))]

    def outcome_counts(self, measure: str, by: str) -> list[tuple[str, Counter[str]]]:
        """``[(priority or channel, Counter(outcome -> tickets))]`` in display order."""
        grouped: dict[str, Counter[str]] = {}
        index = 0 if by == "priority" else 1
        for key, n in self.outcomes[measure].items():
            grouped.setdefault(key[index], Counter())[key[2]] += n
        order: Sequence[str] = self.priorities if by == "priority" else self.channel_names()
        return [(name, grouped[name]) for name in order if name in grouped]

    def outcome_total(self, measure: str) -> Counter[str]:
        total: Counter[str] = Counter()
        for key, n in self.outcomes[measure].items():
            total[key[2]] += n
        return total

    @property
    def message_total(self) -> int:
        return sum(self.messages.values())

    @property
    def delay_total(self) -> int:
        return sum(self.delays_by_policy.values())

    def message_kinds(self) -> list[tuple[str, str, bool, int]]:
        """``(policy, event, visible, messages)`` in the ruleset's policy order."""
        order = {p.name: i for i, p in enumerate(self.ruleset.messages.policies)}
        return sorted(
            ((p, e, v, n) for (p, e, v), n in self.messages.items()),
            key=lambda item: (order.get(item[0], len(order)), item[0]),
        )

    def busiest_hours(self, top: int = 5) -> list[tuple[str, int, int]]:
        """``(weekday, hour, delay messages)`` for the busiest hours of the week."""
        cells = [
            (WEEKDAYS[day], hour, n)
            for day, hours in enumerate(self.delays_by_hour)
            for hour, n in enumerate(hours)
            if n
        ]
        return sorted(cells, key=lambda c: -c[2])[:top]

    def as_dict(self, audit_top: int | None = None) -> dict[str, Any]:
        """Plain JSON-ready data, the shape ``schemas/report.schema.json`` documents."""
        source = self.source.as_dict() if hasattr(self.source, "as_dict") else None
        return {
            "tickets": self.tickets,
            "shown": self.shown,
            "source": source,
            "priority_shift": {
                "current": list(self.current_priorities),
                "proposed": list(self.priorities),
                "cells": [
                    {"current": c, "proposed": p, "tickets": n}
                    for (c, p), n in sorted(self.shift.items(), key=lambda kv: self._shift_order(kv[0]))
                ],
            },
            "changes": {key: self.changes.get(key, 0) for key in _CHANGE_KEYS},
            "by_channel": {
                channel: {p: self.channels[channel, p] for p in self.priorities if self.channels[channel, p]}
                for channel in self.channel_names()
            },
            "messages": {
                "total": self.message_total,
                "tickets": self.tickets_with_messages,
                "kinds": [
                    {"policy": p, "event": e, "visible_to_requester": v, "messages": n}
                    for p, e, v, n in self.message_kinds()
                ],
            },
            "backtest": {
                measure: {
                    "total": _outcomes(self.outcome_total(measure)),
                    "by_priority": {k: _outcomes(c) for k, c in self.outcome_counts(measure, "priority")},
                    "by_channel": {k: _outcomes(c) for k, c in self.outcome_counts(measure, "channel")},
                }
                for measure in MEASURES
            }
            | {
                "agreement": [
                    {"source_sla": s, "resolution": r, "tickets": n}
                    for (s, r), n in sorted(self.agreement.items())
                ],
                "premise": PREMISE,
                "measured_from": self.measured_from(),
                "closed_without_resolution": {
                    key: self.closed_without_resolution.get(key, 0) for key in ("within", "after", "no_time")
                },
            },
            "delay_messages": {
                "total": self.delay_total,
                "by_policy": dict(self.delays_by_policy.most_common()),
                "by_day": dict(sorted(self.delays_by_day.items())),
                "by_hour": [list(hours) for hours in self.delays_by_hour],
            },
            "consistency": dict(self.audit.as_dict(audit_top)),
        } | ({"predicted_miss": self.prediction} if self.prediction is not None else {})

    def _shift_order(self, key: tuple[str, str]) -> tuple[int, int]:
        rows = {name: i for i, name in enumerate(self.current_priorities)}
        return rows.get(key[0], len(rows)), self._rank.get(key[1], len(self._rank))


_CHANGE_KEYS: Final = ("any", "impact", "urgency", "priority", "raised", "lowered", "set")


def _outcomes(counts: Mapping[str, int]) -> dict[str, int]:
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}


def reading_notice(summary: Summary) -> str | None:
    """The warning every format puts in its first lines when rows of the export were skipped: the
    figures below leave them out."""
    stats = summary.source
    skipped = getattr(stats, "skipped", 0)
    if not skipped:
        return None
    notice = (
        f"{skipped:,} of {stats.rows:,} export rows could not be read and were skipped: every figure "
        "below leaves them out"
    )
    if stats.problems:
        first = stats.problems[0]
        notice += f" (first: line {first.line}: {first.message})"
    return notice + "."


def percent(part: int, whole: int) -> str:
    """``"83%"``; ``"–"`` when there is nothing to divide."""
    return f"{100 * part / whole:.0f}%" if whole else "–"


def met_share(counts: Mapping[str, int]) -> tuple[int, int]:
    """Met and decided (met + missed): the backtest's share leaves pending and unknown out."""
    met, missed = counts.get("met", 0), counts.get("missed", 0)
    return met, met + missed


def flatten(items: Iterable[Iterable[int]]) -> list[int]:
    return [n for row in items for n in row]
