"""matrixcore's sync cycle over ServiceNow, cycle after cycle: impact and urgency written once,
the decision trace as a work note, nothing written or said again, and an agent's change kept.

ServiceNow derives the priority; with the base system's lookup, impact 2 x urgency 3 gives 4
where the quick-start matrix says department x low -> P3, so the cycle must not compare priority
with what it decided (``SyncOptions.writable`` from the adapter)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from matrixcore import AdapterContext, Engine, Ticket, load_ruleset
from matrixcore._sync import CycleReport, SyncOptions, sync_connection
from matrixcore.state import StateStore
from matrixcore.testing import FakeClock
from matrixcore_servicenow import ServiceNowAdapter
from matrixcore_servicenow.testing import ServiceNowEmulator

from servicenow_support import QUICKSTART, open_adapter

MAPPING = {
    "impact": {"1": ["organisation", "branch"], "2": ["department", "group"], "3": "person"},
    "urgency": {"1": "high", "2": "normal", "3": "low"},
    "custom": {"affected_users": "u_affected_users"},
}


@pytest.fixture
def adapter(server: ServiceNowEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceNowAdapter]:
    monkeypatch.setenv("SN_PASSWORD", "integration")
    auth = {"type": "basic", "username": "integration", "password": {"env": "SN_PASSWORD"}}
    context = AdapterContext(
        session=requests.Session(), logger=logging.getLogger("sync"), retry=FakeClock().retry_policy()
    )
    made = open_adapter(server, context, auth=auth, mapping=MAPPING)
    yield made
    made.close()


def adapter_ticket(adapter: ServiceNowAdapter, sys_id: str) -> Ticket:
    return Ticket(source="sn", id=sys_id, created=datetime.now(UTC))


def test_cycles_settle_with_servicenows_own_priority(
    server: ServiceNowEmulator, adapter: ServiceNowAdapter, tmp_path: Path
) -> None:
    sn = server.instance
    sn.add_column("incident", "u_affected_users", "integer")
    with server.past(8):
        ticket = sn.insert(
            "incident",
            {"short_description": "Beamer in zaal 4", "category": "Question", "u_affected_users": "5"},
        )["sys_id"]
    engine = Engine(load_ruleset(QUICKSTART))
    store = StateStore(tmp_path / "state.db")
    options = SyncOptions(writable=adapter.writable, trace_notes=True)
    assert adapter.writable == frozenset({"impact", "urgency"})

    def cycle() -> CycleReport:
        with server.past(3):  # our writes land a moment before the next cycle reads
            report = sync_connection("sn", adapter, store, engine, datetime.now(UTC), options=options)
        assert report.ok, report.error
        return report

    first, second = cycle(), cycle()
    row = sn.tables["incident"][ticket]
    assert (row["impact"], row["urgency"], row["priority"]) == ("2", "3", "4")  # department x low
    assert (first.writes, dict(first.messages)) == (1, {"acknowledge": 1, "trace": 1})
    # Our own writes come back: nothing written, no agent seen, nothing said again.
    assert (second.tickets, second.writes, second.agent_kept, dict(second.messages)) == (1, 0, 0, {})

    journal = {e["element"]: e["value"] for e in sn.journal("incident", ticket)}
    assert len(journal) == len(sn.journal("incident", ticket)) == 2  # one of each
    trace = journal["work_notes"]  # internal: agents see why, the caller does not
    assert trace.startswith("matrixcore set impact = department:")  # urgency was 3 (low) already
    assert "department-wide" in trace
    assert "questions-and-wishes" in trace
    assert journal["comments"].startswith("Thank you for your ticket INC")
    assert "department-wide" not in journal["comments"]
    listed = {m.text: m.visible_to_requester for m in adapter.list_messages(adapter_ticket(adapter, ticket))}
    assert listed == {trace: False, journal["comments"]: True}

    with server.past(2):
        sn.update("incident", ticket, {"impact": "1"}, user="admin")  # an agent raises the impact
    third = cycle()
    assert (third.writes, third.agent_kept) == (0, 1)
    assert sn.tables["incident"][ticket]["impact"] == "1"
