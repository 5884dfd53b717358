"""Durable state: cursors, what matrixcore wrote, the decision audit log, the message ledger, timers.

One SQLite file in WAL mode; every cycle step that must be atomic runs in one transaction
(``with store.transaction():``), which is what the daemon's invariants rest on:

* a cursor is committed in the same transaction as the state of its batch, never before;
* a message is recorded ``pending`` (committed) before it is sent and ``sent`` after, so a crash
  in between leaves a pending entry to reconcile against the tool instead of a silent resend;
* the values matrixcore wrote are remembered per ticket, so seeing its own write again causes no
  write (no loops), and an agent's different value is recognised as the agent's (no fights).

The schema is versioned with ``PRAGMA user_version``; opening an older file migrates it forward.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ._records import (
    ConnectionSummary,
    LedgerEntry,
    Pruned,
    Retention,
    StateError,
    TicketState,
    _instant,
    _iso,
)

__all__ = ["SCHEMA_VERSION", "StateStore"]

_MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: the first schema.
    """
    CREATE TABLE cursors (
        connection TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE tickets (
        connection TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        number TEXT NOT NULL DEFAULT '',
        written_impact TEXT,
        written_urgency TEXT,
        written_priority TEXT,
        written_at TEXT,
        agent_priority TEXT,
        snapshot TEXT,
        next_due TEXT,
        closed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (connection, ticket_id)
    );
    CREATE INDEX tickets_due ON tickets (next_due) WHERE next_due IS NOT NULL AND closed = 0;
    CREATE INDEX tickets_number ON tickets (number);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        connection TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        cycle TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        priority TEXT NOT NULL,
        decision TEXT NOT NULL,
        written TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX decisions_ticket ON decisions (connection, ticket_id, id);
    CREATE TABLE messages (
        connection TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        key TEXT NOT NULL,
        policy TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'superseded')),
        visible INTEGER NOT NULL,
        priority TEXT,
        text TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        sent_at TEXT,
        remote_id TEXT,
        PRIMARY KEY (connection, ticket_id, key)
    );
    CREATE INDEX messages_pending ON messages (connection) WHERE state = 'pending';
    """,
    # 2: the cycle that recorded each message, to find its log lines (``matrixcore state``).
    # Migrations only add: a file keeps every row it had, and older rows read as "unknown".
    """
    ALTER TABLE messages ADD COLUMN cycle TEXT;
    """,
    # 3: arrivals per connection, channel and 15-minute interval (UTC), for ``matrixcore forecast``:
    # counts, never ticket rows, so a year of six channels stays a few hundred kilobytes.
    """
    CREATE TABLE IF NOT EXISTS arrivals (
        connection TEXT NOT NULL,
        channel TEXT NOT NULL,
        slot INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (connection, channel, slot)
    ) WITHOUT ROWID;
    """,
    # 4: retention prunes the decision log by age (``Retention``).
    """
    CREATE INDEX IF NOT EXISTS decisions_decided ON decisions (decided_at);
    """,
)
#: The arrival counts' interval: 15 minutes of UTC, the finest a forecast uses (and every zone's
#: offset is a whole number of them), so 30 and 60-minute forecasts add them up in local time.
ARRIVAL_SLOT_SECONDS: Final = 900
#: The schema version this matrixcore writes.
SCHEMA_VERSION: Final = len(_MIGRATIONS)


def _read_only_uri(path: str | Path) -> str:
    """A URI that reads the file without creating anything beside it.

    A plain read-only open of a WAL database creates its ``-wal`` and ``-shm`` files when they are
    missing. They are missing only when no one has the file open (the last connection to close
    removes them), so the file is then complete and may be read as immutable; while a daemon runs,
    the files exist and a read-only open uses them as they are.
    """
    resolved = Path(path).resolve()
    immutable = not Path(f"{resolved}-wal").exists()
    return f"file:{resolved}?mode=ro" + ("&immutable=1" if immutable else "")


class StateStore:
    """The SQLite state file. Thread-safe for the daemon's metrics thread reading while it writes."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        try:
            if read_only:
                if self.path != ":memory:" and not Path(self.path).exists():
                    raise StateError(f"state file {self.path} does not exist")
                uri = _read_only_uri(self.path) if self.path != ":memory:" else ":memory:"
                self._db = sqlite3.connect(uri, uri=self.path != ":memory:", check_same_thread=False)
            else:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.row_factory = sqlite3.Row
            self._migrate()
        except sqlite3.Error as exc:
            raise StateError(f"cannot open state file {self.path}: {exc}") from None
        self._depth = 0

    @classmethod
    def private_copy(cls, path: str | Path) -> StateStore:
        """An in-memory copy of the state file (empty if there is none) for a dry run.

        The dry run remembers what it would have sent within its own session, while the file on
        disk is only ever read.
        """
        copy = cls(":memory:")
        if Path(path).exists():
            source = sqlite3.connect(_read_only_uri(path), uri=True)
            try:
                with copy._lock:
                    source.backup(copy._db)
            finally:
                source.close()
            copy._migrate()
        return copy

    # -- lifecycle ---------------------------------------------------------------------------------
    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_MIGRATIONS):
            raise StateError(
                f"state file {self.path} has schema version {version}, newer than this matrixcore "
                f"understands ({len(_MIGRATIONS)}): upgrade matrixcore or use a backup"
            )
        if version == len(_MIGRATIONS):
            return
        if self.read_only:
            raise StateError(f"state file {self.path} needs a migration; open it once without read-only")
        if version == 0:  # a new file: pages freed by retention go back to the file system
            self._db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        for number in range(version, len(_MIGRATIONS)):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (nested use joins the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._check_writable()
            self._begin()
            self._depth = 1
            try:
                yield
            except BaseException:
                self._end(commit=False)
                raise
            else:
                self._end(commit=True)
            finally:
                self._depth = 0

    def _begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def _end(self, *, commit: bool) -> None:
        self._db.execute("COMMIT" if commit else "ROLLBACK")

    def _check_writable(self) -> None:
        if self.read_only:
            raise StateError("the state store is open read-only (dry run): nothing may change")

    def _write(self, sql: str, args: Sequence[Any], connection: str) -> int:
        """Run one write for ``connection`` in a transaction; the number of rows it changed."""
        with self._lock, self.transaction():
            self._fence(connection)
            return self._execute(sql, args)

    def _fence(self, connection: str) -> None:
        """Refuse a write for a connection this process no longer owns (a shared store's lease)."""

    def check_lease(self, connection: str) -> None:
        """Before a write to the tool: raise if this process may no longer act for ``connection``
        (a shared store's lease); a file has one daemon, which always may."""

    def _execute(self, sql: str, args: Sequence[Any]) -> int:
        return int(self._db.execute(sql, args).rowcount)

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return list(self._db.execute(sql, args))

    # -- cursors -----------------------------------------------------------------------------------
    def cursor(self, connection: str) -> str | None:
        rows = self._rows("SELECT cursor FROM cursors WHERE connection = ?", (connection,))
        return str(rows[0]["cursor"]) if rows else None

    def set_cursor(self, connection: str, cursor: str, now: datetime) -> None:
        self._write(
            "INSERT INTO cursors (connection, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (connection) "
            "DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            (connection, cursor, _iso(now)),
            connection,
        )

    # -- tickets -----------------------------------------------------------------------------------
    def ticket(self, connection: str, ticket_id: str) -> TicketState | None:
        rows = self._rows(
            "SELECT * FROM tickets WHERE connection = ? AND ticket_id = ?", (connection, ticket_id)
        )
        return self._ticket_state(rows[0]) if rows else None

    @staticmethod
    def _ticket_state(row: Any) -> TicketState:
        return TicketState(
            connection=row["connection"],
            ticket_id=row["ticket_id"],
            number=row["number"],
            written_impact=row["written_impact"],
            written_urgency=row["written_urgency"],
            written_priority=row["written_priority"],
            written_at=_instant(row["written_at"]),
            agent_priority=row["agent_priority"],
            snapshot=json.loads(row["snapshot"]) if row["snapshot"] else None,
            next_due=_instant(row["next_due"]),
            closed=bool(row["closed"]),
        )

    def save_ticket(self, state: TicketState) -> None:
        self._write(
            "INSERT INTO tickets (connection, ticket_id, number, written_impact, written_urgency, "
            "written_priority, written_at, agent_priority, snapshot, next_due, closed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (connection, ticket_id) DO UPDATE SET "
            "number = excluded.number, written_impact = excluded.written_impact, "
            "written_urgency = excluded.written_urgency, written_priority = excluded.written_priority, "
            "written_at = excluded.written_at, agent_priority = excluded.agent_priority, "
            "snapshot = excluded.snapshot, next_due = excluded.next_due, closed = excluded.closed",
            (
                state.connection,
                state.ticket_id,
                state.number,
                state.written_impact,
                state.written_urgency,
                state.written_priority,
                _iso(state.written_at),
                state.agent_priority,
                json.dumps(state.snapshot, default=str) if state.snapshot is not None else None,
                _iso(state.next_due),
                int(state.closed),
            ),
            state.connection,
        )

    def tickets(self, connection: str, *, open_only: bool = False) -> list[TicketState]:
        """Every ticket of a connection as last seen (``open_only``: not resolved or gone): the
        history and the queue predicted misses are read from, with no request to the tool."""
        sql = "SELECT * FROM tickets WHERE connection = ?" + (" AND closed = 0" if open_only else "")
        return [self._ticket_state(r) for r in self._rows(sql + " ORDER BY ticket_id", (connection,))]

    def due_tickets(self, connection: str, now: datetime, limit: int = 1000) -> list[TicketState]:
        """Open tickets whose next timed message is due at ``now``, earliest first."""
        rows = self._rows(
            "SELECT * FROM tickets WHERE connection = ? AND closed = 0 AND next_due IS NOT NULL "
            "AND next_due <= ? ORDER BY next_due LIMIT ?",
            (connection, _iso(now), limit),
        )
        return [self._ticket_state(r) for r in rows]

    def next_due(self, connection: str | None = None) -> datetime | None:
        """The earliest timer of any open ticket (of one connection), for the daemon's sleep."""
        sql = "SELECT MIN(next_due) AS due FROM tickets WHERE closed = 0 AND next_due IS NOT NULL"
        rows = self._rows(sql + " AND connection = ?", (connection,)) if connection else self._rows(sql)
        return _instant(rows[0]["due"]) if rows else None

    # -- audit log ---------------------------------------------------------------------------------
    def record_decision(
        self,
        connection: str,
        ticket_id: str,
        cycle: str,
        decided_at: datetime,
        decision: Mapping[str, Any],
        written: Mapping[str, Any],
        note: str = "",
    ) -> None:
        self._write(
            "INSERT INTO decisions (connection, ticket_id, cycle, decided_at, priority, decision, written, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                connection,
                ticket_id,
                cycle,
                _iso(decided_at),
                str(decision.get("priority", "")),
                json.dumps(decision, default=str),
                json.dumps(written, default=str),
                note,
            ),
            connection,
        )

    def decisions(self, connection: str, ticket_id: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT * FROM decisions WHERE connection = ? AND ticket_id = ? ORDER BY id DESC LIMIT ?",
            (connection, ticket_id, limit),
        )
        return [
            {
                "cycle": r["cycle"],
                "decided_at": r["decided_at"],
                "priority": r["priority"],
                "decision": json.loads(r["decision"]),
                "written": json.loads(r["written"]),
                "note": r["note"],
            }
            for r in reversed(rows)
        ]

    def find_tickets(self, reference: str) -> list[TicketState]:
        """Tickets whose id or number is ``reference`` (``4711``, ``INC0012345``), in any connection."""
        rows = self._rows("SELECT * FROM tickets WHERE ticket_id = ? OR number = ?", (reference, reference))
        return [self._ticket_state(r) for r in rows]

    # -- message ledger ----------------------------------------------------------------------------
    def messages(self, connection: str, ticket_id: str) -> list[LedgerEntry]:
        rows = self._rows(
            "SELECT * FROM messages WHERE connection = ? AND ticket_id = ? ORDER BY recorded_at, key",
            (connection, ticket_id),
        )
        return [self._entry(r) for r in rows]

    @staticmethod
    def _entry(row: Any) -> LedgerEntry:
        return LedgerEntry(
            connection=row["connection"],
            ticket_id=row["ticket_id"],
            key=row["key"],
            policy=row["policy"],
            state=row["state"],
            visible_to_requester=bool(row["visible"]),
            priority=row["priority"],
            text=row["text"],
            recorded_at=_instant(row["recorded_at"]) or datetime.min.replace(tzinfo=UTC),
            sent_at=_instant(row["sent_at"]),
            remote_id=row["remote_id"],
            cycle=row["cycle"] or "",
        )

    def record_pending(self, entry: LedgerEntry) -> bool:
        """Record a message as about to be sent; ``False`` if its key is already in the ledger."""
        return (
            self._write(
                "INSERT INTO messages (connection, ticket_id, key, policy, state, visible, "
                "priority, text, recorded_at, cycle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (connection, ticket_id, key) DO NOTHING",
                (
                    entry.connection,
                    entry.ticket_id,
                    entry.key,
                    entry.policy,
                    "superseded" if entry.state == "superseded" else "pending",
                    int(entry.visible_to_requester),
                    entry.priority,
                    entry.text,
                    _iso(entry.recorded_at),
                    entry.cycle or None,
                ),
                entry.connection,
            )
            == 1
        )

    def mark_sent(
        self, connection: str, ticket_id: str, key: str, sent_at: datetime, remote_id: str = ""
    ) -> None:
        self._write(
            "UPDATE messages SET state = 'sent', sent_at = ?, remote_id = ? "
            "WHERE connection = ? AND ticket_id = ? AND key = ?",
            (_iso(sent_at), remote_id or None, connection, ticket_id, key),
            connection,
        )

    def forget_pending(self, connection: str, ticket_id: str, key: str) -> None:
        """Drop a pending entry that reconciliation showed was never sent (so it may be sent again)."""
        self._write(
            "DELETE FROM messages WHERE connection = ? AND ticket_id = ? AND key = ? AND state = 'pending'",
            (connection, ticket_id, key),
            connection,
        )

    def pending(self, connection: str) -> list[LedgerEntry]:
        """Messages recorded as pending but never confirmed sent: a crash happened in between."""
        rows = self._rows(
            "SELECT * FROM messages WHERE connection = ? AND state = 'pending' ORDER BY recorded_at",
            (connection,),
        )
        return [self._entry(r) for r in rows]

    def count_arrival(self, connection: str, channel: str, created: datetime) -> None:
        """One more ticket arrived (was created) in ``channel``; call inside the ticket's transaction."""
        slot = int(created.timestamp() // ARRIVAL_SLOT_SECONDS)
        self._write(
            "INSERT INTO arrivals (connection, channel, slot, count) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (connection, channel, slot) DO UPDATE SET count = arrivals.count + 1",
            (connection, channel, slot),
            connection,
        )

    def replace_arrivals(
        self, connection: str, counts: Mapping[tuple[str, int], int], first_slot: int, last_slot: int
    ) -> None:
        """Backfill: the counts of ``first_slot..last_slot`` (every channel) become ``counts``, whose
        keys are ``(channel, slot)``; run twice with the same export, the state is the same."""
        with self._lock, self.transaction():
            self._fence(connection)
            self._execute(
                "DELETE FROM arrivals WHERE connection = ? AND slot BETWEEN ? AND ?",
                (connection, first_slot, last_slot),
            )
            for (channel, slot), n in counts.items():
                if n:
                    self._execute(
                        "INSERT INTO arrivals (connection, channel, slot, count) VALUES (?, ?, ?, ?)",
                        (connection, channel, slot, n),
                    )

    def arrivals(self, connection: str | None = None) -> list[tuple[str, str, int, int]]:
        """``(connection, channel, slot, count)`` for one connection or all; a slot is 15 minutes of UTC
        (``ARRIVAL_SLOT_SECONDS``) from the epoch."""
        where, args = ("WHERE connection = ?", (connection,)) if connection else ("", ())
        rows = self._rows(f"SELECT connection, channel, slot, count FROM arrivals {where}", args)
        return [(r["connection"], r["channel"], r["slot"], r["count"]) for r in rows]

    def counts(self) -> dict[str, int]:
        """Sizes of each table, for ``matrixcore state`` and metrics."""
        out = {}
        for table in ("cursors", "tickets", "decisions", "messages"):
            out[table] = int(self._rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
        return out

    @property
    def schema_version(self) -> int:
        return int(self._rows("PRAGMA user_version")[0][0])

    def summaries(self) -> list[ConnectionSummary]:
        """Every connection the file knows (by cursor, ticket or decision), with its counts."""
        names = sorted(
            {
                str(r["connection"])
                for r in self._rows(
                    "SELECT connection FROM cursors UNION SELECT DISTINCT connection FROM tickets "
                    "UNION SELECT DISTINCT connection FROM decisions"
                )
            }
        )
        out = []
        for name in names:
            cursor = self._rows("SELECT cursor, updated_at FROM cursors WHERE connection = ?", (name,))
            tickets = self._rows(
                "SELECT COUNT(*) AS n, "
                "SUM(CASE WHEN closed = 0 AND next_due IS NOT NULL THEN 1 ELSE 0 END) AS timers, "
                "MIN(CASE WHEN closed = 0 THEN next_due END) AS due FROM tickets WHERE connection = ?",
                (name,),
            )[0]
            decisions = self._rows(
                "SELECT COUNT(*) AS n, MAX(decided_at) AS last FROM decisions WHERE connection = ?", (name,)
            )[0]
            states = self._rows(
                "SELECT state, COUNT(*) AS n FROM messages WHERE connection = ? GROUP BY state", (name,)
            )
            out.append(
                ConnectionSummary(
                    connection=name,
                    cursor=str(cursor[0]["cursor"]) if cursor else None,
                    cursor_updated_at=_instant(cursor[0]["updated_at"]) if cursor else None,
                    tickets=int(tickets["n"]),
                    open_timers=int(tickets["timers"] or 0),
                    next_due=_instant(tickets["due"]),
                    decisions=int(decisions["n"]),
                    last_decision_at=_instant(decisions["last"]),
                    messages={str(r["state"]): int(r["n"]) for r in states},
                )
            )
        return out

    # -- retention ---------------------------------------------------------------------------------
    def prune(self, retention: Retention, now: datetime, stop: Callable[[], bool] = lambda: False) -> Pruned:
        """Drop what retention lets go, in short transactions, then give the freed pages back.

        Kept whatever its age: the latest decision of every open ticket (why it has its priority) and
        the whole message ledger (it is what prevents a second message). Dropped: decisions older
        than ``retention.decisions`` and the timers of closed tickets (nothing is due for them).
        """
        self._check_writable()
        cutoff = _iso(now - retention.decisions) if retention.decisions is not None else None
        timers = 0
        with self._lock, self.transaction():
            timers = self._execute(
                "UPDATE tickets SET next_due = NULL WHERE closed = 1 AND next_due IS NOT NULL", ()
            )
        decisions = 0
        while cutoff is not None:
            with self._lock, self.transaction():
                gone = self._execute(_PRUNE_DECISIONS, (cutoff, retention.batch))
            decisions += gone
            if gone < retention.batch or stop():
                break
        freed = self._compact() if decisions or timers else 0
        return Pruned(decisions=decisions, timers=timers, freed_bytes=freed)

    def _compact(self) -> int:
        """Return free pages to the file system; a file from before auto-vacuum is rebuilt once."""
        with self._lock:
            if self.path == ":memory:":
                return 0
            page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
            if not free:
                return 0
            if int(self._db.execute("PRAGMA auto_vacuum").fetchone()[0]) == 2:
                self._db.execute("PRAGMA incremental_vacuum")
            else:
                pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
                if free * 4 < pages:  # reused by later inserts: not worth a rebuild
                    return 0
                self._db.execute("PRAGMA auto_vacuum = INCREMENTAL")
                self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return (free - int(self._db.execute("PRAGMA freelist_count").fetchone()[0])) * page_size

    def size_bytes(self) -> int:
        """The bytes the state occupies (file and write-ahead log), for metrics and benchmarks."""
        if self.path == ":memory:":
            return 0
        return sum(
            Path(f"{self.path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{self.path}{s}").exists()
        )


#: One batch of decisions older than the cutoff that are not the latest of an open ticket.
_PRUNE_DECISIONS: Final = """
DELETE FROM decisions WHERE id IN (
    SELECT d.id FROM decisions d WHERE d.decided_at < ? AND (
        EXISTS (SELECT 1 FROM decisions n WHERE n.connection = d.connection AND n.ticket_id = d.ticket_id
                AND n.id > d.id)
        OR NOT EXISTS (SELECT 1 FROM tickets t WHERE t.connection = d.connection
                       AND t.ticket_id = d.ticket_id AND t.closed = 0)
    ) LIMIT ?
)
"""
