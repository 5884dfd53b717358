"""Backtest cases from ServiceNow's incident event log (one row per change of an incident).

Pickup is the first event that assigns the incident to someone or makes it Active, the moment a
requester would see that someone took it on. The log's times carry no zone; they are read as UTC.
A log is read from its CSV, or from a zip archive holding it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from matrixcore._ticket import Ticket

from ._backtest import Case

__all__ = ["servicenow_cases"]

_UNSET = "?"


def _instant(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv"))
            with archive.open(name) as raw:
                yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)


def servicenow_cases(path: str | Path) -> list[Case]:
    """One case per incident: the ticket as first logged, and when it was picked up."""
    out: list[Case] = []
    number = ""
    first: dict[str, str] = {}
    picked: datetime | None = None

    def flush() -> None:
        if not first:
            return
        created = _instant(first["opened_at"])
        ticket = Ticket(
            source="servicenow-log",
            id=first["number"],
            number=first["number"],
            created=created,
            channel=first.get("contact_type", "").lower(),
            category=first.get("category", ""),
            impact=first.get("impact"),
            urgency=first.get("urgency"),
            priority=first.get("priority"),
            status="New",
            custom={"assignment_group": first.get("assignment_group", "")},
        )
        out.append(Case(ticket, max(picked, created) if picked is not None else None))

    for row in _rows(Path(path)):
        if row["number"] != number:
            flush()
            number, first, picked = row["number"], row, None
        if picked is None and (row["incident_state"] == "Active" or row["assigned_to"] != _UNSET):
            picked = _instant(row["sys_updated_at"])
    flush()
    return out
