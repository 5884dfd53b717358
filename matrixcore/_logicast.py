"""JsonLogic parsed once into a small tree, with every problem found on the way.

The compiler works on this tree, never on raw JSON: operations are resolved (built-in or extra),
extra operators' constant arguments are prepared, and ``var`` paths are checked against the ticket's
fields. Problems carry paths relative to the logic (``("and", 1, ">", 0, "var")``) so callers can
prefix where the logic sits in the rules file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Final, TypeAlias

from ._errors import Problem
from ._operators import DYNAMIC, JSONLOGIC_OPERATIONS, CompileContext, Operator
from ._ticket import CORE_FIELDS, REQUESTER_FIELDS

__all__ = [
    "SCOPED_OPERATIONS",
    "Arr",
    "Const",
    "Extra",
    "Node",
    "Op",
    "Var",
    "field_problem",
    "is_constant",
    "parse_logic",
]

#: Operations whose second argument is evaluated once per item, with the item as data.
SCOPED_OPERATIONS: Final = frozenset({"map", "filter", "reduce", "all", "some", "none"})

#: Every name a rule may address on the ticket itself (bare custom names aside).
KNOWN_FIELDS: Final = (*CORE_FIELDS, *(f"requester.{name}" for name in REQUESTER_FIELDS))


@dataclass(frozen=True, slots=True)
class Const:
    """Data written in the rule: a scalar, or an array or object without any operation inside."""

    value: Any


@dataclass(frozen=True, slots=True)
class Var:
    """``{"var": [path, default]}``; ``scope`` 0 is the data the rule is applied to, deeper ones items."""

    path: Node
    default: Node | None
    scope: int


@dataclass(frozen=True, slots=True)
class Op:
    """A JsonLogic operation; for scoped ones ``args[1]`` runs per item (``scope`` one deeper)."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Extra:
    """An extra operator with its constant arguments already prepared (``DYNAMIC`` where computed)."""

    operator: Operator
    args: tuple[Node, ...]
    prepared: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Arr:
    """An array literal with operations inside: a fresh array of the evaluated items."""

    items: tuple[Node, ...]


Node: TypeAlias = Const | Var | Op | Extra | Arr
Path = tuple[str | int, ...]


def is_constant(value: Any) -> bool:
    """True when ``value`` contains no JsonLogic operation anywhere (it evaluates to itself)."""
    if isinstance(value, list):
        return all(is_constant(item) for item in value)
    return not (isinstance(value, dict) and len(value) == 1)


def field_problem(path: str) -> tuple[str, str] | None:
    """``(severity, message)`` when a field path cannot be what the author meant, else ``None``.

    Core and requester fields are checked exactly; ``custom.x`` and bare names that are not core
    fields are custom fields and always allowed, with a warning when the name looks like a typo.
    """
    head, dot, rest = path.partition(".")
    if head in CORE_FIELDS:
        if dot:
            return "error", f"unknown field {path!r}: {head} is a {CORE_FIELDS[head]} field without parts"
        return None
    if head == "requester":
        if not rest:
            return "error", "'requester' is not a field by itself; use " + ", ".join(
                f"requester.{n}" for n in REQUESTER_FIELDS
            )
        if rest not in REQUESTER_FIELDS:
            close = get_close_matches(rest, list(REQUESTER_FIELDS), n=1)
            hint = f" (did you mean 'requester.{close[0]}'?)" if close else ""
            known = ", ".join(REQUESTER_FIELDS)
            return "error", f"unknown field {path!r}{hint}; requester fields are {known}"
        return None
    if head == "custom":
        return ("error", "'custom' needs a field name: custom.<name>") if not rest else None
    close = get_close_matches(path, KNOWN_FIELDS, n=1, cutoff=0.8)
    if close:
        message = f"{path!r} is not a ticket field, so it is read from the custom fields"
        return "warning", f"{message}; did you mean {close[0]!r}?"
    return None


class _Parser:
    def __init__(self, context: CompileContext, ticket: bool) -> None:
        self.context = context
        self.ticket = ticket
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(path, message, severity=severity))

    def parse(self, logic: Any, path: Path, scope: int) -> Node:
        if isinstance(logic, list):
            items = tuple(self.parse(item, (*path, i), scope) for i, item in enumerate(logic))
            if all(isinstance(item, Const) for item in items):
                return Const(logic)
            return Arr(items)
        if not (isinstance(logic, dict) and len(logic) == 1):
            return Const(logic)
        ((name, raw),) = logic.items()
        here = (*path, name)
        listed = isinstance(raw, list)
        raw_args: list[Any] = raw if listed else [raw]

        def at(i: int) -> Path:
            return (*here, i) if listed else here

        if name == "var":
            return self.parse_var(raw_args, here, at, scope)
        if name in SCOPED_OPERATIONS:
            args = tuple(
                self.parse(arg, at(i), scope + 1 if i == 1 else scope) for i, arg in enumerate(raw_args)
            )
            return Op(name, args)
        if name in JSONLOGIC_OPERATIONS:
            return Op(name, tuple(self.parse(arg, at(i), scope) for i, arg in enumerate(raw_args)))
        operator = self.context.operators.get(name) if isinstance(name, str) else None
        if operator is None:
            known = [*JSONLOGIC_OPERATIONS, *self.context.operators.names()]
            close = get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(here, f"unknown operation {name!r}{hint}")
            return Const(None)
        args = tuple(self.parse(arg, at(i), scope) for i, arg in enumerate(raw_args))
        constants = tuple(a.value if isinstance(a, Const) else DYNAMIC for a in args)
        prepared = constants
        if operator.prepare is not None:
            try:
                prepared = tuple(operator.prepare(constants, self.context))
            except (ValueError, TypeError) as exc:
                self.problem(here, f"{name}: {exc}")
                return Const(None)
            if len(prepared) != len(args):
                self.problem(here, f"{name}: prepare returned {len(prepared)} arguments for {len(args)}")
                return Const(None)
        return Extra(operator, args, prepared)

    def parse_var(self, raw_args: list[Any], here: Path, at: Callable[[int], Path], scope: int) -> Node:
        path = self.parse(raw_args[0], at(0), scope) if raw_args else Const(None)
        default = self.parse(raw_args[1], at(1), scope) if len(raw_args) > 1 else None
        if self.ticket and scope == 0 and isinstance(path, Const) and isinstance(path.value, str):
            found = field_problem(path.value) if path.value else None
            if found is not None:
                self.problem(here, found[1], found[0])
        return Var(path, default, scope)


def parse_logic(
    logic: Any, context: CompileContext, *, ticket: bool = True, path: Path = ()
) -> tuple[Node, list[Problem]]:
    """The tree for ``logic`` and every problem in it (errors and warnings), paths under ``path``.

    With ``ticket`` the data is a ``Ticket``, so root-level ``var`` paths are checked as fields.
    """
    parser = _Parser(context, ticket)
    node = parser.parse(logic, path, 0)
    return node, parser.problems
