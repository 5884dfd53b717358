"""The built-in plugin "matrixcore.report_formats": table, csv, json and html, registered through
``matrixcore_report_formats`` exactly as a third-party format is (``docs/plugin-hooks.md``)."""

from __future__ import annotations

from collections.abc import Sequence

from matrixcore.hookspecs import hookimpl

from ._csv import render_csv
from ._format import ReportFormat
from ._html import render_html
from ._json import render_json
from ._table import render_table

__all__ = ["BUILTIN_FORMATS"]

BUILTIN_FORMATS: tuple[ReportFormat, ...] = (
    ReportFormat(
        "table", render_table, ".txt", "text/plain", "tables for people at a terminal (the default)", True
    ),
    ReportFormat("csv", render_csv, ".csv", "text/csv", "one row per ticket, for spreadsheets", True),
    ReportFormat(
        "json",
        render_json,
        ".json",
        "application/json",
        "everything, for scripts (schema: matrixcore schema report)",
        True,
    ),
    ReportFormat("html", render_html, ".html", "text/html", "one self-contained page with charts", True),
)


@hookimpl
def matrixcore_report_formats() -> Sequence[ReportFormat]:
    return BUILTIN_FORMATS
