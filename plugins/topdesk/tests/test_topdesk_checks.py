"""What TOPdesk's own lists say about a ruleset: durations that contradict promises, bad mappings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from matrixcore_topdesk import TopdeskSettings, duration_of, ruleset_problems
from matrixcore_topdesk.testing import TopdeskEmulator, fixed_id
from topdesk_support import call, make_settings

from matrixcore import Problem, Ruleset


def problems_for(emulator: TopdeskEmulator, ruleset: Ruleset, settings: TopdeskSettings) -> list[Problem]:
    lists: dict[str, Any] = {
        dimension: call(emulator, "GET", f"/tas/api/incidents/{path}").body
        for dimension, path in (("impact", "impacts"), ("urgency", "urgencies"), ("priority", "priorities"))
    }
    durations = call(emulator, "GET", "/tas/api/incidents/durations").body
    return ruleset_problems(ruleset, settings, lists, durations)


def test_a_consistent_desk_has_nothing_to_say(emulator: TopdeskEmulator, quickstart: Ruleset) -> None:
    assert problems_for(emulator, quickstart, make_settings()) == []


def test_a_shorter_topdesk_duration_contradicts_the_promises(
    emulator: TopdeskEmulator, quickstart: Ruleset
) -> None:
    duration = next(d for d in emulator.store.catalog["durations"] if d["name"] == "8 uur")
    duration.update(basicPeriods=30, timeSpanType="minutes")
    found = problems_for(emulator, quickstart, make_settings())
    assert [p.dotted_path for p in found] == ["priorities.P2.pickup.within", "priorities.P2.resolve.within"]
    pickup = found[0]
    assert pickup.severity == "warning"
    assert pickup.file.endswith("rules.yaml")
    assert pickup.line is not None
    assert "promises pickup within 1h" in pickup.message
    assert "'P2 Hoog'" in pickup.message
    assert "30 minutes" in pickup.message
    assert "overdue" in pickup.message


def test_a_shorter_second_line_duration_is_reported_as_such(
    emulator: TopdeskEmulator, quickstart: Ruleset
) -> None:
    catalog = emulator.store.catalog
    catalog["durations"].append(
        {"id": fixed_id("duration", "2 uur"), "name": "2 uur", "basicPeriods": 2, "timeSpanType": "hours"}
    )
    p2 = next(p for p in catalog["priorities"] if p["name"] == "P2 Hoog")
    p2["secondLineDuration"] = {"id": fixed_id("duration", "2 uur"), "name": "2 uur"}
    (found,) = problems_for(emulator, quickstart, make_settings())
    assert found.dotted_path == "priorities.P2.resolve.within"  # 8h promised; pickup (1h) is fine
    assert "TOPdesk's own second-line duration for priority 'P2 Hoog' is 2 uur (2 hours)" in found.message


def test_days_count_as_open_days_of_the_targets_calendar(
    emulator: TopdeskEmulator, quickstart: Ruleset
) -> None:
    # P4 resolves within 40h of office time; one working day there is 8.5h, so 4 days (34h) is too short.
    duration = next(d for d in emulator.store.catalog["durations"] if d["name"] == "5 werkdagen")
    duration["basicPeriods"] = 4
    found = problems_for(emulator, quickstart, make_settings())
    assert [p.dotted_path for p in found] == ["priorities.P4.resolve.within"]
    assert "= 1d10h" in found[0].message


def test_unreadable_durations_are_reported_not_guessed(
    emulator: TopdeskEmulator, quickstart: Ruleset
) -> None:
    duration = next(d for d in emulator.store.catalog["durations"] if d["name"] == "4 uur")
    duration["timeSpanType"] = "fortnights"
    found = problems_for(emulator, quickstart, make_settings())
    assert [p.dotted_path for p in found] == ["priorities.P1"]
    assert "cannot read TOPdesk's duration '4 uur'" in found[0].message


def test_mapped_names_topdesk_lacks_are_errors(emulator: TopdeskEmulator, quickstart: Ruleset) -> None:
    settings = make_settings(
        mappings={
            "impact": {
                "person": "Persoon",
                "organisation": "Organisatie",
                "branch": "Vestiging",
                "department": "Afdeling",
                "group": "Team",
                "nobody": "Persoon",
            },
            "urgency": {"high": "Hoog", "normal": "Normaal"},
        },
        write=["impact", "urgency"],
    )
    found = problems_for(emulator, quickstart, settings)
    messages = {(p.dotted_path, p.severity): p.message for p in found}
    assert (
        "TOPdesk has no impact named 'team'"
        in messages[("connections.topdesk-test.mappings.impact.group", "error")]
    )
    assert (
        "'nobody' is not a ruleset impact"
        in messages[("connections.topdesk-test.mappings.impact.nobody", "error")]
    )
    assert (
        "urgency 'low' maps to no TOPdesk urgency"
        in messages[("connections.topdesk-test.mappings.urgency", "warning")]
    )
    assert not any("priority" in p.dotted_path for p in found)  # not written, not mapped: fine


def test_a_name_only_read_that_topdesk_no_longer_lists_is_a_warning(
    emulator: TopdeskEmulator, quickstart: Ruleset
) -> None:
    settings = make_settings(
        mappings={
            "impact": {
                "organisation": "Organisatie",
                "branch": "Vestiging",
                "department": "Afdeling",
                "group": "Groep",
                "person": ["Persoon", "Eén persoon"],  # the second is an archived entry
            },
        },
        write=["impact"],
    )
    (found,) = problems_for(emulator, quickstart, settings)
    assert (found.dotted_path, found.severity) == (
        "connections.topdesk-test.mappings.impact.person",
        "warning",
    )
    assert "only read" in found.message


def test_an_absent_mapping_for_a_written_dimension_is_a_warning(
    emulator: TopdeskEmulator, quickstart: Ruleset
) -> None:
    settings = make_settings(mappings={"impact": {}, "urgency": {}, "priority": {}})
    found = problems_for(emulator, quickstart, settings)
    assert {p.dotted_path for p in found} == {
        f"connections.topdesk-test.mappings.{d}" for d in ("impact", "urgency", "priority")
    }
    assert all(p.severity == "warning" for p in found)


@pytest.mark.parametrize(
    ("record", "amount", "unit"),
    [
        ({"name": "2 uur", "basicPeriods": 2, "timeSpanType": "hours"}, 2, "hours"),
        ({"name": "x", "basicPeriods": 3, "timeSpanType": "Dagen"}, 3, "days"),
        ({"name": "x", "basicPeriods": 1.5, "timeSpanType": " Weeks "}, 1.5, "weeks"),
        ({"name": "x", "basicPeriods": 90, "timeSpanType": "minuten"}, 90, "minutes"),
    ],
)
def test_duration_records(record: dict[str, Any], amount: float, unit: str) -> None:
    duration = duration_of(record)
    assert duration is not None
    assert (duration.amount, duration.unit) == (amount, unit)


@pytest.mark.parametrize(
    "record",
    [
        None,
        {},
        {"basicPeriods": 2},
        {"basicPeriods": "2", "timeSpanType": "hours"},
        {"basicPeriods": -1, "timeSpanType": "hours"},
        {"basicPeriods": True, "timeSpanType": "hours"},
    ],
)
def test_unusable_duration_records(record: Any) -> None:
    assert duration_of(record) is None


def test_a_week_is_the_open_hours_of_a_week(quickstart: Ruleset) -> None:
    week = duration_of({"basicPeriods": 1, "timeSpanType": "weeks"})
    assert week is not None
    assert week.business_time(quickstart.calendars["office"]) == timedelta(hours=42.5)
    assert week.business_time(quickstart.calendars["always"]) == timedelta(weeks=1)
    assert str(week) == "1 weeks"


def test_fixed_ids_are_stable() -> None:
    assert fixed_id("impact", "Persoon") == fixed_id("impact", "Persoon") != fixed_id("impact", "Groep")
