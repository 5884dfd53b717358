"""matrixcore adapter for TOPdesk: incidents in; impact, urgency, priority and actions out.

Installed, it registers the ``topdesk`` adapter through the ``matrixcore`` entry-point group.
"""

from __future__ import annotations

from ._adapter import TopdeskAdapter
from ._checks import TopdeskDuration, duration_of, ruleset_problems
from ._cursor import Cursor, PageWalker
from ._mapping import FETCH_FIELDS, IncidentMappingError, incident_to_ticket, write_payload
from ._settings import LevelMap, TopdeskSettings, api_root, connection_schema
from ._spec import TOPDESK_ADAPTER, VERSION

__version__ = VERSION

__all__ = [
    "FETCH_FIELDS",
    "TOPDESK_ADAPTER",
    "Cursor",
    "IncidentMappingError",
    "LevelMap",
    "PageWalker",
    "TopdeskAdapter",
    "TopdeskDuration",
    "TopdeskSettings",
    "__version__",
    "api_root",
    "connection_schema",
    "duration_of",
    "incident_to_ticket",
    "ruleset_problems",
    "write_payload",
]
