"""Replay the real recorded Zendesk payloads through the mapping.

The recordings carry what the published description does not promise: ``priority: null`` on most
tickets, ``status: deleted`` in the incremental stream, null ids and dates everywhere, and fields
the description does not list (``generated_timestamp``, ``custom_status_id``).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from matrixcore_zendesk import Sideloads, ZendeskSettings, ticket_from_zendesk, update_for
from zendesk_account import TOKEN_ENV, connect
from zendesk_research import Exchange, exchanges, recorded_tickets, request_url, validator

from matrixcore._adapter import PriorityChange
from matrixcore.testing import FakeClock, LocalServer, RecordedRequest, Reply


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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


# -- the recorded export pages, served over HTTP to the adapter -----------------------------------


class RecordedExport(LocalServer):
    """Answers the cursor export with the recorded pages: the first one for ``start_time``, then
    the page recorded for each ``cursor``; with their recorded status, body and rate-limit headers.

    Nothing is made up except ``users/show_many`` finding no users (zenpy's account users were not
    recorded), which is an answer Zendesk gives for ids it does not know.
    """

    def __init__(self, first: Exchange, pages: Sequence[Exchange] = ()) -> None:
        super().__init__()
        self.first = first
        self.by_cursor = {parse_qs(urlsplit(p.uri).query)["cursor"][0]: p for p in pages}
        self.add_route("GET", "/api/v2/incremental/tickets/cursor", self._export)
        self.add_route("GET", "/api/v2/users/show_many", lambda request: {"users": []})

    def _export(self, request: RecordedRequest) -> Reply:
        cursor = request.arg("cursor")
        if cursor is None and request.arg("start_time") is None:
            return Reply(400, {"error": "InvalidValue", "description": "start_time or cursor is required"})
        exchange = self.first if cursor is None else self.by_cursor.get(cursor)
        if exchange is None:
            return Reply(404, {"error": "RecordNotFound", "description": "not recorded"})
        headers = {k: v for k, v in exchange.response_headers.items() if "rate" in k.lower()}
        return Reply(exchange.status, exchange.response_body.encode(), headers)


def export_exchanges() -> list[Exchange]:
    return [e for e in exchanges() if "/incremental/tickets/cursor" in e.uri]


def query_of(exchange: Exchange) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(exchange.uri).query).items()}


def single_page() -> Exchange:
    """The recorded export that fits one page: 87 tickets, end_of_stream true."""
    return next(
        e
        for e in export_exchanges()
        if query_of(e) == {"start_time": "0"} and '"end_of_stream":true' in e.response_body
    )


def replay_settings(server: LocalServer) -> dict[str, Any]:
    return {
        "base_url": server.url,
        "auth": {"type": "basic", "username": "bot@acme.example/token", "password": {"env": TOKEN_ENV}},
        "start": "2023-01-01T00:00:00Z",
    }


def test_a_recorded_export_replays_through_the_adapter(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorded single-page export (end_of_stream true) gives every ticket and its cursor."""
    page = single_page()
    recorded = page.response_json()

    with RecordedExport(page) as server:
        adapter = connect(replay_settings(server), clock, monkeypatch)
        batches = list(adapter.fetch(None))
        sent = server.requests_to("/api/v2/incremental/tickets/cursor", "GET")
        users = server.requests_to("/api/v2/users/show_many", "GET")
        for request in server.requests:
            validator().validate_request(request.method, request_url(request), dict(request.headers))

    assert len(sent) == 1  # end_of_stream: no second request
    assert len(users) == 1  # the missing requesters in one request, not one per ticket
    (batch,) = batches
    assert batch.cursor == recorded["after_cursor"]  # kept for the next run
    assert [t.id for t in batch.tickets] == [str(t["id"]) for t in recorded["tickets"]]
    assert [t.status for t in batch.tickets].count("deleted") == sum(
        t["status"] == "deleted" for t in recorded["tickets"]
    )
    assert all(t.priority is None for t in batch.tickets if t.raw["priority"] is None)


def test_the_recorded_cursor_chain_is_followed_page_by_page(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ticket a page (per_page=1 as recorded): each request sends the cursor the page before
    gave, start_time only on the first, and never more than 10 requests a minute."""
    chain = [
        e
        for e in export_exchanges()
        if e.cassette.endswith("test_pagination") and query_of(e).get("per_page") == "1"
    ]
    first, pages = chain[0], chain[1:]
    assert "start_time" in query_of(first)
    assert all("cursor" in query_of(p) for p in pages)

    with RecordedExport(first, pages) as server:
        adapter = connect(replay_settings(server), clock, monkeypatch)
        batches = list(itertools.islice(adapter.fetch(None), len(chain)))
        sent = server.requests_to("/api/v2/incremental/tickets/cursor", "GET")

    assert [r.arg("cursor") for r in sent] == [None, *(query_of(p)["cursor"] for p in pages)]
    assert [r.arg("start_time") is not None for r in sent] == [True] + [False] * len(pages)
    assert [b.cursor for b in batches] == [e.response_json()["after_cursor"] for e in chain]
    assert [b.tickets[0].id for b in batches] == [str(e.response_json()["tickets"][0]["id"]) for e in chain]
    assert clock.slept >= 6 * (len(chain) - 1)  # the export's own 10-a-minute budget


def test_an_unusable_ticket_in_a_real_page_is_skipped_not_fatal(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One ticket without any time (nothing can be promised about it) must not block the cursor."""
    page = single_page()
    data = page.response_json()
    broken = data["tickets"][3]
    broken["created_at"] = broken["updated_at"] = None
    page = dataclasses.replace(page, response_body=json.dumps(data))

    with RecordedExport(page) as server:
        (batch,) = connect(replay_settings(server), clock, monkeypatch).fetch(None)

    assert len(batch.tickets) == len(data["tickets"]) - 1
    assert str(broken["id"]) not in {t.id for t in batch.tickets}
    assert batch.cursor == data["after_cursor"]
    assert f"Zendesk ticket {broken['id']}" in caplog.text
