"""Zendesk payloads -> Ticket, and PriorityChange -> the ticket update Zendesk accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from matrixcore_zendesk import (
    MappingError,
    Sideloads,
    ZendeskSettings,
    message_from_comment,
    ticket_from_zendesk,
    update_for,
)
from zendesk_account import BASE_SETTINGS

from matrixcore import Ticket
from matrixcore._adapter import PriorityChange


def zendesk_ticket(**overrides: Any) -> dict[str, Any]:
    """A ticket as the API sends it, with the nulls real payloads carry."""
    ticket: dict[str, Any] = {
        "url": "https://acme.zendesk.com/api/v2/tickets/42.json",
        "id": 42,
        "external_id": None,
        "via": {"channel": "twitter", "source": {"from": {}, "to": {}, "rel": "mention"}},
        "created_at": "2024-03-04T09:15:00Z",
        "updated_at": "2024-03-04T09:20:00Z",
        "type": None,
        "subject": "Storing: inloggen lukt niet",
        "raw_subject": "Storing: inloggen lukt niet",
        "description": "Sinds vanochtend kan ik niet inloggen",
        "priority": None,
        "status": "new",
        "recipient": None,
        "requester_id": 7,
        "submitter_id": 7,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": None,
        "generated_timestamp": 1709544000,
    }
    ticket.update(overrides)
    return ticket


USERS = [
    {
        "id": 7,
        "name": "Sanne de Vries",
        "email": None,
        "phone": None,
        "locale": "nl-NL",
        "iana_time_zone": "Europe/Amsterdam",
        "tags": ["VIP"],
    }
]


def test_a_null_heavy_real_style_ticket_maps_with_unset_values(settings: ZendeskSettings) -> None:
    ticket = ticket_from_zendesk(zendesk_ticket(), settings, source="zd")

    assert ticket.key == "zd:42"
    assert ticket.number == "42"
    assert ticket.created == datetime(2024, 3, 4, 9, 15, tzinfo=UTC)
    assert ticket.updated == datetime(2024, 3, 4, 9, 20, tzinfo=UTC)
    assert (ticket.priority, ticket.impact, ticket.urgency) == (None, None, None)
    assert ticket.channel == "twitter"
    assert ticket.category == ""
    assert ticket.first_response is None
    assert ticket.resolved is None
    assert ticket.raw["id"] == 42


def test_the_requester_comes_from_the_side_loaded_user(settings: ZendeskSettings) -> None:
    ticket = ticket_from_zendesk(zendesk_ticket(), settings, sideloads=Sideloads.from_page({"users": USERS}))

    assert ticket.requester.name == "Sanne de Vries"
    assert ticket.requester.language == "nl-NL"
    assert ticket.requester.timezone == "Europe/Amsterdam"
    assert ticket.requester.vip is True  # user tag, case-insensitive


def test_a_missing_user_gives_an_empty_requester_not_an_error(settings: ZendeskSettings) -> None:
    ticket = ticket_from_zendesk(zendesk_ticket(requester_id=999), settings)

    assert ticket.requester.name == ""
    assert ticket.requester.language == ""
    assert ticket.requester.vip is False


def test_a_ticket_tag_also_marks_a_vip(settings: ZendeskSettings) -> None:
    assert ticket_from_zendesk(zendesk_ticket(tags=["vip"]), settings).requester.vip is True


def test_language_can_come_from_a_ticket_field() -> None:
    settings = ZendeskSettings.from_settings({**BASE_SETTINGS, "language": 555})
    payload = zendesk_ticket(custom_fields=[{"id": 555, "value": "de"}])

    ticket = ticket_from_zendesk(payload, settings, sideloads=Sideloads.from_page({"users": USERS}))

    assert ticket.requester.language == "de"


@pytest.mark.parametrize(
    ("via", "channel"),
    [
        ({"channel": "twitter"}, "twitter"),
        ({"channel": "twitter_dm"}, "twitter"),
        ({"channel": 30}, "twitter"),
        ({"channel": "facebook_post"}, "facebook"),
        ({"channel": 38}, "facebook"),
        ({"channel": "chat"}, "chat"),
        ({"channel": "mail"}, "email"),
        ({"channel": 4}, "email"),
        ({"channel": "web_service"}, "api"),
        ({"channel": "Twitter"}, "twitter"),
        ({"channel": "facebook"}, "facebook"),
        ({"channel": "native_messaging"}, "chat"),
        ({"channel": 29}, "chat"),
        ({"channel": "web"}, "portal"),
        ({"channel": "email"}, "email"),
        ({"channel": "api"}, "api"),
        ({"channel": None}, ""),
        (None, ""),
    ],
)
def test_via_channel_maps_to_matrixcore_channels(
    settings: ZendeskSettings, via: dict[str, Any] | None, channel: str
) -> None:
    assert ticket_from_zendesk(zendesk_ticket(via=via), settings).channel == channel


def test_configured_channels_merge_over_the_built_in_table() -> None:
    settings = ZendeskSettings.from_settings(
        {**BASE_SETTINGS, "channels": {"whatsapp": "chat", "api": "portal"}}
    )

    assert ticket_from_zendesk(zendesk_ticket(via={"channel": "whatsapp"}), settings).channel == "chat"
    assert ticket_from_zendesk(zendesk_ticket(via={"channel": "api"}), settings).channel == "portal"
    assert ticket_from_zendesk(zendesk_ticket(via={"channel": "twitter"}), settings).channel == "twitter"


def test_levels_and_priority_read_back_through_the_mappings() -> None:
    settings = ZendeskSettings.from_settings(
        {
            **BASE_SETTINGS,
            "impact": {"field_id": 1001, "values": {"Whole organisation": "org_wide"}},
            "urgency": {"tag_prefix": "urgency_"},
            "priority": {"values": {"P3": "normal", "P4": "low", "P5": "low"}},
        }
    )
    payload = zendesk_ticket(
        custom_fields=[{"id": 1001, "value": "org_wide"}],
        tags=["social", "urgency_high"],
        priority="low",
    )

    ticket = ticket_from_zendesk(payload, settings)

    assert ticket.impact == "Whole organisation"
    assert ticket.urgency == "high"
    assert ticket.priority == "P4"  # several matrix priorities share "low": the first one reads back


def test_a_priority_outside_the_mapping_reads_as_unknown() -> None:
    settings = ZendeskSettings.from_settings({**BASE_SETTINGS, "priority": {"values": {"P1": "urgent"}}})

    assert ticket_from_zendesk(zendesk_ticket(priority="low"), settings).priority is None


def test_without_a_priority_mapping_zendesk_names_are_the_matrix_names() -> None:
    settings = ZendeskSettings.from_settings(BASE_SETTINGS)

    assert ticket_from_zendesk(zendesk_ticket(priority="high"), settings).priority == "high"


def test_metrics_give_first_response_and_pauses(settings: ZendeskSettings) -> None:
    metrics = {
        "ticket_id": 42,
        "reply_time_in_minutes": {"calendar": 25, "business": 10},
        "status_updated_at": "2024-03-04T11:00:00Z",
        "agent_wait_time_in_minutes": {"calendar": 30, "business": 30},
        "on_hold_time_in_minutes": {"calendar": 15, "business": None},
    }
    payload = zendesk_ticket(status="pending")

    ticket = ticket_from_zendesk(payload, settings, sideloads=Sideloads.from_page({"metric_sets": [metrics]}))

    assert ticket.first_response == datetime(2024, 3, 4, 9, 40, tzinfo=UTC)
    assert ticket.paused_since == datetime(2024, 3, 4, 11, 0, tzinfo=UTC)
    assert ticket.paused_seconds == 45 * 60
    assert ticket.resolved is None


def test_messaging_reply_time_in_seconds_is_preferred(settings: ZendeskSettings) -> None:
    metrics = {
        "ticket_id": 42,
        "reply_time_in_seconds": {"calendar": 90},
        "reply_time_in_minutes": {"calendar": 2},
    }

    ticket = ticket_from_zendesk(zendesk_ticket(), settings, sideloads=Sideloads(metrics={42: metrics}))

    assert ticket.first_response == datetime(2024, 3, 4, 9, 16, 30, tzinfo=UTC)


def test_a_status_outside_pause_statuses_does_not_pause() -> None:
    settings = ZendeskSettings.from_settings({**BASE_SETTINGS, "pause_statuses": ["hold"]})

    ticket = ticket_from_zendesk(zendesk_ticket(status="pending"), settings)

    assert ticket.paused_since is None


@pytest.mark.parametrize(
    ("status", "metrics", "resolved"),
    [
        ("solved", {"solved_at": "2024-03-04T12:00:00Z"}, datetime(2024, 3, 4, 12, tzinfo=UTC)),
        ("closed", {}, datetime(2024, 3, 4, 9, 20, tzinfo=UTC)),
        ("deleted", {"solved_at": "2024-03-04T12:00:00Z"}, datetime(2024, 3, 4, 9, 20, tzinfo=UTC)),
        ("open", {"solved_at": "2024-03-04T12:00:00Z"}, None),
    ],
)
def test_solved_closed_and_deleted_tickets_are_resolved(
    settings: ZendeskSettings, status: str, metrics: dict[str, Any], resolved: datetime | None
) -> None:
    sideloads = Sideloads(metrics={42: {"ticket_id": 42, **metrics}})

    assert (
        ticket_from_zendesk(zendesk_ticket(status=status), settings, sideloads=sideloads).resolved == resolved
    )


def test_custom_fields_are_exposed_to_rules_by_name(settings: ZendeskSettings) -> None:
    payload = zendesk_ticket(
        custom_fields=[{"id": 1003, "value": "60"}, {"id": 9, "value": True}], tags=["a"]
    )

    ticket = ticket_from_zendesk(payload, settings)

    assert ticket.get("affected_users") == "60"
    assert ticket.get("tags") == ["a"]
    assert ticket.get("via_channel") == "twitter"


def test_category_and_service_from_fields() -> None:
    settings = ZendeskSettings.from_settings({**BASE_SETTINGS, "category_field": 11, "service_field": 12})
    payload = zendesk_ticket(
        type="incident", custom_fields=[{"id": 11, "value": "password"}, {"id": 12, "value": "mail"}]
    )

    ticket = ticket_from_zendesk(payload, settings)

    assert (ticket.category, ticket.service) == ("password", "mail")
    assert ticket_from_zendesk(payload, ZendeskSettings.from_settings(BASE_SETTINGS)).category == "incident"


def test_odd_values_are_tolerated(settings: ZendeskSettings) -> None:
    payload = zendesk_ticket(
        created_at=None,
        subject=None,
        raw_subject="from raw",
        tags=None,
        custom_fields=None,
        via={"channel": "web", "source": None},
        unknown_future_field={"x": 1},
    )

    ticket = ticket_from_zendesk(payload, settings)

    assert ticket.created == ticket.updated  # created_at missing: the update time stands in
    assert ticket.subject == "from raw"
    assert ticket.get("tags") == []


def test_a_ticket_without_any_time_is_refused(settings: ZendeskSettings) -> None:
    with pytest.raises(ValueError, match="no created_at"):
        ticket_from_zendesk(zendesk_ticket(created_at=None, updated_at="garbage"), settings)


def _current(settings: ZendeskSettings, **overrides: Any) -> Ticket:
    return ticket_from_zendesk(zendesk_ticket(**overrides), settings)


def test_update_writes_priority_field_and_tag(settings: ZendeskSettings) -> None:
    ticket = _current(settings, tags=["social", "urgency_low"])

    update = update_for(ticket, PriorityChange(impact="branch", urgency="high", priority="P2"), settings)

    assert update == {
        "priority": "high",
        "custom_fields": [{"id": 1001, "value": "branch"}],
        "tags": ["social", "matrix_priority_p2", "urgency_high"],
    }


def test_update_is_empty_when_zendesk_already_has_the_values(settings: ZendeskSettings) -> None:
    ticket = _current(
        settings,
        priority="high",
        custom_fields=[{"id": 1001, "value": "branch"}],
        tags=["urgency_high", "x", "matrix_priority_p2"],
    )

    assert update_for(ticket, PriorityChange(impact="branch", urgency="high", priority="P2"), settings) == {}


def test_update_leaves_none_values_alone(settings: ZendeskSettings) -> None:
    ticket = _current(settings, tags=["urgency_low"])

    assert update_for(ticket, PriorityChange(priority="P1"), settings) == {
        "priority": "urgent",
        "tags": ["urgency_low", "matrix_priority_p1"],
    }


def test_update_uses_explicit_level_values_and_default_slugs() -> None:
    settings = ZendeskSettings.from_settings(
        {
            **BASE_SETTINGS,
            "impact": {"field_id": 1, "values": {"Whole org": "org"}},
            "urgency": {"field_id": 2},
        }
    )

    update = update_for(
        _current(settings), PriorityChange(impact="Whole org", urgency="Very High!"), settings
    )

    assert update["custom_fields"] == [{"id": 1, "value": "org"}, {"id": 2, "value": "very_high"}]


def test_an_unmapped_priority_names_the_setting_to_fix(settings: ZendeskSettings) -> None:
    with pytest.raises(MappingError, match=r"'P9'.*priority\.values"):
        update_for(_current(settings), PriorityChange(priority="P9"), settings)


def test_priority_is_not_written_when_switched_off() -> None:
    settings = ZendeskSettings.from_settings({**BASE_SETTINGS, "priority": {"write": False}})

    assert update_for(_current(settings), PriorityChange(priority="urgent"), settings) == {}


def test_levels_without_a_configured_place_are_not_written() -> None:
    settings = ZendeskSettings.from_settings(BASE_SETTINGS)

    assert update_for(_current(settings), PriorityChange(impact="branch", urgency="high"), settings) == {}


def test_a_comment_becomes_a_posted_message() -> None:
    comment = {
        "id": 9001,
        "type": "Comment",
        "author_id": 3,
        "body": "**Bedankt**",
        "plain_body": "Bedankt",
        "public": False,
        "created_at": "2024-03-04T10:00:00Z",
    }

    message = message_from_comment(comment)

    assert (message.id, message.text, message.visible_to_requester, message.author) == (
        "9001",
        "Bedankt",
        False,
        "3",
    )
    assert message.created == datetime(2024, 3, 4, 10, tzinfo=UTC)


def test_start_is_a_duration_back_or_a_fixed_time() -> None:
    now = datetime(2024, 3, 4, 12, tzinfo=UTC)
    back = ZendeskSettings.from_settings({**BASE_SETTINGS, "start": "7d"})
    fixed = ZendeskSettings.from_settings({**BASE_SETTINGS, "start": "2024-01-01T00:00:00+01:00"})
    future = ZendeskSettings.from_settings({**BASE_SETTINGS, "start": "2030-01-01T00:00:00Z"})

    assert back.start_time(now) == int((now - timedelta(days=7)).timestamp())
    assert fixed.start_time(now) == int(datetime(2023, 12, 31, 23, tzinfo=UTC).timestamp())
    assert future.start_time(now) == int((now - timedelta(minutes=1)).timestamp())  # Zendesk refuses later


def test_base_url_from_subdomain_or_url() -> None:
    auth = BASE_SETTINGS["auth"]

    assert (
        ZendeskSettings.from_settings({"subdomain": "acme", "auth": auth}).base_url
        == "https://acme.zendesk.com"
    )
    assert ZendeskSettings.from_settings({"base_url": "http://127.0.0.1:8080/", "auth": auth}).base_url == (
        "http://127.0.0.1:8080"
    )


def test_shared_zendesk_priorities_read_back_as_written(settings: ZendeskSettings) -> None:
    """P4 and P5 are both 'low': the tag written with P5 keeps it P5, not P4."""
    ticket = _current(settings, tags=["urgency_low"])
    update = update_for(ticket, PriorityChange(priority="P5"), settings)
    written = zendesk_ticket(priority=update["priority"], tags=update["tags"])

    assert ticket_from_zendesk(written, settings).priority == "P5"
    agent_changed = {**written, "priority": "high"}  # the tag stays, but no longer matches
    assert ticket_from_zendesk(agent_changed, settings).priority == "P2"


def test_a_one_to_one_priority_map_writes_no_tag() -> None:
    settings = ZendeskSettings.from_settings(
        {**BASE_SETTINGS, "priority": {"values": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}}}
    )

    assert update_for(_current(settings), PriorityChange(priority="P4"), settings) == {"priority": "low"}


def test_a_tag_list_sent_with_drop_down_values_carries_their_new_option_tags(
    settings: ZendeskSettings,
) -> None:
    """Impact is drop-down 1001 (now 'branch', so its tag is there); P5 shares 'low', so tags go too."""
    payload = zendesk_ticket(custom_fields=[{"id": 1001, "value": "branch"}], tags=["branch", "social"])
    ticket = ticket_from_zendesk(payload, settings)
    change = PriorityChange(impact="organisation", priority="P5")

    plain = update_for(ticket, change, settings)
    aware = update_for(ticket, change, settings, drop_downs={1001})

    assert plain["custom_fields"] == aware["custom_fields"] == [{"id": 1001, "value": "organisation"}]
    assert sorted(plain["tags"]) == ["branch", "matrix_priority_p5", "social"]  # would undo the field
    assert sorted(aware["tags"]) == ["matrix_priority_p5", "organisation", "social"]
    text_field = update_for(ticket, change, settings, drop_downs={9999})
    assert sorted(text_field["tags"]) == sorted(plain["tags"])  # a text field's value is no tag
