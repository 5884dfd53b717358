"""The dry-run report (``matrixcore report``): every ticket replayed through the engine as it
arrived, backtested against what really happened, and rendered as a table, CSV, JSON or HTML.

``_report`` builds the rows, ``_summary`` and ``_consistency`` the totals as the rows stream past,
and one module per built-in format renders them; ``_formats`` registers the formats as the
built-in plugin "matrixcore.report_formats".
"""

from __future__ import annotations

# Only the format record here: ``_plugins`` imports it, and ``_report`` imports ``_plugins``.
from ._format import RenderReport, ReportFormat

__all__ = ["RenderReport", "ReportFormat"]
