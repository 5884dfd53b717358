"""The engine: a ruleset compiled once, then ticket -> decision, pure and fast.

No I/O and no clock of its own: callers pass ``now``. That is what lets the same engine serve the
daemon, the dry-run report, rule examples and benchmarks, and what makes every decision reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from ._calendar import BusinessCalendar
from ._compiled import Finish
from ._conditions import compile_ruleset
from ._decision import Decision, DueMessages, Evaluation, SentMessage
from ._operators import CompileContext
from ._policies import PolicySet
from ._ruleset import Ruleset, Target
from ._ticket import Ticket
from .hookspecs import hookimpl

__all__ = ["Engine", "compile_evaluation"]

_ZERO = timedelta(0)


def compile_evaluation(
    ruleset: Ruleset, context: CompileContext, aliases: Mapping[str, str], *, trace: bool = True
) -> Callable[[Ticket], Evaluation]:
    """The ruleset as one function ticket -> ``Evaluation`` (``trace=False``: values only, to measure
    what the trace costs)."""
    finish = Finish(
        defaults={"impact": ruleset.defaults["impact"], "urgency": ruleset.defaults["urgency"]},
        # defaults.from_source: where no rule decides, the ticket's own value if it is a level.
        keep={
            dim: frozenset(levels)
            for dim, levels in (("impact", ruleset.impact_levels), ("urgency", ruleset.urgency_levels))
            if dim in ruleset.from_source
        },
        derived=("priority", dict(ruleset.cells), "impact", "urgency"),
        record=Evaluation if trace else None,
        aliases=aliases,
        trace=trace,
    )
    rules = [(rule.name, rule.condition, rule.sets) for rule in ruleset.rules]
    evaluate: Callable[[Ticket], Evaluation] = compile_ruleset(rules, context=context, finish=finish).evaluate  # type: ignore[assignment]
    return evaluate


class Engine:
    """Classify tickets with one ruleset. Build once (rules are compiled here), call many times."""

    __slots__ = (
        "_aliases",
        "_channels",
        "_policies",
        "_priorities",
        "calendars",
        "evaluate",
        "ruleset",
    )

    #: ``evaluate(ticket)``: the rules and the matrix only: impact, urgency, priority and which rule
    #: set each. The generated function itself (channel aliases, rules, defaults, the matrix cell and
    #: the ``Evaluation`` record in one), not a method around it: a call layer was 4% of its time.
    evaluate: Callable[[Ticket], Evaluation]

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.calendars: dict[str, BusinessCalendar] = dict(ruleset.calendars)
        context = CompileContext(calendars=self.calendars, operators=ruleset.operators)
        self._priorities = dict(ruleset.priorities)
        self._channels = dict(ruleset.channels)
        self._aliases = {
            spelling: channel.name
            for channel in ruleset.channels.values()
            for spelling in {
                channel.name.lower(),
                channel.name.upper(),
                channel.name.title(),
                *(a for alias in channel.aliases for a in (alias, alias.lower(), alias.upper())),
            }
            if spelling != channel.name
        }
        self.evaluate = compile_evaluation(ruleset, context, self._aliases)
        self._policies = PolicySet(ruleset, context, self._deadline)

    def classify(self, ticket: Ticket, now: datetime, evaluation: Evaluation | None = None) -> Decision:
        """Decide impact, urgency, priority, pickup_by and resolve_by for ``ticket`` as of ``now``.

        Pass ``evaluation`` to keep a priority decided elsewhere (an agent's choice that matrixcore
        respects): the deadlines are then computed from that priority.
        """
        evaluation = evaluation or self.evaluate(ticket)
        level = self._priorities[evaluation.priority]
        channel = self._channels.get(ticket.channel.lower()) if ticket.channel else None
        paused = bool(ticket.paused_since) or self.ruleset.is_paused(ticket.status)
        pickup_target = level.pickup
        pickup_by = self._deadline(level.pickup, ticket, now, paused)
        from_channel = None
        if channel is not None and channel.pickup is not None:
            channel_by = self._deadline(channel.pickup, ticket, now, paused)
            if channel_by < pickup_by:
                pickup_by, pickup_target, from_channel = channel_by, channel.pickup, channel.name
        resolve_by = self._deadline(level.resolve, ticket, now, paused)
        return Decision(
            ticket_key=ticket.key,
            evaluation=evaluation,
            pickup_by=pickup_by,
            resolve_by=resolve_by,
            pickup_target=pickup_target,
            resolve_target=level.resolve,
            pickup_from_channel=from_channel,
            channel_kind=channel.kind if channel else None,
            counted=self.counted(pickup_target, ticket, now),
            paused=paused,
            picked_up=ticket.first_response is not None,
            resolved=ticket.resolved is not None,
            now=now,
        )

    def _deadline(self, target: Target, ticket: Ticket, now: datetime, paused: bool) -> datetime:
        """When ``target`` falls due: counted from creation, pauses excluded.

        ``paused_seconds`` (time already spent on hold) extends the target. While the ticket is on
        hold the clock stands still, so the deadline is what remains counted from ``now``: it moves
        with time until the ticket is released, and no warning falls due meanwhile.
        """
        calendar = self.calendars[target.calendar]
        offset = timedelta(seconds=ticket.paused_seconds) if ticket.paused_seconds else _ZERO
        if not paused:
            return calendar.add(ticket.created, target.within + offset)
        stopped_at = min(ticket.paused_since or now, now)
        counted = max(calendar.elapsed(ticket.created, stopped_at) - offset, _ZERO)
        return calendar.add(now, max(target.within - counted, _ZERO))

    def counted(self, target: Target, ticket: Ticket, now: datetime) -> timedelta:
        """Business time counted towards ``target`` at ``now``: stops at pickup and while paused."""
        calendar = self.calendars[target.calendar]
        end = min(x for x in (now, ticket.paused_since, ticket.first_response) if x is not None)
        offset = timedelta(seconds=ticket.paused_seconds) if ticket.paused_seconds else _ZERO
        return max(calendar.elapsed(ticket.created, end) - offset, _ZERO)

    def classify_many(self, tickets: Iterable[Ticket], now: datetime) -> Iterable[Decision]:
        """Classify a stream lazily (memory does not grow with the number of tickets)."""
        classify = self.classify
        for ticket in tickets:
            yield classify(ticket, now)

    def due_messages(
        self, ticket: Ticket, decision: Decision, sent: Iterable[SentMessage], now: datetime
    ) -> DueMessages:
        """The messages due for ``ticket`` at ``now`` given what was ``sent``, and when the next falls due."""
        return self._policies.due(ticket, decision, tuple(sent), now)


# --- the built-in plugin "matrixcore.engine": last in line, so any plugin can decide first ------------


@hookimpl(trylast=True)
def matrixcore_classify(engine: Engine, ticket: Ticket, now: datetime) -> Decision:
    return engine.classify(ticket, now)


@hookimpl(trylast=True)
def matrixcore_select_messages(
    engine: Engine, ticket: Ticket, decision: Decision, sent: Sequence[SentMessage], now: datetime
) -> DueMessages:
    return engine.due_messages(ticket, decision, sent, now)
