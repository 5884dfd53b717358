"""Incremental reading of TOPdesk incidents: a keyset on ``modificationDate`` with an exact tie-break.

What TOPdesk offers (incident API 4.2.6 and its FIQL tutorial):
- ``sort=modificationDate:asc,id:asc`` (several sort fields; ``id`` and ``modificationDate`` among the
  fast ones), so the server's order is total and stable;
- FIQL ``modificationDate=ge=<time>``, times written to the second (``yyyy-MM-ddTHH:mm:ssZ``);
- no ``=gt=`` on ``id`` (``=gt=``/``=ge=`` are "only available for numeric and date values"), so the
  classic keyset ``(date, id) > (d, i)`` cannot be asked for;
- ``pageStart``/``pageSize`` offsets, 206 while more pages remain.

And what it does: ``modificationDate`` has whole seconds (the recorded payload reads ``.000``), so
a bulk change, or an agent's edit in the same second as matrixcore's own write, gives incidents the
same time.

So the cursor holds the newest modification time seen and, for each incident seen at exactly that
time, a fingerprint of what was read. A fetch re-reads from that second with ``=ge=`` and skips an
incident only when id *and* fingerprint match: a tie is never lost (``=gt=`` would lose it), never
delivered twice, and a second change within the same second is still delivered.

Within one fetch the offsets are anchored: every request after the first starts one incident before
the planned position (the last one the previous page ended with). Paging restarts at offset 0 from
the newest second whenever a page moves past the old one (a keyset), and steps by offset only
through a tie group larger than a page. If the anchor is not the first incident of the next page,
incidents moved between the two requests (one left the group, or one joined it in the current
second) and the walk re-reads the group from its start, so nothing slips past an offset.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ._mapping import parse_time

__all__ = ["SORT", "Cursor", "PageWalker", "fingerprint", "fiql_time"]

#: Total order the walk relies on: time first, id as the tie-break.
SORT: Final = "modificationDate:asc,id:asc"


def fiql_time(instant: datetime) -> str:
    """A FIQL time literal as TOPdesk documents it: UTC, to the second, ``Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fingerprint(item: Mapping[str, Any]) -> str:
    """A short digest of an incident as read: tells a same-second change from a re-read."""
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _second(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC).replace(microsecond=0) if instant is not None else None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a fetch resumes: after ``since``, and after the incidents ``seen`` exactly at ``since``
    (id -> fingerprint of what was read)."""

    since: datetime | None = None
    seen: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> str:
        """Opaque to matrixcore, readable to an operator: ``{"v":1,"since":"...","seen":{...}}``."""
        since = self.since.isoformat() if self.since is not None else None
        return json.dumps(
            {"v": 1, "since": since, "seen": dict(sorted(self.seen.items()))}, separators=(",", ":")
        )

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """A cursor from ``encode()``, or a bare ISO time (start reading at that moment)."""
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
            version = data.get("v")
            raw_since = data["since"]
            since = parse_time(raw_since) if isinstance(raw_since, str) else None
            seen = {str(k): str(v) for k, v in (data.get("seen") or {}).items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"not a TOPdesk cursor: {text[:60]!r}") from None
        if raw_since is not None and since is None:
            raise ValueError(f"not a TOPdesk cursor (bad 'since'): {text[:60]!r}")
        if version != 1:
            raise ValueError(f"TOPdesk cursor version {version!r} is not supported")
        return cls(since, seen)


class PageWalker:
    """Plans the list requests of one fetch and filters their pages (pure: no I/O).

    Loop: ``params()`` for the next request; ``accept(items, more)`` with the page that came back and
    whether the server said 206; it returns the incidents not delivered before and advances
    ``cursor``. Stop when ``done``.
    """

    def __init__(self, cursor: Cursor, page_size: int) -> None:
        self.cursor = cursor
        # Anchored paging re-reads one incident per page, so a page must hold at least two.
        self.page_size = max(2, page_size)
        self.offset = 0
        self.done = False
        self.requests = 0
        self._anchor: str | None = None
        self._queried: datetime | None = None

    def params(self) -> dict[str, Any]:
        """Query parameters of the next ``GET /incidents`` (without ``fields``)."""
        self._queried = _second(self.cursor.since)
        self.requests += 1
        params: dict[str, Any] = {"sort": SORT, "pageStart": self.offset, "pageSize": self.page_size}
        if self._queried is not None:
            params["query"] = f"modificationDate=ge={fiql_time(self._queried)}"
        return params

    def accept(self, items: Sequence[Mapping[str, Any]], more: bool) -> list[Mapping[str, Any]]:
        """The incidents of this page not delivered before; plans the next request."""
        if self._anchor is not None and (not items or str(items[0].get("id")) != self._anchor):
            # Incidents moved between the two requests: re-read the current second from its start.
            self.offset, self._anchor = 0, None
            return []
        since, seen = self.cursor.since, dict(self.cursor.seen)
        fresh: list[Mapping[str, Any]] = []
        stamps: list[datetime | None] = []
        for item in items:
            stamp = parse_time(item.get("modificationDate"))
            stamps.append(stamp)
            if stamp is None:
                # Cannot be ordered and no query would return it again: deliver it now.
                fresh.append(item)
                continue
            incident_id, digest = str(item.get("id") or ""), fingerprint(item)
            if since is not None and (stamp < since or (stamp == since and seen.get(incident_id) == digest)):
                continue
            fresh.append(item)
            if since is None or stamp > since:
                since, seen = stamp, {}
            seen[incident_id] = digest
        self.cursor = Cursor(since, seen)
        if not more or not items:
            self.done = True
            return fresh
        newest = _second(since)
        if newest == self._queried:
            # The whole page lies in the second asked from: step through the tie group.
            if len(items) > 1:
                self.offset += len(items) - 1
                self._anchor = str(items[-1].get("id"))
            else:  # a short page marked 206: step on without an anchor rather than stand still
                self.offset, self._anchor = self.offset + 1, None
        else:
            # Restart from the newest second; its incidents on this page come first again.
            at_newest = [i for i, s in enumerate(stamps) if s is not None and _second(s) == newest]
            self.offset = max(0, len(at_newest) - 1)
            self._anchor = str(items[at_newest[-1]].get("id")) if at_newest else None
        return fresh
