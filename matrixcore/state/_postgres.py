"""The PostgreSQL state store: the SQLite store's interface over a database several daemons share.

The same tables and queries as the SQLite file (instants as ISO 8601 text in UTC, so a state copied
between the two compares equal), plus ``leases`` and ``daemons`` for dividing the connections among
daemons (``_leases``). What changes:

* uniqueness of the message ledger is the database's primary key, so two daemons can never both
  record (and so send) one message;
* with ``fences`` set (a daemon that holds leases), every write transaction first checks, under a
  share lock on the lease row, that this daemon still holds the connection's lease with the epoch it
  claimed: a takeover (which updates that row) waits for the transaction, and every later write of
  the old owner is rejected with ``FencedWrite``;
* migrations are numbered in ``matrixcore_schema`` and run under an advisory lock, so daemons that
  start together migrate once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

from ._records import Pruned, Retention, StateError, _iso
from ._sqlite import _PRUNE_DECISIONS, StateStore

try:  # an optional dependency: ``pip install "matrixcore-itsm[postgres]"``
    import psycopg
    from psycopg.rows import dict_row
except ImportError:  # pragma: no cover - exercised only without the extra
    psycopg = None  # type: ignore[assignment]

__all__ = ["PG_SCHEMA_VERSION", "FencedWrite", "PostgresStateStore", "is_postgres_url", "redact_url"]

_PG_MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: the SQLite schema at version 4, and the leases that divide the connections among daemons.
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
    CREATE INDEX tickets_due ON tickets (connection, next_due) WHERE next_due IS NOT NULL AND closed = 0;
    CREATE INDEX tickets_number ON tickets (number);
    CREATE TABLE decisions (
        id BIGSERIAL PRIMARY KEY,
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
    CREATE INDEX decisions_decided ON decisions (decided_at);
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
        cycle TEXT,
        PRIMARY KEY (connection, ticket_id, key)
    );
    CREATE INDEX messages_pending ON messages (connection) WHERE state = 'pending';
    CREATE TABLE arrivals (
        connection TEXT NOT NULL,
        channel TEXT NOT NULL,
        slot BIGINT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (connection, channel, slot)
    );
    CREATE TABLE leases (
        connection TEXT PRIMARY KEY,
        owner TEXT,
        epoch BIGINT NOT NULL DEFAULT 0,
        expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
        renewed_at TIMESTAMPTZ
    );
    CREATE TABLE daemons (
        daemon TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    """,
)
#: The schema version of the PostgreSQL store this matrixcore writes.
PG_SCHEMA_VERSION: Final = len(_PG_MIGRATIONS)
#: Taken while migrating, so daemons that start together migrate once (any constant of our own).
_MIGRATION_LOCK: Final = 0x6D617472  # "matr"


class FencedWrite(StateError):
    """A write for a connection whose lease this daemon no longer holds; nothing was written."""


