"""The recorded real TOPdesk payloads, served byte for byte over HTTP, through the whole adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from matrixcore_topdesk import TopdeskAdapter
from topdesk_support import (
    PASSWORD,
    PASSWORD_ENV,
    QUICKSTART_MAPPINGS,
    fetch_all,
    open_adapter,
    research_topdesk,
)

from matrixcore.testing import LocalServer, RecordedRequest, Reply


@pytest.fixture
def recorded_folder() -> Path:
    folder = research_topdesk()
    if folder is None:
        pytest.skip("TOPdesk research data not found beside the checkout nor in $MATRIXCORE_RESEARCH_DATA")
    return folder / "recorded"


@pytest.fixture
def replay(
    recorded_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LocalServer, TopdeskAdapter]]:
    """A server answering with the recorded bytes, as TOPdesk sent them (not re-encoded)."""
    incident = (recorded_folder / "topdesk_incident.json").read_bytes()
    actions = (recorded_folder / "topdesk_actions.json").read_bytes()
    json_type = {"Content-Type": "application/json"}

    def incidents(request: RecordedRequest) -> Reply:
        return Reply(200, b"[" + incident + b"]", json_type)

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with LocalServer() as server:
        server.add_route("GET", "/tas/api/incidents", incidents)
        server.add_route(
            "GET", "/tas/api/incidents/id/{id}/actions", lambda r: Reply(200, actions, json_type)
        )
        settings = {
            "base_url": server.url,
            "auth": {"type": "basic", "username": "matrixcore", "password": {"env": PASSWORD_ENV}},
            "mappings": QUICKSTART_MAPPINGS,
        }
        adapter = open_adapter(settings)
        yield server, adapter
        adapter.close()
        assert not server.errors


def test_the_recorded_incident_arrives_once_and_maps(replay: tuple[LocalServer, TopdeskAdapter]) -> None:
    server, adapter = replay
    (ticket,), cursor = fetch_all(adapter, None)
    assert (ticket.id, ticket.number, ticket.status, ticket.channel) == (
        "some-test-id-1",
        "TEST-1",
        "Logged",
        "automation",
    )
    assert ticket.created == datetime(2021, 2, 11, 6, 32, 36, 303000, tzinfo=UTC)  # "...303+0000"
    assert ticket.updated == datetime(2021, 2, 11, 6, 32, 36, tzinfo=UTC)
    assert (ticket.impact, ticket.urgency, ticket.priority, ticket.requester.address) == (
        None,
        None,
        None,
        "",
    )
    # TOPdesk answers the same incident again for "modificationDate=ge=<its second>": not delivered twice.
    again, later = fetch_all(adapter, cursor)
    assert again == []
    assert later == cursor
    second = server.requests_to("/tas/api/incidents")[-1]
    assert second.arg("query") == "modificationDate=ge=2021-02-11T06:32:36Z"


def test_the_recorded_actions_are_read_as_messages(replay: tuple[LocalServer, TopdeskAdapter]) -> None:
    _, adapter = replay
    (ticket,), _ = fetch_all(adapter, None)
    (message,) = adapter.list_messages(ticket)
    assert message.id == "some-id"
    assert message.text == "action memo text"  # no plainText in the payload: read from memoText
    assert message.visible_to_requester is False  # invisibleForCaller: true
    assert message.created == datetime(2022, 4, 26, 8, 21, 48, 520000, tzinfo=UTC)  # "...520Z"
    assert message.author == "Xsoar - Operator"
