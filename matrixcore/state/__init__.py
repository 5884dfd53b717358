"""The daemon's durable state: cursors, what matrixcore wrote, the decision log, the message ledger.

The facade of the state subpackage; the modules behind it (``_sqlite``, ``_lock``, ``_records``) are
private and may change without notice.
"""

from __future__ import annotations

from ._lock import StateFileInUse, StateLock
from ._records import ConnectionSummary, LedgerEntry, StateError, TicketState
from ._sqlite import ARRIVAL_SLOT_SECONDS, SCHEMA_VERSION, StateStore

__all__ = [
    "ARRIVAL_SLOT_SECONDS",
    "SCHEMA_VERSION",
    "ConnectionSummary",
    "LedgerEntry",
    "StateError",
    "StateFileInUse",
    "StateLock",
    "StateStore",
    "TicketState",
]
