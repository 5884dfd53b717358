"""Test kit of the TOPdesk plugin: an emulated TOPdesk (state, rules and HTTP semantics).

``TopdeskEmulator`` answers requests like TOPdesk's incident API; seed it through its ``store``.
``matrixcore_topdesk.testing.openapi`` (needs the ``test`` extra) checks traffic against TOPdesk's
published API description.
"""

from __future__ import annotations

from ._catalog import fixed_id
from ._emulator import EmulatorResponse, RateLimit, TopdeskEmulator, topdesk_time
from ._fiql import FiqlError, parse_fiql
from ._store import IncidentStore, ManualClock, Operator, StoreError, plain_text, sqlserver_uuid_key

__all__ = [
    "EmulatorResponse",
    "FiqlError",
    "IncidentStore",
    "ManualClock",
    "Operator",
    "RateLimit",
    "StoreError",
    "TopdeskEmulator",
    "fixed_id",
    "parse_fiql",
    "plain_text",
    "sqlserver_uuid_key",
    "topdesk_time",
]
