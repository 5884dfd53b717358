"""Ticket exports as a source: the built-in ``file`` adapter (CSV or JSON Lines, streamed,
read-only) and the presets that know the column names, null markers and date formats of the
exports ServiceNow, TOPdesk and Zendesk make."""

from __future__ import annotations

from ._presets import PRESETS, TARGETS, Preset

__all__ = ["PRESETS", "TARGETS", "Preset"]
