"""The mapping: real ServiceNow records to tickets, matrix levels to PATCH bodies, journal rows to
messages, under the defaults and under users' mappings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from matrixcore._adapter import PriorityChange
from matrixcore_servicenow import (
    Settings,
    format_glide_time,
    journal_message,
    parse_glide_time,
    parse_settings,
    requested_fields,
    to_ticket,
    write_payload,
)

from servicenow_support import research_json


def quickstart_settings(**mapping: Any) -> Settings:
    """The quick-start matrix (5 impacts, 3 urgencies, P1-P5) on ServiceNow's 3 x 3."""
    return parse_settings(
        {
            "base_url": "https://acme.service-now.com/",
            "auth": {"type": "basic", "username": "integration", "password": "pw"},
            "mapping": {
                "impact": {"1": ["organisation", "branch"], "2": ["department", "group"], "3": "person"},
                "urgency": {"1": "high", "2": "normal", "3": "low"},
                **mapping,
            },
        }
    )


def record(**fields: Any) -> dict[str, Any]:
    base = {
        "sys_id": "46d44a23a9fe19810012d100cca80666",
        "number": "INC0010042",
        "short_description": "Outlook is down",
        "description": "",
        "contact_type": "email",
        "impact": "2",
        "urgency": "2",
        "priority": "3",
        "state": "1",
        "hold_reason": "",
        "opened_at": "2026-11-23 08:00:00",
        "sys_created_on": "2026-11-23 08:00:01",
        "sys_updated_on": "2026-11-23 09:30:00",
        "sys_mod_count": "4",
        "resolved_at": "",
        "closed_at": "",
        "work_start": "",
        "assigned_to": "",
        "caller_id": "681ccaf9c0a8016400b98a06818d57c7",
        "caller_id.name": "Anna de Vries",
        "caller_id.email": "anna@example.nl",
        "caller_id.preferred_language": "nl",
        "caller_id.vip": "true",
        "caller_id.time_zone": "Europe/Amsterdam",
        "category": "inquiry",
        "subcategory": "email",
        "business_service.name": "Email",
    }
    base.update(fields)
    return base


class TestRealRecord:
    """The incident a real instance returned (INC0000060, demo data), replayed through the mapping."""

    def test_maps_every_field_the_rules_read(self, settings: Settings) -> None:
        raw = research_json("table-api-incident-sample.json")["result"][0]
        ticket = to_ticket(raw, settings, "servicenow-demo")
        assert ticket.key == "servicenow-demo:1c741bd70b2322007518478d83673af3"
        assert ticket.number == "INC0000060"
        assert ticket.subject == "Unable to connect to email"
        assert ticket.description.startswith("I am unable to connect to the email server")
        assert ticket.channel == "portal"  # self-service
        assert (ticket.impact, ticket.urgency, ticket.priority) == ("medium", "medium", "P3")
        assert ticket.status == "Closed"
        assert ticket.created == datetime(2016, 12, 12, 15, 19, 57, tzinfo=UTC)
        assert ticket.updated == datetime(2016, 12, 14, 2, 46, 44, tzinfo=UTC)
        assert ticket.resolved == datetime(2016, 12, 13, 21, 43, 14, tzinfo=UTC)
        assert ticket.category == "inquiry"
        assert ticket.subcategory == "email"
        # A closed ticket was picked up; with no pickup field the update time is the bound.
        assert ticket.first_response == ticket.updated
        assert ticket.paused_since is None
        # References arrive as {link, value}: the sys_id is kept, the link is not.
        assert ticket.custom["assigned_to"] == "5137153cc611227c000bbd1bd8cd2007"
        assert ticket.custom["assignment_group"] == "287ebd7da9fe198100f92cc8d1d2154e"
        assert ticket.raw["caller_id"]["value"] == "681ccaf9c0a8016400b98a06818d57c7"

    def test_its_columns_cover_what_the_adapter_requests(self, settings: Settings) -> None:
        raw = research_json("table-api-incident-sample.json")["result"][0]
        direct = {name for name in requested_fields(settings) if "." not in name}
        assert direct <= set(raw), direct - set(raw)

    def test_the_same_record_with_display_values_maps_alike(self, settings: Settings) -> None:
        raw = research_json("table-api-incident-sample.json")["result"][0]
        labels = {
            "impact": "2 - Medium",
            "urgency": "2 - Medium",
            "priority": "3 - Moderate",
            "state": "Closed",
        }
        both = {
            name: {"display_value": labels.get(name, value), "value": value}
            if isinstance(value, str)
            else value
            for name, value in raw.items()
        }
        assert to_ticket(both, settings, "s") == to_ticket(raw, settings, "s")


