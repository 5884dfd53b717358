"""Payloads TOPdesk's description does not promise, over HTTP: the fetch copes and says what it skipped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from matrixcore_topdesk import TopdeskAdapter
from topdesk_support import PASSWORD, PASSWORD_ENV, QUICKSTART_MAPPINGS, fetch_all, open_adapter

from matrixcore import AdapterError
from matrixcore.testing import LocalServer, RecordedRequest, Reply

Scripted = tuple[LocalServer, list[Reply], TopdeskAdapter]


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scripted]:
    """A server answering ``GET /incidents`` with the replies a test queues, in order."""
    replies: list[Reply] = []

    def incidents(request: RecordedRequest) -> Reply:
        return replies.pop(0) if replies else Reply(204)

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with LocalServer() as server:
        server.add_route("GET", "/tas/api/incidents", incidents)
        adapter = open_adapter(
            {
                "base_url": server.url,
                "auth": {"type": "basic", "username": "matrixcore", "password": {"env": PASSWORD_ENV}},
                "page_size": 50,
                "mappings": QUICKSTART_MAPPINGS,
            }
        )
        yield server, replies, adapter
        adapter.close()
        assert not server.errors


def incident(
    incident_id: Any, modified: Any = "2024-01-01T10:00:00.000+0000", **fields: Any
) -> dict[str, Any]:
    return {
        "id": incident_id,
        "callDate": "2024-01-01T09:00:00.000+0000",
        "modificationDate": modified,
        **fields,
    }


def test_odd_incidents_are_read_and_the_unreadable_one_is_skipped_with_a_warning(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    _, replies, adapter = scripted
    page = [
        incident("a", impact={"id": None, "name": None}, urgency={}, priority="P2 Hoog", caller={"id": None}),
        incident(None, briefDescription="no id: cannot be written back"),
        incident("c", modified=None, callDate=None, creationDate="2024-01-01T08:00:00Z"),  # no order
        incident("d", newField={"from": "a later TOPdesk"}, optionalFields1=None, entryType="Telefoon"),
        "not an incident",
    ]
    replies.append(Reply(200, page))
    with caplog.at_level(logging.WARNING):
        tickets, cursor = fetch_all(adapter)
    assert [t.id for t in tickets] == ["a", "c", "d"]
    assert (tickets[0].priority, tickets[0].impact) == ("P2", None)
    assert (tickets[1].updated, tickets[1].created.hour) == (None, 8)
    assert tickets[2].channel == "phone"
    assert "skipping an incident TOPdesk returned: incident without an id" in caplog.text
    assert '"since":"2024-01-01T10:00:00+00:00"' in str(cursor)


def test_a_body_that_is_not_a_list_is_a_clear_error(scripted: Scripted) -> None:
    _, replies, adapter = scripted
    replies.append(Reply(200, {"message": "an object where a list belongs"}))
    with pytest.raises(AdapterError, match="GET incidents answered dict, not a list"):
        fetch_all(adapter)


def test_a_short_page_marked_206_and_an_empty_200_end_the_walk(scripted: Scripted) -> None:
    server, replies, adapter = scripted
    replies += [Reply(206, [incident("a")]), Reply(200, [])]
    tickets, _ = fetch_all(adapter)
    assert [t.id for t in tickets] == ["a"]
    # The empty page where the anchor "a" was expected reads the second again: then 204, done.
    assert len(server.requests_to("/tas/api/incidents")) == 3
