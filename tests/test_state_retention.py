"""Retention of the decision log: old decisions go, what prevents a wrong write or a second message
stays, and the file gives the space back."""

from __future__ import annotations

import sqlite3
import textwrap
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_daemon import Running, helpdesks, make_daemon, token, wait_for  # noqa: F401

from matrixcore._config import load_config
from matrixcore._daemon_settings import DaemonSettings
from matrixcore._errors import ConfigError
from matrixcore.state import LedgerEntry, PostgresStateStore, Retention, StateStore, TicketState

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
DECISION = {"priority": "P3", "trace": ["x" * 400]}


def _decide(store: StateStore, ticket: str, at: datetime, priority: str = "P3") -> None:
    store.record_decision("td", ticket, f"cycle-{at.isoformat()}", at, {**DECISION, "priority": priority}, {})


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """What retention keeps and drops is the same on both stores."""
    if request.param == "sqlite":
        opened = StateStore(tmp_path / "state.sqlite3")
    else:
        opened = PostgresStateStore(request.getfixturevalue("postgres_url"))
    with opened:
        yield opened


def test_old_decisions_go_but_each_open_tickets_latest_and_the_ledger_stay(any_store: StateStore) -> None:
    with nullcontext(any_store) as store:
        old, young = NOW - timedelta(days=100), NOW - timedelta(days=1)
        store.save_ticket(TicketState("td", "open-old", next_due=NOW))  # only old decisions
        store.save_ticket(TicketState("td", "open-mixed"))
        store.save_ticket(TicketState("td", "closed", closed=True, next_due=NOW + timedelta(hours=1)))
        for i in range(3):
            _decide(store, "open-old", old + timedelta(minutes=i), f"P{i + 1}")
            _decide(store, "open-mixed", old + timedelta(minutes=i))
            _decide(store, "closed", old + timedelta(minutes=i))
        _decide(store, "open-mixed", young, "P1")
        store.record_pending(
            LedgerEntry("td", "closed", "ack", "acknowledge", "pending", True, "P3", "Hi", old)
        )
        store.mark_sent("td", "closed", "ack", old)

        pruned = store.prune(Retention(decisions=timedelta(days=90), batch=2), NOW)

        assert (pruned.decisions, pruned.timers) == (2 + 3 + 3, 1)
        assert [d["priority"] for d in store.decisions("td", "open-old")] == ["P3"]  # why it is P3
        assert [d["priority"] for d in store.decisions("td", "open-mixed")] == ["P1"]
        assert store.decisions("td", "closed") == []
        assert store.ticket("td", "closed").next_due is None
        assert store.ticket("td", "open-old").next_due == NOW  # an open ticket's timer is kept
        assert [e.key for e in store.messages("td", "closed")] == ["ack"]  # never sent twice
        assert not store.record_pending(
            LedgerEntry("td", "closed", "ack", "acknowledge", "pending", True, "P3", "Hi", NOW)
        )


def test_forever_keeps_every_decision_and_still_drops_closed_timers(any_store: StateStore) -> None:
    with nullcontext(any_store) as store:
        store.save_ticket(TicketState("td", "1", closed=True, next_due=NOW))
        _decide(store, "1", NOW - timedelta(days=1000))
        pruned = store.prune(Retention(decisions=None), NOW)
        assert (pruned.decisions, pruned.timers) == (0, 1)
        assert len(store.decisions("td", "1")) == 1


def _fill(store: StateStore, n: int, at: datetime) -> None:
    with store.transaction():
        for i in range(n):
            store.save_ticket(TicketState("td", str(i), closed=True))
            _decide(store, str(i), at)


def test_the_file_gives_freed_space_back(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with StateStore(path) as store:
        _fill(store, 3000, NOW - timedelta(days=200))
        store.prune(Retention(decisions=None), NOW)  # checkpoints nothing away: all still wanted
        full = store.size_bytes()
        pruned = store.prune(Retention(decisions=timedelta(days=90)), NOW)
        assert pruned.decisions == 3000
        assert pruned.freed_bytes > 1_000_000
        assert store.size_bytes() < full / 3


def test_a_file_from_before_auto_vacuum_is_rebuilt_once_mostly_free(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with StateStore(path) as store:
        _fill(store, 3000, NOW - timedelta(days=200))
    db = sqlite3.connect(path)  # as version 2 made it: no auto-vacuum
    db.execute("PRAGMA auto_vacuum = NONE")
    db.execute("VACUUM")
    db.close()
    before = path.stat().st_size
    with StateStore(path) as store:
        store.prune(Retention(decisions=timedelta(days=90)), NOW)
        assert store.size_bytes() < before / 3
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on
    db.close()


def test_a_dry_run_copy_is_never_pruned(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    with StateStore(path, read_only=True) as store, pytest.raises(Exception, match="read-only"):
        store.prune(Retention(), NOW)


def _settings(tmp_path: Path, state: str) -> DaemonSettings:
    path = tmp_path / "matrixcore.yaml"
    path.write_text(f"rules: rules.yaml\nstate:\n{textwrap.indent(textwrap.dedent(state), '  ')}")
    return DaemonSettings.from_config(load_config(path))


def test_retention_from_the_config(tmp_path: Path) -> None:
    assert _settings(tmp_path, "path: s.sqlite3\n").retention == Retention()
    assert _settings(tmp_path, "retention: false\n").retention is None
    chosen = _settings(tmp_path, "retention:\n  decisions: 30d\n  every: 10m\n").retention
    assert chosen == Retention(decisions=timedelta(days=30), every=timedelta(minutes=10))
    assert _settings(tmp_path, "retention: {decisions: forever}\n").retention == Retention(decisions=None)
    assert _settings(tmp_path, "retention: {decisions: 7d}\n").as_dict()["retention"] == {
        "decisions": "7d",
        "every": "1h",
    }


def test_a_bad_retention_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        _settings(tmp_path, "path: s.sqlite3\nretention:\n  decisions: soon\n")
    assert "matrixcore.yaml:5:5: state.retention.decisions: not a duration" in str(error.value)


def test_the_daemon_prunes_while_it_runs(tmp_path: Path, helpdesks: dict) -> None:  # noqa: F811
    daemon = make_daemon(tmp_path, helpdesks, retention=Retention(decisions=timedelta(days=1)))
    with daemon.store.transaction():
        daemon.store.save_ticket(TicketState("alpha", "gone-1", closed=True, next_due=NOW))
        _decide(daemon.store, "gone-1", datetime.now(UTC) - timedelta(days=3))
    with Running(daemon):
        wait_for(lambda: not daemon.store.decisions("td", "gone-1"), what="the old decision to go")
        wait_for(lambda: daemon.store.ticket("alpha", "gone-1").next_due is None, what="the closed timer")
