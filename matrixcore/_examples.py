"""Rules as tested code: the ruleset's ``examples`` run through the engine, with a readable diff.

A desk that edits its rules wants to know at once that "a Twitter outage is still P1". Each example
is a ticket and the outcome its author expects; ``matrixcore check`` runs them all and shows, for a
failing one, what differed and the trace that explains why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._decision import Decision, SentMessage, TraceStep
from ._engine import Engine
from ._errors import Problem
from ._ruleset import Example, Ruleset
from ._ticket import Ticket, parse_instant

if TYPE_CHECKING:
    from ._plugins import Plugins

__all__ = ["ExampleResult", "Mismatch", "run_examples"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected!r}, got {self.actual!r}"


@dataclass(frozen=True, slots=True)
class ExampleResult:
    example: Example
    mismatches: tuple[Mismatch, ...] = ()
    #: Why the example could not run at all (a bad ticket field), if so.
    error: str | None = None
    trace: tuple[TraceStep, ...] = ()
    line: int | None = None

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None

    def as_problem(self, file: str) -> Problem:
        path: tuple[str | int, ...] = ("examples", self.example.index)
        detail = self.error or "; ".join(map(str, self.mismatches))
        return Problem(path, f"example {self.example.name!r} fails: {detail}", file, self.line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.example.name,
            "passed": self.passed,
            "line": self.line,
            "error": self.error,
            "mismatches": [
                {"field": m.field, "expected": m.expected, "actual": m.actual} for m in self.mismatches
            ],
            "trace": [s.as_dict() for s in self.trace] if not self.passed else [],
        }


def _same_instant(expected: Any, actual: datetime | None) -> bool:
    try:
        wanted = parse_instant(expected, "expect")
    except ValueError:
        return False
    return wanted == actual


def _compare(example: Example, decision: Decision, due: Sequence[str]) -> list[Mismatch]:
    out = []
    expect = example.expect
    for name in ("impact", "urgency", "priority"):
        if name in expect and str(expect[name]) != getattr(decision, name):
            out.append(Mismatch(name, expect[name], getattr(decision, name)))
    for name in ("pickup_by", "resolve_by"):
        actual: datetime | None = getattr(decision, name)
        if name in expect and not _same_instant(expect[name], actual):
            out.append(Mismatch(name, expect[name], actual.isoformat() if actual else None))
    if "messages" in expect and sorted(map(str, expect["messages"])) != sorted(due):
        out.append(Mismatch("messages", list(expect["messages"]), list(due)))
    return out


def _levels(data: dict[str, Any], ruleset: Ruleset, values: Mapping[str, Mapping[str, str]]) -> str | None:
    """The example's impact, urgency and priority read as an export's are (the config's
    ``source.values``, then level names, labels and positions), so ``impact: "1 - High"`` means
    what it means in the report; a value that reads as no level is an error naming the levels."""
    from .exports._source import level_of

    known = {
        "impact": ruleset.impact_levels,
        "urgency": ruleset.urgency_levels,
        "priority": tuple(ruleset.priorities),
    }
    for dimension, levels in known.items():
        value = data.get(dimension)
        if value is None or value == "" or value in levels:
            continue
        level, _ = level_of(ruleset, dimension, str(value), values.get(dimension))
        if level is None:
            article = "an" if dimension == "impact" else "a"
            return (
                f"ticket: {dimension} {value!r} is not {article} {dimension} of the rules "
                f"({', '.join(levels)}); write one of them, or map the tool's value under the config's "
                f"source.values.{dimension} and check with --config"
            )
        data[dimension] = level
    return None


def run_example(
    engine: Engine,
    example: Example,
    plugins: Plugins | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> ExampleResult:
    """Classify one example; with ``plugins``, through their decision hooks, as the daemon would.
    ``values`` is the config's ``source.values``: the tool's values -> the rules' levels."""
    doc = engine.ruleset.document
    line = doc.locate(("examples", example.index))[0] if doc else None
    data = dict(example.ticket)
    problem = _levels(data, engine.ruleset, values or {})
    if problem is not None:
        return ExampleResult(example, error=problem, line=line)
    try:
        now = parse_instant(example.now, "now") if example.now else None
        data.setdefault("id", f"example-{example.index + 1}")
        if "created" not in data:
            if now is None:
                return ExampleResult(example, error="give 'now' or the ticket's 'created' time", line=line)
            data["created"] = now
        ticket = Ticket.from_dict(data, source="example")
    except (ValueError, TypeError, OverflowError) as exc:
        return ExampleResult(example, error=f"ticket: {exc}", line=line)
    now = now or ticket.created
    try:
        decision = (
            plugins.classify(engine, ticket, now) if plugins is not None else engine.classify(ticket, now)
        )
        sent = []
        for entry in example.sent:  # "acknowledge" or "acknowledge@P3" (the priority it announced)
            policy, _, priority = entry.partition("@")
            sent.append(SentMessage(policy, policy, ticket.created.astimezone(UTC), True, priority or None))
        if plugins is not None:
            due = plugins.select_messages(engine, ticket, decision, sent, now)
        else:
            due = engine.due_messages(ticket, decision, sent, now)
    except Exception as exc:  # e.g. a deadline past the year 9999: the example fails, with the reason
        reason = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
        return ExampleResult(example, error=f"classifying it failed ({reason})", line=line)
    mismatches = _compare(example, decision, [m.policy for m in due.messages])
    trace = tuple(decision.trace(engine.ruleset)) if mismatches else ()
    return ExampleResult(example, tuple(mismatches), None, trace, line)


def run_examples(
    engine: Engine, plugins: Plugins | None = None, values: Mapping[str, Mapping[str, str]] | None = None
) -> list[ExampleResult]:
    """Run every example of the engine's ruleset, in file order (``values``: see ``run_example``)."""
    return [run_example(engine, example, plugins, values) for example in engine.ruleset.examples]
