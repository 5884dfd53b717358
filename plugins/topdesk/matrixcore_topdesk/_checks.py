"""Checks of a ruleset and a connection's mappings against what a live TOPdesk holds.

TOPdesk keeps its own impact x urgency matrix and a duration per priority (``/incidents/priorities``
-> ``firstLineDuration``/``secondLineDuration`` -> ``/incidents/durations``: ``basicPeriods`` of a
``timeSpanType``), from which it sets an incident's target date. When the rules promise a pickup
(or a resolution) later than TOPdesk's own duration for the mapped priority, agents see the incident
overdue in TOPdesk while the requester was told it is on time: ``matrixcore check --config`` says so
before the daemon runs. It also reports mapped names TOPdesk does not know (every write of them
would fail) and matrix levels with no TOPdesk value.

Pure functions over the lookup lists, so they run the same against a live TOPdesk or the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from matrixcore import BusinessCalendar, Problem, Ruleset, format_duration

from ._mapping import lookup_name
from ._settings import DIMENSIONS, TopdeskSettings

__all__ = ["TopdeskDuration", "duration_of", "ruleset_problems"]

#: ``timeSpanType`` spellings -> unit. The 4.2.6 description types the field as a bare string
#: without listing values, so English and Dutch singulars and plurals are all accepted.
_UNITS: Final[Mapping[str, str]] = {
    **dict.fromkeys(("minute", "minutes", "min", "minuut", "minuten"), "minutes"),
    **dict.fromkeys(("hour", "hours", "uur", "uren"), "hours"),
    **dict.fromkeys(("day", "days", "dag", "dagen", "workday", "workdays", "werkdag", "werkdagen"), "days"),
    **dict.fromkeys(("week", "weeks", "weken"), "weeks"),
    **dict.fromkeys(("month", "months", "maand", "maanden"), "months"),
}


@dataclass(frozen=True, slots=True)
class TopdeskDuration:
    """A TOPdesk duration: ``amount`` of ``unit`` (minutes, hours, days, weeks, months)."""

    name: str
    amount: float
    unit: str

    def business_time(self, calendar: BusinessCalendar | None) -> timedelta:
        """The duration as business time on ``calendar``: a day is one open day's hours, a week the
        open hours of a week (TOPdesk counts durations in its service windows)."""
        day, week = _day_and_week(calendar)
        size = {
            "minutes": timedelta(minutes=1),
            "hours": timedelta(hours=1),
            "days": day,
            "weeks": week,
            "months": week * 52 / 12,
        }[self.unit]
        return size * self.amount

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{self.name} ({amount} {self.unit})" if self.name else f"{amount} {self.unit}"


def _day_and_week(calendar: BusinessCalendar | None) -> tuple[timedelta, timedelta]:
    hours = calendar.hours if calendar is not None else None
    if hours is None:
        return timedelta(days=1), timedelta(weeks=1)
    open_days = [sum(end - start for start, end in segments) for segments in hours.values() if segments]
    if not open_days:
        return timedelta(0), timedelta(0)
    week = timedelta(minutes=sum(open_days))
    return week / len(open_days), week


def duration_of(record: Mapping[str, Any] | None) -> TopdeskDuration | None:
    """A ``Duration`` record (``basicPeriods`` + ``timeSpanType``) as a value; ``None`` if unreadable."""
    if not isinstance(record, Mapping):
        return None
    amount = record.get("basicPeriods")
    unit = _UNITS.get(str(record.get("timeSpanType") or "").strip().casefold())
    if unit is None or not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        return None
    return TopdeskDuration(lookup_name(record) or "", float(amount), unit)


def _problem(ruleset: Ruleset, path: tuple[str | int, ...], message: str, severity: str) -> Problem:
    if ruleset.document is not None:
        return ruleset.document.problem(path, message, severity)
    return Problem(path, message, ruleset.file, severity=severity)


def _config_problem(
    settings: TopdeskSettings, tail: tuple[str | int, ...], message: str, severity: str
) -> Problem:
    return Problem(("connections", settings.name, "mappings", *tail), message, severity=severity)


def _mapping_problems(
    ruleset: Ruleset, settings: TopdeskSettings, lookups: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[Problem]:
    problems: list[Problem] = []
    levels = {
        "impact": ruleset.impact_levels,
        "urgency": ruleset.urgency_levels,
        "priority": tuple(ruleset.priorities),
    }
    for dimension in DIMENSIONS:
        mapping = settings.level_map(dimension)
        known = {n.casefold(): n for item in lookups.get(dimension, ()) if (n := lookup_name(item))}
        if not mapping:
            if dimension in settings.write:
                problems.append(
                    _config_problem(
                        settings,
                        (dimension,),
                        f"no {dimension} mapping: matrixcore cannot read or write TOPdesk's {dimension}",
                        "warning",
                    )
                )
            continue
        for level in mapping.to_vendor:
            if level not in levels[dimension]:
                problems.append(
                    _config_problem(
                        settings,
                        (dimension, level),
                        f"{level!r} is not a ruleset {dimension} (ruleset: {', '.join(levels[dimension])})",
                        "error",
                    )
                )
        written = {name.casefold() for name in mapping.to_vendor.values()}
        for vendor_name, level in mapping.from_vendor.items():
            if known and vendor_name not in known:
                # A written name TOPdesk lacks fails every write; a name only read may belong to an
                # archived entry old incidents still carry (which TOPdesk's lists may leave out).
                only_read = vendor_name not in written
                problems.append(
                    _config_problem(
                        settings,
                        (dimension, level),
                        f"TOPdesk has no {dimension} named {vendor_name!r} "
                        f"(TOPdesk has: {', '.join(sorted(known.values()))})"
                        + (
                            "; it is only read, so incidents may still carry an archived one"
                            if only_read
                            else ""
                        ),
                        "warning" if only_read else "error",
                    )
                )
        for level in levels[dimension]:
            if mapping.vendor(level) is None and dimension in settings.write:
                problems.append(
                    _config_problem(
                        settings,
                        (dimension,),
                        f"ruleset {dimension} {level!r} maps to no TOPdesk {dimension}: it cannot be written",
                        "warning",
                    )
                )
    return problems


_LINES: Final = (("firstLineDuration", "first-line"), ("secondLineDuration", "second-line"))


def _duration_problems(
    ruleset: Ruleset,
    settings: TopdeskSettings,
    priorities: Sequence[Mapping[str, Any]],
    durations: Sequence[Mapping[str, Any]],
) -> list[Problem]:
    """Each priority has a first-line and a second-line duration (an incident logged or escalated
    to second line runs on the latter); a promise longer than the shorter of them is reported."""
    problems: list[Problem] = []
    by_name = {n.casefold(): p for p in priorities if (n := lookup_name(p))}
    by_id = {str(d.get("id")): d for d in durations if isinstance(d, Mapping)}
    by_duration_name = {n.casefold(): d for d in durations if (n := lookup_name(d))}
    mapping = settings.level_map("priority")
    for name, level in ruleset.priorities.items():
        vendor_name = mapping.vendor(name)
        record = by_name.get(vendor_name.casefold()) if vendor_name else None
        if record is None:
            continue
        # The lines' duration references, grouped: both lines usually share one.
        groups: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
        for field_name, line in _LINES:
            reference = record.get(field_name)
            if isinstance(reference, Mapping):
                key = str(reference.get("id") or lookup_name(reference))
                groups.setdefault(key, (reference, []))[1].append(line)
        compared: list[tuple[TopdeskDuration, str]] = []
        for reference, lines in groups.values():
            which = "" if len(groups) == 1 else f"{' and '.join(lines)} "
            raw = by_id.get(str(reference.get("id"))) or by_duration_name.get(
                (lookup_name(reference) or "").casefold()
            )
            duration = duration_of(raw)
            if duration is not None:
                compared.append((duration, which))
            elif raw is not None or lookup_name(reference):
                problems.append(
                    _problem(
                        ruleset,
                        ("priorities", name),
                        f"cannot read TOPdesk's {which}duration {lookup_name(reference)!r} for priority "
                        f"{vendor_name!r} (basicPeriods/timeSpanType {raw and raw.get('basicPeriods')!r}/"
                        f"{raw and raw.get('timeSpanType')!r}); not compared",
                        "warning",
                    )
                )
        for target_name, noun, target in (
            ("pickup", "pickup", level.pickup),
            ("resolve", "resolution", level.resolve),
        ):
            calendar = ruleset.calendars.get(target.calendar)
            limits = [(d.business_time(calendar), d, which) for d, which in compared]
            if not limits:
                continue
            limit, duration, which = min(limits, key=lambda item: item[0])
            if target.within <= limit:
                continue
            problems.append(
                _problem(
                    ruleset,
                    ("priorities", name, target_name, "within"),
                    f"promises {noun} within {format_duration(target.within)}, but TOPdesk's own "
                    f"{which}duration for priority {vendor_name!r} is {duration} = "
                    f"{format_duration(limit)} on calendar {target.calendar!r}: TOPdesk will show "
                    "the incident overdue before this promise is due",
                    "warning",
                )
            )
    return problems


def ruleset_problems(
    ruleset: Ruleset,
    settings: TopdeskSettings,
    lookups: Mapping[str, Sequence[Mapping[str, Any]]],
    durations: Sequence[Mapping[str, Any]],
) -> list[Problem]:
    """Everything TOPdesk's own data says about the ruleset and the connection's mappings.

    ``lookups`` maps ``impact``/``urgency``/``priority`` to TOPdesk's lists (``/incidents/impacts``
    …, priorities with their duration references); ``durations`` is ``/incidents/durations``.
    """
    return [
        *_mapping_problems(ruleset, settings, lookups),
        *_duration_problems(ruleset, settings, lookups.get("priority", ()), durations),
    ]
