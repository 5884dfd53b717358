"""Safe message templates: ``{placeholder}`` substitution and nothing else.

Templates are written by desk staff and rendered with ticket data written by anyone on the internet,
so they are deliberately not Jinja or ``str.format``: a placeholder is a *name* looked up in a flat
dictionary of allowed values. There is no attribute access, no indexing, no conversion and no code;
an unknown placeholder is an error when the rules are loaded, not when a requester is waiting.
Dates are rendered in the requester's language and time zone through Babel (CLDR data).
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cache, lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_skeleton

from ._durations import format_duration

__all__ = [
    "ELLIPSIS",
    "PLACEHOLDERS",
    "TEXT_LIMITS",
    "Template",
    "TemplateError",
    "check_date_pattern",
    "cut",
    "date_pattern",
    "language_candidates",
    "longest_date",
    "parse_locale",
    "pick_language",
]

#: Every placeholder a template may use, with what it means (shown by ``matrixcore check --explain``).
PLACEHOLDERS: Final[Mapping[str, str]] = {
    "ticket.id": "the ticket's id in the tool",
    "ticket.number": "the ticket number people see (INC0012345, I 2611 123)",
    "ticket.subject": "the ticket's subject",
    "ticket.channel": "the channel the ticket came in through",
    "ticket.category": "the ticket's category",
    "ticket.service": "the service the ticket is about",
    "ticket.status": "the ticket's status",
    "requester.name": "the requester's name",
    "impact": "the impact matrixcore decided",
    "urgency": "the urgency matrixcore decided",
    "priority": "the priority matrixcore decided",
    "priority_label": "the priority's label (falls back to its name)",
    "previous_priority": "the priority announced before (priority_changed messages)",
    "pickup_by": "the latest moment the ticket will be picked up (a date)",
    "resolve_by": "the resolution target (a date)",
    "pickup_within": "the pickup target as a duration (15m, 4h)",
    "resolve_within": "the resolution target as a duration",
    "reason": "why more time is needed (rule, ticket field or configured default)",
    "expected_pickup": "when we now expect to pick the ticket up (predicted_miss messages; a date)",
    "tickets_ahead": "how many waiting tickets are ahead of this one (predicted_miss messages)",
    "pickup_rate": "how many tickets an hour the desk picks up now (predicted_miss messages)",
    "miss_probability": "how likely the pickup target is to be missed, e.g. 93% (predicted_miss messages)",
    "prediction_reason": "why we expect to be late, with the numbers, in the requester's language",
}

_DATE_NAMES: Final = frozenset({"pickup_by", "resolve_by", "expected_pickup"})
_NAMED_DATE_STYLES: Final = frozenset({"short", "medium", "long", "full"})

#: Natural phrasing for the languages service desks ask for most; others use CLDR's skeletons.
_DEFAULT_DATE_PATTERNS: Final[Mapping[str, str]] = {
    "nl": "EEEE d MMMM 'om' HH:mm",
    "en": "EEEE d MMMM 'at' HH:mm",
    "de": "EEEE, d. MMMM 'um' HH:mm 'Uhr'",
    "fr": "EEEE d MMMM 'à' HH:mm",
    "es": "EEEE, d 'de' MMMM 'a las' H:mm",
    "it": "EEEE d MMMM 'alle' HH:mm",
}


#: The most characters a placeholder filled from ticket data (written by anyone) puts in a message;
#: longer values are cut with "…". This is what makes a message's length knowable when the rules are
#: checked: a 340 KB subject can no longer become a 340 KB message.
TEXT_LIMITS: Final[Mapping[str, int]] = {
    "ticket.id": 32,
    "ticket.number": 32,
    "ticket.subject": 120,
    "ticket.channel": 40,
    "ticket.category": 80,
    "ticket.service": 80,
    "ticket.status": 40,
    "requester.name": 80,
    "reason": 100,
    # Built by matrixcore from numbers (predicted misses), bounded all the same.
    "prediction_reason": 120,
    "tickets_ahead": 7,
    "pickup_rate": 6,
    "miss_probability": 4,
}
ELLIPSIS: Final = "…"


def cut(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its longest whole-word start that fits with "…"."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    head = text[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space > limit // 2:  # cut between words when that loses little
        head = head[:space]
    return head.rstrip() + ELLIPSIS


@lru_cache(maxsize=256)
def longest_date(pattern: str, language: str) -> int:
    """The most characters a date rendered with ``pattern`` in ``language`` takes (every day of a
    leap year, at a one- and a two-digit hour, in UTC)."""
    zone = ZoneInfo("UTC")
    start = datetime(2024, 1, 1, 23, 59, tzinfo=zone)
    longest = 0
    for day in range(366):
        for hour in (23, 9):
            value = (start + timedelta(days=day)).replace(hour=hour)
            longest = max(longest, len(_format_instant(value, pattern, language, zone)))
    return longest


class TemplateError(ValueError):
    """A template is malformed or names a placeholder that does not exist."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    spec: str


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholders, checked once at load time."""

    text: str
    parts: tuple[str | _Field, ...]

    @classmethod
    def parse(cls, text: str, allowed: Iterable[str] = PLACEHOLDERS) -> Template:
        allowed_names = set(allowed)
        parts: list[str | _Field] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise TemplateError(f"{exc} (write {{{{ and }}}} for literal braces)") from None
        for literal, name, spec, conversion in parsed:
            if literal:
                parts.append(literal)
            if name is None:
                continue
            if conversion:
                raise TemplateError(f"'{{{name}!{conversion}}}': conversions are not allowed in templates")
            if name not in allowed_names:
                hint = _closest(name, allowed_names)
                raise TemplateError(
                    f"unknown placeholder {{{name}}}" + (f"; did you mean {{{hint}}}?" if hint else "")
                )
            if spec and name not in _DATE_NAMES:
                raise TemplateError(f"{{{name}:{spec}}}: only dates take a format")
            if "{" in (spec or ""):
                raise TemplateError(f"{{{name}:{spec}}}: nested placeholders are not allowed")
            parts.append(_Field(name, spec or ""))
        return cls(text, tuple(parts))

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parts if isinstance(p, _Field))

    def longest(self, bounds: Mapping[str, int], dates: Callable[[str], int]) -> int:
        """The most characters a rendering can have: its text plus each placeholder's ``bounds``
        (dates: ``dates(spec)``, the spec being the placeholder's own format or "")."""
        total = 0
        for part in self.parts:
            if isinstance(part, str):
                total += len(part)
            elif part.name in _DATE_NAMES:
                total += dates(part.spec)
            else:
                total += bounds.get(part.name, 0)
        return total

    def render(
        self,
        values: Mapping[str, Any],
        language: str = "en",
        timezone: ZoneInfo | None = None,
        date_format: str | None = None,
    ) -> str:
        """Fill in ``values``; dates in ``language`` and ``timezone``, ``None`` shown as empty text."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = values.get(part.name)
            if value is None:
                continue
            if isinstance(value, datetime):
                pattern = part.spec or date_format or date_pattern(language)
                out.append(_format_date(value, pattern, language, timezone))
            elif isinstance(value, timedelta):
                out.append(format_duration(value))
            else:
                text = str(value)
                limit = TEXT_LIMITS.get(part.name)
                out.append(cut(text, limit) if limit is not None else text)
        return "".join(out)


def _closest(name: str, names: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(names), n=1)
    return found[0] if found else None


@cache
def parse_locale(language: str) -> Locale | None:
    """A Babel locale for a tag as tools spell it (``nl``, ``nl-BE``, ``nl_BE``, ``NL``), else ``None``."""
    tag = language.strip().replace("-", "_")
    if not tag:
        return None
    head, _, tail = tag.partition("_")
    tag = head.lower() + (f"_{tail.upper() if len(tail) == 2 else tail}" if tail else "")
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(head.lower())
        except (UnknownLocaleError, ValueError):
            return None


def language_candidates(language: str) -> tuple[str, ...]:
    """``"nl-BE"`` -> ``("nl-be", "nl")``: the exact tag first, then its language."""
    tag = language.strip().replace("_", "-").lower()
    if not tag:
        return ()
    head = tag.split("-", 1)[0]
    return (tag, head) if head != tag else (tag,)


def pick_language(available: Iterable[str], requested: str, fallback: str) -> str | None:
    """The best of ``available`` for a requester asking ``requested``: exact, same language, fallback."""
    by_key = {a.replace("_", "-").lower(): a for a in available}
    for candidate in (*language_candidates(requested), *language_candidates(fallback)):
        if candidate in by_key:
            return by_key[candidate]
    return None


@cache
def date_pattern(language: str) -> str:
    """The default CLDR pattern for dates in messages in ``language``."""
    locale = parse_locale(language)
    if locale is None:
        return _DEFAULT_DATE_PATTERNS["en"]
    if locale.language in _DEFAULT_DATE_PATTERNS:
        return _DEFAULT_DATE_PATTERNS[locale.language]
    skeletons = locale.datetime_skeletons
    day = skeletons["MMMMEEEEd"].pattern if "MMMMEEEEd" in skeletons else "EEEE d MMMM"
    return f"{day}, {locale.time_formats['short'].pattern}"


_QUOTED = re.compile(r"'[^']*'")


def _format_date(value: datetime, pattern: str, language: str, timezone: ZoneInfo | None) -> str:
    zone = timezone or value.tzinfo
    if (value.second or value.microsecond) and _to_the_minute(pattern):
        # One cache entry per minute shown, not per instant: deadlines fall on any second, and a
        # report's replay formats hundreds of thousands of them. Both offsets in whole minutes (not
        # a historical local mean time) keep the truncated instant's local minute the same.
        shown = zone.utcoffset(value) if zone is not None else None
        own = value.utcoffset()
        if (shown is None or not shown.seconds % 60) and (own is None or not own.seconds % 60):
            value = value.replace(second=0, microsecond=0)
    return _format_instant(value, pattern, language, zone)


@cache
def _to_the_minute(pattern: str) -> bool:
    """Whether ``pattern`` shows nothing finer than minutes (no seconds, fractions, or milliseconds)."""
    if pattern in _NAMED_DATE_STYLES:
        return False  # medium, long and full show seconds; keep them all exact
    body = _QUOTED.sub("", pattern.removeprefix("skeleton:"))
    return not any(letter in body for letter in "sSA")


@lru_cache(maxsize=4096)
def _format_instant(value: datetime, pattern: str, language: str, zone: tzinfo | None) -> str:
    """Cached: CLDR formatting is the dearest step of a message, and deadlines repeat (a batch of
    tickets or a report's replay promises the same minute again and again). Aware datetimes are
    equal across zones, so the zone shown is part of the key."""
    locale = parse_locale(language) or parse_locale("en")
    if pattern in _NAMED_DATE_STYLES:
        return str(format_datetime(value, pattern, tzinfo=zone, locale=locale))
    if pattern.startswith("skeleton:"):
        return str(format_skeleton(pattern[len("skeleton:") :], value, tzinfo=zone, locale=locale))
    return str(format_datetime(value, pattern, tzinfo=zone, locale=locale))


def check_date_pattern(pattern: str) -> str | None:
    """An error message if ``pattern`` is not a usable CLDR date pattern, else ``None``."""
    if pattern in _NAMED_DATE_STYLES:
        return None
    letters = _QUOTED.sub("", pattern)
    if not re.search(r"[A-Za-z]", letters):
        return f"date format {pattern!r} has no date or time fields (CLDR letters such as EEEE d MMMM HH:mm)"
    try:
        format_datetime(datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo("UTC")), pattern, locale="en")
    except (ValueError, KeyError, AttributeError) as exc:
        return f"date format {pattern!r} is not a CLDR pattern: {exc}"
    return None
