"""matrixcore's own sync cycle, run against Zendesk: what the daemon will do, cycle after cycle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matrixcore_zendesk.testing import ZendeskServer
from zendesk_account import Account, make_adapter, open_account
from zendesk_research import follows_the_published_api, research_dir

from matrixcore import Engine, load_ruleset
from matrixcore._state import StateStore
from matrixcore._sync import CycleReport, sync_connection
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
