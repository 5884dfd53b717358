"""Operators beyond JsonLogic (regex, date and business-hours tests) and the registry plugins feed.

An operator is a plain function over evaluated arguments. Its optional ``prepare`` runs once at compile
time on the arguments written as constants in the rule (a regex pattern, an ISO date, a calendar name)
and returns what the function receives instead, so nothing is parsed, compiled or looked up per ticket;
``prepare`` is also where an operator rejects bad arguments, by raising ``ValueError`` with a message
the user sees next to the rule. Arguments computed per ticket (a field, ``{"var": ...}``) reach
``prepare`` as ``DYNAMIC`` and reach the function as their runtime value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Final, Protocol

from ._errors import MatrixcoreError
from ._jsvalues import to_string
from ._patterns import BoundedPattern, compile_pattern
from ._ticket import EMPTY_MAPPING
from .hookspecs import hookimpl

__all__ = [
    "BUILTIN_OPERATORS",
    "DYNAMIC",
    "JSONLOGIC_OPERATIONS",
    "SHORTHAND_WORDS",
    "Calendar",
    "CompileContext",
    "DuplicateOperatorError",
    "Operator",
    "OperatorRegistry",
]

#: JsonLogic's own operations; no extra operator may take these names.
JSONLOGIC_OPERATIONS: Final = frozenset(
    [
        "==",
        "===",
        "!=",
        "!==",
        ">",
        ">=",
        "<",
        "<=",
        "!",
        "!!",
        "and",
        "or",
        "if",
        "?:",
        "in",
        "cat",
        "substr",
        "+",
        "-",
        "*",
        "/",
        "%",
        "min",
        "max",
        "map",
        "filter",
        "reduce",
        "all",
        "some",
        "none",
        "merge",
        "var",
        "missing",
        "missing_some",
        "log",
    ]
)
#: Words the shorthand gives a meaning of its own (combinators and field operators).
SHORTHAND_WORDS: Final = frozenset(
    ["all", "any", "not", "jsonlogic", "eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "exists"]
)


class _Dynamic:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DYNAMIC"


#: Stands, in ``prepare``'s arguments, for an argument that is only known per ticket.
DYNAMIC: Final = _Dynamic()


class Calendar(Protocol):
    """What business-hours operators need from a calendar (``BusinessCalendar`` provides it)."""

    def is_open(self, instant: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class Operator:
    """An extra operator: ``{name: [arg, ...]}`` in JsonLogic, ``{field: {name: value}}`` in shorthand.

    ``function(*args)`` gets the evaluated arguments (prepared ones where ``prepare`` replaced them).
    ``prepare(args, context)`` gets the arguments with ``DYNAMIC`` for the non-constant ones and returns
    the tuple to use, same length; it raises ``ValueError`` for arguments it cannot accept.
    """

    name: str
    function: Callable[..., Any]
    prepare: Callable[[tuple[Any, ...], CompileContext], tuple[Any, ...]] | None = None
    description: str = ""


class DuplicateOperatorError(MatrixcoreError, ValueError):
    """Two parties registered the same operator name."""


class OperatorRegistry:
    """Extra operators by name, each with the party that registered it."""

    __slots__ = ("_operators", "_owners")

    def __init__(self, operators: Iterable[tuple[Operator, str]] = ()) -> None:
        self._operators: dict[str, Operator] = {}
        self._owners: dict[str, str] = {}
        for operator, owner in operators:
            self.register(operator, owner=owner)

    @classmethod
    def builtin(cls) -> OperatorRegistry:
        """A registry holding matrixcore's own extras: matches, before, after, business hours."""
        return cls((op, "matrixcore") for op in BUILTIN_OPERATORS)

    def register(self, operator: Operator, *, owner: str) -> None:
        """Add ``operator``; a name that is taken is refused, naming both parties."""
        name = operator.name
        if not isinstance(name, str) or not name or name != name.strip():
            raise ValueError(
                f"{owner}: operator name must be a non-empty string without spaces, got {name!r}"
            )
        if name in JSONLOGIC_OPERATIONS:
            taken_by: str | None = "JsonLogic"
        elif name in SHORTHAND_WORDS:
            taken_by = "the matrixcore shorthand"
        else:
            taken_by = self._owners.get(name)
        if taken_by is not None:
            raise DuplicateOperatorError(
                f"operator {name!r} from {owner} clashes with the operator of that name from {taken_by}"
            )
        self._operators[name] = operator
        self._owners[name] = owner

    def get(self, name: str) -> Operator | None:
        return self._operators.get(name)

    def owner(self, name: str) -> str:
        return self._owners[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._operators)

    def __contains__(self, name: object) -> bool:
        return name in self._operators

    def __iter__(self) -> Iterator[Operator]:
        return iter(self._operators.values())

    def __len__(self) -> int:
        return len(self._operators)


