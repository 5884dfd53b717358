"""The FIQL dialect TOPdesk's ``query`` parameter speaks, parsed into a predicate over incidents.

From TOPdesk's API tutorial: ``==``, ``!=`` (with ``null``), ``=gt=``/``=ge=``/``=lt=``/``=le=``
"only for numeric and date values", ``=sw=`` only for text, ``=in=``/``=out=`` lists; ``;`` is and,
``,`` is or, and binds tighter; brackets group. Values are bare or quoted with ``'``/``"`` (backslash
escapes inside quotes); reserved characters are ``' " ( ) ; , = ! ~ < >``. Dates are ISO 8601 to the
second with ``Z`` or an offset (``+0100``, ``+01:00``).

Hand-written because the one FIQL library on PyPI (fiql-parser) implements the original draft: it
rejects quoted values and ``=in=``, and reads ``+`` in an offset as a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["FieldKind", "FiqlError", "Predicate", "parse_fiql"]

Predicate = Callable[[Mapping[str, Any]], bool]
#: field path -> kind: "date", "number", "boolean", "text", "memo" or "id".
FieldKind = Mapping[str, str]

_OPERATORS: Final = ("==", "!=", "=gt=", "=ge=", "=lt=", "=le=", "=sw=", "=in=", "=out=")
_RESERVED: Final = set("'\"();,=!~<> \t")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?$")


class FiqlError(ValueError):
    """The query is malformed or asks something TOPdesk refuses (answered with 400)."""


@dataclass
class _Parser:
    text: str
    kinds: FieldKind
    pos: int = 0

    def fail(self, message: str) -> FiqlError:
        return FiqlError(f"{message} at position {self.pos} of query {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.peek()!r}")
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek() == ",":
            self.pos += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.constraint()]
        while self.peek() == ";":
            self.pos += 1
            parts.append(self.constraint())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def constraint(self) -> Predicate:
        if self.peek() == "(":
            self.pos += 1
            inner = self.or_expr()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return inner
        return self.comparison()

    def selector(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _RESERVED:
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a field name")
        return self.text[start : self.pos]

    def operator(self) -> str:
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        raise self.fail("expected an operator (==, !=, =gt=, =ge=, =lt=, =le=, =sw=, =in=, =out=)")

    def value(self) -> tuple[str, bool]:
        """A bare or quoted value, and whether it was quoted."""
        quote = self.peek()
        if quote in ("'", '"'):
            self.pos += 1
            out = []
            while True:
                if self.pos >= len(self.text):
                    raise self.fail("unterminated quoted value")
                char = self.text[self.pos]
                if char == "\\" and self.pos + 1 < len(self.text):
                    out.append(self.text[self.pos + 1])
                    self.pos += 2
                    continue
                self.pos += 1
                if char == quote:
                    return "".join(out), True
                out.append(char)
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _RESERVED:
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a value")
        return self.text[start : self.pos], False

    def comparison(self) -> Predicate:
        field = self.selector()
        kind = self.kinds.get(field)
        if kind is None:
            raise self.fail(f"field {field!r} cannot be queried")
        op = self.operator()
        if op in ("=in=", "=out="):
            if self.peek() != "(":
                raise self.fail(f"{op} needs a list in brackets")
            self.pos += 1
            values = [self.value()]
            while self.peek() == ",":
                self.pos += 1
                values.append(self.value())
            if self.peek() != ")":
                raise self.fail("missing ')' after list")
            self.pos += 1
            if kind == "memo":
                raise self.fail(f"{op} is not available for memo field {field!r}")
            wanted = [_literal(v, q, kind, self) for v, q in values]
            inside = op == "=in="
            return lambda item: any(_equal(_get(item, field), w) for w in wanted) is inside
        raw, quoted = self.value()
        if op in ("==", "!=") and raw == "null" and not quoted:
            is_null = op == "=="
            return lambda item: (_get(item, field) in (None, "")) is is_null
        if op in ("=gt=", "=ge=", "=lt=", "=le=") and kind not in ("date", "number"):
            raise self.fail(f"{op} is only available for numeric and date values, not {field!r}")
        if op == "=sw=" and kind not in ("text", "memo"):
            raise self.fail(f"=sw= is only available for text and memo values, not {field!r}")
        if op in ("==", "!=") and kind == "memo":
            raise self.fail(f"{op} is not available for memo field {field!r}")
        literal = _literal(raw, quoted, kind, self)
        return _compare(field, op, literal)


def _literal(raw: str, quoted: bool, kind: str, parser: _Parser) -> Any:
    if kind == "date":
        if not _DATE.match(raw):
            raise parser.fail(f"{raw!r} is not a date (yyyy-MM-ddTHH:mm:ssZ)")
        text = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
        instant = datetime.fromisoformat(text)
        return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise parser.fail(f"{raw!r} is not a number") from None
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise parser.fail(f"{raw!r} is not true or false")
        return raw == "true"
    return raw


def _get(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _normal(value: Any) -> Any:
    """Stored values as comparable ones: times parsed, text case-folded (TOPdesk's collation)."""
    if isinstance(value, str):
        if _DATE.match(value) or (len(value) > 19 and value[10:11] == "T" and value[:4].isdigit()):
            try:
                instant = datetime.fromisoformat(value)
            except ValueError:
                return value.casefold()
            return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        return value.casefold()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _equal(stored: Any, wanted: Any) -> bool:
    return bool(_normal(stored) == _normal(wanted))


def _compare(field: str, op: str, literal: Any) -> Predicate:
    if op == "==":
        return lambda item: _equal(_get(item, field), literal)
    if op == "!=":
        return lambda item: not _equal(_get(item, field), literal)
    if op == "=sw=":
        prefix = str(literal).casefold()
        return lambda item: str(_get(item, field) or "").casefold().startswith(prefix)
    compare: Callable[[Any, Any], bool] = {
        "=gt=": lambda a, b: a > b,
        "=ge=": lambda a, b: a >= b,
        "=lt=": lambda a, b: a < b,
        "=le=": lambda a, b: a <= b,
    }[op]

    def predicate(item: Mapping[str, Any]) -> bool:
        stored = _normal(_get(item, field))
        return stored is not None and type(stored) is type(literal) and compare(stored, literal)

    return predicate


def parse_fiql(text: str, kinds: FieldKind) -> Predicate:
    """A predicate for ``text``; raises ``FiqlError`` naming the position of the first problem."""
    if not text.strip():
        raise FiqlError("empty query")
    return _Parser(text, kinds).parse()
