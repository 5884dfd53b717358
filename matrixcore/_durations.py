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


def parse_duration(text: str | int | float) -> timedelta:
    """Parse ``"1h30m"``, ``"PT1H30M"`` or a number of seconds; raise ``ValueError`` with the reason."""
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"a duration cannot be negative: {text!r}")
        return timedelta(seconds=text)
    value = text.strip()
    if _SHORT_FULL.match(value):
        seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _SHORT.findall(value))
        return timedelta(seconds=seconds)
    iso = _ISO.match(value)
    if iso and value.upper() not in ("P", "PT") and not value.upper().endswith("T"):
        seconds = sum(float(v) * _UNIT_SECONDS[k] for k, v in iso.groupdict().items() if v)
        return timedelta(seconds=seconds)
    raise ValueError(f"not a duration: {text!r} (write e.g. '15m', '4h', '1h30m', '2d' or 'PT4H')")


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