def is_postgres_url(value: str) -> bool:
    return value.startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """The URL without its password, for logs and ``matrixcore state``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in userinfo else ''}@{host}"


def connect(url: str, *, application: str = "matrixcore") -> Any:
    """An autocommit connection with dict rows; ``StateError`` (no password in it) when it fails."""
    if psycopg is None:
        raise StateError('a postgresql:// state needs psycopg: pip install "matrixcore-itsm[postgres]"')
    try:
        return psycopg.connect(
            url, autocommit=True, row_factory=dict_row, application_name=application, connect_timeout=10
        )
    except psycopg.Error as exc:
        raise StateError(f"cannot connect to the state database {redact_url(url)}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class PostgresStateStore(StateStore):
    """The state in a PostgreSQL database, shared by several daemons. Thread-safe like the file."""

    def __init__(self, url: str, *, read_only: bool = False, owner: str = "") -> None:
        self.path = redact_url(url)
        self.url = url
        self.read_only = read_only
        #: This daemon's id in the leases; with ``fences`` set, writes need its lease.
        self.owner = owner
        #: Connection -> the epoch of this daemon's lease on it; ``None``: writes are not fenced.
        self.fences: dict[str, int] | None = None
        #: Connection -> the monotonic time the lease is surely valid until (renewal start + ttl).
        self.deadlines: dict[str, float] = {}
        #: Called with the connection whenever the fence rejects a write (metrics).
        self.on_fenced: Callable[[str], None] = lambda connection: None
        self._lock = threading.RLock()
        self._depth = 0
        self._checked: set[str] = set()
        self._pg = connect(url)
        try:
            if read_only:
                self._pg.execute("SET default_transaction_read_only = on")
            self._migrate()
        except psycopg.Error as exc:
            self._pg.close()
            raise StateError(f"cannot open the state database {self.path}: {_reason(exc)}") from None
        except BaseException:
            self._pg.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------------
    def _version(self) -> int:
        exists = self._pg.execute("SELECT to_regclass('matrixcore_schema') AS t").fetchone()["t"]
        if exists is None:
            return 0
        row = self._pg.execute("SELECT max(version) AS v FROM matrixcore_schema").fetchone()
        return int(row["v"] or 0)

    def _migrate(self) -> None:
        version = self._version()
        if version > PG_SCHEMA_VERSION:
            raise StateError(
                f"state database {self.path} has schema version {version}, newer than this matrixcore "
                f"understands ({PG_SCHEMA_VERSION}): upgrade matrixcore"
            )
        if version == PG_SCHEMA_VERSION:
            return
        if self.read_only:
            raise StateError(f"state database {self.path} needs a migration; start a daemon on it once")
        with self._pg.transaction():
            self._pg.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self._pg.execute("CREATE TABLE IF NOT EXISTS matrixcore_schema (version INTEGER NOT NULL)")
            row = self._pg.execute("SELECT max(version) AS v FROM matrixcore_schema").fetchone()
            for number in range(int(row["v"] or 0), PG_SCHEMA_VERSION):  # another daemon may have won
                for statement in _PG_MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._pg.execute(statement)
                self._pg.execute("INSERT INTO matrixcore_schema (version) VALUES (%s)", (number + 1,))

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._version()

    def close(self) -> None:
        with self._lock:
            self._pg.close()

    # -- transactions and the fence ----------------------------------------------------------------
    def _begin(self) -> None:
        self._checked = set()
        self._reconnect()
        self._call(lambda: self._pg.execute("BEGIN"))

    def _reconnect(self) -> None:
        """After the database was away: a new connection, outside any transaction only."""
        if not (self._pg.closed or self._pg.broken) or self._depth:
            return
        self._pg = connect(self.url)
        if self.read_only:
            self._call(lambda: self._pg.execute("SET default_transaction_read_only = on"))

    def _end(self, *, commit: bool) -> None:
        self._checked = set()
        if self._pg.closed:
            return
        self._call(lambda: self._pg.execute("COMMIT" if commit else "ROLLBACK"))

    def _fence(self, connection: str) -> None:
        if self.fences is None or connection in self._checked:
            return
        epoch = self.fences.get(connection)
        row = self._call(
            lambda: self._pg.execute(
                "SELECT owner, epoch FROM leases WHERE connection = %s FOR SHARE", (connection,)
            ).fetchone()
        )
        if epoch is None or row is None or row["owner"] != self.owner or int(row["epoch"]) != epoch:
            self.on_fenced(connection)
            holder = f"{row['owner']} (epoch {row['epoch']})" if row and row["owner"] else "nobody"
            raise FencedWrite(
                f"write for {connection} rejected: this daemon ({self.owner}, epoch {epoch}) no longer "
                f"holds its lease; it is held by {holder}"
            )
        self._checked.add(connection)

    def check_lease(self, connection: str) -> None:
        """Before a write to the tool: refuse unless the lease is surely still ours (a daemon paused
        past its lease must not act on its way back, before its next state write would be fenced)."""
        if self.fences is None:
            return
        if connection not in self.fences or time.monotonic() > self.deadlines.get(connection, 0.0):
            self.on_fenced(connection)
            raise FencedWrite(f"lease of {connection} lapsed or lost: nothing sent to the tool")

    def _execute(self, sql: str, args: Sequence[Any]) -> int:
        return int(self._call(lambda: self._pg.execute(sql.replace("?", "%s"), args).rowcount))

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            self._reconnect()
            return list(self._call(lambda: self._pg.execute(sql.replace("?", "%s"), args).fetchall()))

    def _call(self, action: Callable[[], Any]) -> Any:
        """Run ``action``; a database that is away is a ``StateError`` naming it (never its password)."""
        try:
            return action()
        except psycopg.Error as exc:
            raise StateError(f"state database {self.path}: {_reason(exc)}") from None

    @contextmanager
    def session(self) -> Iterator[Any]:
        """The raw connection under the store's lock (leases, ``state migrate``)."""
        with self._lock:
            self._reconnect()
            yield self._pg

    # -- retention ---------------------------------------------------------------------------------
    def prune(self, retention: Retention, now: datetime, stop: Callable[[], bool] = lambda: False) -> Pruned:
        """As the file's, without the fence (pruning is the same whoever does it); the database's
        autovacuum reuses the space."""
        self._check_writable()
        cutoff = _iso(now - retention.decisions) if retention.decisions is not None else None
        with self.transaction():
            timers = self._execute(
                "UPDATE tickets SET next_due = NULL WHERE closed = 1 AND next_due IS NOT NULL", ()
            )
        decisions = 0
        while cutoff is not None:
            with self.transaction():
                gone = self._execute(_PRUNE_DECISIONS, (cutoff, retention.batch))
            decisions += gone
            if gone < retention.batch or stop():
                break
        return Pruned(decisions=decisions, timers=timers, freed_bytes=0)

    def size_bytes(self) -> int:
        rows = self._rows(
            "SELECT COALESCE(SUM(pg_total_relation_size(c)), 0) AS n FROM unnest(ARRAY['cursors', "
            "'tickets', 'decisions', 'messages', 'leases', 'daemons']) AS c"
        )
        return int(rows[0]["n"])
