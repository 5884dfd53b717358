"""ServiceNow encoded queries, as the emulator evaluates them.

Syntax (as the platform documents it): conditions ``<field><OPERATOR><value>`` joined by ``^``
(AND); ``^OR`` joins a condition to the one before it; ``^NQ`` starts a new query whose result is
OR-ed with the others; ``ORDERBY<field>`` / ``ORDERBYDESC<field>`` sort; a trailing ``^EQ`` ends
the query. Field names may be dot-walked (``caller_id.email``).

Semantics kept faithful where adapters can trip over them: string comparisons ignore case (the
platform's database collation); empty values are NULLs that satisfy no comparison and sort first;
integers compare as numbers and date-times as their ``yyyy-MM-dd HH:mm:ss`` text (UTC); and a
condition naming an unknown field is *dropped*, so the query matches more, not less, unless the
instance sets ``glide.invalid_query.returns_no_rows``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Condition", "EncodedQuery", "FieldLookup", "InvalidQueryError", "parse_encoded_query"]

#: Looks a (possibly dot-walked) field up on a record: ``(value, type)``, or ``None`` if no such field.
FieldLookup = Callable[[Mapping[str, Any], str], "tuple[str, str] | None"]

_OPERATORS: Final = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "NOT IN",
    "NOTLIKE",
    "NOT LIKE",
    "STARTSWITH",
    "ENDSWITH",
    "LIKE",
    "IN",
    ">=",
    "<=",
    "!=",
    "=",
    ">",
    "<",
)
_FIELD: Final = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")


class InvalidQueryError(ValueError):
    """The query names a field the table does not have (reported when the instance says so)."""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: str
    value: str


@dataclass(frozen=True, slots=True)
class EncodedQuery:
    #: OR of groups; each group an AND of clauses; each clause an OR of conditions.
    groups: tuple[tuple[tuple[Condition, ...], ...], ...]
    #: (field, descending) in sort priority.
    order: tuple[tuple[str, bool], ...]

    def fields(self) -> set[str]:
        return {c.field for g in self.groups for clause in g for c in clause} | {f for f, _ in self.order}

    def matches(self, record: Mapping[str, Any], lookup: FieldLookup, *, strict: bool = False) -> bool:
        """Whether ``record`` satisfies the query; unknown fields drop their condition unless ``strict``."""
        if not self.groups:
            return True
        return any(self._group(group, record, lookup, strict) for group in self.groups)

    def _group(
        self,
        group: tuple[tuple[Condition, ...], ...],
        record: Mapping[str, Any],
        lookup: FieldLookup,
        strict: bool,
    ) -> bool:
        for clause in group:
            outcomes = []
            for condition in clause:
                found = lookup(record, condition.field)
                if found is None:
                    if strict:
                        raise InvalidQueryError(f"invalid field {condition.field!r} in encoded query")
                    continue  # the platform drops an invalid condition
                outcomes.append(_test(condition, *found))
            if outcomes and not any(outcomes):
                return False
        return True

    def sort(self, records: Sequence[Mapping[str, Any]], lookup: FieldLookup) -> list[Mapping[str, Any]]:
        """``records`` in ``ORDERBY`` order (stable; empty values first when ascending)."""
        ordered = list(records)
        for name, descending in reversed(self.order):

            def key(record: Mapping[str, Any], name: str = name) -> tuple[int, Any]:
                found = lookup(record, name)
                return (0, "") if found is None or found[0] == "" else (1, _sort_key(*found))

            ordered.sort(key=key, reverse=descending)
        return ordered


def parse_encoded_query(text: str) -> EncodedQuery:
    """Parse ``text``; ``ValueError`` for a condition with no operator the platform knows."""
    groups: list[tuple[tuple[Condition, ...], ...]] = []
    order: list[tuple[str, bool]] = []
    for group_text in text.split("^NQ") if text else []:
        clauses: list[list[Condition]] = []
        for term in group_text.split("^"):
            if not term or term == "EQ":
                continue
            if term.startswith("ORDERBYDESC"):
                order.append((term[len("ORDERBYDESC") :], True))
            elif term.startswith("ORDERBY"):
                order.append((term[len("ORDERBY") :], False))
            elif term.startswith("OR") and clauses:
                clauses[-1].append(_condition(term[2:]))
            else:
                clauses.append([_condition(term)])
        if clauses:
            groups.append(tuple(tuple(c) for c in clauses))
    return EncodedQuery(tuple(groups), tuple(order))


def _condition(term: str) -> Condition:
    match = _FIELD.match(term)
    if match is None:
        raise ValueError(f"encoded query term {term!r} does not start with a field name")
    rest = term[match.end() :]
    for operator in _OPERATORS:
        if rest.startswith(operator):
            return Condition(match.group(), operator.replace("NOT LIKE", "NOTLIKE"), rest[len(operator) :])
    raise ValueError(f"encoded query term {term!r} has no known operator")


def _sort_key(value: str, kind: str) -> Any:
    if kind == "integer":
        try:
            return float(value)
        except ValueError:
            return float("-inf")
    return value.casefold()


def _test(condition: Condition, value: str, kind: str) -> bool:
    op, wanted = condition.operator, condition.value
    if op == "ISEMPTY":
        return value == ""
    if op == "ISNOTEMPTY":
        return value != ""
    if op in ("IN", "NOT IN"):
        inside = value.casefold() in {w.casefold() for w in wanted.split(",")}
        return inside if op == "IN" else not inside and value != ""
    folded, target = value.casefold(), wanted.casefold()
    if op == "=":
        return folded == target
    if op == "!=":
        return value != "" and folded != target
    if op == "LIKE":
        return target in folded
    if op == "NOTLIKE":
        return target not in folded
    if op == "STARTSWITH":
        return folded.startswith(target)
    if op == "ENDSWITH":
        return folded.endswith(target)
    if value == "":
        return False  # NULL satisfies no comparison
    left, right = _sort_key(value, kind), _sort_key(wanted, kind)
    if op == ">=":
        return bool(left >= right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left < right)
