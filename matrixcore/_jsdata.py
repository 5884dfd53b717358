"""JsonLogic's view of data: ``var`` paths, ``missing``, the iteration operations and ``log``.

Shared by the reference evaluator and the generated code, so both read data identically. A
``Ticket`` is read with ``Ticket.get``; anything else the way JavaScript indexes objects, arrays and
strings (``"items.0"``, ``"name.length"``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from ._jsvalues import ARRAY, STR, UNDEFINED, as_array, js_ge, kind, to_string
from ._ticket import Ticket

__all__ = [
    "is_missing",
    "js_log",
    "js_missing",
    "js_missing_some",
    "scoped_all",
    "scoped_filter",
    "scoped_map",
    "scoped_none",
    "scoped_reduce",
    "scoped_some",
    "var_lookup",
]

_MISSING: Final = object()


def _member(data: Any, prop: str) -> Any:
    """``data[prop]`` the JavaScript way, ``_MISSING`` for undefined."""
    if isinstance(data, Mapping):
        return data.get(prop, _MISSING)
    k = kind(data)
    if k in (ARRAY, STR):
        if prop == "length":
            return len(data)
        if prop.isascii() and prop.isdigit() and (prop == "0" or prop[0] != "0") and int(prop) < len(data):
            return data[int(prop)]
    return _MISSING


def var_lookup(data: Any, key: Any = None, default: Any = None) -> Any:
    """json-logic-js ``var``: a dotted path into the data; ``default`` when undefined (a null is null).

    A ``Ticket`` is read with ``Ticket.get`` (``subject``, ``requester.vip``, ``custom.x`` or bare ``x``).
    """
    if key is None or key is UNDEFINED or (type(key) is str and key == ""):
        return data
    if isinstance(data, Ticket):
        value = data.get(to_string(key), _MISSING)
        return default if value is _MISSING else value
    for part in to_string(key).split("."):
        if data is None:
            return default
        data = _member(data, part)
        if data is _MISSING:
            return default
    return data


def is_missing(value: Any) -> bool:
    """What ``missing`` counts as absent: null or the empty string."""
    return value is None or (isinstance(value, str) and value == "")


def js_missing(data: Any, *args: Any) -> list[Any]:
    keys = args[0] if args and kind(args[0]) == ARRAY else args
    return [key for key in keys if is_missing(var_lookup(data, key))]


def js_missing_some(data: Any, need: Any = UNDEFINED, keys: Any = UNDEFINED, *_: Any) -> list[Any]:
    """The missing keys, or none when at least ``need`` of them are present."""
    options = keys if kind(keys) == ARRAY else [keys]
    missing = js_missing(data, options)
    return [] if js_ge(len(options) - len(missing), need) else missing


# --- iteration (the per-item logic arrives as a function of the item) -----------------------------


def scoped_map(items: Any, each: Callable[[Any], Any]) -> list[Any]:
    return [each(item) for item in as_array(items)]


def scoped_filter(items: Any, test: Callable[[Any], Any]) -> list[Any]:
    return [item for item in as_array(items) if test(item)]


def scoped_all(items: Any, test: Callable[[Any], Any]) -> bool:
    """True when every item passes; JsonLogic defines ``all`` of an empty array as false."""
    array = as_array(items)
    return bool(array) and all(test(item) for item in array)


def scoped_some(items: Any, test: Callable[[Any], Any]) -> bool:
    return any(test(item) for item in as_array(items))


def scoped_none(items: Any, test: Callable[[Any], Any]) -> bool:
    return not any(test(item) for item in as_array(items))


def scoped_reduce(items: Any, step: Callable[[Any], Any], initial: Any) -> Any:
    """Fold with ``{"current": item, "accumulator": acc}`` as the data of each step."""
    accumulator = initial
    for item in as_array(items):
        accumulator = step({"current": item, "accumulator": accumulator})
    return accumulator


def js_log(value: Any = None, *_: Any) -> Any:
    """``log``: write the value to the ``matrixcore.jsonlogic`` logger and pass it on."""
    _LOGGER.info("jsonlogic log: %r", value)
    return value


_LOGGER: Final = logging.getLogger("matrixcore.jsonlogic")
