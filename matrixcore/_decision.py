"""What the engine decides for a ticket, and the trace that explains it.

The trace is what a report shows and what the audit log keeps ("why did ticket 4711 get P2?"). It is
recorded as a few integers and references while classifying (so the trace costs next to nothing on
the hot path) and expanded into readable steps only when someone looks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from ._durations import format_duration

if TYPE_CHECKING:
    from ._ruleset import Ruleset, Target
    from .predict import Prediction

__all__ = ["Decision", "DueMessages", "Evaluation", "Message", "SentMessage", "TraceStep"]

_DEFAULT = -1
#: Rule index of a dimension kept from the ticket itself (``defaults.from_source``).
FROM_SOURCE = -2


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One fact of a decision: which value was set, by what, and why."""

    dimension: str
    value: str
    #: ``"rule"``, ``"default"``, ``"source"`` (the ticket's own, ``defaults.from_source``), ``"matrix"``,
    #: ``"priority"``, ``"channel"``, ``"calendar"``, ``"clock"``.
    source: str
    detail: str
    rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "value": self.value,
            "source": self.source,
            "detail": self.detail,
            "rule": self.rule,
        }

    def __str__(self) -> str:
        return f"{self.dimension} = {self.value}: {self.detail}"


class Evaluation(NamedTuple):
    """The time-free part of a decision: what the rules and the matrix say about a ticket.

    A named tuple in the compiled rule function's own order, so the engine builds it without
    copying: this record *is* the trace of which rule set what, at no extra cost.
    """

    impact: str
    #: Index of the rule that set each dimension; -1 for the default (priority: the matrix cell).
    impact_rule: int
    urgency: str
    urgency_rule: int
    priority: str
    priority_rule: int

    def steps(self, ruleset: Ruleset) -> list[TraceStep]:
        rules = ruleset.rules
        out = []
        for dimension, value, index in (
            ("impact", self.impact, self.impact_rule),
            ("urgency", self.urgency, self.urgency_rule),
        ):
            if index == _DEFAULT:
                out.append(TraceStep(dimension, value, "default", "no rule matched: the ruleset's default"))
            elif index == FROM_SOURCE:
                out.append(
                    TraceStep(
                        dimension, value, "source", "no rule matched: the ticket's own (defaults.from_source)"
                    )
                )
            else:
                rule = rules[index]
                out.append(
                    TraceStep(
                        dimension, value, "rule", f"rule {rule.name!r} (#{index + 1}) matched", rule.name
                    )
                )
        if self.priority_rule == _DEFAULT:
            out.append(
                TraceStep(
                    "priority",
                    self.priority,
                    "matrix",
                    f"matrix cell impact={self.impact} x urgency={self.urgency}",
                )
            )
        else:
            rule = rules[self.priority_rule]
            out.append(
                TraceStep(
                    "priority",
                    self.priority,
                    "rule",
                    f"rule {rule.name!r} (#{self.priority_rule + 1}) set the priority, overriding the matrix",
                    rule.name,
                )
            )
        return out

    def deciding_rules(self) -> tuple[int, ...]:
        """Rule indices that decided something, priority first (used to pick a delay reason)."""
        return tuple(i for i in (self.priority_rule, self.urgency_rule, self.impact_rule) if i >= 0)


