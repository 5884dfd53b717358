"""Safe templates: placeholders only, dates in the requester's language and zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matrixcore._templates import Template, TemplateError, check_date_pattern, date_pattern, pick_language

AMS = ZoneInfo("Europe/Amsterdam")
WHEN = datetime(2025, 11, 24, 13, 0, tzinfo=UTC)  # a Monday, 14:00 in Amsterdam


def test_dutch_dates_read_naturally():
    template = Template.parse("We pakken {ticket.number} uiterlijk {pickup_by} op.")
    text = template.render({"ticket.number": "I 2511 042", "pickup_by": WHEN}, "nl", AMS)
    assert text == "We pakken I 2511 042 uiterlijk maandag 24 november om 14:00 op."


def test_english_dates_and_requester_time_zone():
    template = Template.parse("By {pickup_by}.")
    assert (
        template.render({"pickup_by": WHEN}, "en", ZoneInfo("America/New_York"))
        == "By Monday 24 November at 08:00."
    )


def test_explicit_date_format_and_durations():
    template = Template.parse("{pickup_by:yyyy-MM-dd HH:mm} ({pickup_within})")
    text = template.render({"pickup_by": WHEN, "pickup_within": timedelta(hours=1, minutes=30)}, "en", AMS)
    assert text == "2025-11-24 14:00 (1h30m)"


def test_literal_braces_and_missing_values():
    template = Template.parse("{{not a placeholder}} {reason}")
    assert template.render({}, "en") == "{not a placeholder} "


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{ticket.__class__}", "unknown placeholder"),
        ("{ticket.numbr}", "did you mean {ticket.number}"),
        ("{ticket.number!r}", "conversions are not allowed"),
        ("{ticket.number:>10}", "only dates take a format"),
        ("{ticket[0]}", "unknown placeholder"),
        ("{pickup_by:{x}}", "nested placeholders"),
        ("unclosed {", "literal braces"),
        ("{0}", "unknown placeholder"),
        ("{}", "unknown placeholder"),
    ],
)
def test_templates_cannot_reach_attributes_or_run_code(text, message):
    with pytest.raises(TemplateError, match=message.replace("{", r"\{").replace("}", r"\}")):
        Template.parse(text)


def test_ticket_text_is_data_not_template():
    # A requester who writes braces in a subject gets them back verbatim.
    template = Template.parse("Re: {ticket.subject}")
    assert (
        template.render({"ticket.subject": "{pickup_by.__globals__}"}, "en") == "Re: {pickup_by.__globals__}"
    )


def test_language_choice_prefers_exact_then_language_then_fallback():
    assert pick_language(["nl", "en", "nl-be"], "nl-BE", "en") == "nl-be"
    assert pick_language(["nl", "en"], "nl_NL", "en") == "nl"
    assert pick_language(["nl", "en"], "de", "en") == "en"
    assert pick_language(["nl"], "de", "en") is None


def test_default_patterns_and_pattern_checks():
    assert "om" in date_pattern("nl")
    assert date_pattern("xx-unknown") == date_pattern("en")
    assert check_date_pattern("EEEE d MMMM") is None
    assert check_date_pattern("'no fields'") is not None


def test_one_instant_is_shown_in_each_zone_asked_even_after_it_was_formatted_once() -> None:
    template = Template.parse("{pickup_by:HH:mm}")
    instant = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    as_amsterdam = instant.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert template.render({"pickup_by": instant}, "en") == "09:00"
    assert template.render({"pickup_by": as_amsterdam}, "en") == "10:00"  # equal datetimes, other zone
    assert template.render({"pickup_by": instant}, "en", ZoneInfo("America/New_York")) == "04:00"
