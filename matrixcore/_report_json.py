"""``matrixcore report --format json``: the whole report for machines, documented by
``schemas/report.schema.json`` (``matrixcore schema report``).

Streamed: the header, then one ticket per line as it is classified, then the summary, so a million
tickets never sit in memory and ``grep`` works on the ticket lines.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["FORMAT_VERSION", "render_json"]

#: Bumped when a field changes meaning or goes away (new fields do not bump it).
FORMAT_VERSION: Final = 1


def render_json(report: Report, out: IO[str]) -> None:
    ruleset = report.ruleset
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out.write(f'{{"version":{FORMAT_VERSION},"report":{dumps(report.meta.as_dict())},\n"tickets":[')
    separator = "\n"
    for row in report.rows:
        out.write(separator)
        out.write(dumps(row.as_dict(ruleset)))
        separator = ",\n"
    summary = json.dumps(report.summary.as_dict(), ensure_ascii=False, indent=1)
    out.write(f'\n],\n"summary":{summary}}}\n')
