"""Business calendars: when the desk is open, and when "4 business hours from now" is.

A calendar is weekly opening hours in local wall time, in one IANA time zone, minus public holidays
and explicit closed dates, plus explicit open dates. Targets count *real* open time: "4h" across a
DST night is four hours on a stopwatch, never three or five.

Semantics, chosen so that the laws the engine relies on hold exactly:

* Open time is a union of half-open intervals ``[open, close)``. A wall time in ``hours`` means the
  *first instant the local clock shows that time or later*: an ambiguous time (autumn fall-back)
  is its first occurrence (``fold=0``); a time that does not exist (spring-forward gap) is the
  instant the clock jumps past it. This rule is monotonic, so no segment ever gets a negative
  length, ``mon 22:00-24:00`` + ``tue 00:00-06:00`` are one continuous interval, and a segment that
  lies entirely inside a gap is simply empty.
* Arithmetic is in integer microseconds since the epoch, so results are exact to the microsecond.
* ``add(s, d)`` with ``d > 0`` is the *earliest* instant at which ``d`` of open time has passed:
  inside a segment or at its end, never in closed time. ``d == 0`` is ``s`` itself, even at night
  (pickup "within 0" is due at once). ``d < 0`` counts backwards: the *latest* instant from which
  ``|d|`` of open time runs up to ``s`` (inside a segment or at its start).
* ``elapsed(a, b)`` is signed: ``elapsed(b, a) == -elapsed(a, b)``, so
  ``elapsed(a, b) + elapsed(b, c) == elapsed(a, c)`` for any order of ``a, b, c``; clamp with
  ``max(..., timedelta(0))`` where only "how much so far" is wanted.
* Instants in may be aware datetimes in any zone (naive ones are refused: they are no instant);
  instants out are in the calendar's zone. Holidays are local dates of the calendar's zone.
* A 24x7 calendar is plain real-time arithmetic, O(1), in any year datetime can hold; others count
  from year 2 to 9998 and raise ``OverflowError`` beyond.

Speed: open intervals are built lazily per chunk of 2**45 µs (about 407 days), each with the
cumulative open time at every interval boundary, so ``add`` is two ``bisect`` calls and
``elapsed`` is a subtraction; holidays are looked up lazily per year and cached. Building a chunk
from several threads at once is harmless (the result is the same; the last one wins).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, NoReturn
from zoneinfo import ZoneInfo

import holidays as _holidays

from ._calendar_config import (
    NIGHT_SHIFT_HINT,
    WEEKDAYS,
    ConfigPath,
    check_holidays,
    clock,
    holiday_problem,
    parse_dates,
    parse_hours,
    unknown_zone_message,
    zone_exists,
)
from ._errors import format_path

__all__ = ["WEEKDAYS", "BusinessCalendar", "ConfigPath"]


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
_US: Final = 1_000_000
_DAY_MINUTES: Final = 1440
_ONE_DAY: Final = timedelta(days=1)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()

#: A chunk spans 2**45 µs (~407 days): big enough that durations of days stay in one chunk, small
#: enough that building one costs a few milliseconds.
_BITS: Final = 45
#: Chunks whose local dates (±1 day) fit in ``date``; instants outside them raise OverflowError.
_FIRST_CHUNK: Final = -((-((datetime(1, 1, 3, tzinfo=UTC) - _EPOCH) // _ONE_US)) >> _BITS)
_LAST_CHUNK: Final = (((datetime(9999, 12, 29, tzinfo=UTC) - _EPOCH) // _ONE_US) >> _BITS) - 1
_LOWEST_US: Final = _FIRST_CHUNK << _BITS
_HIGHEST_US: Final = (_LAST_CHUNK + 1) << _BITS
#: Below 2**33 s (year 2242) ``fromtimestamp(us / 1e6)`` rounds back to the exact microsecond.
_FLOAT_EXACT_US: Final = (1 << 33) * _US


class _Chunk:
    """Open intervals of one chunk ``[lo, lo + 2**45)`` µs, clipped to it, with cumulative open time.

    Index 0 is an empty sentinel interval at ``lo`` so that every instant of the chunk has an
    interval at or before it. ``offsets[i] = starts[i] - cum_starts[i]`` turns a cumulative position
    inside interval ``i`` back into an instant with one addition.
    """

    __slots__ = ("cum_ends", "cum_starts", "ends", "offsets", "starts", "total")

    def __init__(self, starts: list[int], ends: list[int]) -> None:
        cum_starts: list[int] = []
        cum_ends: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            cum_starts.append(total)
            total += end - start
            cum_ends.append(total)
        self.starts = starts
        self.ends = ends
        self.cum_starts = cum_starts
        self.cum_ends = cum_ends
        self.offsets = [start - cum for start, cum in zip(starts, cum_starts, strict=True)]
        self.total = total


class BusinessCalendar:
    """Opening hours, holidays and a time zone; counts business time between real instants.

    ``hours`` maps a weekday (0 = Monday) to ``(start_minute, end_minute)`` segments of local wall
    time, ``0 <= start < end <= 1440``; segments of one day may touch but not overlap. ``None``
    means open 24x7. Holidays of ``holiday_country`` (and ``holiday_subdivision``) from
    python-holidays and ``closed_dates`` are closed, ``open_dates`` open after all (they win), all
    as local dates. Raises ``ValueError`` for anything invalid (see ``check`` for config files).
    Datetimes in may be in any zone but must be aware; datetimes out are in the calendar's zone.
    """

    __slots__ = (
        "_chunks",
        "_closed_dates",
        "_closed_years",
        "_country",
        "_holiday_years",
        "_hours",
        "_name",
        "_open_dates",
        "_subdivision",
        "_tz",
        "_tz_key",
    )

    _name: str
    _tz_key: str
    _tz: ZoneInfo
    _hours: tuple[tuple[tuple[int, int], ...], ...] | None
    _country: str | None
    _subdivision: str | None
    _closed_dates: frozenset[date]
    _open_dates: frozenset[date]
    _chunks: dict[int, _Chunk]
    _holiday_years: dict[int, frozenset[date]]
    _closed_years: dict[int, frozenset[date]]

    def __init__(
        self,
        name: str,
        timezone: str,
        hours: Mapping[int, Sequence[tuple[int, int]]] | None,
        *,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        closed_dates: Iterable[date] = (),
        open_dates: Iterable[date] = (),
    ) -> None:
        init = super().__setattr__
        init("_name", name)
        init("_tz_key", timezone)
        if not isinstance(timezone, str) or not zone_exists(timezone):
            raise ValueError(f"calendar {name!r}: {unknown_zone_message(timezone)}")
        init("_tz", ZoneInfo(timezone))
        init("_hours", None if hours is None else _normalise_hours(name, hours))
        if holiday_subdivision is not None and holiday_country is None:
            raise ValueError(f"calendar {name!r}: a holiday subdivision needs a holiday country")
        if holiday_country is not None:
            problem = holiday_problem(holiday_country, holiday_subdivision)
            if problem is not None:
                raise ValueError(f"calendar {name!r}: {problem[1]}")
        init("_country", holiday_country)
        init("_subdivision", holiday_subdivision)
        init("_closed_dates", frozenset(closed_dates))
        init("_open_dates", frozenset(open_dates))
        for day in self._closed_dates | self._open_dates:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"calendar {name!r}: closed and open dates must be dates, got {day!r}")
        init("_chunks", {})
        init("_holiday_years", {})
        init("_closed_years", {})

    # -- immutability -------------------------------------------------------------------------------

    def __setattr__(self, key: str, value: object) -> NoReturn:
        raise AttributeError(f"BusinessCalendar is immutable; cannot set {key!r}")

    def __delattr__(self, key: str) -> NoReturn:
        raise AttributeError(f"BusinessCalendar is immutable; cannot delete {key!r}")

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self._name!r} {self._tz_key}{' 24x7' if self._hours is None else ''}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle (for worker processes) and copy by rebuilding; the caches are rebuilt lazily.
        hours = None if self._hours is None else dict(enumerate(self._hours))
        options = (self._country, self._subdivision, tuple(self._closed_dates), tuple(self._open_dates))
        return (_rebuild, (self._name, self._tz_key, hours, *options))

    @property
    def name(self) -> str:
        return self._name

    @property
    def timezone(self) -> str:
        """The IANA key, e.g. ``"Europe/Amsterdam"``."""
        return self._tz_key

    @property
    def tzinfo(self) -> ZoneInfo:
        return self._tz

    @property
    def is_24x7(self) -> bool:
        return self._hours is None

    @property
    def hours(self) -> Mapping[int, tuple[tuple[int, int], ...]] | None:
        """Weekday -> sorted, merged ``(start_minute, end_minute)`` segments; ``None`` for 24x7."""
        if self._hours is None:
            return None
        return MappingProxyType(dict(enumerate(self._hours)))

    @property
    def holiday_country(self) -> str | None:
        return self._country

    @property
    def holiday_subdivision(self) -> str | None:
        return self._subdivision

    @property
    def closed_dates(self) -> frozenset[date]:
        return self._closed_dates

    @property
    def open_dates(self) -> frozenset[date]:
        return self._open_dates

    # -- configuration ------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, name: str, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from one schema-valid ``calendars.<name>`` entry; ``ValueError`` lists every problem."""
        problems = cls.check(data)
        if problems:
            listed = "; ".join(f"{format_path(path)}: {message}" for path, message in problems)
            raise ValueError(f"calendar {name!r} is invalid: {listed}")
        hours, _ = parse_hours(data["hours"])
        spec = data.get("holidays") or {}
        closed, _ = parse_dates(spec.get("dates", ()), ("holidays", "dates"))
        opened, _ = parse_dates(spec.get("open", ()), ("holidays", "open"))
        return cls(
            name,
            data["timezone"],
            hours,
            holiday_country=spec.get("country"),
            holiday_subdivision=spec.get("subdivision"),
            closed_dates=closed,
            open_dates=opened,
        )

    @staticmethod
    def check(data: Any, path: ConfigPath = ()) -> list[tuple[ConfigPath, str]]:
        """Errors in a calendar entry that JSON Schema cannot see, as ``(path, message)`` pairs.

        Paths are relative to the entry, prefixed with ``path`` (pass ``("calendars", name)`` to get
        document paths). Never raises for bad input: wrong types are reported, not tripped over.
        """
        if not isinstance(data, Mapping):
            return [(path, "a calendar must be a map with 'timezone' and 'hours'")]
        errors: list[tuple[ConfigPath, str]] = []
        zone = data.get("timezone")
        if not isinstance(zone, str) or not zone:
            errors.append((("timezone",), "a calendar needs an IANA time zone, e.g. 'Europe/Amsterdam'"))
        elif not zone_exists(zone):
            errors.append((("timezone",), unknown_zone_message(zone)))
        if "hours" not in data:
            errors.append((("hours",), "a calendar needs 'hours': '24x7' or a map of weekdays to segments"))
        else:
            errors.extend(parse_hours(data["hours"])[1])
        spec = data.get("holidays")
        if spec is not None:
            errors.extend(check_holidays(spec))
        return [(path + p, message) for p, message in errors]

    # -- queries ------------------------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of business time has passed since ``start``.

        See the module docstring for zero and negative durations. Raises ``OverflowError`` when the
        result would lie beyond the years datetime can hold.
        """
        tz = self._tz
        if self._hours is None:
            _require_aware(start)
            return (start.astimezone(UTC) + duration).astimezone(tz)
        try:
            x = (start - _EPOCH) // _ONE_US
        except TypeError:
            _require_aware(start)
            raise
        d = duration // _ONE_US
        if d > 0:
            # The hot path, inlined: one bisect to find the cumulative position, one to map it back.
            chunk = self._chunks.get(x >> _BITS) or self._chunk(x >> _BITS)
            i = bisect_right(chunk.starts, x) - 1
            end = chunk.ends[i]
            pos = (x if x < end else end) - chunk.offsets[i] + d
            if pos <= chunk.total:
                y = chunk.offsets[bisect_left(chunk.cum_ends, pos)] + pos
            else:
                y = self._add_us(x, d)
        elif d:
            y = self._add_us(x, d)
        else:
            return start.astimezone(tz)
        if -_FLOAT_EXACT_US < y < _FLOAT_EXACT_US:
            return datetime.fromtimestamp(y / _US, tz)
        return self._datetime(y)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end``; negative when ``end`` is before ``start``."""
        if self._hours is None:
            _require_aware(start)
            _require_aware(end)
            return end.astimezone(UTC) - start.astimezone(UTC)
        try:
            a = (start - _EPOCH) // _ONE_US
            b = (end - _EPOCH) // _ONE_US
        except TypeError:
            _require_aware(start)
            _require_aware(end)
            raise
        k = a >> _BITS
        if k == b >> _BITS:
            # The common case, inlined: both instants in one chunk, two cumulative positions.
            chunk = self._chunks.get(k) or self._chunk(k)
            starts, ends, offsets = chunk.starts, chunk.ends, chunk.offsets
            i = bisect_right(starts, a) - 1
            j = bisect_right(starts, b) - 1
            end_a, end_b = ends[i], ends[j]
            return timedelta(
                microseconds=((b if b < end_b else end_b) - offsets[j])
                - ((a if a < end_a else end_a) - offsets[i])
            )
        return timedelta(microseconds=self._elapsed_us(a, b))

    def is_closed_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a public holiday or an explicitly closed date."""
        return day in self._closed_in(day.year)

    def is_open(self, instant: datetime) -> bool:
        """Whether the desk is open at ``instant`` (segments are half-open: closed at closing time)."""
        if self._hours is None:
            _require_aware(instant)
            return True
        return self._is_open_us(self._to_us(instant))

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` itself (in the calendar's zone) when open, else the next opening instant."""
        if self._hours is None:
            _require_aware(instant)
            return instant.astimezone(self._tz)
        x = self._to_us(instant)
        y = self._next_open_us(x)
        return instant.astimezone(self._tz) if y == x else self._datetime(y)

    def add_epoch(self, start: float, seconds: float) -> float:
        """``add`` on POSIX timestamps in seconds, for callers that keep instants as numbers."""
        if self._hours is None:
            return start + seconds
        return self._add_us(round(start * _US), round(seconds * _US)) / _US

    def elapsed_epoch(self, start: float, end: float) -> float:
        """``elapsed`` on POSIX timestamps, in seconds."""
        if self._hours is None:
            return end - start
        return self._elapsed_us(round(start * _US), round(end * _US)) / _US

    # -- the arithmetic, in integer microseconds since the epoch -------------------------------------

    def _add_us(self, x: int, d: int) -> int:
        if self._hours is None or not d:
            return x + d
        k = x >> _BITS
        chunks = self._chunks
        chunk = chunks.get(k) or self._chunk(k)
        i = bisect_right(chunk.starts, x) - 1
        end = chunk.ends[i]
        pos = (x if x < end else end) - chunk.offsets[i] + d
        if d > 0:
            if pos > chunk.total:
                if d > _HIGHEST_US - x:
                    _overflow()
                while pos > chunk.total:
                    pos -= chunk.total
                    k += 1
                    chunk = chunks.get(k) or self._chunk(k)
            return chunk.offsets[bisect_left(chunk.cum_ends, pos)] + pos
        if pos < 0:
            if d < _LOWEST_US - x:
                _overflow()
            while pos < 0:
                k -= 1
                chunk = chunks.get(k) or self._chunk(k)
                pos += chunk.total
        return chunk.offsets[bisect_right(chunk.cum_starts, pos) - 1] + pos

    def _elapsed_us(self, a: int, b: int) -> int:
        if self._hours is None:
            return b - a
        if b < a:
            return -self._elapsed_us(b, a)
        ka = a >> _BITS
        kb = b >> _BITS
        chunks = self._chunks
        chunk = chunks.get(ka) or self._chunk(ka)
        i = bisect_right(chunk.starts, a) - 1
        end = chunk.ends[i]
        pos_a = (a if a < end else end) - chunk.offsets[i]
        if kb != ka:
            total = chunk.total
            for k in range(ka + 1, kb):
                total += (chunks.get(k) or self._chunk(k)).total
            pos_a -= total
            chunk = chunks.get(kb) or self._chunk(kb)
        i = bisect_right(chunk.starts, b) - 1
        end = chunk.ends[i]
        return (b if b < end else end) - chunk.offsets[i] - pos_a

    def _is_open_us(self, x: int) -> bool:
        k = x >> _BITS
        chunk = self._chunks.get(k) or self._chunk(k)
        return x < chunk.ends[bisect_right(chunk.starts, x) - 1]

    def _next_open_us(self, x: int) -> int:
        """The first open instant at or after ``x``."""
        k = x >> _BITS
        while True:
            chunk = self._chunks.get(k) or self._chunk(k)
            i = bisect_right(chunk.starts, x) - 1
            if x < chunk.ends[i]:
                return x
            if i + 1 < len(chunk.starts):
                return chunk.starts[i + 1]
            k += 1
            x = k << _BITS

    def _to_us(self, instant: datetime) -> int:
        _require_aware(instant)
        return (instant - _EPOCH) // _ONE_US

    def _datetime(self, us: int) -> datetime:
        """The instant ``us`` in the calendar's zone, exact to the microsecond in any year."""
        seconds, micro = divmod(us, _US)
        local = datetime.fromtimestamp(seconds, self._tz)
        # Offsets change on whole seconds, so the microseconds never cross a transition.
        return local.replace(microsecond=micro) if micro else local

    # -- building chunks ----------------------------------------------------------------------------

    def _chunk(self, k: int) -> _Chunk:
        if not _FIRST_CHUNK <= k <= _LAST_CHUNK:
            _overflow()
        hours = self._hours
        assert hours is not None
        tz = self._tz
        lo = k << _BITS
        hi = lo + (1 << _BITS)
        day = datetime.fromtimestamp(lo // _US, tz).date() - _ONE_DAY
        last = datetime.fromtimestamp(hi // _US, tz).date() + _ONE_DAY
        starts = [lo]
        ends = [lo]
        closed = self._closed_in(day.year)
        while day <= last:
            if day.month == 1 and day.day == 1:
                closed = self._closed_in(day.year)
            segments = hours[day.weekday()]
            if segments and day not in closed:
                for first, until in segments:
                    a = _wall_to_us(tz, day, first)
                    b = _wall_to_us(tz, day, until)
                    a = lo if a < lo else a
                    b = hi if b > hi else b
                    if b <= a:
                        continue
                    if a <= ends[-1]:
                        if b > ends[-1]:
                            ends[-1] = b
                    else:
                        starts.append(a)
                        ends.append(b)
            day += _ONE_DAY
        chunk = _Chunk(starts, ends)
        self._chunks[k] = chunk
        return chunk

    def _closed_in(self, year: int) -> frozenset[date]:
        """Closed local dates of one year: holidays and ``closed_dates``, minus ``open_dates``."""
        closed = self._closed_years.get(year)
        if closed is None:
            days = {d for d in self._closed_dates if d.year == year}
            if self._country is not None:
                # A holiday observed in the next or previous year is filed under its own year.
                for near in (year - 1, year, year + 1):
                    days.update(d for d in self._holidays_of(near) if d.year == year)
            closed = frozenset(days - self._open_dates)
            self._closed_years[year] = closed
        return closed

    def _holidays_of(self, year: int) -> frozenset[date]:
        found = self._holiday_years.get(year)
        if found is None:
            found = frozenset()
            country = self._country
            if country is not None and 1 <= year <= 9999:
                found = frozenset(_holidays.country_holidays(country, subdiv=self._subdivision, years=year))
            self._holiday_years[year] = found
        return found


# -- helpers ----------------------------------------------------------------------------------------


def _require_aware(instant: datetime) -> None:
    if not isinstance(instant, datetime):
        raise TypeError(f"expected a datetime, got {instant!r}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive; business time needs timezone-aware datetimes")


def _overflow() -> NoReturn:
    raise OverflowError("business time runs outside the years 2-9998 that this calendar can count")


def _wall_to_us(tz: ZoneInfo, day: date, minute: int) -> int:
    """The first instant at which the local clock shows ``minute`` past midnight of ``day``, or later.

    That is the unique instant for ordinary times, the first occurrence (``fold=0``) of an
    ambiguous time, and the moment of the jump for a time inside a spring-forward gap (``fold=0``
    alone would put it *after* later wall times and make segments negative).
    """
    if minute == _DAY_MINUTES:
        day += _ONE_DAY
        minute = 0
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    local = (day.toordinal() - _EPOCH_ORDINAL) * 86400 + minute * 60
    # zoneinfo answers with the offset before a transition for fold=0 and after it for fold=1.
    before_offset = _seconds(tz.utcoffset(wall))
    after_offset = _seconds(tz.utcoffset(wall.replace(fold=1)))
    after = local - before_offset
    if before_offset >= after_offset:  # unique, or ambiguous and fold=0 is the first occurrence
        return after * _US
    # In a gap: the fold=1 instant is before the jump, the fold=0 one after it; bisect to the jump.
    before = local - after_offset
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) < wall:
            before = middle
        else:
            after = middle
    return after * _US


def _seconds(offset: timedelta | None) -> int:
    assert offset is not None  # a ZoneInfo always has an offset
    return offset.days * 86400 + offset.seconds


def _normalise_hours(
    name: str, hours: Mapping[int, Sequence[tuple[int, int]]]
) -> tuple[tuple[tuple[int, int], ...], ...]:
    week: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for weekday, segments in hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"calendar {name!r}: weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        for segment in segments:
            start, end = segment if isinstance(segment, tuple | list) and len(segment) == 2 else (-1, -1)
            if not (_is_minute(start) and _is_minute(end) and start < end):
                raise ValueError(
                    f"calendar {name!r}: {WEEKDAYS[weekday]} segment {segment!r} must be minutes "
                    f"0 <= start < end <= 1440; {NIGHT_SHIFT_HINT}"
                )
            week[weekday].append((start, end))
    result: list[tuple[tuple[int, int], ...]] = []
    for weekday, day in enumerate(week):
        merged: list[tuple[int, int]] = []
        for start, end in sorted(day):
            if merged and start < merged[-1][1]:
                raise ValueError(
                    f"calendar {name!r}: {WEEKDAYS[weekday]} segments {clock(merged[-1])} and "
                    f"{clock((start, end))} overlap"
                )
            if merged and start == merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        result.append(tuple(merged))
    if not any(result):
        raise ValueError(f"calendar {name!r} has no business hours at all; targets would never be reached")
    return tuple(result)


def _is_minute(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _DAY_MINUTES


def _rebuild(
    name: str,
    timezone: str,
    hours: Mapping[int, Sequence[tuple[int, int]]] | None,
    country: str | None,
    subdivision: str | None,
    closed: tuple[date, ...],
    opened: tuple[date, ...],
) -> BusinessCalendar:
    return BusinessCalendar(
        name,
        timezone,
        hours,
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed_dates=closed,
        open_dates=opened,
    )
