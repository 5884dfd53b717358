"""``matrixcore report --format json``: the whole report for machines, documented by
``schemas/report.schema.json`` (``matrixcore schema report``).

Streamed: the header, then one ticket per line as it is classified, then the summary, so a million
tickets never sit in memory and ``grep`` works on the ticket lines.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any, Final

import orjson

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["FORMAT_VERSION", "render_json"]

#: Bumped when a field changes meaning or goes away (new fields do not bump it).
FORMAT_VERSION: Final = 2


def _compact(value: Any) -> str:
    """One JSON line, UTF-8 as is (``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``,
    the same text, seven times faster with orjson)."""
    return orjson.dumps(value).decode()


def render_json(report: Report, out: IO[str]) -> None:
    ruleset = report.ruleset
    out.write(f'{{"version":{FORMAT_VERSION},"report":{_compact(report.meta.as_dict())},\n"tickets":[')
    separator = "\n"
    for row in report.rows:
        out.write(separator)
        out.write(_compact(row.as_dict(ruleset)))
        separator = ",\n"
    summary = json.dumps(report.summary.as_dict(), ensure_ascii=False, indent=1)
    out.write(f'\n],\n"summary":{summary}}}\n')
