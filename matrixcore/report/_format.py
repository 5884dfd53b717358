"""How a plugin offers an output format for the dry-run report: returned from ``matrixcore_report_formats``.

A format is a plain function that writes the report to a text stream, plus what a user and a browser
need to know about the result. The report command picks one by name (``--format csv``) and names the
output file with its ``suffix``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, TypeAlias

__all__ = ["RenderReport", "ReportFormat"]

#: ``render(report, out)`` writes ``report`` to ``out``. The report is the report command's data
#: record; it is typed ``Any`` here so this record does not depend on the report's internals.
RenderReport: TypeAlias = Callable[[Any, IO[str]], None]


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """One output format of ``matrixcore report``; ``name`` is unique across all plugins."""

    #: What ``--format`` takes (``csv``).
    name: str
    render: RenderReport
    #: File name suffix with its dot (``.csv``), for ``--output`` defaults and downloads.
    suffix: str
    #: Media type of the output (``text/csv``), for HTTP and mail attachments.
    media_type: str = "text/plain"
    #: One line for ``--help`` and ``matrixcore plugins``.
    description: str = ""
    #: Writes nothing until every row is read (spooling them), so a progress bar on the same
    #: terminal can show meanwhile and is gone before the report appears. The built-ins do.
    spooled: bool = False
