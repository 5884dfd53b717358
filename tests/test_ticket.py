"""The normalised ticket: built from plain data, read by dotted paths, round-tripped."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from matrixcore import Requester, Ticket
from matrixcore._ticket import field_type, parse_instant


def test_from_dict_parses_vendor_times_and_keeps_unknown_fields():
    ticket = Ticket.from_dict(
        {
            "id": "42",
            "created": "2024-01-01T10:00:00.000+0000",  # TOPdesk's not-quite RFC 3339
            "first_response": "2024-01-01T11:30:00Z",
            "updated": "2024-01-02 09:00:00",  # naive: taken in the default zone
            "requester": {"name": "Anna", "email": "anna@example.org", "language": "nl", "vip": "ja"},
            "impact": "",
            "priority": "P2",
            "affected_users": 60,
            "paused_seconds": "120",
        },
        source="export",
        default_tz=ZoneInfo("Europe/Amsterdam"),
    )
    assert ticket.key == "export:42"
    assert ticket.created == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert ticket.first_response - ticket.created == timedelta(minutes=90)
    assert ticket.updated.utcoffset() == timedelta(hours=1)
    assert ticket.requester == Requester("Anna", "anna@example.org", "nl", True)
    assert ticket.impact is None
    assert ticket.priority == "P2"
    assert ticket.custom["affected_users"] == 60
    assert ticket.paused_seconds == 120.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"created": "2024-01-01T10:00:00Z"}, "field 'id': missing"),
        ({"id": "1"}, "field 'created': missing"),
        ({"id": "1", "created": "yesterday"}, "field 'created': not an ISO 8601 time"),
    ],
)
def test_bad_rows_name_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        Ticket.from_dict(data)


def test_round_trip_through_plain_data():
    ticket = Ticket(
        source="s",
        id="1",
        created=datetime(2026, 11, 23, 9, tzinfo=timezone(timedelta(hours=1))),
        subject="Printer",
        requester=Requester(name="Bo", language="en"),
        custom={"site": "Utrecht"},
    )
    assert Ticket.from_dict(ticket.to_dict()) == ticket


def test_dotted_paths_as_rules_address_them():
    ticket = Ticket(
        source="s",
        id="1",
        created=datetime(2026, 1, 1, tzinfo=UTC),
        subject="VPN",
        requester=Requester(vip=True),
        custom={"affected_users": 3, "location": {"floor": 2}},
    )
    assert ticket.get("subject") == "VPN"
    assert ticket.get("requester.vip") is True
    assert ticket.get("requester.unknown", "d") == "d"
    assert ticket.get("affected_users") == 3
    assert ticket.get("custom.affected_users") == 3
    assert ticket.get("custom.nope") is None
    assert ticket.get("subject.upper") is None  # no attribute access through paths
    assert field_type("subject") == "str"
    assert field_type("requester.vip") == "bool"
    assert field_type("affected_users") is None


def test_naive_created_is_refused_and_epoch_numbers_are_instants():
    with pytest.raises(ValueError, match="timezone-aware"):
        Ticket(source="s", id="1", created=datetime(2026, 1, 1))
    assert parse_instant(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_instant("") is None
