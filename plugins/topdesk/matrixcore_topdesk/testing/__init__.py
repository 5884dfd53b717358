"""Test kit of the TOPdesk plugin: an emulated TOPdesk (state, rules and HTTP semantics).

``TopdeskEmulator`` answers requests like TOPdesk's incident API; seed it through its ``store``.
``TopdeskServer`` serves it on 127.0.0.1 (``from matrixcore_topdesk.testing import TopdeskServer``).
``matrixcore_topdesk.testing.openapi`` (needs the ``test`` extra) checks traffic against TOPdesk's
published API description.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._catalog import fixed_id
from ._emulator import EmulatorResponse, RateLimit, TopdeskEmulator, topdesk_time
from ._fiql import FiqlError, parse_fiql
from ._store import IncidentStore, ManualClock, Operator, StoreError, plain_text, sqlserver_uuid_key

if TYPE_CHECKING:
    from .server import Exchange, TopdeskServer

__all__ = [
    "EmulatorResponse",
    "Exchange",
    "FiqlError",
    "IncidentStore",
    "ManualClock",
    "Operator",
    "RateLimit",
    "StoreError",
    "TopdeskEmulator",
    "TopdeskServer",
    "fixed_id",
    "parse_fiql",
    "plain_text",
    "sqlserver_uuid_key",
    "topdesk_time",
]


def __getattr__(name: str) -> Any:
    if name in ("TopdeskServer", "Exchange"):  # lazily: the server needs matrixcore's test-kit server
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module 'matrixcore_topdesk.testing' has no attribute {name!r}")
