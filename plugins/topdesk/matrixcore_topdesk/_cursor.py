"""Incremental reading of TOPdesk incidents: a keyset on ``modificationDate`` with an exact tie-break.

What TOPdesk offers (incident API 4.2.6 and its FIQL tutorial):
- ``sort=modificationDate:asc,id:asc`` (several sort fields, ``id`` and ``modificationDate`` among the
  fast ones), so the server's order is total and stable;
- FIQL ``modificationDate=ge=<time>``, with times written to the second (``yyyy-MM-ddTHH:mm:ssZ``);
- no ``=gt=`` on ``id`` (``=gt=``/``=ge=`` are "only available for numeric and date values"), so the
  classic keyset ``(date, id) > (d, i)`` cannot be said in one query;
- ``pageStart``/``pageSize`` offsets, and 206 while more pages remain.

And what it does: ``modificationDate`` has whole seconds (the recorded payload reads ``.000``), so a
bulk change or a burst of sync writes gives many incidents the same time.

So the cursor holds the newest modification time seen and the ids already seen *at exactly that
time*. Each fetch re-reads from that second with ``=ge=`` and skips what it has seen, which neither
loses a tie (``=gt=`` would) nor repeats one (the skip set). Within one fetch, paging restarts at
offset 0 from the newest second whenever the page moved past the old one (a keyset: offsets never
drift when incidents change between requests); only a page that lies entirely inside one second
(a tie group larger than a page) steps on by offset, and then with an overlap of a tenth of a page so
that incidents leaving the group between two requests do not push unseen ones past the offset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ._mapping import parse_time

__all__ = ["SORT", "Cursor", "PageWalker", "fiql_time"]

#: Total order the walk relies on: time first, id as the tie-break.
SORT: Final = "modificationDate:asc,id:asc"


def fiql_time(instant: datetime) -> str:
    """A FIQL time literal as TOPdesk documents it: UTC, to the second, ``Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _second(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC).replace(microsecond=0) if instant is not None else None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a fetch resumes: after ``since``, and after ``seen`` ids modified exactly at ``since``."""

    since: datetime | None = None
    seen: frozenset[str] = field(default_factory=frozenset)

    def encode(self) -> str:
        """Opaque to matrixcore, readable to an operator: ``{"v":1,"since":"...","seen":[...]}``."""
        since = self.since.isoformat() if self.since is not None else None
        return json.dumps({"v": 1, "since": since, "seen": sorted(self.seen)}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """A cursor from ``encode()``, or from a bare ISO time (start reading at that moment)."""
        if not text:
            return cls()
        text = text.strip()
        if not text.startswith("{"):
            since = parse_time(text)
            if since is None:
                raise ValueError(f"not a TOPdesk cursor nor an ISO time: {text[:60]!r}")
            return cls(since)
        try:
            data = json.loads(text)
            since = parse_time(data["since"]) if data.get("since") else None
            seen = frozenset(str(i) for i in data.get("seen") or ())
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"not a TOPdesk cursor: {text[:60]!r}") from None
        if data.get("v") != 1:
            raise ValueError(f"TOPdesk cursor version {data.get('v')!r} is not supported")
        return cls(since, seen)


class PageWalker:
    """Plans the list requests of one fetch and filters their pages (pure: no I/O).

    Use: ``params()`` for the next request, ``accept(items)`` with what came back (returns the
    incidents not seen before and advances ``cursor``), until the server says there are no more.
    """

    def __init__(self, cursor: Cursor, page_size: int) -> None:
        self.cursor = cursor
        self.page_size = page_size
        self.offset = 0
        self._overlap = page_size // 10
        self._queried: datetime | None = None

    def params(self) -> dict[str, Any]:
        """Query parameters of the next ``GET /incidents`` (without ``fields``)."""
        self._queried = _second(self.cursor.since)
        params: dict[str, Any] = {"sort": SORT, "pageStart": self.offset, "pageSize": self.page_size}
        if self._queried is not None:
            params["query"] = f"modificationDate=ge={fiql_time(self._queried)}"
        return params

    def accept(self, items: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The incidents of ``items`` not delivered before; advances the cursor and the offset."""
        since, seen = self.cursor.since, set(self.cursor.seen)
        fresh: list[Mapping[str, Any]] = []
        stamps: list[datetime | None] = []
        for item in items:
            stamp = parse_time(item.get("modificationDate"))
            stamps.append(stamp)
            incident_id = str(item.get("id") or "")
            if stamp is None:
                # Cannot be ordered; the query would never return it again, so deliver it now.
                fresh.append(item)
                continue
            if since is not None and (stamp < since or (stamp == since and incident_id in seen)):
                continue
            fresh.append(item)
            if since is None or stamp > since:
                since, seen = stamp, {incident_id}
            else:
                seen.add(incident_id)
        self.cursor = Cursor(since, frozenset(seen))
        newest = _second(since)
        if newest is not None and newest == self._queried:
            # The whole page sits in the second we asked from: step through the tie group.
            self.offset += max(1, len(items) - self._overlap)
        else:
            # Restart from the newest second; its incidents on this page come first again.
            in_newest = sum(1 for s in stamps if s is not None and _second(s) == newest)
            self.offset = max(0, in_newest - self._overlap)
        return fresh
