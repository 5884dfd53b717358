"""matrixcore's own sync cycle, run against Zendesk: what the daemon will do, cycle after cycle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matrixcore_zendesk.testing import ZendeskServer
from zendesk_account import Account, make_adapter, open_account
from zendesk_research import follows_the_published_api, research_dir

from matrixcore import Engine, Plugins, Ticket, hookimpl, load_ruleset
from matrixcore._sync import CycleReport, SyncOptions, sync_connection
from matrixcore.state import StateStore
from matrixcore.testing import FakeClock

RULES = Path(__file__).resolve().parents[3] / "examples" / "quickstart" / "rules.yaml"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def account(clock: FakeClock) -> Iterator[Account]:
    with ZendeskServer() as server:
        server.clock.follow(clock.monotonic)
        yield open_account(server)
        assert not server.errors, server.errors
        assert follows_the_published_api(server) or not research_dir().is_dir()


def cycle(adapter: Any, store: StateStore, engine: Engine, account: Account) -> CycleReport:
    account.server.advance()  # our own writes of the last cycle become exportable
    report = sync_connection("zd", adapter, store, engine, account.server.clock())
    assert report.ok, report.error
    return report


def test_cycles_settle_and_respect_agents(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = Engine(load_ruleset(RULES))
    store = StateStore(tmp_path / "state.db")
    adapter = make_adapter(account, clock, monkeypatch)
    outage = account.ticket(
        "sanne", "Outlook is down voor ons hele kantoor", channel="twitter", minutes_ago=3
    )
    question = account.ticket("mark", "Vraag: hoe deel ik een agenda?", channel="facebook", minutes_ago=20)

    first = cycle(adapter, store, engine, account)
    second = cycle(adapter, store, engine, account)
    account.agent_update(question["id"], {"priority": "urgent"})
    third = cycle(adapter, store, engine, account)

    state = account.server.state
    assert (first.writes, first.tickets) == (2, 2)
    assert state.show_ticket(outage["id"])["priority"] == "urgent"
    assert state.show_ticket(question["id"])["priority"] == "urgent"  # the agent's, kept
    # Our own writes come back through the export: no write, and P5 ("low", shared with P4) is
    # still P5 rather than an agent's P4.
    assert (second.writes, second.agent_kept) == (0, 0)
    assert (third.writes, third.agent_kept) == (0, 1)
    ours = [c["body"] for c in state.comments(question["id"]) if c["author_id"] == account.admin["id"]]
    assert [b.split(" ")[0] for b in ours] == ["Bedankt", "We"]  # acknowledged once, then the agent's P1
    assert "naar P1 kritiek" in ours[1]


class AgentAtWork:
    """An agent edits a ticket in Zendesk while matrixcore holds its read (between fetch and write)."""

    def __init__(self, account: Account, ticket_id: int, changes: dict[str, Any]) -> None:
        self.account, self.ticket_id, self.changes = account, str(ticket_id), changes
        self.done = False

    @hookimpl
    def matrixcore_enrich_ticket(self, ticket: Ticket) -> Ticket | None:
        if ticket.id == self.ticket_id and not self.done:
            self.done = True
            self.account.server.advance(5)
            self.account.agent_update(ticket.id, self.changes)
        return None


def test_a_conflict_is_re_read_and_decided_again(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """409 on the write: nothing is written over the agent, the ticket is set aside without holding
    up the connection, and the next cycle reads the agent's change (the export brings the ticket
    again, its update time bumped) and decides on it (the question became an outage report)."""
    engine = Engine(load_ruleset(RULES))
    store = StateStore(tmp_path / "state.db")
    adapter = make_adapter(account, clock, monkeypatch)
    question = account.ticket("mark", "Vraag: hoe deel ik een agenda?", channel="facebook", minutes_ago=20)
    plugins = Plugins()
    plugins.register(
        AgentAtWork(account, question["id"], {"subject": "Outlook is down voor ons hele kantoor"}),
        "agent",
    )
    state = account.server.state

    account.server.advance()
    first = sync_connection("zd", adapter, store, engine, account.server.clock(), plugins=plugins)

    assert first.ok, first.error
    assert first.refused == 1  # set aside, not a failed cycle
    assert state.show_ticket(question["id"])["priority"] is None  # nothing written over the agent
    assert [c["author_id"] for c in state.comments(question["id"])] == [
        account.requesters["mark"]["id"]
    ]  # and nothing said

    second = cycle(adapter, store, engine, account)

    assert (second.writes, second.tickets) == (1, 1)
    assert state.show_ticket(question["id"])["priority"] == "urgent"  # decided on the new subject
    ours = [c for c in state.comments(question["id"]) if c["author_id"] == account.admin["id"]]
    acknowledgements = [c for c in ours if c["public"] and c["body"].startswith("Bedankt")]
    assert len(acknowledgements) == 1  # acknowledged once, after the write went through


def test_trace_notes_tell_agents_why_once(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With trace_notes, a written priority comes with an internal note of the decision trace."""
    engine = Engine(load_ruleset(RULES))
    store = StateStore(tmp_path / "state.db")
    adapter = make_adapter(account, clock, monkeypatch)
    outage = account.ticket(
        "sanne", "Outlook is down voor ons hele kantoor", channel="twitter", minutes_ago=3
    )
    options = SyncOptions(trace_notes=True)

    for _ in range(2):
        account.server.advance()
        report = sync_connection("zd", adapter, store, engine, account.server.clock(), options=options)
        assert report.ok, report.error

    notes = [c for c in account.server.state.comments(outage["id"]) if not c["public"]]
    assert len(notes) == 1  # the second cycle wrote nothing, so it explained nothing
    assert notes[0]["author_id"] == account.admin["id"]
    assert "major-outage" in notes[0]["body"]
    assert "priority = P1" in notes[0]["body"]
    listed = adapter.list_messages(Ticket.from_dict(store.ticket("zd", str(outage["id"])).snapshot))
    assert any(not m.visible_to_requester and "major-outage" in m.text for m in listed)
