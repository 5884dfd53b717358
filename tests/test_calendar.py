"""Business calendar: the promises users read off a ticket, and the laws the engine relies on.

Precision: everything is asserted to the exact microsecond. The calendar counts in integer
microseconds, the resolution of ``datetime`` and ``timedelta``, so there is no rounding to forgive;
any tolerance here would hide off-by-one bugs at segment boundaries.

Instants are compared as instants (aware datetimes compare in UTC). Never step a zoned datetime with
``+ timedelta`` in these tests: that is wall-clock arithmetic and wrong across DST; ``_shift`` goes
through UTC.
"""

from __future__ import annotations

import copy
import pickle
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matrixcore import _calendar
from matrixcore._calendar import BusinessCalendar

AMS = ZoneInfo("Europe/Amsterdam")
NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
US = timedelta(microseconds=1)
H = timedelta(hours=1)
M = timedelta(minutes=1)

OFFICE = {"timezone": "Europe/Amsterdam", "hours": {"mon-fri": ["08:30-17:00"]}}
NL_OFFICE = {**OFFICE, "holidays": {"country": "NL"}}


def ams(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=AMS, fold=fold)


def cal(config: dict[str, Any], name: str = "test") -> BusinessCalendar:
    return BusinessCalendar.from_config(name, config)