@dataclass(frozen=True, slots=True)
class CompileContext:
    """What compiling a condition may consult: calendars by name, the operators, the default zone.

    ``timezone`` applies to date and naive date-time constants (``before: "2025-01-01"`` is midnight
    there); naive date-times met at run time are taken as UTC.
    """

    calendars: Mapping[str, Calendar] = field(default_factory=lambda: EMPTY_MAPPING)
    operators: OperatorRegistry = field(default_factory=OperatorRegistry.builtin)
    timezone: tzinfo = UTC


# --- built-in extras --------------------------------------------------------------------------------


def _arity(args: tuple[Any, ...], n: int, usage: str) -> None:
    if len(args) != n:
        raise ValueError(f"takes {n} arguments ({usage}), got {len(args)}")


def _prepare_matches(args: tuple[Any, ...], context: CompileContext) -> tuple[Any, ...]:
    _arity(args, 2, "value, pattern")
    pattern = args[1]
    if pattern is DYNAMIC or not isinstance(pattern, str):
        raise ValueError("the pattern must be a constant string (a Python regular expression)")
    return args[0], compile_pattern(pattern)


def _matches(value: Any, pattern: BoundedPattern) -> bool:
    """Regex search; null never matches, other non-strings are matched as their JsonLogic text."""
    if type(value) is str:
        return pattern.search(value) is not None
    if value is None:
        return False
    return pattern.search(to_string(value)) is not None


def _parse_instant(text: str, zone: tzinfo) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=zone)
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or date-time: {text!r}") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=zone)


def _prepare_instants(args: tuple[Any, ...], context: CompileContext) -> tuple[Any, ...]:
    _arity(args, 2, "date-time, date-time")
    out: list[Any] = []
    for arg in args:
        if arg is DYNAMIC or arg is None:
            out.append(arg)
        elif isinstance(arg, str):
            out.append(_parse_instant(arg, context.timezone))
        elif isinstance(arg, datetime):
            out.append(arg if arg.tzinfo is not None else arg.replace(tzinfo=context.timezone))
        else:
            raise ValueError(f"compares date-times; {arg!r} is not an ISO 8601 date or date-time")
    return tuple(out)


def _instant(value: Any) -> datetime | None:
    """A runtime value as an aware datetime: naive is UTC, ISO strings are parsed, anything else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _parse_instant(value, UTC)
        except ValueError:
            return None
    return None


def _before(a: Any, b: Any) -> bool:
    """``a`` is strictly earlier than ``b``; false when either is missing or not a date-time."""
    x, y = _instant(a), _instant(b)
    return x is not None and y is not None and x < y


def _after(a: Any, b: Any) -> bool:
    x, y = _instant(a), _instant(b)
    return x is not None and y is not None and x > y


def _prepare_calendar(args: tuple[Any, ...], context: CompileContext) -> tuple[Any, ...]:
    _arity(args, 2, "date-time, calendar name")
    name = args[1]
    if name is DYNAMIC or not isinstance(name, str):
        raise ValueError("the calendar must be given by name, as a constant string")
    calendar = context.calendars.get(name)
    if calendar is None:
        known = ", ".join(sorted(context.calendars)) or "none are defined"
        raise ValueError(f"unknown calendar {name!r} (calendars: {known})")
    return args[0], calendar


def _within(value: Any, calendar: Calendar) -> bool:
    """The instant falls in the calendar's business hours; a missing instant is neither in nor out."""
    instant = _instant(value)
    return instant is not None and calendar.is_open(instant)


def _outside(value: Any, calendar: Calendar) -> bool:
    instant = _instant(value)
    return instant is not None and not calendar.is_open(instant)


BUILTIN_OPERATORS: Final = (
    Operator("matches", _matches, _prepare_matches, "the value contains a match of a regular expression"),
    Operator("before", _before, _prepare_instants, "a date-time is strictly earlier than another"),
    Operator("after", _after, _prepare_instants, "a date-time is strictly later than another"),
    Operator(
        "within_business_hours",
        _within,
        _prepare_calendar,
        "a date-time falls in a calendar's business hours",
    ),
    Operator(
        "outside_business_hours", _outside, _prepare_calendar, "a date-time falls outside a calendar's hours"
    ),
)


@hookimpl
def matrixcore_conditions() -> Sequence[Operator]:
    """The built-in plugin "matrixcore.operators": the extras above, registered like anyone's."""
    return BUILTIN_OPERATORS