class TestTicket:
    def test_requester_is_dot_walked_from_the_caller(self, settings: Settings) -> None:
        ticket = to_ticket(record(), settings, "sn")
        requester = ticket.requester
        assert requester.name == "Anna de Vries"
        assert requester.address == "anna@example.nl"
        assert requester.language == "nl"
        assert requester.vip is True
        assert requester.timezone == "Europe/Amsterdam"
        assert ticket.service == "Email"

    def test_servicenow_language_codes_map_to_bcp47(self) -> None:
        settings = quickstart_settings(languages={"pb": "pt-BR"})
        assert (
            to_ticket(record(**{"caller_id.preferred_language": "pb"}), settings, "sn").requester.language
            == "pt-BR"
        )

    def test_several_matrix_levels_share_one_servicenow_value(self) -> None:
        settings = quickstart_settings()
        ticket = to_ticket(record(impact="1", urgency="3"), settings, "sn")
        assert (ticket.impact, ticket.urgency) == ("organisation", "low")

    def test_unmapped_values_are_none_not_errors(self, settings: Settings) -> None:
        ticket = to_ticket(record(impact="9", urgency="", priority=None), settings, "sn")
        assert (ticket.impact, ticket.urgency, ticket.priority) == (None, None, None)

    def test_nulls_where_servicenow_sends_empty_strings(self, settings: Settings) -> None:
        nulls = {name: None for name in record() if name not in ("sys_id", "opened_at")}
        ticket = to_ticket(record(**nulls), settings, "sn")
        assert ticket.subject == ""
        assert ticket.updated is None
        assert ticket.requester.vip is False

    def test_created_falls_back_to_sys_created_on(self, settings: Settings) -> None:
        ticket = to_ticket(record(opened_at=""), settings, "sn")
        assert ticket.created == datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC)

    def test_a_record_without_any_time_is_refused(self, settings: Settings) -> None:
        with pytest.raises(ValueError, match="neither opened_at"):
            to_ticket(record(opened_at="", sys_created_on="", sys_updated_on=""), settings, "sn")

    def test_channels_map_and_unknown_ones_pass_through(self) -> None:
        settings = quickstart_settings(channels={"u_twitter": "twitter"})
        assert to_ticket(record(contact_type="u_twitter"), settings, "sn").channel == "twitter"
        assert to_ticket(record(contact_type="virtual_agent"), settings, "sn").channel == "chat"
        assert to_ticket(record(contact_type="carrier_pigeon"), settings, "sn").channel == "carrier_pigeon"

    def test_custom_fields_reach_the_rules(self) -> None:
        settings = quickstart_settings(custom={"affected_users": "u_affected_users"})
        assert "u_affected_users" in requested_fields(settings)
        ticket = to_ticket(record(u_affected_users="60"), settings, "sn")
        assert ticket.get("affected_users") == "60"


class TestPauseAndPickup:
    def test_on_hold_pauses_from_the_update_time(self, settings: Settings) -> None:
        ticket = to_ticket(record(state="3", hold_reason="1"), settings, "sn")
        assert ticket.status == "On Hold"
        assert ticket.custom["hold_reason"] == "Awaiting Caller"
        assert ticket.paused_since == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

    def test_only_the_configured_hold_reasons_pause(self) -> None:
        settings = quickstart_settings(pause={"hold_reasons": ["1"]})
        assert to_ticket(record(state="3", hold_reason="1"), settings, "sn").paused_since is not None
        assert to_ticket(record(state="3", hold_reason="5"), settings, "sn").paused_since is None

    def test_a_pause_field_gives_the_true_start(self) -> None:
        settings = quickstart_settings(pause={"since_field": "u_on_hold_since"})
        ticket = to_ticket(record(state="3", u_on_hold_since="2026-11-23 09:00:00"), settings, "sn")
        assert ticket.paused_since == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        assert "u_on_hold_since" in requested_fields(settings)

    def test_requested_items_pause_when_pending_and_close_on_3(self) -> None:
        settings = parse_settings({**_raw(), "table": "sc_req_item"})
        item = record(number="RITM0010001", hold_reason="1", **{"requested_for.name": "Anna de Vries"})
        closed = to_ticket({**item, "state": "3"}, settings, "sn")
        assert (closed.status, closed.paused_since) == ("Closed Complete", None)
        assert closed.first_response is not None
        assert closed.custom["hold_reason"] == ""  # a requested item has no hold reason
        pending = to_ticket({**item, "state": "-5"}, settings, "sn")
        assert (pending.status, pending.paused_since) == ("Pending", pending.updated)
        assert pending.requester.name == "Anna de Vries"
        fields = requested_fields(settings)
        assert {"requested_for", "requested_for.email"} <= set(fields)
        assert not {"hold_reason", "caller_id"} & set(fields)

    def test_new_tickets_are_not_picked_up(self, settings: Settings) -> None:
        assert to_ticket(record(state="1", assigned_to="abc"), settings, "sn").first_response is None

    def test_in_progress_is_picked_up_at_work_start(self, settings: Settings) -> None:
        ticket = to_ticket(record(state="2", work_start="2026-11-23 08:10:00"), settings, "sn")
        assert ticket.first_response == datetime(2026, 11, 23, 8, 10, tzinfo=UTC)

    def test_assignment_counts_as_pickup_when_configured(self) -> None:
        settings = quickstart_settings(pickup={"when_assigned": True})
        assert to_ticket(record(state="1", assigned_to="abc"), settings, "sn").first_response is not None


