"""End to end: the quick-start rules, a Zendesk account with social tickets, and the adapter.

The emulator is seeded with tickets from X/Twitter, Facebook, chat and e-mail; the adapter fetches
them, the engine classifies them and says which messages are due, the adapter writes impact,
urgency and priority and posts the messages; then the emulator's state shows the result. A second
run over the same tickets, bumped by our own writes, must write nothing (no loops).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matrixcore_zendesk.testing import ZendeskServer
from zendesk_account import Account, make_adapter, open_account
from zendesk_research import follows_the_published_api, research_dir

from matrixcore import Engine, PriorityChange, Ruleset, load_ruleset
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


def puts(account: Account) -> int:
    return len([r for r in account.server.requests if r.method == "PUT"])


def run_once(
    adapter: Any, engine: Engine, ruleset: Ruleset, account: Account, cursor: str | None
) -> tuple[str | None, int]:
    """One sync pass as the daemon will do it: fetch, classify, write, message. Returns writes made.

    A priority write is followed by an internal note with the decision trace, so agents see why.
    """
    writes = 0
    now = account.server.clock()
    mine = str(account.admin["id"])
    for batch in adapter.fetch(cursor):
        for ticket in batch.tickets:
            decision = engine.classify(ticket, now)
            before = puts(account)
            adapter.set_priority(ticket, PriorityChange(decision.impact, decision.urgency, decision.priority))
            if puts(account) > before:
                writes += 1
                trace = "\n".join(str(step) for step in decision.trace(ruleset))
                adapter.post_message(ticket, f"matrixcore set {decision.priority}:\n{trace}", False)
            sent = [m for m in adapter.list_messages(ticket) if m.visible_to_requester and m.author == mine]
            if not sent:
                for message in engine.due_messages(ticket, decision, (), now).messages:
                    adapter.post_message(ticket, message.text, message.visible_to_requester)
                    writes += 1
        cursor = batch.cursor
    return cursor, writes


def test_social_tickets_get_priorities_and_messages(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruleset = load_ruleset(RULES)
    engine = Engine(ruleset)
    outage = account.ticket(
        "sanne", "Outlook is down voor ons hele kantoor", channel="twitter", minutes_ago=3
    )
    question = account.ticket("mark", "Vraag: hoe deel ik een agenda?", channel="facebook", minutes_ago=20)
    password = account.ticket("emma", "Cannot log in since this morning", channel="chat", minutes_ago=2)
    account.server.advance()
    adapter = make_adapter(account, clock, monkeypatch)

    cursor, writes = run_once(adapter, engine, ruleset, account, None)

    state = account.server.state
    shown = {t["id"]: state.show_ticket(t["id"]) for t in (outage, question, password)}
    assert shown[outage["id"]]["priority"] == "urgent"  # organisation x high = P1
    assert state.field_value(outage["id"], account.impact_field) == "organisation"
    assert state.field_value(outage["id"], account.urgency_field) == "high"
    assert shown[question["id"]]["priority"] == "low"  # a question: person x low = P5
    assert state.field_value(password["id"], account.urgency_field) == "high"  # cannot log in
    ours = {t: [c for c in state.comments(t) if c["author_id"] == account.admin["id"]] for t in shown}
    acknowledgements = {t: [c for c in comments if c["public"]] for t, comments in ours.items()}
    notes = {t: [c for c in comments if not c["public"]] for t, comments in ours.items()}
    assert all(len(acks) == 1 for acks in acknowledgements.values())
    assert "major-outage" in notes[outage["id"]][0]["body"]  # agents see why: the decision trace
    assert acknowledgements[outage["id"]][0]["body"].startswith("Bedankt voor je melding")  # Dutch requester
    assert acknowledgements[password["id"]][0]["body"].startswith("Thank you for your ticket")  # en-GB
    assert writes == 6  # three priority writes, three acknowledgements (the notes go with the writes)

    account.server.advance()
    _, again = run_once(adapter, engine, ruleset, account, cursor)

    assert again == 0  # our own writes came back through the export and caused nothing
