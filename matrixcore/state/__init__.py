"""The daemon's durable state: cursors, what matrixcore wrote, the decision log, the message ledger.

The facade of the state subpackage; the modules behind it (``_sqlite``, ``_lock``, ``_records``) are
private and may change without notice.
"""

from __future__ import annotations

from ._leases import LeaseManager
from ._lock import StateFileInUse, StateLock
from ._open import copy_state, daemon_id, open_store
from ._postgres import PG_SCHEMA_VERSION, FencedWrite, PostgresStateStore, is_postgres_url, redact_url
from ._records import ConnectionSummary, LedgerEntry, Pruned, Retention, StateError, TicketState
from ._sqlite import ARRIVAL_SLOT_SECONDS, SCHEMA_VERSION, StateStore

__all__ = [
    "ARRIVAL_SLOT_SECONDS",
    "PG_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "ConnectionSummary",
    "FencedWrite",
    "LeaseManager",
    "LedgerEntry",
    "PostgresStateStore",
    "Pruned",
    "Retention",
    "StateError",
    "StateFileInUse",
    "StateLock",
    "StateStore",
    "TicketState",
    "copy_state",
    "daemon_id",
    "is_postgres_url",
    "open_store",
    "redact_url",
]