@dataclass(frozen=True, slots=True)
class Decision:
    """Impact, urgency, priority and the promised moments for one ticket at one instant."""

    ticket_key: str
    evaluation: Evaluation
    #: The latest moment the ticket will be picked up; ``None`` only when no target applies.
    pickup_by: datetime | None
    resolve_by: datetime | None
    pickup_target: Target
    resolve_target: Target
    #: The channel whose own pickup target was earlier than the priority's, if any.
    pickup_from_channel: str | None
    channel_kind: str | None
    #: Business time counted towards pickup at ``now`` (pauses excluded).
    counted: timedelta
    paused: bool
    picked_up: bool
    resolved: bool
    now: datetime
    #: How likely the pickup target is to be missed, and why (set where a desk predicts misses).
    prediction: Prediction | None = None

    @property
    def impact(self) -> str:
        return self.evaluation.impact

    @property
    def urgency(self) -> str:
        return self.evaluation.urgency

    @property
    def priority(self) -> str:
        return self.evaluation.priority

    def trace(self, ruleset: Ruleset) -> list[TraceStep]:
        """The readable trace: which rule set which value, the matrix cell, the calendars and the clock."""
        steps = self.evaluation.steps(ruleset)
        pickup, resolve = self.pickup_target, self.resolve_target
        if self.pickup_from_channel:
            source, detail = "channel", f"channel {self.pickup_from_channel!r} promises pickup within"
        else:
            source, detail = "priority", f"priority {self.priority} promises pickup within"
        steps.append(
            TraceStep(
                "pickup_by",
                _iso(self.pickup_by),
                source,
                f"{detail} {format_duration(pickup.within)} on calendar {pickup.calendar!r}",
            )
        )
        steps.append(
            TraceStep(
                "resolve_by",
                _iso(self.resolve_by),
                "priority",
                f"priority {self.priority} promises resolution within "
                f"{format_duration(resolve.within)} on calendar {resolve.calendar!r}",
            )
        )
        state = "paused" if self.paused else "picked up" if self.picked_up else "running"
        steps.append(
            TraceStep(
                "clock",
                format_duration(self.counted),
                "clock",
                f"{format_duration(self.counted)} of business time counted towards pickup; clock {state}",
            )
        )
        if self.prediction is not None:
            steps.append(self.prediction.step())
        return steps

    def as_dict(self, ruleset: Ruleset | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ticket": self.ticket_key,
            "impact": self.impact,
            "urgency": self.urgency,
            "priority": self.priority,
            "pickup_by": _iso(self.pickup_by),
            "resolve_by": _iso(self.resolve_by),
            "channel_class": self.channel_kind,
            "paused": self.paused,
            "picked_up": self.picked_up,
        }
        if self.prediction is not None:
            out["prediction"] = self.prediction.as_dict()
        if ruleset is not None:
            out["trace"] = [step.as_dict() for step in self.trace(ruleset)]
        return out


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message already sent (or pending) for a ticket, as the ledger remembers it."""

    policy: str
    key: str
    sent_at: datetime
    visible_to_requester: bool = True
    #: The priority the message announced, so a later change can be announced once.
    priority: str | None = None


class Message:
    """A message that is due: rendered, addressed, and keyed so it is never sent twice.

    ``text`` may be given as a function: it is then rendered on first read and kept. The report
    replays every ticket's messages but shows the text of few (counts and times do not need it), and
    rendering (template, CLDR dates) was a third of its time; the daemon reads every text it sends.
    Immutable, and equal when every field (the text included) is equal.
    """

    __slots__ = (
        "_text",
        "due_at",
        "event",
        "key",
        "language",
        "policy",
        "priority",
        "ticket_key",
        "visible_to_requester",
    )

    ticket_key: str
    policy: str
    event: str
    #: Idempotency key: the same key is never sent twice for a ticket.
    key: str
    visible_to_requester: bool
    language: str
    due_at: datetime
    priority: str
    _text: str | Callable[[], str]

    def __init__(
        self,
        ticket_key: str,
        policy: str,
        event: str,
        key: str,
        visible_to_requester: bool,
        language: str,
        text: str | Callable[[], str],
        due_at: datetime,
        priority: str,
    ) -> None:
        init = object.__setattr__
        init(self, "ticket_key", ticket_key)
        init(self, "policy", policy)
        init(self, "event", event)
        init(self, "key", key)
        init(self, "visible_to_requester", visible_to_requester)
        init(self, "language", language)
        init(self, "_text", text)
        init(self, "due_at", due_at)
        init(self, "priority", priority)

    @property
    def text(self) -> str:
        text = self._text
        if not isinstance(text, str):
            text = text()
            object.__setattr__(self, "_text", text)
        return text

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Message is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Message is immutable: cannot delete {name!r}")

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.ticket_key,
            self.policy,
            self.event,
            self.key,
            self.visible_to_requester,
            self.language,
            self.text,
            self.due_at,
            self.priority,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple[type[Message], tuple[Any, ...]]:
        return Message, self._fields()

    def __repr__(self) -> str:
        names = ("ticket_key", "policy", "event", "key", "visible_to_requester", "language", "text")
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip((*names, "due_at", "priority"), self._fields(), strict=True)
        )
        return f"Message({shown})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket_key,
            "policy": self.policy,
            "event": self.event,
            "key": self.key,
            "visible_to_requester": self.visible_to_requester,
            "language": self.language,
            "text": self.text,
            "due_at": self.due_at.isoformat(),
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class DueMessages:
    """What to send now, what no longer needs sending, and when to look again."""

    messages: tuple[Message, ...]
    #: Keys of timed messages overtaken by a later stage due at the same time (record, don't send).
    superseded: tuple[str, ...]
    #: Messages held back by the per-ticket cap, sent when the window allows.
    held: tuple[str, ...]
    #: When the next message for this ticket falls due (``None``: nothing more is planned).
    next_due: datetime | None

    def keys(self) -> Mapping[str, Message]:
        return {m.key: m for m in self.messages}
