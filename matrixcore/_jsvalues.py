"""JavaScript value semantics for JsonLogic: truthiness, coercion, loose equality, ordering, arithmetic.

JsonLogic means what json-logic-js (the jsonlogic.com reference) does, and that is JavaScript. The
reference evaluator and the generated code both call these helpers wherever the loose semantics cannot
be reduced to a plain Python operation, so the two forms agree by construction.

Python values stand for JavaScript ones: ``None`` is null, ``bool`` boolean, ``int``/``float`` number,
``str`` string, ``list``/``tuple`` array, any ``Mapping`` or other object an object. A ``datetime`` (or
``date``) is a *date*: it compares and computes as its epoch milliseconds (naive values are UTC), prints
as ISO 8601 and is always truthy; two dates are equal when they are the same instant. Deviations from
JavaScript, all deliberate: strings compare and index by code point rather than UTF-16 unit, dates
print as ISO 8601 (rules files speak ISO, not ``Date.prototype.toString``) and compare by instant.
A missing operand (``{"-": []}``) is ``UNDEFINED``, which only ever exists inside these helpers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

__all__ = [
    "NAN",
    "UNDEFINED",
    "as_array",
    "epoch_ms",
    "js_add",
    "js_cat",
    "js_div",
    "js_eq",
    "js_ge",
    "js_gt",
    "js_in",
    "js_le",
    "js_lt",
    "js_max",
    "js_merge",
    "js_min",
    "js_mod",
    "js_mul",
    "js_ne",
    "js_neg",
    "js_strict_eq",
    "js_strict_ne",
    "js_sub",
    "js_substr",
    "kind",
    "parse_float",
    "to_number",
    "to_string",
    "truthy",
]

NAN: Final = math.nan
_INF: Final = math.inf


class _Undefined:
    """JavaScript's ``undefined``: the value of an operand that was not given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()

NULL, BOOL, NUM, STR, ARRAY, OBJECT, DATE, UNDEF = (
    "null",
    "bool",
    "num",
    "str",
    "array",
    "object",
    "date",
    "undef",
)
_KINDS: Final[dict[type, str]] = {
    type(None): NULL,
    bool: BOOL,
    int: NUM,
    float: NUM,
    str: STR,
    list: ARRAY,
    tuple: ARRAY,
    dict: OBJECT,
    datetime: DATE,
    date: DATE,
    _Undefined: UNDEF,
}


def kind(value: Any) -> str:
    """The JavaScript type of a Python value: null, bool, num, str, array, object, date or undef."""
    found = _KINDS.get(type(value))
    if found is not None:
        return found
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUM
    if isinstance(value, str):
        return STR
    if isinstance(value, list | tuple):
        return ARRAY
    if isinstance(value, date):
        return DATE
    return OBJECT


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: JavaScript's, except that an empty array is false too."""
    t = type(value)
    if t is bool:
        return value  # type: ignore[no-any-return]
    if t is str or t is list or t is int:
        return bool(value)
    if value is None:
        return False
    if t is float:
        return bool(value == value and value != 0.0)  # NaN is false
    k = kind(value)
    if k in (NUM, STR, ARRAY, BOOL):
        return truthy(_plain(value, k))
    return k != UNDEF  # objects and dates are always true


def _plain(value: Any, k: str) -> Any:
    """A subclass instance (IntEnum, str subclass…) as its plain built-in value."""
    if k == BOOL:
        return bool(value)
    if k == NUM:
        return float(value) if isinstance(value, float) else int(value)
    if k == STR:
        return str(value)
    return list(value)


def epoch_ms(value: date) -> float:
    """A date's JavaScript number: milliseconds since 1970 UTC (naive datetimes and dates are UTC)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp() * 1000.0


# --- numbers from strings ---------------------------------------------------------------------------

_JS_SPACE: Final = (  # JavaScript's WhiteSpace and LineTerminator, what Number() trims
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_RADIX = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)", re.ASCII)
_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)", re.ASCII)
_RADIX_BASE: Final = {"x": 16, "o": 8, "b": 2}


def _str_to_number(text: str) -> int | float:
    """JavaScript ``Number(string)``: whole-string decimal, hex/octal/binary or Infinity, else NaN."""
    s = text.strip(_JS_SPACE)
    if not s:
        return 0
    if _INTEGER.fullmatch(s):
        return int(s)
    if _DECIMAL.fullmatch(s):
        return float(s)
    if _RADIX.fullmatch(s):
        return int(s[2:], _RADIX_BASE[s[1].lower()])
    if s in ("Infinity", "+Infinity"):
        return _INF
    if s == "-Infinity":
        return -_INF
    return NAN


def to_number(value: Any) -> int | float:
    """JavaScript ``Number(value)``; dates give epoch milliseconds."""
    t = type(value)
    if t is int or t is float:
        return value  # type: ignore[no-any-return]
    if t is str:
        return _str_to_number(value)
    if value is None:
        return 0
    k = kind(value)
    if k == BOOL:
        return 1 if value else 0
    if k == NUM:
        return _plain(value, k)  # type: ignore[no-any-return]
    if k == STR:
        return _str_to_number(str(value))
    if k == DATE:
        return epoch_ms(value)
    if k == ARRAY:
        return _str_to_number(to_string(value))
    return NAN  # objects and undefined


def parse_float(value: Any) -> int | float:
    """JavaScript ``parseFloat``: the longest numeric prefix of the value's string, else NaN."""
    t = type(value)
    if t is int or t is float:
        return value  # type: ignore[no-any-return]
    match = _FLOAT_PREFIX.match(to_string(value).lstrip(_JS_SPACE))
    if match is None:
        return NAN
    text = match[0]
    if text.lstrip("+-") == "Infinity":
        return -_INF if text[0] == "-" else _INF
    return int(text) if _INTEGER.fullmatch(text) else float(text)


