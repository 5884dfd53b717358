"""Reading a calendar entry of a rules file: weekday specs, ``HH:MM-HH:MM`` segments, dates, holidays.

Kept apart from the arithmetic in ``_calendar`` because it runs once, at load time, and never on the
hot path. Every function reports problems as ``(path, message)`` pairs instead of raising, so a rules
file with five mistakes gets five messages at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as _holidays

__all__ = [
    "NIGHT_SHIFT_HINT",
    "WEEKDAYS",
    "ConfigPath",
    "check_holidays",
    "clock",
    "holiday_problem",
    "parse_dates",
    "parse_hours",
    "unknown_zone_message",
    "zone_exists",
]

ConfigPath = tuple[str | int, ...]

#: Day names as rules files write them, index 0 = Monday (``date.weekday()``).
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DAY_SPEC = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(?:\s*-\s*(mon|tue|wed|thu|fri|sat|sun))?$")
_SEGMENT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NIGHT_SHIFT_HINT: Final = (
    "write a segment across midnight as two, e.g. mon: ['22:00-24:00'] and tue: ['00:00-06:00']"
)


def clock(segment: tuple[int, int]) -> str:
    (h1, m1), (h2, m2) = divmod(segment[0], 60), divmod(segment[1], 60)
    return f"'{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}'"


def _parse_day_spec(spec: str) -> list[int] | None:
    """``"mon-fri"``, ``"sat,sun"``, ``"mon-wed, fri"`` -> weekdays; ranges wrap (``fri-mon``)."""
    days: list[int] = []
    for part in spec.split(","):
        match = _DAY_SPEC.match(part.strip().lower())
        if match is None:
            return None
        first = WEEKDAYS.index(match[1])
        last = WEEKDAYS.index(match[2]) if match[2] else first
        days.extend((first + n) % 7 for n in range((last - first) % 7 + 1))
    return days


def _parse_segment(text: Any) -> tuple[int, int] | str:
    """``"08:30-17:00"`` -> ``(510, 1020)``, or the reason it is not a segment."""
    match = _SEGMENT.match(text) if isinstance(text, str) else None
    if match is None:
        return f"{text!r} is not a segment; write 'HH:MM-HH:MM', e.g. '08:30-17:00'"
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        return f"{text!r} is not a time of day; hours run 00:00 to 24:00 (24:00 only as an end)"
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end < start:
        return f"{text!r} ends before it starts; {NIGHT_SHIFT_HINT}"
    if end == start:
        return f"{text!r} is empty: it ends when it starts"
    return start, end


def parse_hours(raw: Any) -> tuple[dict[int, list[tuple[int, int]]] | None, list[tuple[ConfigPath, str]]]:
    """``hours`` of a config entry -> weekday segments (``None`` for 24x7) and the errors found."""
    if raw == "24x7":
        return None, []
    if not isinstance(raw, Mapping):
        return {}, [(("hours",), "'hours' must be '24x7' or a map of weekdays to 'HH:MM-HH:MM' segments")]
    errors: list[tuple[ConfigPath, str]] = []
    week: dict[int, list[tuple[int, int]]] = {}
    given_by: dict[int, str] = {}
    for spec, segments in raw.items():
        days = _parse_day_spec(spec) if isinstance(spec, str) else None
        if days is None or not isinstance(spec, str):
            errors.append(
                (("hours", str(spec)), f"{spec!r} is not a weekday spec; write e.g. 'mon-fri' or 'sat,sun'")
            )
            continue
        twice = sorted({d for d in days if d in given_by or days.count(d) > 1})
        if twice:
            names = ", ".join(WEEKDAYS[d] for d in twice)
            by = ", ".join(repr(b) for b in sorted({given_by.get(d, spec) for d in twice}))
            errors.append((("hours", spec), f"{names} already given by {by}; give each weekday once"))
        for d in days:
            given_by.setdefault(d, spec)
        if not isinstance(segments, list | tuple):
            errors.append((("hours", spec), "give a list of 'HH:MM-HH:MM' segments ([] for closed)"))
            continue
        parsed: list[tuple[int, tuple[int, int]]] = []
        for index, text in enumerate(segments):
            segment = _parse_segment(text)
            if isinstance(segment, str):
                errors.append((("hours", spec, index), segment))
            else:
                parsed.append((index, segment))
        parsed.sort(key=lambda item: item[1])
        for (_, before), (index, segment) in pairwise(parsed):
            if segment[0] < before[1]:
                errors.append((("hours", spec, index), f"{clock(segment)} overlaps {clock(before)}"))
        for d in days:
            week.setdefault(d, []).extend(segment for _, segment in parsed)
    if not errors and not any(week.values()):
        errors.append(
            (("hours",), "no business hours at all: targets on this calendar would never be reached")
        )
    return week, errors


def parse_dates(raw: Any, path: ConfigPath) -> tuple[list[date], list[tuple[ConfigPath, str]]]:
    if not isinstance(raw, list | tuple):
        return [], [(path, "give a list of dates, YYYY-MM-DD")]
    found: list[date] = []
    errors: list[tuple[ConfigPath, str]] = []
    for index, value in enumerate(raw):
        if isinstance(value, date) and not isinstance(value, datetime):
            found.append(value)
            continue
        try:
            if not isinstance(value, str) or not _ISO_DATE.match(value):
                raise ValueError
            found.append(date.fromisoformat(value))
        except ValueError:
            errors.append(((*path, index), f"{value!r} is not a date; write YYYY-MM-DD, e.g. '2025-12-24'"))
    return found, errors


def check_holidays(spec: Any) -> list[tuple[ConfigPath, str]]:
    if not isinstance(spec, Mapping):
        return [(("holidays",), "'holidays' must be a map with country, subdivision, dates and open")]
    errors: list[tuple[ConfigPath, str]] = []
    country = spec.get("country")
    subdivision = spec.get("subdivision")
    if country is not None:
        problem = holiday_problem(country, subdivision)
        if problem is not None:
            errors.append((("holidays", problem[0]), problem[1]))
    elif subdivision is not None:
        errors.append((("holidays", "subdivision"), "a subdivision needs a country, e.g. country: DE"))
    closed, closed_errors = parse_dates(spec.get("dates", []), ("holidays", "dates"))
    opened, open_errors = parse_dates(spec.get("open", []), ("holidays", "open"))
    errors += closed_errors + open_errors
    both = set(closed) & set(opened)
    if both and not open_errors:
        for index, day in enumerate(opened):
            if day in both:
                errors.append(
                    (("holidays", "open", index), f"'{day.isoformat()}' is listed both as closed and as open")
                )
    return errors


def holiday_problem(country: Any, subdivision: Any) -> tuple[str, str] | None:
    """Which key is wrong (``"country"`` or ``"subdivision"``) and why, or ``None``."""
    supported = _supported_countries()
    if not isinstance(country, str) or country not in supported:
        return "country", (
            f"unknown holiday country {country!r}; use an ISO 3166 code that python-holidays knows, "
            "e.g. NL, BE, DE, GB, US"
        )
    if subdivision is None:
        return None
    try:
        _holidays.country_holidays(country, subdiv=subdivision)
    except (NotImplementedError, KeyError, ValueError, TypeError):
        known = supported[country]
        if not known:
            return (
                "subdivision",
                f"unknown subdivision {subdivision!r}: python-holidays has none for {country}",
            )
        return "subdivision", f"unknown subdivision {subdivision!r} of {country}; known: {', '.join(known)}"
    return None


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    found: dict[str, list[str]] = _holidays.list_supported_countries()
    return found


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_exists(key: str) -> bool:
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        return False
    return True


def unknown_zone_message(key: object) -> str:
    if not isinstance(key, str) or not key:
        return f"unknown time zone {key!r}; use an IANA name such as 'Europe/Amsterdam'"
    names = {name.lower(): name for name in _zone_names()}
    guess = names.get(key.lower()) or next(iter(difflib.get_close_matches(key, names.values(), n=1)), None)
    hint = f"; did you mean {guess!r}?" if guess else "; use an IANA name such as 'Europe/Amsterdam'"
    return f"unknown time zone {key!r}{hint}"