def _shift(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta`` in real time, whatever its zone."""
    return (instant.astimezone(UTC) + delta).astimezone(instant.tzinfo)


def assert_same(got: datetime, expected: datetime) -> None:
    """Same instant *and* the same wall clock reading in the expected zone."""
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()
    assert got.replace(tzinfo=None) == expected.replace(tzinfo=None)


# -- what a requester is promised -------------------------------------------------------------------


def test_friday_afternoon_ticket_lands_on_monday() -> None:
    office = cal(OFFICE)
    due = office.add(ams(2025, 3, 14, 16, 0), 4 * H)
    assert_same(due, ams(2025, 3, 17, 11, 30))
    assert office.elapsed(ams(2025, 3, 14, 16, 0), due) == 4 * H


def test_target_ending_exactly_at_closing_time_is_due_at_closing_time() -> None:
    office = cal(OFFICE)
    assert_same(office.add(ams(2025, 3, 13, 16, 0), H), ams(2025, 3, 13, 17, 0))
    assert_same(office.add(ams(2025, 3, 13, 16, 0), H + US), ams(2025, 3, 14, 8, 30, 0, 1))
    # Segments are half-open: open at opening time, closed at closing time.
    assert office.is_open(ams(2025, 3, 13, 8, 30))
    assert not office.is_open(ams(2025, 3, 13, 8, 29, 59, 999999))
    assert office.is_open(ams(2025, 3, 13, 16, 59, 59, 999999))
    assert not office.is_open(ams(2025, 3, 13, 17, 0))


def test_lunch_break_is_not_counted() -> None:
    desk = cal({"timezone": "Europe/Amsterdam", "hours": {"mon-fri": ["08:30-12:00", "13:00-17:00"]}})
    assert_same(desk.add(ams(2025, 3, 12, 11, 0), 2 * H), ams(2025, 3, 12, 14, 0))
    assert desk.elapsed(ams(2025, 3, 12, 11, 0), ams(2025, 3, 12, 14, 0)) == 2 * H
    assert not desk.is_open(ams(2025, 3, 12, 12, 30))
    assert_same(desk.next_open(ams(2025, 3, 12, 12, 30)), ams(2025, 3, 12, 13, 0))
    # The earliest instant the hour has passed is when lunch starts, not when it ends.
    assert_same(desk.add(ams(2025, 3, 12, 11, 0), H), ams(2025, 3, 12, 12, 0))
    # A working day is 7.5 hours.
    assert desk.elapsed(ams(2025, 3, 12), ams(2025, 3, 13)) == timedelta(hours=7, minutes=30)


def test_kings_day_and_christmas_are_closed() -> None:
    office = cal(NL_OFFICE)
    # Koningsdag: Monday 27 April 2026.
    assert not office.is_open(ams(2026, 4, 27, 10, 0))
    assert_same(office.add(ams(2026, 4, 24, 16, 0), 4 * H), ams(2026, 4, 28, 11, 30))
    # Christmas 2025 is Thursday and Friday: Wednesday afternoon's ticket waits until Monday.
    assert_same(office.add(ams(2025, 12, 24, 16, 0), 4 * H), ams(2025, 12, 29, 11, 30))
    assert office.elapsed(ams(2025, 12, 24, 17, 0), ams(2025, 12, 29, 8, 30)) == timedelta(0)


def test_open_removes_a_holiday_and_dates_add_one() -> None:
    opened = cal({**OFFICE, "holidays": {"country": "NL", "open": ["2026-04-27"]}})
    assert opened.is_open(ams(2026, 4, 27, 10, 0))
    assert_same(opened.add(ams(2026, 4, 24, 16, 0), 4 * H), ams(2026, 4, 27, 11, 30))
    closed = cal({**OFFICE, "holidays": {"country": "NL", "dates": ["2026-04-28"]}})
    assert not closed.is_open(ams(2026, 4, 28, 10, 0))
    assert_same(closed.add(ams(2026, 4, 24, 16, 0), 4 * H), ams(2026, 4, 29, 11, 30))
    # Explicit dates work without a country too.
    only_dates = cal({**OFFICE, "holidays": {"dates": ["2026-04-28"]}})
    assert only_dates.is_open(ams(2026, 4, 27, 10, 0))
    assert not only_dates.is_open(ams(2026, 4, 28, 10, 0))


def test_holidays_are_local_dates() -> None:
    # 05:00 on 1 January in Tokyo is still 31 December in UTC; the desk is closed for New Year.
    tokyo = cal(
        {"timezone": "Asia/Tokyo", "hours": {"mon-sun": ["00:00-24:00"]}, "holidays": {"country": "JP"}}
    )
    assert not tokyo.is_open(datetime(2025, 12, 31, 20, 0, tzinfo=UTC))
    assert tokyo.is_open(datetime(2025, 12, 31, 14, 59, tzinfo=UTC))
    assert_same(
        tokyo.next_open(datetime(2025, 12, 31, 20, 0, tzinfo=UTC)),
        datetime(2026, 1, 2, tzinfo=ZoneInfo("Asia/Tokyo")),
    )


def test_holiday_subdivision() -> None:
    # Epiphany (6 January) is a holiday in Bavaria, not in Berlin.
    bavaria = cal(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["08:00-16:00"]},
            "holidays": {"country": "DE", "subdivision": "BY"},
        }
    )
    berlin = cal(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["08:00-16:00"]},
            "holidays": {"country": "DE", "subdivision": "BE"},
        }
    )
    epiphany = datetime(2026, 1, 6, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)


def test_start_in_closed_time_counts_from_opening() -> None:
    office = cal(OFFICE)
    assert_same(office.add(ams(2025, 3, 15, 10, 0), H), ams(2025, 3, 17, 9, 30))  # Saturday
    assert_same(office.add(ams(2025, 3, 12, 23, 0), 30 * M), ams(2025, 3, 13, 9, 0))  # night
    assert_same(office.add(ams(2025, 3, 12, 17, 0), M), ams(2025, 3, 13, 8, 31))  # at closing time
    assert_same(office.add(ams(2025, 3, 12, 6, 0), 8 * H + 30 * M), ams(2025, 3, 12, 17, 0))


def test_zero_duration_is_due_at_once_even_at_night() -> None:
    office = cal(OFFICE)
    night = ams(2025, 3, 15, 3, 0)
    assert_same(office.add(night, timedelta(0)), night)
    assert_same(office.add(datetime(2025, 3, 15, 2, 0, tzinfo=UTC), timedelta(0)), night)


def test_negative_duration_counts_back_to_the_latest_instant() -> None:
    office = cal(OFFICE)
    assert_same(office.add(ams(2025, 3, 17, 9, 0), -H), ams(2025, 3, 14, 16, 30))
    # Exactly a day back from Monday's opening is Friday's opening, not Thursday's closing.
    assert_same(office.add(ams(2025, 3, 17, 8, 30), -8 * H - 30 * M), ams(2025, 3, 14, 8, 30))
    assert office.elapsed(ams(2025, 3, 17, 9, 0), ams(2025, 3, 14, 16, 30)) == -H


def test_elapsed_is_signed_and_zero_over_closed_time() -> None:
    office = cal(OFFICE)
    assert office.elapsed(ams(2025, 3, 14, 17, 0), ams(2025, 3, 17, 8, 30)) == timedelta(0)
    assert office.elapsed(ams(2025, 3, 17, 12, 0), ams(2025, 3, 17, 10, 0)) == -2 * H
    assert office.elapsed(ams(2025, 3, 10), ams(2025, 3, 17)) == 5 * (8 * H + 30 * M)


# -- DST ---------------------------------------------------------------------------------------------


def test_office_hours_across_dst_weekends() -> None:
    office = cal(OFFICE)
    # Spring forward (30 March 2025) and fall back (26 October 2025) happen on Sunday night.
    assert_same(office.add(ams(2025, 3, 28, 16, 0), 4 * H), ams(2025, 3, 31, 11, 30))
    assert_same(office.add(ams(2025, 10, 24, 16, 0), 4 * H), ams(2025, 10, 27, 11, 30))
    assert office.elapsed(ams(2025, 3, 28, 16, 0), ams(2025, 3, 31, 11, 30)) == 4 * H
    assert office.elapsed(ams(2025, 10, 24, 16, 0), ams(2025, 10, 27, 11, 30)) == 4 * H


def test_night_segments_across_spring_forward_count_real_hours() -> None:
    night = cal({"timezone": "Europe/Amsterdam", "hours": {"sat": ["22:00-24:00"], "sun": ["00:00-06:00"]}})
    # 22:00 CET to 06:00 CEST is seven real hours, one continuous shift across midnight.
    assert night.elapsed(ams(2025, 3, 29, 21, 0), ams(2025, 3, 30, 7, 0)) == 7 * H
    assert_same(night.add(ams(2025, 3, 29, 22, 0), 7 * H), ams(2025, 3, 30, 6, 0))
    assert_same(night.add(ams(2025, 3, 29, 23, 0), 3 * H), ams(2025, 3, 30, 3, 0))
    assert_same(night.add(ams(2025, 3, 29, 23, 0), H), ams(2025, 3, 30, 0, 0))
    assert night.is_open(ams(2025, 3, 30, 0, 0))
    assert night.is_open(ams(2025, 3, 30, 1, 59))
    assert night.is_open(ams(2025, 3, 30, 3, 0))


def test_night_segments_across_fall_back_count_real_hours() -> None:
    night = cal({"timezone": "Europe/Amsterdam", "hours": {"sat": ["22:00-24:00"], "sun": ["00:00-06:00"]}})
    assert night.elapsed(ams(2025, 10, 25, 21, 0), ams(2025, 10, 26, 7, 0)) == 9 * H
    assert_same(night.add(ams(2025, 10, 25, 22, 0), 9 * H), ams(2025, 10, 26, 6, 0))
    # Four hours after 23:00 CEST is the second 02:00 (CET).
    due = night.add(ams(2025, 10, 25, 23, 0), 4 * H)
    assert_same(due, ams(2025, 10, 26, 2, 0, fold=1))
    assert due.fold == 1


def test_segment_shortened_and_lengthened_by_dst() -> None:
    sunday = cal({"timezone": "Europe/Amsterdam", "hours": {"sun": ["01:00-04:00"]}})
    assert sunday.elapsed(ams(2025, 3, 30), ams(2025, 3, 31)) == 2 * H
    assert sunday.elapsed(ams(2025, 10, 26), ams(2025, 10, 27)) == 4 * H
    assert sunday.elapsed(ams(2025, 6, 1), ams(2025, 6, 2)) == 3 * H


def test_wall_time_in_the_spring_forward_gap_opens_when_the_clock_jumps() -> None:
    # 02:30 does not exist on 30 March 2025: the desk opens when the clock jumps to 03:00.
    gap = cal({"timezone": "Europe/Amsterdam", "hours": {"sun": ["02:30-04:00"]}})
    assert_same(gap.next_open(ams(2025, 3, 30, 0, 0)), ams(2025, 3, 30, 3, 0))
    assert gap.elapsed(ams(2025, 3, 30), ams(2025, 3, 31)) == H
    # A segment entirely inside the gap is empty; one ending in it closes at the jump.
    inside = cal({"timezone": "Europe/Amsterdam", "hours": {"sun": ["02:00-02:45", "05:00-06:00"]}})
    assert inside.elapsed(ams(2025, 3, 30), ams(2025, 3, 31)) == H
    ending = cal({"timezone": "Europe/Amsterdam", "hours": {"sun": ["01:00-02:30"]}})
    assert ending.elapsed(ams(2025, 3, 30), ams(2025, 3, 31)) == H
    assert_same(ending.add(ams(2025, 3, 30, 0, 0), H), ams(2025, 3, 30, 3, 0))


def test_ambiguous_wall_time_means_its_first_occurrence() -> None:
    # 02:00-03:00 happens twice on 26 October 2025; a boundary means the first time the clock shows it.
    closes = cal({"timezone": "Europe/Amsterdam", "hours": {"sun": ["01:00-02:30"]}})
    assert closes.elapsed(ams(2025, 10, 26), ams(2025, 10, 27)) == 90 * M
    assert closes.is_open(ams(2025, 10, 26, 2, 15, fold=0))
    assert not closes.is_open(ams(2025, 10, 26, 2, 15, fold=1))
    opens = cal({"timezone": "Europe/Amsterdam", "hours": {"sun": ["02:30-04:00"]}})
    assert_same(opens.next_open(ams(2025, 10, 26)), ams(2025, 10, 26, 2, 30, fold=0))
    assert opens.elapsed(ams(2025, 10, 26), ams(2025, 10, 27)) == 150 * M


def test_day_that_does_not_exist() -> None:
    # Samoa skipped 30 December 2011 when it crossed the date line.
    apia = cal({"timezone": "Pacific/Apia", "hours": {"mon-sun": ["09:00-17:00"]}})
    tz = ZoneInfo("Pacific/Apia")
    assert (
        apia.elapsed(datetime(2011, 12, 29, tzinfo=tz), datetime(2011, 12, 31, 23, 59, tzinfo=tz)) == 16 * H
    )
    assert_same(
        apia.add(datetime(2011, 12, 29, 16, 0, tzinfo=tz), 2 * H), datetime(2011, 12, 31, 10, 0, tzinfo=tz)
    )


def test_midnight_dst_change_keeps_a_full_day_continuous() -> None:
    # Chile springs forward at midnight: 7 September 2025 starts at 01:00.
    tz = ZoneInfo("America/Santiago")
    always = cal({"timezone": "America/Santiago", "hours": {"mon-sun": ["00:00-24:00"]}})
    start = datetime(2025, 9, 6, 12, 0, tzinfo=tz)
    assert always.elapsed(start, _shift(start, 48 * H)) == 48 * H
    assert always.add(start, 30 * H) == _shift(start, 30 * H)


def test_24x7_counts_real_time_across_dst_and_answers_in_its_zone() -> None:
    always = cal({"timezone": "Europe/Amsterdam", "hours": "24x7"})
    assert always.is_24x7
    assert_same(always.add(ams(2025, 3, 29, 23, 0), 4 * H), ams(2025, 3, 30, 4, 0))
    assert always.elapsed(ams(2025, 3, 29, 12, 0), ams(2025, 3, 30, 12, 0)) == 23 * H
    assert always.elapsed(ams(2025, 10, 25, 12, 0), ams(2025, 10, 26, 12, 0)) == 25 * H
    assert always.elapsed(ams(2025, 3, 30, 12, 0), ams(2025, 3, 29, 12, 0)) == -23 * H
    assert_same(always.add(datetime(2025, 7, 1, 10, 0, tzinfo=UTC), H), ams(2025, 7, 1, 13, 0))
    assert always.is_open(ams(2025, 12, 25, 3, 0))
    assert_same(always.next_open(datetime(2025, 7, 1, 10, 0, tzinfo=UTC)), ams(2025, 7, 1, 12, 0))
    assert always.add_epoch(1000.5, 60.0) == 1060.5
    assert always.elapsed_epoch(1000.0, 940.0) == -60.0
    assert always.add(ams(2025, 3, 29, 23, 0), timedelta(days=10**6)).year == 4763


# -- time zones ---------------------------------------------------------------------------------------


def test_same_instant_new_york_versus_kolkata() -> None:
    hours = {"mon-fri": ["09:00-17:00"]}
    new_york = cal({"timezone": "America/New_York", "hours": hours})
    kolkata = cal({"timezone": "Asia/Kolkata", "hours": hours})
    instant = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # Monday: 08:00 EDT, 17:30 IST
    assert not new_york.is_open(instant)
    assert not kolkata.is_open(instant)
    assert_same(new_york.add(instant, H), datetime(2025, 3, 10, 10, 0, tzinfo=NY))
    assert_same(kolkata.add(instant, H), datetime(2025, 3, 11, 10, 0, tzinfo=KOLKATA))
    assert kolkata.add(instant, H) == datetime(2025, 3, 11, 4, 30, tzinfo=UTC)
    # Half-hour offset: Kolkata opens at 03:30 UTC.
    assert kolkata.is_open(datetime(2025, 3, 11, 3, 30, tzinfo=UTC))
    assert not kolkata.is_open(datetime(2025, 3, 11, 3, 29, 59, 999999, tzinfo=UTC))
    # The US changed clocks on 9 March: Friday 16:00 EST + 2h is Monday 10:00 EDT.
    assert_same(
        new_york.add(datetime(2025, 3, 7, 16, 0, tzinfo=NY), 2 * H), datetime(2025, 3, 10, 10, 0, tzinfo=NY)
    )


def test_end_of_year() -> None:
    office = cal(NL_OFFICE)
    # New Year's Day 2026 is a Thursday.
    assert_same(office.add(ams(2025, 12, 31, 16, 0), 4 * H), ams(2026, 1, 2, 11, 30))
    assert office.elapsed(ams(2025, 12, 31, 16, 0), ams(2026, 1, 2, 11, 30)) == 4 * H
    night = cal({"timezone": "Europe/Amsterdam", "hours": {"wed": ["22:00-24:00"], "thu": ["00:00-06:00"]}})
    assert_same(night.add(ams(2025, 12, 31, 23, 0), 2 * H), ams(2026, 1, 1, 1, 0))


def test_chunk_boundaries_are_invisible() -> None:
    # The calendar caches open time in chunks of 2**45 µs; counting must not notice their edges.
    edge_us = (
        (ams(2025, 6, 1) - datetime(1970, 1, 1, tzinfo=UTC)) // US >> _calendar._BITS
    ) + 1 << _calendar._BITS
    edge = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=edge_us)
    always = cal({"timezone": "Europe/Amsterdam", "hours": {"mon-sun": ["00:00-24:00"]}})
    assert always.add(_shift(edge, -H), 2 * H) == _shift(edge, H)
    assert always.elapsed(_shift(edge, -H), _shift(edge, H)) == 2 * H
    assert always.add(_shift(edge, H), -2 * H) == _shift(edge, -H)
    assert always.is_open(edge)
    assert always.next_open(edge) == edge
    office = cal(NL_OFFICE)
    days = [_shift(edge, timedelta(days=n)) for n in range(-20, 21)]
    assert office.elapsed(days[0], days[-1]) == sum(
        (office.elapsed(a, b) for a, b in pairwise(days)), timedelta(0)
    )
    assert office.elapsed(days[0], office.add(days[0], 100 * H)) == 100 * H


def test_long_spans_cross_many_chunks() -> None:
    office = cal(NL_OFFICE)
    start = ams(2020, 1, 1)
    years = [ams(y, 1, 1) for y in range(2020, 2031)]
    total = office.elapsed(years[0], years[-1])
    assert total == sum((office.elapsed(a, b) for a, b in pairwise(years)), timedelta(0))
    assert office.elapsed(start, office.add(start, total)) == total
    assert office.elapsed(years[-1], years[0]) == -total


def test_microsecond_exact_in_any_year() -> None:
    office = cal(OFFICE)
    for year in (1901, 2025, 2300, 9000):
        start = datetime(year, 3, 14, 9, 0, 0, 123457, tzinfo=AMS)
        if start.weekday() >= 5:
            start = start.replace(day=13 if start.weekday() == 5 else 12)
        due = office.add(start, timedelta(hours=3, microseconds=1))
        assert due.time() == time(12, 0, 0, 123458)
        assert office.elapsed(start, due) == timedelta(hours=3, microseconds=1)


def test_epoch_variants_agree() -> None:
    office = cal(NL_OFFICE)
    start = ams(2025, 3, 14, 16, 0)
    assert office.add_epoch(start.timestamp(), 4 * 3600.0) == ams(2025, 3, 17, 11, 30).timestamp()
    assert office.elapsed_epoch(start.timestamp(), ams(2025, 3, 17, 11, 30).timestamp()) == 4 * 3600.0


def test_overflow_is_an_error_not_a_hang() -> None:
    office = cal(OFFICE)
    began = _time.perf_counter()
    with pytest.raises(OverflowError):
        office.add(ams(2025, 1, 1), timedelta.max)
    with pytest.raises(OverflowError):
        office.add(ams(2025, 1, 1), timedelta.min)
    with pytest.raises(OverflowError):
        office.add(datetime(9998, 12, 1, tzinfo=AMS), timedelta(days=800))
    assert _time.perf_counter() - began < 1.0


def test_naive_datetimes_are_refused() -> None:
    office = cal(OFFICE)
    naive = datetime(2025, 3, 14, 16, 0)
    for call in (
        lambda: office.add(naive, H),
        lambda: office.elapsed(naive, ams(2025, 3, 14)),
        lambda: office.is_open(naive),
        lambda: office.next_open(naive),
        lambda: cal({"timezone": "UTC", "hours": "24x7"}).add(naive, H),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


# -- construction --------------------------------------------------------------------------------------


def test_constructor_and_properties() -> None:
    calendar = BusinessCalendar(
        "desk",
        "Europe/Amsterdam",
        {0: [(720, 1020), (480, 720)], 4: [(480, 720)]},
        holiday_country="NL",
        closed_dates=[date(2025, 3, 3)],
        open_dates=[date(2025, 12, 25)],
    )
    assert calendar.name == "desk"
    assert calendar.timezone == "Europe/Amsterdam"
    assert calendar.tzinfo is AMS
    assert calendar.hours is not None
    assert calendar.hours[0] == ((480, 1020),)  # touching segments merged
    assert calendar.hours[1] == ()
    assert calendar.holiday_country == "NL"
    assert calendar.holiday_subdivision is None
    assert calendar.closed_dates == frozenset({date(2025, 3, 3)})
    assert calendar.open_dates == frozenset({date(2025, 12, 25)})
    assert not calendar.is_24x7
    assert "desk" in repr(calendar)


def test_calendar_is_immutable() -> None:
    calendar = cal(OFFICE)
    with pytest.raises(AttributeError):
        calendar.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        calendar._tz = ZoneInfo("UTC")
    with pytest.raises(AttributeError):
        del calendar._hours


@pytest.mark.parametrize(
    ("hours", "kwargs", "message"),
    [
        ({7: [(0, 60)]}, {}, "weekday must be 0"),
        ({0: [(600, 500)]}, {}, "0 <= start < end <= 1440"),
        ({0: [(600, 600)]}, {}, "0 <= start < end <= 1440"),
        ({0: [(0, 1441)]}, {}, "0 <= start < end <= 1440"),
        ({0: [(480, 720), (700, 800)]}, {}, "overlap"),
        ({}, {}, "no business hours"),
        ({0: []}, {}, "no business hours"),
        ({0: [(0, 60)]}, {"holiday_country": "XX"}, "unknown holiday country"),
        ({0: [(0, 60)]}, {"holiday_country": "DE", "holiday_subdivision": "XX"}, "unknown subdivision"),
        ({0: [(0, 60)]}, {"holiday_subdivision": "BY"}, "needs a holiday country"),
        ({0: [(0, 60)]}, {"closed_dates": [datetime(2025, 1, 1)]}, "must be dates"),
        ({0: [(0, 60, 90)]}, {}, "0 <= start < end <= 1440"),
        ({0: [(True, 60)]}, {}, "0 <= start < end <= 1440"),
        ({0: [("08:00", "17:00")]}, {}, "0 <= start < end <= 1440"),
    ],
)
def test_constructor_refuses_invalid_calendars(hours: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("bad", "Europe/Amsterdam", hours, **kwargs)


def test_constructor_refuses_unknown_time_zone() -> None:
    with pytest.raises(
        ValueError, match="unknown time zone 'Europe/Amsterdm'; did you mean 'Europe/Amsterdam'"
    ):
        BusinessCalendar("bad", "Europe/Amsterdm", None)
    with pytest.raises(ValueError, match="unknown time zone None"):
        BusinessCalendar("bad", None, None)  # type: ignore[arg-type]


def test_from_config_refuses_with_every_problem() -> None:
    with pytest.raises(ValueError, match=r"calendar 'x' is invalid: timezone: .*; hours\.mon\[0\]: "):
        cal({"timezone": "Mars/Olympus", "hours": {"mon": ["17:00-08:00"]}}, name="x")


def test_from_config_day_specs() -> None:
    calendar = cal(
        {"timezone": "UTC", "hours": {"mon-wed, fri": ["09:00-10:00"], "sat,sun": ["10:00-11:00"], "thu": []}}
    )
    assert calendar.hours == {
        0: ((540, 600),),
        1: ((540, 600),),
        2: ((540, 600),),
        3: (),
        4: ((540, 600),),
        5: ((600, 660),),
        6: ((600, 660),),
    }
    wrapped = cal({"timezone": "UTC", "hours": {"fri-mon": ["09:00-10:00"]}})
    assert wrapped.hours is not None
    assert [bool(wrapped.hours[d]) for d in range(7)] == [True, False, False, False, True, True, True]


def test_lazy_holiday_years(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = holidays.country_holidays

    def counting(country: str, **kwargs: Any) -> Any:
        if "years" in kwargs:
            asked.append(kwargs["years"])
        return real(country, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    office = cal(NL_OFFICE)
    office.add(ams(2025, 6, 2, 9, 0), 4 * H)
    office.add(ams(2025, 6, 3, 9, 0), 40 * H)
    assert asked
    assert all(2023 <= year <= 2027 for year in asked)
    assert len(asked) == len(set(asked))  # each year once


# -- check(): what JSON Schema cannot see ---------------------------------------------------------------


def check(config: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return BusinessCalendar.check(config)


def test_check_accepts_valid_calendars() -> None:
    assert check(NL_OFFICE) == []
    assert check({"timezone": "UTC", "hours": "24x7"}) == []
    assert (
        check(
            {
                "timezone": "America/New_York",
                "hours": {
                    "mon-fri": ["08:00-12:00", "12:00-17:00"],
                    "sat": ["22:00-24:00"],
                    "sun": ["00:00-06:00"],
                },
                "holidays": {
                    "country": "US",
                    "subdivision": "CA",
                    "dates": ["2025-12-24"],
                    "open": ["2025-07-04"],
                },
            }
        )
        == []
    )


def test_check_unknown_time_zone() -> None:
    assert check({"timezone": "europe/amsterdam", "hours": "24x7"}) == [
        (("timezone",), "unknown time zone 'europe/amsterdam'; did you mean 'Europe/Amsterdam'?")
    ]
    assert check({"timezone": "Nowhere/Special", "hours": "24x7"}) == [
        (("timezone",), "unknown time zone 'Nowhere/Special'; use an IANA name such as 'Europe/Amsterdam'")
    ]


def test_check_segment_ending_before_it_starts() -> None:
    assert check({"timezone": "UTC", "hours": {"mon": ["08:00-12:00", "22:00-06:00"]}}) == [
        (
            ("hours", "mon", 1),
            "'22:00-06:00' ends before it starts; write a segment across midnight as two, "
            "e.g. mon: ['22:00-24:00'] and tue: ['00:00-06:00']",
        )
    ]
    assert check({"timezone": "UTC", "hours": {"mon": ["09:00-09:00"]}}) == [
        (("hours", "mon", 0), "'09:00-09:00' is empty: it ends when it starts")
    ]


def test_check_overlapping_segments() -> None:
    assert check(
        {"timezone": "UTC", "hours": {"mon-fri": ["13:00-17:00", "08:30-12:00", "11:00-13:30"]}}
    ) == [
        (("hours", "mon-fri", 2), "'11:00-13:30' overlaps '08:30-12:00'"),
        (("hours", "mon-fri", 0), "'13:00-17:00' overlaps '11:00-13:30'"),
    ]


def test_check_weekday_given_twice() -> None:
    assert check({"timezone": "UTC", "hours": {"mon-fri": ["08:00-17:00"], "wed": ["09:00-12:00"]}}) == [
        (("hours", "wed"), "wed already given by 'mon-fri'; give each weekday once")
    ]
    assert check({"timezone": "UTC", "hours": {"sat,sun": [], "fri-sun": ["09:00-12:00"]}}) == [
        (("hours", "fri-sun"), "sat, sun already given by 'sat,sun'; give each weekday once")
    ]


def test_check_unknown_holiday_country_and_subdivision() -> None:
    assert check({"timezone": "UTC", "hours": "24x7", "holidays": {"country": "XX"}}) == [
        (
            ("holidays", "country"),
            "unknown holiday country 'XX'; use an ISO 3166 code that python-holidays knows, "
            "e.g. NL, BE, DE, GB, US",
        )
    ]
    [(path, message)] = check(
        {"timezone": "UTC", "hours": "24x7", "holidays": {"country": "DE", "subdivision": "XX"}}
    )
    assert path == ("holidays", "subdivision")
    assert message.startswith("unknown subdivision 'XX' of DE; known: BB, BE, BW, BY,")
    assert check({"timezone": "UTC", "hours": "24x7", "holidays": {"subdivision": "BY"}}) == [
        (("holidays", "subdivision"), "a subdivision needs a country, e.g. country: DE")
    ]


def test_check_no_business_hours() -> None:
    assert check({"timezone": "UTC", "hours": {"mon-sun": []}}) == [
        (("hours",), "no business hours at all: targets on this calendar would never be reached")
    ]


def test_check_bad_dates_are_reported_not_raised() -> None:
    config = {
        "timezone": "UTC",
        "hours": "24x7",
        "holidays": {
            "dates": ["2025-02-30", "tomorrow", 20250101, "2025-12-24"],
            "open": ["2025-12-24", "20251225"],
        },
    }
    hint = "is not a date; write YYYY-MM-DD, e.g. '2025-12-24'"
    assert check(config) == [
        (("holidays", "dates", 0), f"'2025-02-30' {hint}"),
        (("holidays", "dates", 1), f"'tomorrow' {hint}"),
        (("holidays", "dates", 2), f"20250101 {hint}"),
        (("holidays", "open", 1), f"'20251225' {hint}"),
    ]
    assert check(
        {"timezone": "UTC", "hours": "24x7", "holidays": {"dates": ["2025-12-24"], "open": ["2025-12-24"]}}
    ) == [(("holidays", "open", 0), "'2025-12-24' is listed both as closed and as open")]


def test_check_survives_garbage() -> None:
    assert check("office") == [((), "a calendar must be a map with 'timezone' and 'hours'")]
    assert check({"hours": {"someday": ["8-5"]}}) == [
        (("timezone",), "a calendar needs an IANA time zone, e.g. 'Europe/Amsterdam'"),
        (("hours", "someday"), "'someday' is not a weekday spec; write e.g. 'mon-fri' or 'sat,sun'"),
    ]
    assert check({"timezone": "UTC", "hours": {"mon": ["8-5", "25:00-26:00", "08:00-24:30"]}}) == [
        (("hours", "mon", 0), "'8-5' is not a segment; write 'HH:MM-HH:MM', e.g. '08:30-17:00'"),
        (
            ("hours", "mon", 1),
            "'25:00-26:00' is not a time of day; hours run 00:00 to 24:00 (24:00 only as an end)",
        ),
        (
            ("hours", "mon", 2),
            "'08:00-24:30' is not a time of day; hours run 00:00 to 24:00 (24:00 only as an end)",
        ),
    ]
    assert check({"timezone": "UTC", "hours": 24, "holidays": "NL"}) == [
        (("hours",), "'hours' must be '24x7' or a map of weekdays to 'HH:MM-HH:MM' segments"),
        (("holidays",), "'holidays' must be a map with country, subdivision, dates and open"),
    ]


def test_check_prefixes_paths() -> None:
    assert BusinessCalendar.check({"timezone": "UTC", "hours": {"mon": []}}, ("calendars", "office")) == [
        (
            ("calendars", "office", "hours"),
            "no business hours at all: targets on this calendar would never be reached",
        )
    ]


# -- laws, over random calendars ----------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Amsterdam",
    "Europe/London",
    "Europe/Dublin",  # negative DST in tzdata
    "America/New_York",
    "America/St_Johns",  # -03:30, DST
    "America/Santiago",  # DST changes at midnight
    "America/Havana",  # DST changes at midnight
    "Asia/Kolkata",  # +05:30
    "Asia/Tehran",  # +03:30, DST at midnight until 2022
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Chatham",  # +12:45
    "Pacific/Apia",  # skipped a whole day
    "Africa/Casablanca",  # DST suspended for Ramadan
    "Asia/Kathmandu",  # +05:45
]
HOLIDAYS = [None, ("NL", None), ("US", None), ("DE", "BY"), ("GB", None), ("AU", "NSW")]
LOWEST = datetime(2010, 1, 1, tzinfo=UTC)
HIGHEST = datetime(2035, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Boundaries near DST changes (01:00-04:00), at midnight and on ordinary office times.
minutes = st.one_of(
    st.sampled_from([0, 60, 90, 120, 150, 180, 210, 240, 510, 720, 780, 1020, 1380, 1410, 1440]),
    st.integers(0, 1440),
)


@st.composite
def day_segments(draw: st.DrawFn) -> list[tuple[int, int]]:
    points = sorted(draw(st.lists(minutes, max_size=6, unique=True)))
    segments = list(zip(points[::2], points[1::2], strict=False))
    if len(segments) > 1 and draw(st.booleans()):  # make two segments touch
        segments[1] = (segments[0][1], segments[1][1])
    return segments


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    span = (HIGHEST - LOWEST) // US
    utc = LOWEST + timedelta(microseconds=draw(st.integers(0, span)))
    zone = draw(st.sampled_from(["UTC", "Europe/Amsterdam", "Asia/Kolkata", *ZONES[-3:]]))
    return utc.astimezone(ZoneInfo(zone))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BusinessCalendar, dict[str, Any], datetime]:
    """A random calendar and a start instant, with closed and open dates near the start."""
    start = draw(instants())
    zone = draw(st.sampled_from(ZONES))
    always = draw(st.integers(0, 9)) == 0
    hours = None if always else {d: draw(day_segments()) for d in range(7)}
    if hours is not None and not any(hours.values()):
        hours[draw(st.integers(0, 6))] = [(540, 1020)]
    country = draw(st.sampled_from(HOLIDAYS))
    near = start.astimezone(ZoneInfo(zone)).date()
    offsets = st.integers(-3, 30).map(lambda n: near + timedelta(days=n))
    closed = draw(st.lists(offsets, max_size=8))
    opened = draw(st.lists(st.one_of(offsets, st.just(date(near.year, 12, 25))), max_size=3))
    spec = {"zone": zone, "hours": hours, "country": country, "closed": set(closed), "open": set(opened)}
    calendar = BusinessCalendar(
        "random",
        zone,
        hours,
        holiday_country=country[0] if country else None,
        holiday_subdivision=country[1] if country else None,
        closed_dates=closed,
        open_dates=opened,
    )
    return calendar, spec, start


durations = st.one_of(
    st.integers(0, 3 * 3600 * 10**6),
    st.integers(0, 20 * 86400 * 10**6),
    st.sampled_from([0, 1, 60 * 10**6, 3600 * 10**6, 8 * 3600 * 10**6]),
).map(lambda n: timedelta(microseconds=n))
signed_durations = st.tuples(durations, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])
LAWS = settings(max_examples=300, deadline=None)


@LAWS
@given(scenarios(), signed_durations)
def test_law_elapsed_inverts_add(scenario: Any, duration: timedelta) -> None:
    calendar, _, start = scenario
    due = calendar.add(start, duration)
    assert due.tzinfo is calendar.tzinfo
    assert calendar.elapsed(start, due) == duration


@LAWS
@given(scenarios(), durations, durations)
def test_law_add_is_monotonic_in_duration(scenario: Any, first: timedelta, second: timedelta) -> None:
    calendar, _, start = scenario
    shorter, longer = sorted((first, second))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)
    assert calendar.add(start, -longer) <= calendar.add(start, -shorter)


@LAWS
@given(scenarios(), signed_durations, st.integers(0, 10 * 86400 * 10**6))
def test_law_add_is_monotonic_in_start(scenario: Any, duration: timedelta, later_us: int) -> None:
    calendar, _, start = scenario
    later = _shift(start, timedelta(microseconds=later_us))
    assert calendar.add(start, duration) <= calendar.add(later, duration)


@LAWS
@given(scenarios(), durations)
def test_law_results_never_land_in_closed_time(scenario: Any, duration: timedelta) -> None:
    calendar, _, start = scenario
    assume(duration > timedelta(0))
    due = calendar.add(start, duration)
    # Forwards: inside a segment or at its end, and the earliest such instant.
    assert calendar.is_open(_shift(due, -US))
    assert calendar.elapsed(start, _shift(due, -US)) == duration - US
    # Backwards: inside a segment or at its start, and the latest such instant.
    back = calendar.add(start, -duration)
    assert calendar.is_open(back)
    assert calendar.elapsed(_shift(back, US), start) == duration - US


@LAWS
@given(scenarios(), instants(), instants())
def test_law_elapsed_is_additive_and_antisymmetric(scenario: Any, b: datetime, c: datetime) -> None:
    calendar, _, a = scenario
    assert calendar.elapsed(a, b) + calendar.elapsed(b, c) == calendar.elapsed(a, c)
    assert calendar.elapsed(b, a) == -calendar.elapsed(a, b)
    first, last = sorted((a, b))
    assert timedelta(0) <= calendar.elapsed(first, last) <= last - first


@LAWS
@given(scenarios(), durations)
def test_law_open_and_next_open_agree_with_elapsed(scenario: Any, step: timedelta) -> None:
    calendar, _, start = scenario
    probe = _shift(start, step)
    assert calendar.is_open(probe) == (calendar.elapsed(probe, _shift(probe, US)) == US)
    opening = calendar.next_open(probe)
    assert opening >= probe
    assert calendar.is_open(opening)
    assert calendar.elapsed(probe, opening) == timedelta(0)
    assert (opening == probe) == calendar.is_open(probe)


@LAWS
@given(scenarios(), signed_durations)
def test_law_epoch_variants_match(scenario: Any, duration: timedelta) -> None:
    calendar, _, start = scenario
    start = start.replace(microsecond=0)
    duration = timedelta(seconds=duration // timedelta(seconds=1))
    due = calendar.add(start, duration)
    assert calendar.add_epoch(start.timestamp(), duration.total_seconds()) == due.timestamp()
    assert calendar.elapsed_epoch(start.timestamp(), due.timestamp()) == duration.total_seconds()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), instants(), durations)
def test_law_a_calendar_open_all_day_is_real_time(zone: str, start: datetime, duration: timedelta) -> None:
    full = BusinessCalendar("full", zone, {d: [(0, 720), (720, 1440)] for d in range(7)})
    assert full.add(start, duration) == _shift(start, duration)
    assert full.elapsed(start, _shift(start, duration)) == duration
    assert full.is_open(start)


# -- an independent oracle ---------------------------------------------------------------------------------
# Open intervals worked out the slow, obvious way: for each local day and segment, find the first
# instant whose wall clock shows the boundary or later by trying every UTC offset the zone uses around
# that day, and by stepping minute by minute through a gap. No fold arithmetic, no bisect, no chunks.


def _offsets_around(tz: ZoneInfo, day: date) -> set[timedelta]:
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    found = {(noon + timedelta(minutes=30 * n)).astimezone(tz).utcoffset() for n in range(-96, 97)}
    return {offset for offset in found if offset is not None}


def _oracle_boundary(tz: ZoneInfo, day: date, minute: int, offsets: set[timedelta]) -> int:
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    guess = wall.replace(tzinfo=UTC)
    found = []
    for offset in offsets:
        candidate = guess - offset
        if candidate.astimezone(tz).replace(tzinfo=None) == wall:
            found.append(candidate)
    if not found:  # a gap: walk to the moment the clock jumps past the wall time
        candidate = min(guess - offset for offset in offsets)
        while candidate.astimezone(tz).replace(tzinfo=None) < wall:
            candidate += M
        while (candidate - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) >= wall:
            candidate -= timedelta(seconds=1)
        found.append(candidate)
    return (min(found) - EPOCH) // US


def _oracle_intervals(spec: dict[str, Any], first: date, last: date) -> list[tuple[int, int]]:
    tz = ZoneInfo(spec["zone"])
    closed = set(spec["closed"])
    if spec["country"]:
        country, subdivision = spec["country"]
        closed |= set(
            holidays.country_holidays(country, subdiv=subdivision, years=range(first.year - 1, last.year + 2))
        )
    closed -= set(spec["open"])
    intervals: list[tuple[int, int]] = []
    day = first
    while day <= last:
        if day not in closed and spec["hours"][day.weekday()]:
            offsets = _offsets_around(tz, day)
            for start, end in spec["hours"][day.weekday()]:
                a, b = _oracle_boundary(tz, day, start, offsets), _oracle_boundary(tz, day, end, offsets)
                if b <= a:
                    continue
                if intervals and a <= intervals[-1][1]:
                    intervals[-1] = (intervals[-1][0], max(b, intervals[-1][1]))
                else:
                    intervals.append((a, b))
        day += timedelta(days=1)
    return intervals


def _oracle_add(intervals: list[tuple[int, int]], start: int, amount: int) -> int | None:
    for a, b in intervals:
        if b <= start:
            continue
        begin = max(a, start)
        if amount <= b - begin:
            return begin + amount
        amount -= b - begin
    return None


@settings(max_examples=150, deadline=None)
@given(scenarios(), durations, st.integers(0, 6 * 86400 * 10**6))
def test_matches_an_independent_oracle(scenario: Any, duration: timedelta, window_us: int) -> None:
    calendar, spec, start = scenario
    assume(spec["hours"] is not None)
    assume(duration > timedelta(0))
    tz = ZoneInfo(spec["zone"])
    local = start.astimezone(tz).date()
    intervals = _oracle_intervals(spec, local - timedelta(days=2), local + timedelta(days=40))
    s = (start - EPOCH) // US
    end = s + window_us
    expected_elapsed = sum(max(0, min(b, end) - max(a, s)) for a, b in intervals)
    assert calendar.elapsed(start, EPOCH + timedelta(microseconds=end)) == timedelta(
        microseconds=expected_elapsed
    )
    due = _oracle_add(intervals, s, duration // US)
    assume(due is not None)
    assert due is not None
    assert calendar.add(start, duration) == EPOCH + timedelta(microseconds=due)


def test_holiday_observed_in_a_neighbouring_year_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Some python-holidays versions file "New Year's Day (observed)" on 31 December under the next year.
    def fake(country: str, **kwargs: Any) -> dict[date, str]:
        return (
            {date(2022, 1, 1): "New Year's Day", date(2021, 12, 31): "New Year's Day (observed)"}
            if kwargs.get("years") == 2022
            else {}
        )

    monkeypatch.setattr(holidays, "country_holidays", fake)
    desk = BusinessCalendar(
        "us", "America/New_York", {d: [(540, 1020)] for d in range(5)}, holiday_country="US"
    )
    assert not desk.is_open(datetime(2021, 12, 31, 10, 0, tzinfo=NY))
    assert desk.is_open(datetime(2021, 12, 30, 10, 0, tzinfo=NY))


def test_pickle_and_copy_rebuild_an_equivalent_calendar() -> None:
    office = cal({**OFFICE, "holidays": {"country": "NL", "dates": ["2026-04-28"], "open": ["2025-12-26"]}})
    office.add(ams(2025, 12, 24, 16, 0), 4 * H)  # fill the caches first
    for twin in (pickle.loads(pickle.dumps(office)), copy.deepcopy(office), copy.copy(office)):
        assert twin.hours == office.hours
        assert (twin.holiday_country, twin.closed_dates, twin.open_dates) == (
            office.holiday_country,
            office.closed_dates,
            office.open_dates,
        )
        assert_same(twin.add(ams(2025, 12, 24, 16, 0), 4 * H), ams(2025, 12, 26, 11, 30))
