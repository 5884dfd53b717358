"""What the compiler knows about types: the JavaScript kinds a value may have, and when Python agrees.

A *kind* set (``frozenset`` of ``"str"``, ``"num"``…; ``None`` for "anything") comes from a field's
declared type (``CORE_FIELDS``), a constant, or an operation's result. The predicates here say when a
loose JavaScript operation on operands of those kinds is exactly the plain Python operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeAlias

from ._jsvalues import ARRAY, BOOL, DATE, NULL, NUM, OBJECT, STR, kind
from ._logicast import Arr, Const, Extra, Node, Var
from ._operators import BUILTIN_OPERATORS, DYNAMIC
from ._ticket import CORE_FIELDS, REQUESTER_FIELDS

__all__ = [
    "BOOL_FUNCTIONS",
    "BOOL_OPS",
    "MATCHES",
    "PARENTS",
    "PLAIN_TRUTH",
    "READ_ORDER",
    "RESULT_KINDS",
    "Kinds",
    "declared_kinds",
    "field_key",
    "node_kinds",
    "plain_loose_eq",
    "plain_order",
    "plain_strict_eq",
]

Kinds: TypeAlias = frozenset[str] | None  # the JavaScript types a value may have; None: anything

BOOL_OPS: Final = frozenset(
    ["==", "!=", "===", "!==", "<", "<=", ">", ">=", "!", "!!", "in", "all", "some", "none"]
)
RESULT_KINDS: Final[dict[str, frozenset[str]]] = {
    **{op: frozenset({BOOL}) for op in BOOL_OPS},
    **{op: frozenset({STR}) for op in ("cat", "substr")},
    **{op: frozenset({NUM}) for op in ("+", "-", "*", "/", "%", "min", "max")},
    **{op: frozenset({ARRAY}) for op in ("merge", "missing", "missing_some", "map", "filter")},
}
#: Kinds whose Python truthiness is their JsonLogic truthiness (not numbers: NaN; not objects: {}).
PLAIN_TRUTH: Final = frozenset({STR, BOOL, NULL, ARRAY, DATE})
MATCHES: Final = BUILTIN_OPERATORS[0].function
BOOL_FUNCTIONS: Final = frozenset(op.function for op in BUILTIN_OPERATORS)
_TYPE_KINDS: Final = {"str": STR, "bool": BOOL, "int": NUM, "float": NUM, "datetime": DATE, "None": NULL}


def declared_kinds(type_name: str | None) -> Kinds:
    """Kinds of a declared field type such as ``"str | None"``; ``None`` when not understood."""
    if type_name is None:
        return None
    parts = [part.strip() for part in type_name.split("|")]
    if not all(part in _TYPE_KINDS for part in parts):
        return None
    return frozenset(_TYPE_KINDS[part] for part in parts)


def field_key(path: str) -> tuple[tuple[str, str], Kinds] | None:
    """How a ticket field path is read, as a hoisting key, with its kinds; None: use ``t.get``."""
    head, dot, rest = path.partition(".")
    if head in CORE_FIELDS:
        return (("a", head), declared_kinds(CORE_FIELDS[head])) if not dot else None
    if head == "requester" and rest:
        return (("ra", rest), declared_kinds(REQUESTER_FIELDS[rest])) if rest in REQUESTER_FIELDS else None
    return ("cg", rest if head == "custom" else path), None


#: Reads that go through another: requester attributes through ``t.requester``, custom through ``t.custom``.
PARENTS: Final = {"ra": ("r", ""), "cg": ("c", "")}
READ_ORDER: Final = ("r", "c", "a", "ra", "cg", "n")


def plain_loose_eq(a: Kinds, b: Kinds) -> bool:
    return a is not None and b is not None and (a | b <= {STR, NULL} or a | b <= {NUM, BOOL, NULL})


def plain_strict_eq(a: Kinds, b: Kinds) -> bool:
    return a is not None and b is not None and any(a | b <= {k, NULL} for k in (STR, NUM, BOOL))


def plain_order(a: Kinds, b: Kinds) -> bool:
    return a is not None and b is not None and (a | b <= {NUM, BOOL} or a | b == {STR})


def node_kinds(node: Node, ticket: bool) -> Kinds:
    """The kinds a node's value may have; with ``ticket``, root ``var`` reads declared fields."""
    if isinstance(node, Const):
        return frozenset({kind(node.value)})
    if isinstance(node, Arr):
        return frozenset({ARRAY})
    if isinstance(node, Extra):
        return frozenset({BOOL}) if node.operator.function in BOOL_FUNCTIONS else None
    if isinstance(node, Var):
        path = node.path.value if isinstance(node.path, Const) else DYNAMIC
        if not (ticket and node.scope == 0) or not isinstance(path, str):
            return None
        if path == "":
            return frozenset({OBJECT})
        found = field_key(path)
        return found[1] if found is not None else None
    name, args = node.name, node.args
    if name in RESULT_KINDS:
        return RESULT_KINDS[name]
    if name in ("and", "or"):
        return _union(args, ticket) if args else frozenset({NULL})
    if name in ("if", "?:"):
        branches = [args[i] for i in range(1, len(args), 2)]
        if len(args) % 2:
            branches.append(args[-1])
        union = _union(branches, ticket)
        return union if union is None or len(args) % 2 else union | {NULL}
    if name == "log":
        return node_kinds(args[0], ticket) if args else frozenset({NULL})
    return None


def _union(nodes: Sequence[Node], ticket: bool) -> Kinds:
    out: frozenset[str] = frozenset()
    for node in nodes:
        k = node_kinds(node, ticket)
        if k is None:
            return None
        out |= k
    return out