# --- strings --------------------------------------------------------------------------------------


def _number_to_string(x: float) -> str:
    """JavaScript ``Number.prototype.toString()``: shortest round-trip digits, JS exponent rules."""
    if x != x:
        return "NaN"
    if x in (_INF, -_INF):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    lead = len(digits) - len(digits.lstrip("0"))
    digits = digits.strip("0")
    k = len(digits)
    n = len(whole) - lead + (int(exponent) if exponent else 0)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    e = n - 1
    body = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{body}e{'+' if e >= 0 else '-'}{abs(e)}"


def to_string(value: Any) -> str:
    """JavaScript ``String(value)``; arrays join with commas (null items empty), dates are ISO 8601."""
    t = type(value)
    if t is str:
        return value  # type: ignore[no-any-return]
    if t is int:
        return str(value) if abs(value) < 10**21 else _number_to_string(float(value))
    if t is float:
        return _number_to_string(value)
    if value is None:
        return "null"
    k = kind(value)
    if k == BOOL:
        return "true" if value else "false"
    if k in (NUM, STR):
        return to_string(_plain(value, k))
    if k == ARRAY:
        return ",".join("" if item is None or item is UNDEFINED else to_string(item) for item in value)
    if k == DATE:
        return value.isoformat()  # type: ignore[no-any-return]
    if k == UNDEF:
        return "undefined"
    return "[object Object]"


def _primitive(value: Any, k: str) -> Any:
    """JavaScript ToPrimitive: arrays and objects become strings, dates their epoch milliseconds."""
    if k in (ARRAY, OBJECT):
        return to_string(value)
    if k == DATE:
        return epoch_ms(value)
    if k in (NUM, STR, BOOL):
        return _plain(value, k)
    return value


# --- equality -------------------------------------------------------------------------------------


def js_eq(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> bool:
    """JavaScript ``a == b`` (abstract equality)."""
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int or ta is float or ta is bool):
        return a == b  # type: ignore[no-any-return]
    ka, kb = kind(a), kind(b)
    if ka == kb:
        if ka in (ARRAY, OBJECT):
            return a is b
        if ka == DATE:
            return epoch_ms(a) == epoch_ms(b)
        return a == b  # type: ignore[no-any-return]
    if ka in (NULL, UNDEF) or kb in (NULL, UNDEF):
        return ka in (NULL, UNDEF) and kb in (NULL, UNDEF)
    if ka == DATE:
        return js_eq(epoch_ms(a), b)
    if kb == DATE:
        return js_eq(a, epoch_ms(b))
    if ka == NUM and kb == STR:
        return a == _str_to_number(str(b))  # type: ignore[no-any-return]
    if ka == STR and kb == NUM:
        return _str_to_number(str(a)) == b  # type: ignore[no-any-return]
    if ka == BOOL:
        return js_eq(1 if a else 0, b)
    if kb == BOOL:
        return js_eq(a, 1 if b else 0)
    if ka in (NUM, STR) and kb in (ARRAY, OBJECT):
        return js_eq(a, to_string(b))
    if ka in (ARRAY, OBJECT) and kb in (NUM, STR):
        return js_eq(to_string(a), b)
    return False


