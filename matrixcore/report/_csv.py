"""``matrixcore report --format csv``: one row per ticket, for spreadsheets and scripts.

The summary is not in the CSV (a spreadsheet computes it from the rows, and ``--format json``
carries it). When rows of the export were skipped, the first line says so, as a ``#`` comment
(pandas: ``comment="#"``), before the header: the rows are spooled until the export is read.

Free text that starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) is prefixed with
``'``, because subjects come from anyone on the internet and a CSV is opened in Excel.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from typing import IO, TYPE_CHECKING, Final

from ._summary import reading_notice

if TYPE_CHECKING:
    from matrixcore._ruleset import Ruleset

    from ._report import Report, ReportRow

__all__ = ["CSV_COLUMNS", "render_csv", "safe_cell"]

CSV_COLUMNS: Final = (
    "ticket",
    "number",
    "created",
    "channel",
    "language",
    "subject",
    "current_impact",
    "proposed_impact",
    "current_urgency",
    "proposed_urgency",
    "current_priority",
    "proposed_priority",
    "changed",
    "pickup_by",
    "resolve_by",
    "picked_up",
    "resolved",
    "pickup",
    "resolution",
    "source_sla",
    "closed_without_resolution",
    "rules",
    "messages",
    "message_texts",
)
_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(_FORMULA) else text


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


def _cells(row: ReportRow, ruleset: Ruleset) -> list[str]:
    ticket, decision = row.ticket, row.decision
    return [
        ticket.key,
        safe_cell(row.number),
        ticket.created.isoformat(),
        ticket.channel,
        ticket.requester.language,
        safe_cell(ticket.subject),
        ticket.impact or "",
        decision.impact,
        ticket.urgency or "",
        decision.urgency,
        ticket.priority or "",
        decision.priority,
        " ".join(row.changed),
        _iso(decision.pickup_by),
        _iso(decision.resolve_by),
        _iso(row.picked_up_at),
        _iso(ticket.resolved),
        row.pickup,
        row.resolution,
        row.source_sla or "",
        row.closed_without_resolution or "",
        row.reasons(ruleset),
        " ".join(m.policy for m in row.messages),
        safe_cell("\n".join(f"{m.due_at.isoformat()} {m.policy}: {m.text}" for m in row.messages)),
    ]


def render_csv(report: Report, out: IO[str]) -> None:
    ruleset = report.ruleset
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        writer = csv.writer(spool, lineterminator="\n")
        for row in report.rows:
            writer.writerow(_cells(row, ruleset))
        notice = reading_notice(report.summary)
        if notice:
            out.write("# " + notice.replace("\n", " ") + "\n")
        csv.writer(out, lineterminator="\n").writerow(CSV_COLUMNS)
        spool.seek(0)
        shutil.copyfileobj(spool, out)
