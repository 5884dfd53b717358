"""matrixcore-itsm-servicenow: the ServiceNow adapter for matrixcore.

Reads incidents (or any task table) incrementally through the Table API, writes impact and
urgency (ServiceNow derives priority from them), posts requester-visible ``comments`` and internal
``work_notes``, and reads the journal back. Configure it as a connection with ``adapter: servicenow``.
"""

from __future__ import annotations

from ._adapter import SPEC, ServiceNowAdapter
from ._cursor import Page, Watermark, WatermarkScan, scan_changes, window_query
from ._mapping import (
    format_glide_time,
    journal_message,
    parse_glide_time,
    requested_fields,
    to_ticket,
    write_payload,
)
from ._settings import LevelMap, Settings, connection_schema, parse_settings

__version__ = "0.1.0"

__all__ = [
    "SPEC",
    "LevelMap",
    "Page",
    "ServiceNowAdapter",
    "Settings",
    "Watermark",
    "WatermarkScan",
    "__version__",
    "connection_schema",
    "format_glide_time",
    "journal_message",
    "parse_glide_time",
    "parse_settings",
    "requested_fields",
    "scan_changes",
    "to_ticket",
    "window_query",
    "write_payload",
]