def js_ne(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> bool:
    return not js_eq(a, b)


def js_strict_eq(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> bool:
    """JavaScript ``a === b``; numbers compare by value (1 === 1.0), dates by instant."""
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int or ta is float or ta is bool):
        return a == b  # type: ignore[no-any-return]
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return False
    if ka in (ARRAY, OBJECT):
        return a is b
    if ka == DATE:
        return epoch_ms(a) == epoch_ms(b)
    return a == b  # type: ignore[no-any-return]


def js_strict_ne(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> bool:
    return not js_strict_eq(a, b)


# --- ordering -------------------------------------------------------------------------------------


def _compare(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Both operands made comparable the JavaScript way; ``None`` when the answer is "undefined"."""
    pa, pb = _primitive(a, kind(a)), _primitive(b, kind(b))
    if type(pa) is str and type(pb) is str:
        return pa, pb
    na, nb = to_number(pa), to_number(pb)
    if na != na or nb != nb:
        return None
    return na, nb


def _lt(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ((ta is int or ta is float) and (tb is int or tb is float)) or ta is tb is str:
        return a < b  # type: ignore[no-any-return]
    pair = _compare(a, b)
    return pair is not None and pair[0] < pair[1]


def _le(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ((ta is int or ta is float) and (tb is int or tb is float)) or ta is tb is str:
        return a <= b  # type: ignore[no-any-return]
    pair = _compare(a, b)
    return pair is not None and pair[0] <= pair[1]


def js_lt(a: Any = UNDEFINED, b: Any = UNDEFINED, *rest: Any) -> bool:
    """JsonLogic ``<``: ``a < b``, or with a third operand the exclusive between ``a < b < c``."""
    if rest:
        return _lt(a, b) and _lt(b, rest[0])
    return _lt(a, b)


def js_le(a: Any = UNDEFINED, b: Any = UNDEFINED, *rest: Any) -> bool:
    """JsonLogic ``<=``: ``a <= b``, or with a third operand the inclusive between."""
    if rest:
        return _le(a, b) and _le(b, rest[0])
    return _le(a, b)


def js_gt(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> bool:
    ta, tb = type(a), type(b)
    if ((ta is int or ta is float) and (tb is int or tb is float)) or ta is tb is str:
        return a > b  # type: ignore[no-any-return]
    pair = _compare(a, b)
    return pair is not None and pair[0] > pair[1]


def js_ge(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> bool:
    ta, tb = type(a), type(b)
    if ((ta is int or ta is float) and (tb is int or tb is float)) or ta is tb is str:
        return a >= b  # type: ignore[no-any-return]
    pair = _compare(a, b)
    return pair is not None and pair[0] >= pair[1]


# --- arithmetic (json-logic-js: + and * use parseFloat, the others Number) -------------------------


def js_add(*args: Any) -> int | float:
    total: int | float = 0
    for arg in args:
        total += parse_float(arg)
    return total


def js_mul(*args: Any) -> int | float:
    product: int | float = 1
    for arg in args:
        product *= parse_float(arg)
    return product


def js_neg(a: Any = UNDEFINED) -> int | float:
    return -to_number(a)


def js_sub(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> int | float:
    return to_number(a) - to_number(b)


def js_div(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> float:
    x, y = to_number(a), to_number(b)
    if y == 0:
        return NAN if x == 0 or x != x else math.copysign(_INF, x) * math.copysign(1.0, y)
    return x / y


def js_mod(a: Any = UNDEFINED, b: Any = UNDEFINED, *_: Any) -> int | float:
    x, y = to_number(a), to_number(b)
    if type(x) is int and type(y) is int:
        if y == 0:
            return NAN
        r = abs(x) % abs(y)
        return -r if x < 0 else r
    try:
        return math.fmod(x, y)
    except ValueError:  # fmod(inf, y), fmod(x, 0)
        return NAN


def js_min(*args: Any) -> int | float:
    numbers = [to_number(a) for a in args]
    if any(n != n for n in numbers):
        return NAN
    return min(numbers, default=_INF)


def js_max(*args: Any) -> int | float:
    numbers = [to_number(a) for a in args]
    if any(n != n for n in numbers):
        return NAN
    return max(numbers, default=-_INF)


# --- strings and arrays ---------------------------------------------------------------------------


def js_in(needle: Any = UNDEFINED, haystack: Any = UNDEFINED, *_: Any) -> bool:
    """json-logic-js ``in``: substring of a non-empty string, or strict membership in an array."""
    if type(haystack) is str:
        return haystack != "" and to_string(needle) in haystack
    k = kind(haystack)
    if k == STR:
        return js_in(needle, str(haystack))
    if k == ARRAY:
        if type(needle) is str:
            return any(type(item) is str and item == needle for item in haystack)
        return any(js_strict_eq(needle, item) for item in haystack)
    return False


def js_cat(*args: Any) -> str:
    return "".join([to_string(a) for a in args])


def _to_integer(value: Any) -> float:
    """JavaScript ToIntegerOrInfinity: NaN is 0, otherwise truncated towards zero."""
    n = to_number(value)
    if n != n:
        return 0
    if n in (_INF, -_INF):
        return n
    return math.trunc(n)


def js_substr(source: Any = UNDEFINED, start: Any = UNDEFINED, length: Any = UNDEFINED, *_: Any) -> str:
    """json-logic-js ``substr``: ``String.prototype.substr``, a negative length cutting from the end."""
    s = to_string(source)
    size = len(s)
    first = _to_integer(start)
    if first < 0:
        first = max(size + first, 0)
    first = int(min(first, size))
    if length is UNDEFINED:
        return s[first:]
    count = _to_integer(length)
    if count < 0:
        rest = s[first:]
        return rest[: int(max(len(rest) + count, 0))]
    return s[first : first + int(min(count, size - first))]


def js_merge(*args: Any) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        if kind(arg) == ARRAY:
            out.extend(arg)
        else:
            out.append(arg)
    return out


def as_array(value: Any) -> Sequence[Any]:
    """The items of an array, or nothing: iteration operators treat every non-array as empty."""
    if type(value) is list:
        return value
    return value if kind(value) == ARRAY else ()
