"""JsonLogic (jsonlogic.com) for matrixcore: a reference evaluator and a compiler to Python.

``apply(logic, data)`` walks the rule for every call, exactly as json-logic-js does; it is the
specification the compiler is tested against, and handy for one-off evaluations. ``compile_logic``
parses the rule once and generates a Python function (see ``_codegen``) that gives the same answers
on every input, many times faster. Both understand the extra operators of the context's registry.

Semantics are JavaScript's (``_jsvalues``): JsonLogic truthiness (``[]``, ``""``, ``0``, null false),
loose ``==``, numeric coercion for ``<``/``>``, ``and``/``or`` returning an operand. Where
json-logic-js itself is inconsistent we follow it (``+``/``*`` use ``parseFloat``, the other arithmetic
``Number``); where it throws on odd input we do not: ``all``/``some``/``none``/``map``/``filter``/
``reduce`` treat any non-array as an empty array, ``*`` always multiplies numbers. Data that is a
``Ticket`` is read with ``Ticket.get`` (``subject``, ``requester.vip``, ``custom.x`` or a bare ``x``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from . import _compiled
from ._errors import MatrixcoreError, RulesetError
from ._jsdata import js_log, js_missing, js_missing_some, var_lookup
from ._jsvalues import (
    UNDEFINED,
    as_array,
    js_add,
    js_cat,
    js_div,
    js_eq,
    js_ge,
    js_gt,
    js_in,
    js_le,
    js_lt,
    js_max,
    js_merge,
    js_min,
    js_mod,
    js_mul,
    js_ne,
    js_neg,
    js_strict_eq,
    js_strict_ne,
    js_sub,
    js_substr,
    truthy,
)
from ._logicast import is_constant, parse_logic
from ._operators import DYNAMIC, CompileContext

__all__ = ["JsonLogicError", "apply", "compile_logic", "default_context", "is_logic"]


class JsonLogicError(MatrixcoreError, ValueError):
    """A rule cannot be evaluated: an unknown operation or an extra operator's bad argument."""


_DEFAULT_CONTEXT: CompileContext | None = None


def default_context() -> CompileContext:
    """The context used when none is given: built-in extra operators, no calendars, UTC."""
    global _DEFAULT_CONTEXT
    if _DEFAULT_CONTEXT is None:
        _DEFAULT_CONTEXT = CompileContext()
    return _DEFAULT_CONTEXT


def is_logic(value: Any) -> bool:
    """A JsonLogic operation: an object with exactly one key."""
    return isinstance(value, dict) and len(value) == 1


_EAGER: Final[dict[str, Callable[..., Any]]] = {
    "==": js_eq,
    "!=": js_ne,
    "===": js_strict_eq,
    "!==": js_strict_ne,
    "<": js_lt,
    "<=": js_le,
    ">": js_gt,
    ">=": js_ge,
    "in": js_in,
    "cat": js_cat,
    "substr": js_substr,
    "+": js_add,
    "*": js_mul,
    "/": js_div,
    "%": js_mod,
    "min": js_min,
    "max": js_max,
    "merge": js_merge,
    "log": js_log,
}


def apply(logic: Any, data: Any = None, context: CompileContext | None = None) -> Any:
    """Evaluate ``logic`` against ``data`` by walking it, the way json-logic-js does."""
    return _apply(logic, data, context if context is not None else default_context())


def _apply(logic: Any, data: Any, context: CompileContext) -> Any:
    if isinstance(logic, list):
        return [_apply(item, data, context) for item in logic]
    if not is_logic(logic):
        return logic
    ((op, raw),) = logic.items()
    args: list[Any] = raw if isinstance(raw, list) else [raw]

    if op == "if" or op == "?:":
        i = 0
        while i < len(args) - 1:
            if truthy(_apply(args[i], data, context)):
                return _apply(args[i + 1], data, context)
            i += 2
        return _apply(args[i], data, context) if i == len(args) - 1 else None
    if op == "and" or op == "or":
        current = None
        for arg in args:
            current = _apply(arg, data, context)
            if truthy(current) == (op == "or"):
                return current
        return current
    if op in ("map", "filter", "all", "some", "none", "reduce"):
        return _apply_scoped(op, args, data, context)

    values = [_apply(arg, data, context) for arg in args]
    function = _EAGER.get(op)
    if function is not None:
        return function(*values)
    if op == "var":
        return var_lookup(data, *values[:2])
    if op == "!":
        return not truthy(values[0] if values else UNDEFINED)
    if op == "!!":
        return truthy(values[0] if values else UNDEFINED)
    if op == "-":
        return js_neg(*values[:1]) if len(values) < 2 else js_sub(*values)
    if op == "missing":
        return js_missing(data, *values)
    if op == "missing_some":
        return js_missing_some(data, *values)
    return _apply_extra(op, args, data, context)


def _apply_scoped(op: str, args: list[Any], data: Any, context: CompileContext) -> Any:
    items = as_array(_apply(args[0], data, context)) if args else ()
    body = args[1] if len(args) > 1 else None
    if op == "map":
        return [_apply(body, item, context) for item in items]
    if op == "filter":
        return [item for item in items if truthy(_apply(body, item, context))]
    if op == "all":
        return bool(items) and all(truthy(_apply(body, item, context)) for item in items)
    if op == "some":
        return any(truthy(_apply(body, item, context)) for item in items)
    if op == "none":
        return not any(truthy(_apply(body, item, context)) for item in items)
    accumulator = _apply(args[2], data, context) if len(args) > 2 else None
    for item in items:
        accumulator = _apply(body, {"current": item, "accumulator": accumulator}, context)
    return accumulator


def _apply_extra(op: str, args: list[Any], data: Any, context: CompileContext) -> Any:
    operator = context.operators.get(op) if isinstance(op, str) else None
    if operator is None:
        raise JsonLogicError(f"unknown operation {op!r}")
    prepared = tuple(arg if is_constant(arg) else DYNAMIC for arg in args)
    if operator.prepare is not None:
        try:
            prepared = tuple(operator.prepare(prepared, context))
        except (ValueError, TypeError) as exc:
            raise JsonLogicError(f"{op}: {exc}") from None
    values = [
        _apply(arg, data, context) if p is DYNAMIC else p for arg, p in zip(args, prepared, strict=True)
    ]
    return operator.function(*values)


def compile_logic(
    logic: Any, context: CompileContext | None = None, *, ticket: bool = False
) -> Callable[[Any], Any]:
    """A Python function computing ``apply(logic, data, context)`` for any ``data``, compiled once.

    With ``ticket=True`` the data must be a ``Ticket``: fields become attribute reads specialised by
    their declared types. Problems in the logic raise ``RulesetError`` listing all of them. Values the
    function returns may share structure with the rule's constants: do not mutate them.
    """
    context = context if context is not None else default_context()
    node, problems = parse_logic(logic, context, ticket=ticket)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise RulesetError(errors, "JsonLogic")
    return _compiled.compile_value(node, context, ticket=ticket)