class TestWrites:
    def test_impact_and_urgency_are_written_not_priority(self) -> None:
        settings = quickstart_settings()
        change = PriorityChange(impact="branch", urgency="high", priority="P1")
        assert write_payload(record(), change, settings) == {"impact": "1", "urgency": "1"}

    def test_unchanged_values_are_not_written(self) -> None:
        settings = quickstart_settings()
        # department and group both write "2", which the ticket already has.
        assert write_payload(record(impact="2"), PriorityChange(impact="group"), settings) == {}

    def test_priority_is_written_when_the_instance_allows_it(self) -> None:
        settings = parse_settings({**_raw(), "write": "all"})
        change = PriorityChange(impact="high", urgency="high", priority="P1")
        assert write_payload(record(), change, settings) == {"impact": "1", "urgency": "1", "priority": "1"}
        only = parse_settings({**_raw(), "write": "priority"})
        assert write_payload(record(), change, only) == {"priority": "1"}

    def test_a_level_without_a_servicenow_value_is_an_error(self, settings: Settings) -> None:
        with pytest.raises(ValueError, match="no ServiceNow value is mapped to level 'organisation'"):
            write_payload(record(), PriorityChange(impact="organisation"), settings)


def _raw() -> dict[str, Any]:
    return {
        "base_url": "https://acme.service-now.com",
        "auth": {"type": "basic", "username": "u", "password": "p"},
    }


class TestTimesAndJournal:
    def test_glide_times_are_utc(self) -> None:
        assert parse_glide_time("2016-12-14 02:46:44") == datetime(2016, 12, 14, 2, 46, 44, tzinfo=UTC)
        assert parse_glide_time({"value": "2016-12-14 02:46:44", "display_value": "14-12-2016 03:46:44"}) == (
            datetime(2016, 12, 14, 2, 46, 44, tzinfo=UTC)
        )
        assert parse_glide_time("") is None
        assert parse_glide_time("2016-12-14T02:46:44+01:00") == datetime(2016, 12, 14, 1, 46, 44, tzinfo=UTC)
        with pytest.raises(ValueError, match="not a ServiceNow date-time"):
            parse_glide_time("14/12/2016")

    def test_format_is_the_inverse_in_utc(self) -> None:
        instant = datetime.fromisoformat("2026-11-23T10:15:30.900+01:00")
        assert format_glide_time(instant) == "2026-11-23 09:15:30"
        assert parse_glide_time(format_glide_time(instant)) == instant.replace(microsecond=0)

    def test_journal_rows_are_messages(self) -> None:
        comment = journal_message(
            {
                "sys_id": "43551",
                "sys_created_on": "2021-09-03 10:29:48",
                "name": "incident",
                "element_id": "552c4",
                "sys_tags": "",
                "value": "We will pick it up by 14:00.",
                "sys_created_by": "matrixcore.integration",
                "element": "comments",
            }
        )
        assert comment.id == "43551"
        assert comment.visible_to_requester is True
        assert comment.created == datetime(2021, 9, 3, 10, 29, 48, tzinfo=UTC)
        assert comment.author == "matrixcore.integration"
        assert (
            journal_message({"sys_id": "1", "element": "work_notes", "value": "x"}).visible_to_requester
            is False
        )
