"""The daemon's read-only status page at ``/`` of its HTTP address, and its desk-level metrics."""

from __future__ import annotations

from ._collect import RecentDecisions, StatusSnapshot, snapshot
from ._desk import DeskCollector, PromiseOutcomes
from ._page import render_status

__all__ = [
    "DeskCollector",
    "PromiseOutcomes",
    "RecentDecisions",
    "StatusSnapshot",
    "render_status",
    "snapshot",
]
