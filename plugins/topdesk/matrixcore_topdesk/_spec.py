"""The ``topdesk`` adapter as matrixcore's plugin system offers it."""

from __future__ import annotations

from typing import Final

from matrixcore import AdapterContext, AdapterSpec, ConnectionConfig

from ._adapter import TopdeskAdapter
from ._settings import connection_schema

__all__ = ["TOPDESK_ADAPTER"]

VERSION: Final = "0.1.0"


def _build(config: ConnectionConfig, context: AdapterContext) -> TopdeskAdapter:
    return TopdeskAdapter(config, context)


TOPDESK_ADAPTER: Final = AdapterSpec(
    name="topdesk",
    factory=_build,
    config_schema=connection_schema(),
    version=VERSION,
    description="TOPdesk incidents: impact, urgency and priority from the matrix; actions to callers.",
)
