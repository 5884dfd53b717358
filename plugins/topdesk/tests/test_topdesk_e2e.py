"""End to end: the quick-start rules, a seeded TOPdesk, fetch -> classify -> write -> message, twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from matrixcore_topdesk import TopdeskAdapter
from matrixcore_topdesk.testing import ManualClock, fixed_id
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import PASSWORD, PASSWORD_ENV, assert_conforms, connection_settings, open_adapter

from matrixcore import Engine, PriorityChange, Ruleset, SentMessage, Ticket

MONDAY_0900_AMSTERDAM = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def sync_once(
    adapter: TopdeskAdapter,
    engine: Engine,
    cursor: str | None,
    now: datetime,
    sent: dict[str, list[SentMessage]],
) -> tuple[str | None, list[Ticket]]:
    """What the daemon does per batch, through the engine and adapter APIs only."""
    seen: list[Ticket] = []
    for batch in adapter.fetch(cursor):
        for ticket in batch.tickets:
            seen.append(ticket)
            decision = engine.classify(ticket, now)
            change = PriorityChange(decision.impact, decision.urgency, decision.priority)
            if (ticket.impact, ticket.urgency, ticket.priority) != (
                change.impact,
                change.urgency,
                change.priority,
            ):
                adapter.set_priority(ticket, change)
                trace = "\n".join(str(step) for step in decision.trace(engine.ruleset))
                adapter.post_message(ticket, f"matrixcore set {decision.priority}:\n{trace}", False)
            due = engine.due_messages(ticket, decision, sent.get(ticket.id, []), now)
            for message in due.messages:
                adapter.post_message(ticket, message.text, message.visible_to_requester)
                sent.setdefault(ticket.id, []).append(
                    SentMessage(
                        message.policy, message.key, now, message.visible_to_requester, message.priority
                    )
                )
        cursor = batch.cursor
    return cursor, seen


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    clock = ManualClock(MONDAY_0900_AMSTERDAM)
    with TopdeskServer(clock=clock) as topdesk:
        store = topdesk.store
        store.add_incident(
            "Outlook is down for our whole office",
            caller="Ann",
            entry_type="Twitter",
            optionalFields1={"text1": "English"},
        )
        clock.advance(seconds=1)
        store.add_incident(
            "Wachtwoord vergeten",
            caller="Bram",
            entry_type="E-mail",
            category={"id": fixed_id("category", "Wachtwoord"), "name": "Wachtwoord"},
            optionalFields1={"text1": "nl"},
        )
        store.add_incident(
            "Ik kan niet inloggen",
            caller="Directeur",
            entry_type="Telefoon",
            optionalFields1={"text1": "nl", "boolean1": True},
        )
        store.add_incident(
            "Printer op de gang geeft een foutmelding",
            caller="Cor",
            entry_type="Self-Service Portal",
            impact="Persoon",
            urgency="Normaal",
            priority="P4 Laag",
            optionalFields1={"text1": "nl"},
        )
        clock.advance(minutes=1)
        yield topdesk, clock
        assert_conforms(topdesk)


def test_quickstart_rules_against_a_seeded_topdesk(desk: Any, quickstart: Ruleset) -> None:
    topdesk, clock = desk
    adapter = open_adapter(connection_settings(topdesk))
    engine = Engine(quickstart)
    sent: dict[str, list[SentMessage]] = {}
    cursor, seen = sync_once(adapter, engine, None, clock.now, sent)
    # Tickets matrixcore wrote to come round again later in the same walk (the write bumped their
    # modification time); the second look finds nothing to do.
    assert len({t.id for t in seen}) == 4

    by_subject = {r["briefDescription"]: r for r in topdesk.store.incidents.values()}
    levels = {
        s: (r["impact"]["name"], r["urgency"]["name"], r["priority"]["name"]) for s, r in by_subject.items()
    }
    assert levels == {
        "Outlook is down for our whole office": ("Organisatie", "Hoog", "P1 Kritiek"),
        "Wachtwoord vergeten": ("Persoon", "Normaal", "P4 Laag"),
        "Ik kan niet inloggen": ("Persoon", "Hoog", "P3 Normaal"),
        "Printer op de gang geeft een foutmelding": ("Persoon", "Normaal", "P4 Laag"),
    }
    outage = by_subject["Outlook is down for our whole office"]
    actions = topdesk.store.actions[outage["id"]]
    assert [a["invisibleForCaller"] for a in actions] == [True, False]
    assert "major-outage" in actions[0]["plainText"]  # the trace tells agents why
    assert actions[1]["plainText"] == (
        f"Thank you for your ticket {outage['number']}. "
        "We will pick it up by Monday 23 November at 09:15 at the latest."
    )
    printer = by_subject["Printer op de gang geeft een foutmelding"]
    (ack,) = topdesk.store.actions[printer["id"]]  # already right: acknowledged, not rewritten
    assert ack["invisibleForCaller"] is False
    assert ack["plainText"].startswith(f"Bedankt voor je melding {printer['number']}.")
    puts = topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")
    assert not [r for r in puts if r.params["id"] == printer["id"] and "action" not in r.json()]

    # The next run: matrixcore's own writes were already seen again in the walk above, so nothing
    # comes and nothing is written.
    clock.advance(minutes=2)
    writes_before = len(puts)
    cursor, again = sync_once(adapter, engine, cursor, clock.now, sent)
    assert again == []
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == writes_before

    # An agent overrules a priority in TOPdesk: the next fetch reads it back as it now is.
    topdesk.store.agent_update(outage["id"], priority="P2 Hoog")
    changed = [t for batch in adapter.fetch(cursor) for t in batch.tickets]
    assert [(t.id, t.impact, t.priority) for t in changed] == [(outage["id"], "organisation", "P2")]
    adapter.close()
