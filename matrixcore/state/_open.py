"""Opening the state a config names (a file or a PostgreSQL URL), and copying a state between stores.

The copy serves ``matrixcore state migrate`` (a desk moving from its SQLite file to a shared
PostgreSQL) and the dry run on a PostgreSQL state (which works on a private in-memory copy, as it
does for a file, so it remembers what it would have sent without writing anything).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Final

from ._postgres import PostgresStateStore
from ._sqlite import StateStore

__all__ = ["TABLES", "copy_state", "daemon_id", "open_store"]

#: What a state consists of, in the order a copy writes it; each table's columns as both stores have them.
TABLES: Final[dict[str, tuple[str, ...]]] = {
    "cursors": ("connection", "cursor", "updated_at"),
    "tickets": (
        "connection",
        "ticket_id",
        "number",
        "written_impact",
        "written_urgency",
        "written_priority",
        "written_at",
        "agent_priority",
        "snapshot",
        "next_due",
        "closed",
    ),
    "decisions": (
        "connection",
        "ticket_id",
        "cycle",
        "decided_at",
        "priority",
        "decision",
        "written",
        "note",
    ),
    "arrivals": ("connection", "channel", "slot", "count"),
    "messages": (
        "connection",
        "ticket_id",
        "key",
        "policy",
        "state",
        "visible",
        "priority",
        "text",
        "recorded_at",
        "sent_at",
        "remote_id",
        "cycle",
    ),
}
#: A stable order to page each table by (its primary key; the audit log's own order).
_ORDER: Final = {
    "cursors": "connection",
    "tickets": "connection, ticket_id",
    "decisions": "id",
    "arrivals": "connection, channel, slot",
    "messages": "connection, ticket_id, key",
}
_BATCH: Final = 2000


def daemon_id() -> str:
    """This daemon's name in the leases: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def open_store(path: Path, url: str | None, *, dry_run: bool, owner: str = "") -> StateStore:
    """The daemon's store: the file or the database; for a dry run a private in-memory copy of it."""
    if url is None:
        return StateStore.private_copy(path) if dry_run else StateStore(path)
    if not dry_run:
        return PostgresStateStore(url, owner=owner)
    copy = StateStore(":memory:")
    with PostgresStateStore(url, read_only=True) as source:
        copy_state(source, copy)
    return copy


def copy_state(
    source: StateStore, target: StateStore, progress: Callable[[str, int], None] = lambda table, n: None
) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` in one transaction; the rows copied per table.

    The target must hold no state yet (a copy never merges two desks' ledgers). Decisions keep
    their order (the audit log's history), not their ids.
    """
    existing = {table: n for table, n in target.counts().items() if n}
    if existing:
        raise ValueError(
            f"the target state is not empty ({', '.join(f'{n} {t}' for t, n in existing.items())}): "
            "copy into a new database"
        )
    copied: dict[str, int] = {}
    with target.transaction():
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            marks = ", ".join("?" for _ in columns)
            order = f" ORDER BY {_ORDER[table]}"
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            copied[table] = 0
            offset = 0
            while True:
                rows = source._rows(f"SELECT {names} FROM {table}{order} LIMIT ? OFFSET ?", (_BATCH, offset))
                for row in rows:
                    target._execute(sql, tuple(row[c] for c in columns))
                copied[table] += len(rows)
                offset += len(rows)
                progress(table, len(rows))
                if len(rows) < _BATCH:
                    break
    return copied
