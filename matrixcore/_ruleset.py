"""The ruleset: one validated file holding the matrix, targets, calendars, rules and messages.

Loading is where every mistake must surface, all at once and each with its place, because a rules
file is edited by desk staff and a daemon must be able to refuse a bad one while keeping the last
good one. So loading runs the JSON Schema first and then the logical checks a schema cannot express
(every matrix cell filled, every referenced calendar, level, template and placeholder exists, every
regex compiles, every duration parses) and raises one ``RulesetError`` listing all problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from ._calendar import BusinessCalendar
from ._conditions import desugar
from ._documents import Document, load_document, parse_document
from ._durations import parse_duration
from ._errors import Problem, RulesetError
from ._operators import CompileContext, OperatorRegistry
from ._schemas import schema_problems
from ._templates import Template, TemplateError, check_date_pattern

__all__ = [
    "EVENTS",
    "Channel",
    "Example",
    "MessageCap",
    "MessageSettings",
    "Policy",
    "PredictionSettings",
    "PriorityLevel",
    "Rule",
    "Ruleset",
    "Target",
    "load_ruleset",
    "parse_ruleset",
    "ruleset_from_document",
]

EVENTS: Final = ("classified", "pickup_elapsed", "pickup_missed", "predicted_miss", "priority_changed")
DIMENSIONS: Final = ("impact", "urgency", "priority")
_Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """How long, counted on which calendar."""

    within: timedelta
    calendar: str


@dataclass(frozen=True, slots=True)
class PriorityLevel:
    name: str
    #: 0 for the most urgent priority, as listed in the file.
    rank: int
    label: str
    pickup: Target
    resolve: Target


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    #: ``"real-time"`` or ``"right-time"``.
    kind: str
    pickup: Target | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    index: int
    #: The condition in canonical JsonLogic (the shorthand is desugared on load).
    condition: Any
    sets: Mapping[str, str]
    #: Why tickets matching this rule need their time, by language ("" = any language).
    reason: Mapping[str, str]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    event: str
    template: str
    visible_to_requester: bool = True
    #: For ``pickup_elapsed``: the fraction of the pickup target that must have passed.
    at: float | None = None
    channels: frozenset[str] | None = None
    condition: Any = None
    #: For ``predicted_miss``: the miss probability that sends it, and how far the expected pickup
    #: must move before the requester is told again.
    threshold: float = 0.9
    moves: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PredictionSettings:
    """How predicted misses read the desk (``prediction`` in the rules)."""

    #: Ticket field naming the queue a ticket waits in (``None``: one queue per connection).
    group: str | None = None
    dispersion: float = 1.0


@dataclass(frozen=True, slots=True)
class MessageCap:
    max: int
    per: timedelta


@dataclass(frozen=True, slots=True)
class MessageSettings:
    fallback_language: str = "en"
    date_formats: Mapping[str, str] = field(default_factory=dict)
    cap: MessageCap | None = None
    reason_field: str | None = None
    default_reason: Mapping[str, str] = field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    #: template name -> language -> parsed template ("" = any language).
    templates: Mapping[str, Mapping[str, Template]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    index: int
    ticket: Mapping[str, Any]
    expect: Mapping[str, Any]
    now: str | None = None
    sent: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ruleset:
    """A loaded, fully checked ruleset. Build an ``Engine`` from it to classify tickets."""

    name: str
    file: str
    impact_levels: tuple[str, ...]
    urgency_levels: tuple[str, ...]
    #: (impact, urgency) -> priority name, every cell present.
    cells: Mapping[tuple[str, str], str]
    #: Ordered most urgent first.
    priorities: Mapping[str, PriorityLevel]
    #: By lower-cased channel name and alias.
    channels: Mapping[str, Channel]
    calendars: Mapping[str, BusinessCalendar]
    pause_statuses: frozenset[str]
    rules: tuple[Rule, ...]
    defaults: Mapping[str, str]
    messages: MessageSettings
    examples: tuple[Example, ...] = ()
    warnings: tuple[Problem, ...] = ()
    prediction: PredictionSettings = field(default_factory=PredictionSettings)
    operators: OperatorRegistry = field(default_factory=OperatorRegistry.builtin, repr=False, compare=False)
    document: Document | None = field(default=None, repr=False, compare=False)
    #: Dimensions (impact, urgency) that, where no rule sets them, keep the ticket's own value when
    #: it is a level of the matrix (``defaults.from_source``); the default applies otherwise.
    from_source: frozenset[str] = frozenset()

    def channel(self, name: str) -> Channel | None:
        return self.channels.get(name.lower()) if name else None

    def is_paused(self, status: str) -> bool:
        return bool(status) and status.casefold() in self.pause_statuses


def _localized(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {"": value}
    if isinstance(value, Mapping):
        return {str(k).replace("_", "-").lower(): str(v) for k, v in value.items()}
    return {}


class _Builder:
    """Collects problems while turning schema-valid-ish data into typed records; never raises midway."""

    def __init__(self, doc: Document, operators: OperatorRegistry) -> None:
        self.doc = doc
        self.data: Mapping[str, Any] = doc.data if isinstance(doc.data, Mapping) else {}
        self.operators = operators
        self.problems: list[Problem] = []

    def error(self, path: _Path, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def warn(self, path: _Path, message: str) -> None:
        self.problems.append(self.doc.problem(path, message, severity="warning"))

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, Mapping) else {}

    def duration(self, value: Any, path: _Path) -> timedelta | None:
        try:
            return parse_duration(value)
        except (ValueError, TypeError) as exc:
            self.error(path, str(exc))
            return None

    # -- calendars -------------------------------------------------------------------------------
    def calendars(self) -> dict[str, BusinessCalendar]:
        built: dict[str, BusinessCalendar] = {}
        for name, data in self.section("calendars").items():
            path: _Path = ("calendars", name)
            if not isinstance(data, Mapping):
                continue
            found = BusinessCalendar.check(data, path)
            for where, message in found:
                self.error(where, message)
            if not found:
                try:
                    built[name] = BusinessCalendar.from_config(name, data)
                except (ValueError, KeyError, TypeError) as exc:
                    self.error(path, f"calendar cannot be built: {exc}")
        return built

    def target(self, data: Any, path: _Path, calendars: Mapping[str, BusinessCalendar]) -> Target | None:
        if not isinstance(data, Mapping) or "within" not in data:
            return None
        within = self.duration(data["within"], (*path, "within"))
        calendar = data.get("calendar") or self.data.get("default_calendar")
        if not calendar:
            self.error(path, "no calendar: name one here or set 'default_calendar'")
            return None
        if calendar not in calendars and calendar not in self.section("calendars"):
            known = ", ".join(sorted(self.section("calendars"))) or "none defined"
            where = (*path, "calendar") if data.get("calendar") else ("default_calendar",)
            self.error(where, f"unknown calendar {calendar!r} (calendars: {known})")
            return None
        return Target(within, str(calendar)) if within is not None else None

    # -- matrix and priorities -------------------------------------------------------------------
    def levels(self, dimension: str) -> tuple[str, ...]:
        raw = self.section("matrix").get(dimension)
        return tuple(str(x) for x in raw) if isinstance(raw, list) else ()

    def priorities(self, calendars: Mapping[str, BusinessCalendar]) -> dict[str, PriorityLevel]:
        out: dict[str, PriorityLevel] = {}
        for rank, (name, data) in enumerate(self.section("priorities").items()):
            if not isinstance(data, Mapping):
                continue
            path: _Path = ("priorities", name)
            pickup = self.target(data.get("pickup"), (*path, "pickup"), calendars)
            resolve = self.target(data.get("resolve"), (*path, "resolve"), calendars)
            if pickup and resolve:
                if pickup.within > resolve.within and pickup.calendar == resolve.calendar:
                    self.warn((*path, "pickup"), "the pickup target is longer than the resolution target")
                out[name] = PriorityLevel(name, rank, str(data.get("label") or name), pickup, resolve)
        return out

    def cells(self, impact: tuple[str, ...], urgency: tuple[str, ...]) -> dict[tuple[str, str], str]:
        raw = self.section("matrix").get("cells")
        raw = raw if isinstance(raw, Mapping) else {}
        priorities = self.section("priorities")
        out: dict[tuple[str, str], str] = {}
        for level in raw:
            if level not in impact:
                self.error(
                    ("matrix", "cells", level), f"{level!r} is not an impact level ({', '.join(impact)})"
                )
        for i in impact:
            row = raw.get(i)
            if not isinstance(row, Mapping):
                self.error(
                    ("matrix", "cells"),
                    f"no row for impact {i!r}: every impact x urgency cell needs a priority",
                )
                continue
            for level in row:
                if level not in urgency:
                    self.error(
                        ("matrix", "cells", i, level),
                        f"{level!r} is not an urgency level ({', '.join(urgency)})",
                    )
            for u in urgency:
                if u not in row:
                    self.error(("matrix", "cells", i), f"missing cell impact={i!r} x urgency={u!r}")
                elif row[u] not in priorities:
                    self.error(
                        ("matrix", "cells", i, u),
                        f"unknown priority {row[u]!r} (priorities: {', '.join(priorities)})",
                    )
                else:
                    out[(i, u)] = str(row[u])
        return out

    # -- channels ---------------------------------------------------------------------------------
    def channels(self, calendars: Mapping[str, BusinessCalendar]) -> dict[str, Channel]:
        out: dict[str, Channel] = {}
        for name, data in self.section("channels").items():
            if not isinstance(data, Mapping):
                continue
            path: _Path = ("channels", name)
            pickup = (
                self.target(data.get("pickup"), (*path, "pickup"), calendars) if "pickup" in data else None
            )
            aliases = tuple(str(a) for a in data.get("aliases", ()) if isinstance(a, str))
            channel = Channel(str(name), str(data.get("class", "right-time")), pickup, aliases)
            for index, key in enumerate((name, *aliases)):
                lowered = key.lower()
                if lowered in out:
                    where = (*path, "aliases", index - 1) if index else path
                    self.error(where, f"channel name {key!r} is used twice (also by {out[lowered].name!r})")
                out[lowered] = channel
        return out

    # -- rules ------------------------------------------------------------------------------------
    def condition(self, data: Any, path: _Path, context: CompileContext) -> Any:
        logic, found = desugar(data, context)
        for problem in found:
            self.problems.append(self.doc.problem((*path, *problem.path), problem.message, problem.severity))
        return logic

    def rules(self, impact: tuple[str, ...], urgency: tuple[str, ...], context: CompileContext) -> list[Rule]:
        raw = self.data.get("rules")
        out: list[Rule] = []
        names: dict[str, int] = {}
        known = {"impact": impact, "urgency": urgency, "priority": tuple(self.section("priorities"))}
        for index, data in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(data, Mapping):
                continue
            path: _Path = ("rules", index)
            name = str(data.get("name", f"rule {index + 1}"))
            if name in names:
                self.error(
                    (*path, "name"), f"rule name {name!r} is used twice (first at rules[{names[name]}])"
                )
            names.setdefault(name, index)
            raw_sets = data.get("set")
            sets: Mapping[str, Any] = raw_sets if isinstance(raw_sets, Mapping) else {}
            for dimension, value in sets.items():
                if dimension in known and value not in known[dimension]:
                    self.error(
                        (*path, "set", dimension),
                        f"unknown {dimension} {value!r} ({', '.join(known[dimension])})",
                    )
            logic = self.condition(data.get("when"), (*path, "when"), context)
            out.append(
                Rule(
                    name,
                    index,
                    logic,
                    MappingProxyType(dict(sets)),
                    _localized(data.get("reason")),
                    str(data.get("description", "")),
                )
            )
        return out

    def defaults(self, impact: tuple[str, ...], urgency: tuple[str, ...]) -> dict[str, str]:
        raw = self.section("defaults")
        out: dict[str, str] = {}
        for dimension, levels in (("impact", impact), ("urgency", urgency)):
            value = raw.get(dimension)
            if value is None:
                continue
            if value not in levels:
                self.error(("defaults", dimension), f"unknown {dimension} {value!r} ({', '.join(levels)})")
            out[dimension] = str(value)
        return out

    # -- messages ---------------------------------------------------------------------------------
    def templates(self, fallback: str) -> dict[str, dict[str, Template]]:
        out: dict[str, dict[str, Template]] = {}
        raw = self.section("messages").get("templates")
        for name, texts in (raw if isinstance(raw, Mapping) else {}).items():
            path: _Path = ("messages", "templates", name)
            parsed: dict[str, Template] = {}
            for language, text in _localized(texts).items():
                where = path if language == "" else (*path, _original_key(texts, language))
                try:
                    parsed[language] = Template.parse(text)
                except TemplateError as exc:
                    self.error(where, str(exc))
            if "" not in parsed and not any(k.split("-")[0] == fallback.split("-")[0] for k in parsed):
                self.error(
                    path,
                    f"no text in the fallback language {fallback!r}: other languages would get nothing",
                )
            out[str(name)] = parsed
        return out

    def messages(self, context: CompileContext) -> MessageSettings:
        raw = self.section("messages")
        fallback = str(raw.get("fallback_language", "en")).replace("_", "-").lower()
        templates = self.templates(fallback)
        date_formats = {
            str(k).replace("_", "-").lower(): str(v) for k, v in (raw.get("date_format") or {}).items()
        }
        for language, pattern in date_formats.items():
            problem = check_date_pattern(pattern)
            if problem:
                self.error(("messages", "date_format", language), problem)
        cap = None
        if isinstance(raw.get("cap"), Mapping):
            per = self.duration(raw["cap"].get("per"), ("messages", "cap", "per"))
            if per is not None and isinstance(raw["cap"].get("max"), int):
                cap = MessageCap(raw["cap"]["max"], per)
        policies: list[Policy] = []
        names: set[str] = set()
        raw_policies = raw.get("policies")
        for index, data in enumerate(raw_policies if isinstance(raw_policies, list) else []):
            if not isinstance(data, Mapping):
                continue
            path: _Path = ("messages", "policies", index)
            name = str(data.get("name"))
            if name in names:
                self.error((*path, "name"), f"policy name {name!r} is used twice")
            names.add(name)
            template = str(data.get("template"))
            if template not in templates:
                self.error(
                    (*path, "template"),
                    f"unknown template {template!r} ({', '.join(templates) or 'none defined'})",
                )
            at = None
            if isinstance(data.get("at"), str):
                at = float(data["at"].strip().rstrip("%")) / 100
            threshold = 0.9
            if isinstance(data.get("threshold"), str):
                threshold = float(data["threshold"].strip().rstrip("%")) / 100
            moves = self.duration(data.get("moves", "1h"), (*path, "moves")) or timedelta(hours=1)
            condition = self.condition(data["when"], (*path, "when"), context) if "when" in data else None
            channels = frozenset(str(c).lower() for c in data["channels"]) if data.get("channels") else None
            for channel in sorted(channels or ()):
                if self.section("channels") and channel not in {c.lower() for c in self.section("channels")}:
                    self.warn((*path, "channels"), f"channel {channel!r} is not declared under 'channels'")
            policies.append(
                Policy(
                    name,
                    str(data.get("event")),
                    template,
                    bool(data.get("visible_to_requester", True)),
                    at,
                    channels,
                    condition,
                    threshold,
                    moves,
                )
            )
        reason_field = raw.get("reason_field")
        return MessageSettings(
            fallback_language=fallback,
            date_formats=date_formats,
            cap=cap,
            reason_field=str(reason_field) if reason_field else None,
            default_reason=_localized(raw.get("default_reason")),
            policies=tuple(policies),
            templates={k: MappingProxyType(v) for k, v in templates.items()},
        )

    def examples(self) -> list[Example]:
        raw = self.data.get("examples")
        out = []
        for index, data in enumerate(raw if isinstance(raw, list) else []):
            if isinstance(data, Mapping) and isinstance(data.get("ticket"), Mapping):
                out.append(
                    Example(
                        str(data.get("name")),
                        index,
                        data["ticket"],
                        data.get("expect") or {},
                        data.get("now"),
                        tuple(data.get("sent") or ()),
                    )
                )
        return out


def _original_key(texts: Any, normalised: str) -> str:
    for key in texts if isinstance(texts, Mapping) else ():
        if str(key).replace("_", "-").lower() == normalised:
            return str(key)
    return normalised


def ruleset_from_document(doc: Document, operators: OperatorRegistry | None = None) -> Ruleset:
    """Build a ``Ruleset`` from a parsed document; raise ``RulesetError`` listing every problem."""
    if operators is None:  # an empty registry is a choice, not a default
        operators = OperatorRegistry.builtin()
    problems = schema_problems(doc, "rules")
    builder = _Builder(doc, operators)
    calendars = builder.calendars()
    context = CompileContext(calendars=calendars, operators=operators)
    impact, urgency = builder.levels("impact"), builder.levels("urgency")
    priorities = builder.priorities(calendars)
    cells = builder.cells(impact, urgency)
    channels = builder.channels(calendars)
    rules = builder.rules(impact, urgency, context)
    defaults = builder.defaults(impact, urgency)
    messages = builder.messages(context)
    examples = builder.examples()
    # One complaint per place: a value the schema already rejected needs no second, logical one.
    rejected = {p.path for p in problems}
    problems += [p for p in builder.problems if p.path not in rejected]
    if any(p.severity == "error" for p in problems):
        raise RulesetError(problems, doc.file)
    clock = builder.section("clock")
    prediction = builder.section("prediction")
    return Ruleset(
        name=str(builder.data.get("name") or Path(doc.file).stem or "rules"),
        file=doc.file,
        impact_levels=impact,
        urgency_levels=urgency,
        cells=MappingProxyType(cells),
        priorities=MappingProxyType(priorities),
        channels=MappingProxyType(channels),
        calendars=MappingProxyType(calendars),
        pause_statuses=frozenset(str(s).casefold() for s in clock.get("pause_statuses", ())),
        rules=tuple(rules),
        defaults=MappingProxyType(defaults),
        messages=messages,
        examples=tuple(examples),
        warnings=tuple(p for p in problems if p.severity != "error"),
        prediction=PredictionSettings(
            group=str(prediction["group"]) if prediction.get("group") else None,
            dispersion=float(prediction.get("dispersion", 1.0)),
        ),
        operators=operators,
        document=doc,
        from_source=frozenset(str(d) for d in builder.section("defaults").get("from_source") or ()),
    )


def parse_ruleset(text: str, file: str = "rules.yaml", operators: OperatorRegistry | None = None) -> Ruleset:
    """Load a ruleset from text (YAML, or JSON/TOML by ``file``'s suffix)."""
    return ruleset_from_document(parse_document(text, file), operators)


def load_ruleset(path: str | Path, operators: OperatorRegistry | None = None) -> Ruleset:
    """Load and check a rules file; raise ``RulesetError`` listing every problem with its line."""
    return ruleset_from_document(load_document(path), operators)
