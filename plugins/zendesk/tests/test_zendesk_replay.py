"""Replay the real recorded Zendesk payloads through the mapping.

The recordings carry what the published description does not promise: ``priority: null`` on most
tickets, ``status: deleted`` in the incremental stream, null ids and dates everywhere, and fields
the description does not list (``generated_timestamp``, ``custom_status_id``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from matrixcore_zendesk import Sideloads, ZendeskSettings, ticket_from_zendesk, update_for
from zendesk_research import recorded_tickets

from matrixcore._adapter import PriorityChange


def test_every_recorded_ticket_maps(settings: ZendeskSettings) -> None:
    seen: Counter[str] = Counter()
    for exchange, payload in recorded_tickets():
        ticket = ticket_from_zendesk(payload, settings, source="zd")

        assert ticket.id == str(payload["id"]), exchange.uri
        assert ticket.created.tzinfo is not None
        assert ticket.status == payload["status"]
        assert (ticket.priority is None) == (payload["priority"] is None)
        assert ticket.subject == (payload["subject"] or payload["raw_subject"] or "")
        assert ticket.raw is not None
        assert ticket.raw["id"] == payload["id"]
        if payload["status"] == "deleted":
            assert ticket.resolved is not None
        seen["tickets"] += 1
        seen["null priority"] += payload["priority"] is None
        seen["deleted"] += payload["status"] == "deleted"
        seen[f"via {payload['via']['channel']}"] += 1

    assert seen["tickets"] > 1000
    assert seen["null priority"] > 0.9 * seen["tickets"]  # a null priority is the normal case
    assert seen["deleted"] > 0
    assert {"via api", "via web"} <= set(seen)


def test_recorded_priorities_read_back_through_the_matrix_map(settings: ZendeskSettings) -> None:
    priorities = {
        payload["priority"]: ticket_from_zendesk(payload, settings).priority
        for _, payload in recorded_tickets()
        if payload["priority"]
    }

    assert priorities == {"high": "P2", "normal": "P3"}


def test_writing_back_what_a_recorded_ticket_holds_settles_at_once(settings: ZendeskSettings) -> None:
    """No loops: the values a ticket holds need at most the priority tag, and then nothing more."""
    for _, payload in recorded_tickets():
        ticket = ticket_from_zendesk(payload, settings)
        same = PriorityChange(impact=ticket.impact, urgency=ticket.urgency, priority=ticket.priority)

        first = update_for(ticket, same, settings)
        assert set(first) <= {"tags"}, payload["id"]
        again = ticket_from_zendesk({**payload, **first}, settings)

        assert (again.impact, again.urgency, again.priority) == (
            ticket.impact,
            ticket.urgency,
            ticket.priority,
        )
        assert update_for(again, same, settings) == {}, payload["id"]


def test_a_recorded_ticket_gets_a_write_that_keeps_its_tags(settings: ZendeskSettings) -> None:
    payload: dict[str, Any] = next(p for _, p in recorded_tickets() if p["tags"])
    ticket = ticket_from_zendesk(payload, settings)

    update = update_for(ticket, PriorityChange(impact="person", urgency="low", priority="P5"), settings)

    assert update["priority"] == "low"
    assert update["custom_fields"] == [{"id": 1001, "value": "person"}]
    assert set(update["tags"]) == {*payload["tags"], "urgency_low", "matrix_priority_p5"}


def test_recorded_pages_side_load_nothing_and_still_map(settings: ZendeskSettings) -> None:
    """zenpy did not ask for side-loads: requesters are then unknown, never an error."""
    for _, payload in recorded_tickets():
        ticket = ticket_from_zendesk(payload, settings, sideloads=Sideloads())
        assert ticket.requester.name == ""
