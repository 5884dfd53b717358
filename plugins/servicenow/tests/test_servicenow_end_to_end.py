"""End to end: the quick-start rules, an emulated instance seeded with tickets from several
channels and callers, the adapter fetching them, the engine classifying, and the adapter writing
impact/urgency, the requester messages (comments) and the decision trace (a work note); then the
instance's state is checked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from matrixcore import AdapterContext, Engine, PriorityChange, load_ruleset
from matrixcore.testing import FakeClock
from matrixcore_servicenow import ServiceNowAdapter
from matrixcore_servicenow.testing import ServiceNowEmulator

from servicenow_support import QUICKSTART, open_adapter

#: The quick-start matrix (5 impacts x 3 urgencies, P1-P5) on ServiceNow's 3 x 3 and 1-5.
MAPPING = {
    "impact": {"1": ["organisation", "branch"], "2": ["department", "group"], "3": "person"},
    "urgency": {"1": "high", "2": "normal", "3": "low"},
    "channels": {"u_twitter": "twitter"},
    "custom": {"affected_users": "u_affected_users"},
}
#: Monday 23 November 2026, 10:00 in Amsterdam: office hours.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def adapter(server: ServiceNowEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceNowAdapter]:
    monkeypatch.setenv("SN_CLIENT_SECRET", "matrixcore-secret")
    auth = {
        "type": "oauth",
        "grant": "client_credentials",
        "client_id": "matrixcore",
        "client_secret": {"env": "SN_CLIENT_SECRET"},
    }
    context = AdapterContext(
        session=requests.Session(), logger=logging.getLogger("e2e"), retry=FakeClock().retry_policy()
    )
    made = open_adapter(server, context, "servicenow-prod", auth=auth, page_size=2, mapping=MAPPING)
    yield made
    made.close()


def test_quickstart_rules_on_servicenow(server: ServiceNowEmulator, adapter: ServiceNowAdapter) -> None:
    sn = server.instance
    sn.add_column("incident", "u_affected_users", "integer")
    anna = sn.add_user("anna", name="Anna de Vries", email="anna@example.nl", preferred_language="nl")
    bob = sn.add_user("bob", name="Bob Smith", email="bob@example.com", preferred_language="en", vip="true")
    with server.past(6):  # opened a little before the first sync
        outage = sn.insert(
            "incident",
            {
                "short_description": "Outlook is down for our whole office",
                "caller_id": bob,
                "contact_type": "u_twitter",
                "opened_at": "2026-11-23 08:55:00",
            },
        )["sys_id"]
        password = sn.insert(
            "incident",
            {
                "short_description": "Wachtwoord vergeten",
                "category": "Wachtwoord",
                "caller_id": anna,
                "contact_type": "email",
                "opened_at": "2026-11-23 08:30:00",
            },
        )["sys_id"]
        printers = sn.insert(
            "incident",
            {
                "short_description": "Printers on the second floor",
                "caller_id": anna,
                "contact_type": "self-service",
                "u_affected_users": "12",
                "opened_at": "2026-11-23 08:45:00",
            },
        )["sys_id"]
    engine = Engine(load_ruleset(QUICKSTART))

    batches = list(adapter.fetch(None))
    tickets = {t.id: t for b in batches for t in b.tickets}
    assert set(tickets) == {outage, password, printers}
    with server.past(3):  # matrixcore writes a few seconds before its next sync
        for ticket in tickets.values():
            decision = engine.classify(ticket, NOW)
            adapter.set_priority(ticket, PriorityChange(decision.impact, decision.urgency, decision.priority))
            due = engine.due_messages(ticket, decision, (), NOW)
            for message in due.messages:
                adapter.post_message(ticket, message.text, message.visible_to_requester)
            # Why, for the agents: the decision trace as an internal work note.
            trace = "\n".join(str(step) for step in decision.trace(engine.ruleset))
            adapter.post_message(ticket, f"matrixcore: {decision.priority}\n{trace}", False)

    rows = sn.tables["incident"]
    # Major outage: organisation x high -> impact 1, urgency 1; ServiceNow derives priority 1.
    assert (rows[outage]["impact"], rows[outage]["urgency"], rows[outage]["priority"]) == ("1", "1", "1")
    # Password reset: person x normal -> impact 3, urgency 2 (ServiceNow derives 4; matrixcore says P4).
    assert (rows[password]["impact"], rows[password]["urgency"], rows[password]["priority"]) == (
        "3",
        "2",
        "4",
    )
    # Twelve affected users: branch x normal -> impact 1 (branch shares it with organisation), urgency 2.
    assert (rows[printers]["impact"], rows[printers]["urgency"]) == ("1", "2")

    def comments(sys_id: str) -> list[str]:
        return [e["value"] for e in sn.journal("incident", sys_id) if e["element"] == "comments"]

    # The acknowledgement reaches each caller in their own language, as an Additional comment.
    assert comments(outage) == [comments(outage)[0]]
    assert comments(outage)[0].startswith("Thank you for your ticket INC")
    assert comments(password)[0].startswith("Bedankt voor je melding INC")
    assert all(e["sys_created_by"] == "integration" for s in rows for e in sn.journal("incident", s))

    def notes(sys_id: str) -> list[str]:
        return [e["value"] for e in sn.journal("incident", sys_id) if e["element"] == "work_notes"]

    # The trace went to the agents only: a work note naming the rule, nothing of it in the comments.
    (note,) = notes(outage)
    assert note.startswith("matrixcore: P1\n")
    assert "rule 'major-outage'" in note
    assert "major-outage" not in " ".join(comments(outage))
    assert "rule 'password-reset'" in notes(password)[0]

    # Seeing the tickets again (matrixcore's own writes bumped them) needs no further write.
    cursor = batches[-1].cursor
    again = [t for b in adapter.fetch(cursor) for t in b.tickets]
    assert {t.id for t in again} == {outage, password, printers}
    writes_before = len([r for r in server.requests if r.method == "PATCH"])
    for ticket in again:
        decision = engine.classify(ticket, NOW)
        adapter.set_priority(ticket, PriorityChange(decision.impact, decision.urgency, decision.priority))
    assert len([r for r in server.requests if r.method == "PATCH"]) == writes_before
    # And the journal shows exactly what was posted.
    listed = adapter.list_messages(again[0])
    assert [m.text for m in listed] == [e["value"] for e in sn.journal("incident", again[0].id)]
    assert [m.visible_to_requester for m in listed] == [
        e["element"] == "comments" for e in sn.journal("incident", again[0].id)
    ]
    assert any(not m.visible_to_requester for m in listed)
