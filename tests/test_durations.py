from datetime import timedelta

import pytest

from matrixcore import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(days=7)),
        ("1.5h", timedelta(minutes=90)),
        ("PT4H", timedelta(hours=4)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        (90, timedelta(seconds=90)),
        ("0m", timedelta(0)),
    ],
)
def test_durations_people_write_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4", "4x", "h4", "P", "PT", "-5m", -1, True, "four hours"])
def test_bad_durations_say_what_to_write(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "delta", [timedelta(minutes=15), timedelta(hours=1, minutes=30), timedelta(days=2, seconds=5)]
)
def test_format_round_trips(delta):
    assert parse_duration(format_duration(delta)) == delta
