"""A ruleset and a connection's mappings checked against what a live instance holds
(``matrixcore check --config``).

Two things go wrong silently on ServiceNow. A mapped value the instance does not list among its
choices is stored all the same (choice fields are not validated on write), so tickets end up with
an impact no report knows. And ServiceNow derives priority from impact and urgency by its own
Priority Lookup Rules: where they disagree with the matrix, agents see one priority in ServiceNow
while the requester was promised the pickup time of another. Both are reported before the daemon
runs, with the cell of the matrix that disagrees.

Pure functions over the instance's ``sys_choice`` and ``dl_u_priority`` rows, so they run the same
against a live instance or the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from matrixcore import Problem, Ruleset

from ._mapping import value_of
from ._settings import LevelMap, Settings

__all__ = [
    "CHOICE_FIELDS",
    "PRIORITY_LOOKUP_TABLES",
    "choice_values",
    "field_problems",
    "lookup_table",
    "named_fields",
    "ruleset_problems",
]

#: The data lookup table that derives a table's priority from impact and urgency (ServiceNow docs:
#: *Define priority lookup rules*, *Data lookup for prioritizing problems*); other tables have none.
PRIORITY_LOOKUP_TABLES: Final[Mapping[str, str]] = {
    "incident": "dl_u_priority",
    "problem": "dl_problem_priority",
}

_FILTER_FIELD: Final = re.compile(r"^(?:OR|NQ)?([a-z_][a-z0-9_]*)")

#: Mapped fields whose values come from choice lists, with how bad an unknown value is.
CHOICE_FIELDS: Final[Mapping[str, str]] = {
    "impact": "error",
    "urgency": "error",
    "priority": "error",
    "state": "warning",
    "hold_reason": "warning",
    "contact_type": "warning",
}


def named_fields(settings: Settings) -> dict[str, tuple[str | int, ...]]:
    """Each field of the table the settings name (first segment of a dot-walk), with where."""
    mapping: tuple[str | int, ...] = ("mapping",)
    named: dict[str, tuple[str | int, ...]] = {}
    for term in settings.filter.split("^") if settings.filter else ():
        found = _FILTER_FIELD.match(term)
        if found and not term.startswith("ORDERBY"):
            named.setdefault(found.group(1), ("filter",))
    for section, fields in (("requester", settings.requester_fields), ("fields", settings.ticket_fields)):
        for key, path in fields.items():
            named.setdefault(path.partition(".")[0], (*mapping, section, key))
    for key, path in settings.custom_fields.items():
        named.setdefault(path.partition(".")[0], (*mapping, "custom", key))
    if settings.pause_since_field:
        named.setdefault(settings.pause_since_field.partition(".")[0], (*mapping, "pause", "since_field"))
    if settings.pickup_time_field:
        named.setdefault(settings.pickup_time_field.partition(".")[0], (*mapping, "pickup", "time_field"))
    return named


def field_problems(connection: str, settings: Settings, known: set[str]) -> list[Problem]:
    """Fields the settings name that the table does not have (``known``: its dictionary)."""
    problems = []
    for name, where in named_fields(settings).items():
        if name in known:
            continue
        path = ("connections", connection, *where)
        if where == ("filter",):
            message = (
                f"the filter names {name!r}, which {settings.table} does not have: ServiceNow drops such a "
                "condition, so the filter would match more tickets than meant"
            )
            problems.append(Problem(path, message))
        else:
            message = f"{settings.table} has no field {name!r}: the ticket's value would always be empty"
            problems.append(Problem(path, message, severity="warning"))
    return problems


def choice_values(rows: Sequence[Mapping[str, Any]], table: str) -> dict[str, set[str]]:
    """element -> active choice values, from ``sys_choice`` rows of ``table`` and of ``task``.

    A table's own list replaces the one it inherits from task (incident's states are not task's).
    """
    own: dict[str, set[str]] = {}
    inherited: dict[str, set[str]] = {}
    for row in rows:
        if value_of(row, "inactive").lower() != "true":
            into = own if value_of(row, "name") == table else inherited
            into.setdefault(value_of(row, "element"), set()).add(value_of(row, "value"))
    return {**inherited, **own}


def lookup_table(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """(impact, urgency) -> priority from active ``dl_u_priority`` rows (the first one wins)."""
    table: dict[tuple[str, str], str] = {}
    for row in rows:
        if value_of(row, "active").lower() in ("true", "1", ""):
            table.setdefault((value_of(row, "impact"), value_of(row, "urgency")), value_of(row, "priority"))
    return table


def ruleset_problems(
    connection: str,
    settings: Settings,
    ruleset: Ruleset,
    choices: Mapping[str, set[str]] | None,
    lookup: Mapping[tuple[str, str], str] | None,
) -> list[Problem]:
    """Everything the instance says about ``ruleset`` and this connection's mappings.

    ``choices`` or ``lookup`` is ``None`` where the instance would not show them (no read access):
    those checks are then skipped with a warning saying so.
    """
    at = ("connections", connection, "mapping")
    problems: list[Problem] = []
    levels = {
        "impact": (settings.impact, ruleset.impact_levels),
        "urgency": (settings.urgency, ruleset.urgency_levels),
        "priority": (settings.priority, tuple(ruleset.priorities)),
    }
    for dimension, (mapped, names) in levels.items():
        problems += _level_problems((*at, dimension), dimension, mapped, names, settings)
    if choices is None:
        problems.append(Problem(at, "cannot read sys_choice: mapped values not checked", severity="warning"))
    else:
        problems += _choice_problems(at, settings, choices)
    source = PRIORITY_LOOKUP_TABLES.get(settings.table)
    if source is None:
        if not settings.writes_priority:
            message = (
                f"{settings.table} has no Priority Lookup Rules out of the box: with write: impact_urgency "
                "matrixcore never sets its priority; use write: all unless the instance derives it"
            )
            problems.append(Problem(("connections", connection, "write"), message, severity="warning"))
    elif lookup is None:
        problems.append(
            Problem(at, f"cannot read the Priority Lookup Rules ({source}): not compared", severity="warning")
        )
    elif settings.writes_levels:
        problems += _lookup_problems((*at, "priority"), settings, ruleset, lookup)
    return problems


def _level_problems(
    path: tuple[str | int, ...], dimension: str, mapped: LevelMap, names: Sequence[str], settings: Settings
) -> list[Problem]:
    problems = []
    for level in sorted(set(mapped.to_value) - set(names)):
        problems.append(
            Problem(path, f"{level!r} is not a {dimension} level of the ruleset ({', '.join(names)})")
        )
    written = settings.writes_priority if dimension == "priority" else settings.writes_levels
    for level in names:
        if written and level not in mapped.to_value:
            problems.append(
                Problem(
                    path, f"the ruleset's {dimension} {level!r} has no ServiceNow value: it cannot be written"
                )
            )
    return problems


def _choice_problems(
    at: tuple[str | int, ...], settings: Settings, choices: Mapping[str, set[str]]
) -> list[Problem]:
    mapped: dict[str, Sequence[str]] = {
        "impact": list(settings.impact.to_level),
        "urgency": list(settings.urgency.to_level),
        "priority": list(settings.priority.to_level),
        "state": sorted({*settings.pause_states, *settings.pickup_states}),
        "hold_reason": sorted(settings.pause_hold_reasons or ()),
        "contact_type": [],  # channels pass unknown values through; nothing to write
    }
    problems = []
    for element, values in mapped.items():
        known = choices.get(element)
        if not known:
            continue  # no choice list for it (a custom table): nothing to compare with
        for value in values:
            if value not in known:
                where = {"state": ("pause",), "hold_reason": ("pause", "hold_reasons")}.get(
                    element, (element,)
                )
                problems.append(
                    Problem(
                        at + where,
                        f"ServiceNow has no {element} choice {value!r} (it has {', '.join(sorted(known))})",
                        severity=CHOICE_FIELDS[element],
                    )
                )
    return problems


def _lookup_problems(
    path: tuple[str | int, ...], settings: Settings, ruleset: Ruleset, lookup: Mapping[tuple[str, str], str]
) -> list[Problem]:
    problems = []
    for (impact, urgency), priority in ruleset.cells.items():
        key = (settings.impact.to_value.get(impact), settings.urgency.to_value.get(urgency))
        if None in key:
            continue  # reported as unwritable above
        derived = lookup.get((str(key[0]), str(key[1])))
        level = settings.priority.level(derived)
        if derived is None or level != priority:
            got = "no priority" if derived is None else f"priority {derived} ({level or 'unmapped'})"
            problems.append(
                Problem(
                    path,
                    f"ServiceNow's Priority Lookup Rules give {got} for impact {key[0]} x urgency {key[1]}, "
                    f"where the matrix says {impact} x {urgency} -> {priority}: agents would see another "
                    "priority than the requester was promised",
                    severity="warning",
                )
            )
    return problems
