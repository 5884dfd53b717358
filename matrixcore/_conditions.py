"""Conditions as people write them, and the compilers that turn rules into one Python function.

**The shorthand.** A condition is ``true``, ``false`` or a mapping. In a mapping every entry must hold
(several entries mean AND, in the order written):

* ``all: [c, ...]`` every condition holds (``all: []`` is true); ``any: [c, ...]`` at least one does
  (``any: []`` is false); ``not: c`` the condition does not hold.
* ``jsonlogic: <JsonLogic>`` embeds canonical JsonLogic unchanged (``{"var": "subject"}`` and so on).
* ``field: {op: value, ...}`` tests a field; several operators mean AND. ``field: value`` means
  ``{eq: value}`` and ``field: [a, b]`` means ``{in: [a, b]}``.

Fields are ``Ticket`` fields (``subject``, ``channel``, ``vip``…), ``requester.<name>``, and custom
fields as ``custom.<name>`` or a bare name that is no ticket field (``affected_users``); a field that
is missing reads as null. A custom field called ``all``, ``any``, ``not`` or ``jsonlogic`` must be
written ``custom.<name>``.

Operators, with JsonLogic's (JavaScript's) semantics, which they desugar to:

* ``eq``/``ne``: loose equality (``==``/``!=``): ``50`` equals ``"50"``, ``eq: null`` tests for null.
* ``gt``/``gte``/``lt``/``lte``: ``>``/``>=``/``<``/``<=`` against a number or a text; two texts
  compare alphabetically (by code point), otherwise both sides are taken as numbers and a side that
  is no number (``"abc"``) makes the test false; null counts as 0.
* ``in: [a, b, ...]``: the field equals one of the values, strictly (``1`` is not in ``["1"]``).
* ``contains: x``: on a text field, ``x`` (as text) is a case-sensitive substring; on a list field,
  ``x`` is one of its items (strictly equal); false for anything else, including an empty text.
* ``matches: regex``: Python regular-expression *search* on a text field, so ``(?i)`` and anchors
  work as in Python; null never matches; the pattern is compiled once, when the rules are loaded.
  A search gives up after ``SEARCH_TIMEOUT`` (as no match), and a pattern that can backtrack
  catastrophically is warned about (``_patterns``).
* ``exists: true``: the field has a value that is neither null nor the empty text (so ``0``,
  ``false`` and ``[]`` exist); ``exists: false`` is the opposite.
* Every registered extra operator by name, the field being its first argument and the value its
  second: ``before``/``after`` (a date-time strictly earlier/later than an ISO 8601 date or
  date-time, or than another field written ``{var: field}``; missing values are never before or after
  anything), ``within_business_hours``/``outside_business_hours`` (a calendar by name; a missing
  date-time is neither).

Comparison values may be ``{var: other_field}`` to compare two fields. Date-time fields only take
``eq: null``/``ne: null``, ``exists``, and the date operators.

Mistakes are reported all at once, each with its path inside the condition (``("any", 0, "subject",
"matchs")``) and a message: unknown operators (with the closest name), unknown fields, regular
expressions that do not compile, values of the wrong shape. A bare name close to a ticket field
(``subjet``) is accepted as a custom field with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Final

from . import _compiled
from ._errors import Problem, RulesetError
from ._jsonlogic import default_context
from ._jsvalues import DATE, STR
from ._kinds import declared_kinds
from ._logicast import Node, field_problem, parse_logic
from ._operators import DYNAMIC, CompileContext
from ._patterns import SEARCH_TIMEOUT, backtracking_risk
from ._ticket import CORE_FIELDS, REQUESTER_FIELDS, Ticket

__all__ = [
    "DIMENSIONS",
    "FIELD_OPERATORS",
    "CompiledRuleset",
    "compile_condition",
    "compile_ruleset",
    "desugar",
]

DIMENSIONS: Final = ("impact", "urgency", "priority")
FIELD_OPERATORS: Final = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "matches", "exists")
_COMPARISONS: Final = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_DATE_OPERATORS: Final = frozenset({"before", "after", "within_business_hours", "outside_business_hours"})
_SCALARS: Final = (str, int, float, bool)

Path = tuple[str | int, ...]


def _declared(name: str) -> tuple[str | None, frozenset[str] | None]:
    head, _, rest = name.partition(".")
    declared = REQUESTER_FIELDS.get(rest) if head == "requester" else CORE_FIELDS.get(name)
    return declared, declared_kinds(declared)


def _shape(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class _Desugarer:
    def __init__(self, context: CompileContext) -> None:
        self.context = context
        self.problems: list[Problem] = []

    def error(self, path: Path, message: str) -> Any:
        self.problems.append(Problem(path, message))
        return False

    def condition(self, node: Any, path: Path) -> Any:
        if node is True or node is False:
            return node
        if not isinstance(node, Mapping):
            hint = "; for several conditions use all: [...] or any: [...]" if isinstance(node, list) else ""
            return self.error(path, f"a condition is true, false or a mapping, not {_shape(node)}{hint}")
        if not node:
            return self.error(path, "empty condition: write true to match every ticket")
        parts = []
        for key, value in node.items():
            here = (*path, key)
            if not isinstance(key, str):
                parts.append(self.error(here, f"field names are text, not {_shape(key)}"))
            elif key in ("all", "any"):
                parts.append(self.combine(key, value, here))
            elif key == "not":
                parts.append({"!": self.condition(value, here)})
            elif key == "jsonlogic":
                self.problems.extend(parse_logic(value, self.context, ticket=True, path=here)[1])
                parts.append(value)
            else:
                parts.extend(self.field(key, value, here))
        return parts[0] if len(parts) == 1 else {"and": parts}

    def combine(self, word: str, value: Any, path: Path) -> Any:
        if not isinstance(value, list):
            return self.error(path, f"{word} takes a list of conditions, not {_shape(value)}")
        if not value:
            return word == "all"
        items = [self.condition(item, (*path, i)) for i, item in enumerate(value)]
        return {"and" if word == "all" else "or": items}

    def field(self, name: str, spec: Any, path: Path) -> list[Any]:
        found = field_problem(name)
        if found is not None:
            self.problems.append(Problem(path, found[1], severity=found[0]))
        if isinstance(spec, Mapping):
            if not spec:
                return [
                    self.error(path, f"no test for {name!r}: write e.g. {{eq: value}} or {{exists: true}}")
                ]
            return [self.test(name, op, arg, (*path, op)) for op, arg in spec.items()]
        return [self.test(name, "in" if isinstance(spec, list) else "eq", spec, path)]

    def operand(self, value: Any, path: Path) -> Any:
        """A constant, or ``{var: field}`` naming another field."""
        if isinstance(value, Mapping):
            other = value.get("var")
            if len(value) != 1 or not isinstance(other, str) or not other:
                return self.error(path, "a value is a constant or {var: field}, not a mapping")
            found = field_problem(other)
            if found is not None:
                self.problems.append(Problem((*path, "var"), found[1], severity=found[0]))
            return {"var": other}
        return value

    def test(self, name: str, op: Any, arg: Any, path: Path) -> Any:
        ref = {"var": name}
        declared, kinds = _declared(name)
        is_date = kinds is not None and DATE in kinds
        if op in _COMPARISONS:
            value = self.operand(arg, path)
            if isinstance(arg, list) or (isinstance(arg, bool | type(None)) and op not in ("eq", "ne")):
                return self.error(path, f"{op} compares with one number or text, not {_shape(arg)}")
            if is_date and not (arg is None or isinstance(value, dict)):
                return self.error(path, f"{name} is a date-time: compare it with before/after, not {op}")
            return {_COMPARISONS[op]: [ref, value]}
        if op == "in":
            if not isinstance(arg, list):
                return self.error(path, f"in takes a list of values, not {_shape(arg)}")
            for i, item in enumerate(arg):
                if item is not None and not isinstance(item, _SCALARS):
                    self.error((*path, i), f"in lists plain values, not {_shape(item)}")
            return {"in": [ref, arg]}
        if op == "contains":
            if not isinstance(arg, _SCALARS):
                return self.error(path, f"contains takes one text, number or boolean, not {_shape(arg)}")
            if kinds is not None and STR not in kinds:
                return self.error(path, f"contains tests text or list fields; {name} is {declared}")
            return {"in": [arg, ref]}
        if op == "exists":
            if not isinstance(arg, bool):
                return self.error(path, f"exists takes true or false, not {_shape(arg)}")
            return {"!" if arg else "!!": {"missing": [name]}}
        operator = self.context.operators.get(op) if isinstance(op, str) else None
        if operator is None:
            known = [
                *FIELD_OPERATORS,
                *(n for n in self.context.operators.names() if n not in FIELD_OPERATORS),
            ]
            close = get_close_matches(str(op), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "operators: " + ", ".join(known)
            return self.error(path, f"unknown operator {op!r} ({hint})")
        if op == "matches" and kinds is not None and STR not in kinds:
            return self.error(path, f"matches tests text; {name} is {declared}")
        if op in _DATE_OPERATORS and kinds is not None and not is_date:
            return self.error(path, f"{op} tests date-times; {name} is {declared}")
        value = self.operand(arg, path)
        if op == "matches" and isinstance(value, str) and (risk := backtracking_risk(value)):
            self.problems.append(
                Problem(
                    path,
                    f"{value!r} can backtrack catastrophically: {risk}. A search that takes over "
                    f"{SEARCH_TIMEOUT * 1000:.0f} ms counts as no match; rewrite it (e.g. '(a+)+' as 'a+')",
                    severity="warning",
                )
            )
        if operator.prepare is not None:
            try:
                operator.prepare((DYNAMIC, DYNAMIC if isinstance(value, dict) else value), self.context)
            except (ValueError, TypeError) as exc:
                return self.error(path, f"{op}: {exc}")
        return {op: [ref, value]}


def desugar(condition: Any, context: CompileContext | None = None) -> tuple[Any, list[Problem]]:
    """The JsonLogic for a shorthand condition and every problem in it (paths inside the condition).

    The logic is only meaningful when no problem has severity ``"error"``; warnings are advice.
    """
    desugarer = _Desugarer(context if context is not None else default_context())
    logic = desugarer.condition(condition, ())
    return logic, desugarer.problems


def _parse(logic: Any, context: CompileContext, path: Path = ()) -> tuple[Node, list[Problem]]:
    node, problems = parse_logic(logic, context, ticket=True, path=path)
    return node, [p for p in problems if p.severity == "error"]


def compile_condition(logic: Any, context: CompileContext | None = None) -> Callable[[Ticket], bool]:
    """A function telling whether a ticket satisfies JsonLogic ``logic`` (e.g. a policy's ``when``).

    Raises ``RulesetError`` listing every problem in the logic.
    """
    context = context if context is not None else default_context()
    node, errors = _parse(logic, context)
    if errors:
        raise RulesetError(errors, "condition")
    return _compiled.compile_test(node, context)


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """Ordered rules compiled into one function.

    ``evaluate(ticket)`` returns, for each dimension in order, the value set by the first matching
    rule that sets it (or ``None``) followed by that rule's index (or -1): with the default dimensions
    ``(impact, impact_rule, urgency, urgency_rule, priority, priority_rule)``.
    """

    evaluate: Callable[[Ticket], tuple[Any, ...]]
    dimensions: tuple[str, ...]
    rule_names: tuple[str, ...]
    source: str

    def decisions(self, ticket: Ticket) -> dict[str, tuple[Any, str | None]]:
        """Per dimension, the value and the name of the rule that decided it (for explanations)."""
        result = self.evaluate(ticket)
        return {
            dim: (result[2 * j], self.rule_names[result[2 * j + 1]] if result[2 * j + 1] >= 0 else None)
            for j, dim in enumerate(self.dimensions)
        }


def compile_ruleset(
    rules: Sequence[tuple[str, Any, Mapping[str, Any]]],
    dimensions: Sequence[str] = DIMENSIONS,
    context: CompileContext | None = None,
    finish: _compiled.Finish | None = None,
) -> CompiledRuleset:
    """Compile ordered ``(name, jsonlogic_condition, sets)`` rules; first match wins per dimension.

    Raises ``RulesetError`` listing every problem, with paths ``(rule_index, "when", ...)`` or
    ``(rule_index, "set", dimension)``. ``finish`` generates the engine's defaults, matrix and record
    into the same function.
    """
    context = context if context is not None else default_context()
    nodes, errors = [], []
    for index, (_name, logic, sets) in enumerate(rules):
        node, problems = _parse(logic, context, (index, "when"))
        nodes.append(node)
        errors += problems
        errors += [
            Problem((index, "set", d), f"unknown dimension {d!r}") for d in sets if d not in dimensions
        ]
    if errors:
        raise RulesetError(errors, "rules")
    evaluate = _compiled.compile_ruleset(
        nodes, [sets for _, _, sets in rules], tuple(dimensions), finish=finish
    )
    names = tuple(name for name, _, _ in rules)
    return CompiledRuleset(evaluate, tuple(dimensions), names, getattr(evaluate, "__matrixcore_source__", ""))
