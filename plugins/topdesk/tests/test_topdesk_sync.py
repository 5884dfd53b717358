"""matrixcore's own sync cycle against the emulated TOPdesk: what the daemon does, cycle after cycle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from matrixcore_topdesk.testing import ManualClock
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import (
    PASSWORD,
    PASSWORD_ENV,
    QUICKSTART_RULES,
    assert_conforms,
    connection_settings,
    open_adapter,
)

from matrixcore import Engine, load_ruleset
from matrixcore._sync import CycleReport, SyncOptions, sync_connection
from matrixcore.state import StateStore

MONDAY_1000_AMSTERDAM = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Desk = tuple[TopdeskServer, ManualClock]


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    clock = ManualClock(MONDAY_1000_AMSTERDAM)
    with TopdeskServer(clock=clock) as topdesk:
        yield topdesk, clock
        assert not topdesk.errors
        assert_conforms(topdesk)


@pytest.fixture
def engine() -> Engine:
    return Engine(load_ruleset(QUICKSTART_RULES))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(tmp_path / "state.db") as opened:
        yield opened


def cycle(adapter: Any, store: StateStore, engine: Engine, clock: ManualClock, **options: Any) -> CycleReport:
    report = sync_connection("td", adapter, store, engine, clock.now, options=SyncOptions(**options))
    assert report.ok, report.error
    return report


def test_cycles_settle_explain_themselves_and_respect_agents(
    desk: Desk, engine: Engine, store: StateStore
) -> None:
    topdesk, clock = desk
    adapter = open_adapter(connection_settings(topdesk))
    outage = topdesk.store.add_incident("Outlook is down", caller="Ann", entry_type="Twitter")
    printer = topdesk.store.add_incident("Printer <2e> & kopieerapparaat", caller="Bob")
    clock.advance(minutes=1)

    first = cycle(adapter, store, engine, clock, trace_notes=True)
    clock.advance(minutes=1)
    second = cycle(adapter, store, engine, clock, trace_notes=True)
    topdesk.store.agent_update(outage["id"], priority="P2 Hoog")
    clock.advance(minutes=1)
    third = cycle(adapter, store, engine, clock, trace_notes=True)

    assert first.writes == 2
    assert (second.writes, second.agent_kept) == (0, 0)  # our own writes came back: nothing to do
    assert (third.writes, third.agent_kept) == (0, 1)
    assert topdesk.store.get(outage["id"])["priority"]["name"] == "P2 Hoog"  # the agent's, kept
    note, ack = topdesk.store.actions[outage["id"]][:2]
    assert note["invisibleForCaller"] is True
    head, *steps = note["memoText"].split("<br>")  # one trace step a line
    assert head.startswith("matrixcore set ")
    assert {"impact = organisation", "urgency = high", "priority = P1"} <= set(head[15:-1].split(", "))
    assert steps[0].startswith("- impact = organisation: rule 'major-outage'")
    assert "major-outage" in note["plainText"]
    assert ack["invisibleForCaller"] is False
    assert ack["plainText"].startswith("Thank you for your ticket")
    assert [a["invisibleForCaller"] for a in topdesk.store.actions[printer["id"]]] == [True, False]


def test_a_dry_run_cycle_sends_only_gets(desk: Desk, engine: Engine, store: StateStore) -> None:
    topdesk, clock = desk
    topdesk.store.add_incident("Outlook is down", caller="Ann", entry_type="Twitter")
    adapter = open_adapter(connection_settings(topdesk), read_only=True)
    report = cycle(adapter, store, engine, clock, dry_run=True, trace_notes=True)
    assert (report.writes, sum(report.messages.values())) == (1, 2)  # what it would do
    assert {r.method for r in topdesk.requests} == {"GET"}
    assert all(not actions for actions in topdesk.store.actions.values())


def test_a_message_posted_just_before_a_crash_is_found_not_resent(
    desk: Desk, engine: Engine, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    topdesk, clock = desk
    incident = topdesk.store.add_incident("Printer <2e> verdieping & scanner\nkapot", caller="Bob")
    adapter = open_adapter(connection_settings(topdesk))
    mark_sent = StateStore.mark_sent

    def crash(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed between posting and recording")

    monkeypatch.setattr(StateStore, "mark_sent", crash)
    with pytest.raises(SystemExit):
        sync_connection("td", adapter, store, engine, clock.now, options=SyncOptions(trace_notes=True))
    monkeypatch.setattr(StateStore, "mark_sent", mark_sent)
    assert len(topdesk.store.actions[incident["id"]]) == 1  # posted in TOPdesk, pending in the ledger
    clock.advance(minutes=1)
    report = cycle(adapter, store, engine, clock, trace_notes=True)
    assert report.reconciled == 1
    note, ack = topdesk.store.actions[incident["id"]]  # each once: the note found, not resent
    assert note["plainText"].startswith("matrixcore set ")
    assert ack["plainText"].startswith(f"Thank you for your ticket {incident['number']}.")


@pytest.mark.parametrize("fate", ["deleted", "archived"])
def test_an_incident_gone_from_topdesk_stops_its_timers_not_the_connection(
    desk: Desk, engine: Engine, store: StateStore, fate: str
) -> None:
    topdesk, clock = desk
    adapter = open_adapter(connection_settings(topdesk))
    gone = topdesk.store.add_incident("Outlook is down", caller="Ann", entry_type="Twitter")
    clock.advance(seconds=1)
    kept = topdesk.store.add_incident("Outlook storing", caller="Bob", entry_type="Twitter")
    cycle(adapter, store, engine, clock)
    clock.advance(seconds=30)
    cycle(adapter, store, engine, clock)  # our own writes, seen once more
    if fate == "deleted":
        topdesk.store.remove(gone["id"])
    else:
        topdesk.store.archive(gone["id"])
    clock.advance(minutes=13)  # both pickup warnings (80% of 15 minutes) are due
    report = cycle(adapter, store, engine, clock)
    assert report.timers == 2
    assert store.ticket("td", gone["id"]).closed
    assert [a["plainText"][:24] for a in topdesk.store.actions[kept["id"]]] == [
        "Thank you for your ticke",
        "Your ticket I 2611 002 n",
    ]
    clock.advance(minutes=5)
    asked = len(topdesk.requests)
    cycle(adapter, store, engine, clock)
    assert any(a["plainText"].startswith("We are sorry") for a in topdesk.store.actions[kept["id"]])
    assert not [r for r in topdesk.requests[asked:] if gone["id"] in r.path]  # never asked again
