"""The daemon's read-only status page at ``/`` of its HTTP address (beside /metrics and /healthz)."""

from __future__ import annotations

from ._collect import RecentDecisions, StatusSnapshot, snapshot
from ._page import render_status

__all__ = ["RecentDecisions", "StatusSnapshot", "render_status", "snapshot"]
