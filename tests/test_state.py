"""The state store: atomic cycles, a ledger that never forgets, read-only in dry runs."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from matrixcore.state import LedgerEntry, StateError, StateStore, TicketState

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with StateStore(tmp_path / "state.sqlite3") as opened:
        yield opened


def entry(key="ack", state="pending", **fields):
    return LedgerEntry(
        "td", "1", key, fields.pop("policy", "acknowledge"), state, True, "P3", "Hello", NOW, **fields
    )


def test_cursor_moves_only_with_its_transaction(store):
    store.set_cursor("td", "c1", NOW)

    def batch_that_crashes():
        with store.transaction():
            store.set_cursor("td", "c2", NOW)
            store.save_ticket(TicketState("td", "1", written_priority="P2"))
            raise RuntimeError("crash before the batch was durable")

    with pytest.raises(RuntimeError):
        batch_that_crashes()
    assert store.cursor("td") == "c1"
    assert store.ticket("td", "1") is None


def test_state_survives_reopening(tmp_path):
    path = tmp_path / "state.sqlite3"
    with StateStore(path) as store:
        store.set_cursor("td", "c9", NOW)
        store.save_ticket(
            TicketState("td", "1", "I 42", "high", None, "P1", NOW, None, {"id": "1"}, NOW, False)
        )
    with StateStore(path) as again:
        assert again.cursor("td") == "c9"
        state = again.ticket("td", "1")
        assert (state.number, state.written_priority, state.snapshot, state.next_due) == (
            "I 42",
            "P1",
            {"id": "1"},
            NOW,
        )
        assert again.find_tickets("I 42") == [state]


def test_a_message_key_is_recorded_once(store):
    assert store.record_pending(entry())
    assert not store.record_pending(entry())  # a second attempt to send the same message is refused
    assert [e.key for e in store.pending("td")] == ["ack"]
    store.mark_sent("td", "1", "ack", NOW, "remote-7")
    assert store.pending("td") == []
    (sent,) = store.messages("td", "1")
    assert (sent.state, sent.remote_id, sent.sent_at) == ("sent", "remote-7", NOW)
    assert sent.as_sent().key == "ack"


def test_reconciliation_can_forget_an_unsent_pending_message(store):
    store.record_pending(entry())
    store.forget_pending("td", "1", "ack")
    assert store.messages("td", "1") == []
    # A sent message is never forgotten.
    store.record_pending(entry("k2"))
    store.mark_sent("td", "1", "k2", NOW)
    store.forget_pending("td", "1", "k2")
    assert [e.key for e in store.messages("td", "1")] == ["k2"]


def test_superseded_stages_block_their_key_but_announce_nothing(store):
    store.record_pending(entry("warn:P3", state="superseded", policy="pickup-warning"))
    (seen,) = store.messages("td", "1")
    assert seen.state == "superseded"
    sent = seen.as_sent()
    assert (sent.visible_to_requester, sent.priority) == (False, None)


def test_timers_find_due_open_tickets(store):
    store.save_ticket(TicketState("td", "1", next_due=NOW))
    store.save_ticket(TicketState("td", "2", next_due=NOW + timedelta(hours=1)))
    store.save_ticket(TicketState("td", "3", next_due=NOW - timedelta(hours=1), closed=True))
    assert [t.ticket_id for t in store.due_tickets("td", NOW)] == ["1"]
    assert store.next_due() == NOW
    assert store.next_due("other") is None


def test_audit_log_keeps_every_decision(store):
    store.record_decision("td", "1", "cycle-1", NOW, {"priority": "P3"}, {"priority": "P3"})
    store.record_decision("td", "1", "cycle-2", NOW, {"priority": "P2"}, {}, "agent changed priority: kept")
    history = store.decisions("td", "1")
    assert [h["priority"] for h in history] == ["P3", "P2"]
    assert history[1]["note"] == "agent changed priority: kept"
    assert store.counts()["decisions"] == 2


def test_read_only_store_changes_nothing(tmp_path):
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    with StateStore(path, read_only=True) as store:
        assert store.cursor("td") is None
        with pytest.raises(StateError, match="read-only"):
            store.set_cursor("td", "c", NOW)
    with pytest.raises(StateError, match="does not exist"):
        StateStore(tmp_path / "missing.sqlite3", read_only=True)


def test_newer_schema_is_refused_with_advice(tmp_path):
    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StateError, match="newer than this matrixcore"):
        StateStore(path)


def test_a_version_1_file_migrates_forward_keeping_every_row(tmp_path):
    from matrixcore.state._sqlite import _MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[0])
    db.execute(
        "INSERT INTO messages (connection, ticket_id, key, policy, state, visible, priority, text, "
        "recorded_at) VALUES ('td', '1', 'ack', 'acknowledge', 'sent', 1, 'P3', 'Hello', ?)",
        (NOW.isoformat(),),
    )
    db.execute("INSERT INTO cursors VALUES ('td', 'c7', ?)", (NOW.isoformat(),))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="needs a migration"):
        StateStore(path, read_only=True)
    with StateStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        assert store.cursor("td") == "c7"
        (old,) = store.messages("td", "1")
        assert (old.key, old.state, old.cycle) == ("ack", "sent", "")
        store.record_pending(entry("k2", cycle="cycle-9"))
        assert store.messages("td", "1")[1].cycle == "cycle-9"


def test_summaries_count_each_connection(store):
    store.set_cursor("td", "c1", NOW)
    store.save_ticket(TicketState("td", "1", next_due=NOW))
    store.save_ticket(TicketState("td", "2", closed=True, next_due=NOW))
    store.record_pending(entry())
    store.record_decision("zd", "9", "cycle-1", NOW, {"priority": "P3"}, {})
    td, zd = store.summaries()
    assert (td.connection, td.cursor, td.tickets, td.open_timers, td.next_due) == ("td", "c1", 2, 1, NOW)
    assert td.messages == {"pending": 1}
    assert (zd.connection, zd.cursor, zd.decisions, zd.last_decision_at) == ("zd", None, 1, NOW)
    assert zd.as_dict()["last_decision_at"] == NOW.isoformat()
