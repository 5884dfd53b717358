"""The ruleset: one validated file holding the matrix, targets, calendars, rules and messages.

Loading is where every mistake must surface, all at once and each with its place, because a rules
file is edited by desk staff and a daemon must be able to refuse a bad one while keeping the last
good one. So loading runs the JSON Schema first and then the logical checks a schema cannot express
(every matrix cell filled, every referenced calendar, level, template and placeholder exists, every
regex compiles, every duration parses) and raises one ``RulesetError`` listing all problems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, TypeVar

from ._calendar import BusinessCalendar
from ._conditions import desugar
from ._documents import Document, load_document, parse_document
from ._durations import format_duration, parse_duration
from ._errors import Problem, RulesetError
from ._operators import CompileContext, OperatorRegistry
from ._schemas import schema_problems
from ._templates import (
    ELLIPSIS,
    TEXT_LIMITS,
    Template,
    TemplateError,
    check_date_pattern,
    date_pattern,
    longest_date,
)

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
#: Message limits of channels everyone knows, used when a channel sets no ``max_length``: a post on
#: X (Twitter) holds 280 characters.
KNOWN_LIMITS: Final = {"twitter": 280, "x": 280}
#: The longest target or cap period a ruleset may hold.
MAX_TARGET: Final = timedelta(days=366)
_Path = tuple[str | int, ...]
_T = TypeVar("_T")


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
    #: The most characters a message to a ticket of this channel may have (``None``: no limit).
    max_length: int | None = None


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

    def guarded(self, path: _Path, build: Callable[[], _T], fallback: Callable[[], _T]) -> _T:
        """``build()``, or ``fallback`` with a problem at ``path`` if a check fails unexpectedly: a
        value no check foresaw is a refusal of the file, never a traceback (or a daemon that stops)."""
        try:
            return build()
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.error(path, f"cannot be checked ({reason[:200]})")
            return fallback()

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, Mapping) else {}

    def duration(self, value: Any, path: _Path) -> timedelta | None:
        try:
            parsed = parse_duration(value)
        except (ValueError, TypeError) as exc:
            self.error(path, str(exc))
            return None
        if parsed > MAX_TARGET:
            # Business time is counted day by day: a century of it costs a second per ticket.
            self.error(path, f"{value!s:.40} is longer than a year: write at most {MAX_TARGET.days}d")
            return None
        return parsed

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
            limit = data.get("max_length")
            if not isinstance(limit, int) or isinstance(limit, bool):
                names = {str(name).lower(), *(a.lower() for a in aliases)}
                limit = next((n for key, n in KNOWN_LIMITS.items() if key in names), None)
            channel = Channel(str(name), str(data.get("class", "right-time")), pickup, aliases, limit)
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

    def message_limits(
        self,
        messages: MessageSettings,
        channels: Mapping[str, Channel],
        priorities: Mapping[str, PriorityLevel],
        rules: Sequence[Rule],
        levels: Sequence[str],
    ) -> None:
        """Warn about every template whose rendering can exceed the limit of a channel it is sent
        to: there it is cut at the limit (ending in "…"), and what is cut may be the promise."""
        limited = {c.name: c for c in channels.values() if c.max_length}
        if not limited:
            return
        durations = [format_duration(t.within) for p in priorities.values() for t in (p.pickup, p.resolve)]
        durations += [format_duration(c.pickup.within) for c in channels.values() if c.pickup]
        names = list(priorities)
        bounds = {
            **TEXT_LIMITS,
            "impact": max(map(len, levels), default=0),
            "urgency": max(map(len, levels), default=0),
            "priority": max(map(len, names), default=0),
            "previous_priority": max(map(len, names), default=0),
            "priority_label": max((len(p.label) for p in priorities.values()), default=0),
            "pickup_within": max(map(len, durations), default=0),
            "resolve_within": max(map(len, durations), default=0),
        }
        for policy in messages.policies:
            texts = messages.templates.get(policy.template, {})
            targets = [
                c for c in limited.values() if policy.channels is None or c.name.lower() in policy.channels
            ]
            for language, template in texts.items():
                lang = language or messages.fallback_language
                reasons = [len(_pick(r.reason, lang, messages.fallback_language)) for r in rules]
                reasons.append(len(_pick(messages.default_reason, lang, messages.fallback_language)))
                if messages.reason_field:
                    reasons.append(TEXT_LIMITS["reason"])
                date_format = messages.date_formats.get(lang) or messages.date_formats.get(lang.split("-")[0])

                def dates(spec: str, lang: str = lang, date_format: str | None = date_format) -> int:
                    return longest_date(spec or date_format or date_pattern(lang), lang)

                longest = template.longest({**bounds, "reason": max(reasons)}, dates)
                for channel in targets:
                    assert channel.max_length is not None
                    if longest > channel.max_length:
                        where = ("messages", "templates", policy.template)
                        self.warn(
                            (*where, language) if language else where,
                            f"can be {longest} characters long, over the {channel.max_length} of channel "
                            f"{channel.name!r} (policy {policy.name!r}); there it is cut to fit, ending in "
                            f"'{ELLIPSIS}': shorten it, or give that channel a policy of its own",
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


def _pick(texts: Mapping[str, str], language: str, fallback: str) -> str:
    for key in (language, language.split("-")[0], fallback, ""):
        if key in texts:
            return texts[key]
    return ""


def _original_key(texts: Any, normalised: str) -> str:
    for key in texts if isinstance(texts, Mapping) else ():
        if str(key).replace("_", "-").lower() == normalised:
            return str(key)
    return normalised


def _without(data: Any, paths: set[_Path], here: _Path = ()) -> Any:
    """``data`` with the values at ``paths`` left out (copied where something is left out)."""
    if not any(len(p) > len(here) and p[: len(here)] == here for p in paths):
        return data
    if isinstance(data, Mapping):
        return {k: _without(v, paths, (*here, k)) for k, v in data.items() if (*here, k) not in paths}
    if isinstance(data, list):
        return [_without(v, paths, (*here, i)) for i, v in enumerate(data) if (*here, i) not in paths]
    return data


def _related(path: _Path, rejected: set[_Path]) -> bool:
    """A logical problem at ``path`` is a consequence of a schema error at, under or just above it."""
    return any(path[: len(r)] == r or (len(path) >= 2 and r[: len(path)] == path) for r in rejected)


def ruleset_from_document(doc: Document, operators: OperatorRegistry | None = None) -> Ruleset:
    """Build a ``Ruleset`` from a parsed document; raise ``RulesetError`` listing every problem.

    Whatever the document holds, the only exception is a ``RulesetError``: the logical checks see
    only values of the types the schema allows (the others are reported by the schema and left out),
    and a check that still fails is reported as a problem of its section, not as a traceback.
    """
    if operators is None:  # an empty registry is a choice, not a default
        operators = OperatorRegistry.builtin()
    rejected: set[_Path] = set()
    problems = schema_problems(doc, "rules", rejected)
    if () in rejected:  # not a mapping at all: nothing to check further
        raise RulesetError(problems, doc.file)
    typed = Document(_without(doc.data, rejected), doc.file, doc.positions)
    builder = _Builder(typed, operators)
    calendars: dict[str, BusinessCalendar] = builder.guarded(("calendars",), builder.calendars, dict)
    context = CompileContext(calendars=calendars, operators=operators)
    impact, urgency = builder.levels("impact"), builder.levels("urgency")
    priorities: dict[str, PriorityLevel] = builder.guarded(
        ("priorities",), lambda: builder.priorities(calendars), dict
    )
    cells: dict[tuple[str, str], str] = builder.guarded(
        ("matrix", "cells"), lambda: builder.cells(impact, urgency), dict
    )
    channels: dict[str, Channel] = builder.guarded(("channels",), lambda: builder.channels(calendars), dict)
    rules: list[Rule] = builder.guarded(("rules",), lambda: builder.rules(impact, urgency, context), list)
    defaults: dict[str, str] = builder.guarded(("defaults",), lambda: builder.defaults(impact, urgency), dict)
    messages: MessageSettings = builder.guarded(
        ("messages",), lambda: builder.messages(context), MessageSettings
    )
    examples: list[Example] = builder.guarded(("examples",), builder.examples, list)
    builder.guarded(
        ("messages",),
        lambda: builder.message_limits(messages, channels, priorities, rules, (*impact, *urgency)),
        lambda: None,
    )
    # One complaint per place: a value the schema already rejected needs no second, logical one.
    problems += [p for p in builder.problems if not _related(p.path, rejected)]
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
