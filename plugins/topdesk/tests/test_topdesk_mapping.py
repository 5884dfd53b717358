"""TOPdesk incident JSON -> Ticket and matrix levels -> TOPdesk's partial update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from matrixcore_topdesk import IncidentMappingError, incident_to_ticket, write_payload
from matrixcore_topdesk._mapping import fetch_fields, language_tag, parse_time
from matrixcore_topdesk.testing import TopdeskEmulator, fixed_id
from matrixcore_topdesk.testing._emulator import _render
from topdesk_support import make_settings, recorded

from matrixcore import AdapterError, Engine, PriorityChange, Ruleset


def _payload(emulator: TopdeskEmulator, **fields: Any) -> dict[str, Any]:
    record = emulator.store.add_incident(**fields)
    rendered: dict[str, Any] = _render(record, False)
    return rendered


def test_recorded_incident_maps_with_its_nulls_and_plus0000_times() -> None:
    payload = recorded("topdesk_incident.json")
    ticket = incident_to_ticket(payload, make_settings())
    assert ticket.id == "some-test-id-1"
    assert ticket.number == "TEST-1"
    assert ticket.created == datetime(
        2021, 2, 11, 6, 32, 36, 303000, tzinfo=UTC
    )  # callDate, not creationDate
    assert ticket.updated == datetime(2021, 2, 11, 6, 32, 36, tzinfo=UTC)
    assert ticket.channel == "automation"  # unmapped entry types pass through in lower case
    assert ticket.requester.name == "testing"
    assert ticket.requester.address == ""
    assert (ticket.impact, ticket.urgency, ticket.priority) == (None, None, None)
    assert ticket.status == "Logged"
    assert ticket.first_response is None
    assert ticket.resolved is None
    assert ticket.paused_since is None
    assert ticket.subject == ""
    assert ticket.description == ""
    assert ticket.custom["affected_users"] == 0.0  # optionalFields1.number1
    assert ticket.raw["number"] == "TEST-1"


def test_recorded_incident_classifies_with_the_quickstart_rules(quickstart: Ruleset) -> None:
    ticket = incident_to_ticket(recorded("topdesk_incident.json"), make_settings())
    decision = Engine(quickstart).classify(ticket, ticket.created + timedelta(minutes=5))
    assert (decision.impact, decision.urgency) == ("person", "normal")
    assert decision.priority == "P4"


def test_lookups_map_to_levels_without_regard_to_case(emulator: TopdeskEmulator) -> None:
    payload = _payload(emulator, impact="Afdeling", urgency="Hoog", priority="P2 Hoog")
    payload["urgency"]["name"] = "HOOG"
    ticket = incident_to_ticket(payload, make_settings())
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("department", "high", "P2")
    assert ticket.custom["topdesk_priority"] == "P2 Hoog"


def test_a_level_may_have_several_topdesk_names() -> None:
    settings = make_settings(
        mappings={"impact": {"person": ["Eén persoon", "Persoon"]}, "urgency": {}, "priority": {}}
    )
    legacy = {"id": "x", "callDate": "2024-01-01T10:00:00.000+0000", "impact": {"id": "i", "name": "persoon"}}
    assert incident_to_ticket(legacy, settings).impact == "person"
    assert settings.level_map("impact").vendor("person") == "Eén persoon"


def test_unknown_lookup_values_read_as_unset(emulator: TopdeskEmulator) -> None:
    payload = _payload(emulator)
    payload["impact"] = {"id": "1", "name": "Heel de wereld"}
    assert incident_to_ticket(payload, make_settings()).impact is None


def test_channel_requester_language_vip_and_custom_fields(emulator: TopdeskEmulator) -> None:
    payload = _payload(
        emulator,
        brief_description="Outlook start niet",
        caller="Anna de Vries",
        email="anna@example.nl",
        entry_type="Telefoon",
        optionalFields1={"text1": "Nederlands", "boolean1": True, "number1": 12.0},
        request="Sinds vanochtend",
    )
    ticket = incident_to_ticket(payload, make_settings())
    assert ticket.channel == "phone"
    assert ticket.subject == "Outlook start niet"
    assert ticket.description == "Sinds vanochtend"
    assert ticket.requester.name == "Anna de Vries"
    assert ticket.requester.address == "anna@example.nl"
    assert ticket.requester.language == "nl"
    assert ticket.requester.vip is True
    assert ticket.custom["affected_users"] == 12.0
    assert ticket.get("affected_users") == 12.0


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("nl", "nl"),
        ("en-GB", "en-GB"),
        ("nl_NL", "nl_NL"),
        ("Nederlands", "nl"),
        ("English", "en"),
        ("Deutsch", "de"),
        ({"id": "1", "name": "Français"}, "fr"),
        ("", ""),
        (None, ""),
        ("Klingon?", ""),
    ],
)
def test_language_names_become_tags(value: Any, tag: str) -> None:
    assert language_tag(value) == tag


def test_configured_channel_names_override_the_defaults(emulator: TopdeskEmulator) -> None:
    settings = make_settings(mappings={"channels": {"E-mail": "portal"}})
    assert incident_to_ticket(_payload(emulator, entry_type="E-mail"), settings).channel == "portal"


def test_on_hold_pauses_the_clock_from_its_date(emulator: TopdeskEmulator) -> None:
    since = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    payload = _payload(emulator, onHold=True, onHoldDate=since, onHoldDuration=30)
    ticket = incident_to_ticket(payload, make_settings())
    assert ticket.paused_since == since
    assert ticket.paused_seconds == 30 * 60


def test_a_configured_pause_status_pauses_even_without_on_hold(emulator: TopdeskEmulator) -> None:
    payload = _payload(emulator, status="Wacht op klant")
    payload["onHold"] = False
    ticket = incident_to_ticket(payload, make_settings())
    assert ticket.paused_since == ticket.updated
    assert (
        incident_to_ticket(_payload(emulator, status="In behandeling"), make_settings()).paused_since is None
    )


def test_response_and_completion(emulator: TopdeskEmulator) -> None:
    responded = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    done = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    payload = _payload(emulator, responded=True, responseDate=responded, completed=True, completedDate=done)
    ticket = incident_to_ticket(payload, make_settings())
    assert ticket.first_response == responded
    assert ticket.resolved == done
    payload = _payload(emulator, responded=True)  # responded without a date: bounded by the last change
    assert (
        incident_to_ticket(payload, make_settings()).first_response
        == incident_to_ticket(payload, make_settings()).updated
    )


def test_tolerates_garbage_and_iso8601_times() -> None:
    payload = {
        "id": "abc",
        "callDate": "not a time",
        "creationDate": "2024-03-01T08:00:00Z",
        "modificationDate": None,
        "caller": None,
        "entryType": None,
        "onHoldDuration": None,
        "impact": "Persoon",  # a bare string where an object belongs
        "unexpected": {"nested": [1, 2]},
    }
    ticket = incident_to_ticket(payload, make_settings())
    assert ticket.created == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert ticket.updated is None
    assert ticket.impact == "person"
    assert ticket.requester.name == ""
    assert ticket.channel == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T10:00:00.000+0000", datetime(2024, 1, 1, 10, tzinfo=UTC)),  # TOPdesk's default
        ("2015-11-15T14:00:00.000+0200", datetime(2015, 11, 15, 12, tzinfo=UTC)),  # the description's
        ("2020-10-01T14:10:00Z", datetime(2020, 10, 1, 14, 10, tzinfo=UTC)),  # dateFormat=iso8601
        ("2022-04-26T08:21:48.520Z", datetime(2022, 4, 26, 8, 21, 48, 520000, tzinfo=UTC)),  # actions
        ("2015-10-28T10:30:00.000", datetime(2015, 10, 28, 10, 30, tzinfo=UTC)),  # no offset: UTC
        ("", None),
        ("31-12-2024 10:00", None),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ],
)
def test_topdesk_time_formats(text: Any, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_an_incident_without_id_or_any_time_is_refused() -> None:
    with pytest.raises(IncidentMappingError, match="without an id"):
        incident_to_ticket({"callDate": "2024-01-01T00:00:00Z"}, make_settings())
    with pytest.raises(IncidentMappingError, match="no callDate"):
        incident_to_ticket({"id": "x", "callDate": None}, make_settings())


def test_fetch_fields_add_the_roots_of_configured_paths() -> None:
    fields = fetch_fields(make_settings())
    assert "optionalFields1" in fields
    assert "modificationDate" in fields
    assert len(fields) == len(set(fields))


def _resolver(dimension: str, name: str) -> str:
    return fixed_id(dimension, name)


def test_write_payload_sends_only_what_differs_by_id(emulator: TopdeskEmulator) -> None:
    ticket = incident_to_ticket(
        _payload(emulator, impact="Persoon", urgency="Normaal", priority="P4 Laag"), make_settings()
    )
    same = PriorityChange(impact="person", urgency="normal", priority="P4")
    assert write_payload(ticket, same, make_settings(), _resolver) == {}
    body = write_payload(ticket, PriorityChange(priority="P3"), make_settings(), _resolver)
    assert body == {"priority": {"id": fixed_id("priority", "P3 Normaal")}}


def test_priority_goes_along_with_impact_so_topdesks_matrix_cannot_override_it(
    emulator: TopdeskEmulator,
) -> None:
    ticket = incident_to_ticket(
        _payload(emulator, impact="Persoon", urgency="Normaal", priority="P4 Laag"), make_settings()
    )
    change = PriorityChange(impact="department", urgency="normal", priority="P4")
    body = write_payload(ticket, change, make_settings(), _resolver)
    assert body == {
        "impact": {"id": fixed_id("impact", "Afdeling")},
        "priority": {"id": fixed_id("priority", "P4 Laag")},
    }
    without = make_settings(write=["impact", "urgency"])
    assert write_payload(ticket, change, without, _resolver) == {
        "impact": {"id": fixed_id("impact", "Afdeling")}
    }


def test_an_unchanged_priority_is_pinned_when_only_impact_changes(emulator: TopdeskEmulator) -> None:
    # The sync sends only what changed; TOPdesk would otherwise re-derive the priority from its matrix.
    ticket = incident_to_ticket(
        _payload(emulator, impact="Groep", urgency="Hoog", priority="P2 Hoog"), make_settings()
    )
    body = write_payload(ticket, PriorityChange(impact="department"), make_settings(), _resolver)
    assert body == {
        "impact": {"id": fixed_id("impact", "Afdeling")},
        "priority": {"id": fixed_id("priority", "P2 Hoog")},
    }
    unset = incident_to_ticket(_payload(emulator, impact="Groep"), make_settings())
    assert write_payload(unset, PriorityChange(impact="person"), make_settings(), _resolver) == {
        "impact": {"id": fixed_id("impact", "Persoon")}
    }


def test_an_unmapped_level_is_a_clear_error(emulator: TopdeskEmulator) -> None:
    ticket = incident_to_ticket(_payload(emulator), make_settings())
    with pytest.raises(AdapterError, match="no TOPdesk priority is mapped for 'P9'"):
        write_payload(ticket, PriorityChange(priority="P9"), make_settings(), _resolver)
