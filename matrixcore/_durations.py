"""Durations as people write them in rules files: ``15m``, ``4h``, ``1h30m``, ``2d``, or ISO 8601 ``PT4H``.

A business day is not 24 hours, so ``d`` and ``w`` here mean calendar time (24 h, 7 d); targets on a
business calendar are counted in business *hours*, and ``8h`` is what a desk means by "one working day".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

__all__ = ["format_duration", "parse_duration"]

_UNIT_SECONDS: Final = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_SHORT = re.compile(r"(?:(\d+(?:\.\d+)?)\s*(w|d|h|m|s)\s*)", re.IGNORECASE)
_SHORT_FULL = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$", re.IGNORECASE)
_ISO = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def _seconds(seconds: float, text: object) -> timedelta:
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError(f"not a duration: {text!r}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {text!r}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        limit = timedelta.max.days
        raise ValueError(f"{_shown(text)} is too long for a duration (at most {limit} days)") from None


def _shown(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."


def parse_duration(text: str | int | float) -> timedelta:
    """Parse ``"1h30m"``, ``"PT1H30M"`` or a number of seconds; raise ``ValueError`` with the reason.

    Any other value (a mapping, a list, a number beyond ``timedelta``'s range) is a ``ValueError``
    too: a duration comes from a file someone typed, and a typo must be an error, not a traceback.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"not a duration: {_shown(text)} (write e.g. '15m', '4h', '1h30m', '2d' or 'PT4H')")
    if isinstance(text, int | float):
        try:
            return _seconds(float(text), text)
        except OverflowError:  # an int beyond any float
            raise ValueError(f"{_shown(text)} is too long for a duration") from None
    value = text.strip()
    try:
        if _SHORT_FULL.match(value):
            return _seconds(sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _SHORT.findall(value)), text)
        iso = _ISO.match(value)
        if iso and value.upper() not in ("P", "PT") and not value.upper().endswith("T"):
            return _seconds(sum(float(v) * _UNIT_SECONDS[k] for k, v in iso.groupdict().items() if v), text)
    except OverflowError:
        raise ValueError(f"{_shown(text)} is too long for a duration") from None
    raise ValueError(f"not a duration: {_shown(text)} (write e.g. '15m', '4h', '1h30m', '2d' or 'PT4H')")


def format_duration(delta: timedelta) -> str:
    """The short form back: ``timedelta(hours=1, minutes=30)`` -> ``"1h30m"``; zero -> ``"0m"``."""
    seconds = round(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0m")
