"""The incremental fetch: a ``sys_updated_on`` watermark that neither skips nor loops.

ServiceNow's Table API has no change cursor, only offset paging over a query. Three things go
wrong with the obvious ``sys_updated_on>=<last>`` + ``sysparm_offset`` loop, and each has a guard:

* **Same second.** ``sys_updated_on`` has one-second resolution, so many tickets can share the
  watermark. Querying ``>`` would skip the ones not yet read; querying ``>=`` re-reads them. The
  cursor therefore keeps, beside the watermark, the ``sys_mod_count`` of every ticket already read
  *at* that second: those are passed over unless they changed again (a second update within the
  same second raises the mod count). Tickets created later in that same second are new ids, so
  they are read; the set stays as small as the number of tickets sharing the newest second.
* **Shifting offsets.** When a ticket that an earlier page held is updated while the scan pages
  on, every later row moves up one place and offset paging silently skips one. The scan reads a
  closed window ``[watermark, until)`` with ``until`` at or before the server's clock when the pass
  began, so an update during the pass makes the ticket *leave* the window, and ``X-Total-Count``
  drops. Each page's count is checked against the first page's; on a change the pass restarts
  from the watermark reached so far (cheap: the same-second set skips what was read).
* **Looping.** Ordering by ``sys_updated_on`` then ``sys_id`` gives a total order, pages follow
  the server's ``Link: rel="next"``, and a restart begins after what was emitted, so the scan always
  moves forward; restarts are bounded and the rest is left for the next run, never skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ._mapping import format_glide_time, value_of

__all__ = ["ORDER", "Page", "Watermark", "WatermarkScan", "scan_changes", "window_query"]

#: A total order: equal timestamps are broken by sys_id, so pages never overlap or reorder.
ORDER: Final = "ORDERBYsys_updated_on^ORDERBYsys_id"
_VERSION: Final = 1
#: Passes per fetch before the rest is left for the next run (only reached under constant churn).
MAX_PASSES: Final = 8


@dataclass(slots=True)
class Watermark:
    """Where a fetch resumes: the newest ``sys_updated_on`` read, and the tickets read at it."""

    since: str = ""
    #: sys_id -> sys_mod_count of the tickets read whose ``sys_updated_on`` equals ``since``.
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def decode(cls, cursor: str | None) -> Watermark:
        """The watermark in ``cursor``; ``None`` or ``""`` start from the beginning."""
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("v") != _VERSION:
                raise ValueError(f"version {data.get('v')!r}")
            since, seen = str(data["since"]), data["seen"]
            if not isinstance(seen, dict):
                raise ValueError("'seen' is not an object")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a ServiceNow cursor ({exc}): {cursor[:80]!r}") from None
        return cls(since, {str(k): str(v) for k, v in seen.items()})

    def encode(self) -> str:
        return json.dumps({"v": _VERSION, "since": self.since, "seen": self.seen}, separators=(",", ":"))

    def is_new(self, record: Mapping[str, Any]) -> bool:
        """True unless this very version of the ticket was read already."""
        updated = value_of(record, "sys_updated_on")
        if updated != self.since:
            return updated > self.since
        return self.seen.get(value_of(record, "sys_id")) != value_of(record, "sys_mod_count")

    def advance(self, record: Mapping[str, Any]) -> None:
        """Record ``record`` as read (records arrive in ``ORDER``; older ones change nothing)."""
        updated = value_of(record, "sys_updated_on")
        if updated > self.since:
            self.since, self.seen = updated, {}
        if updated == self.since:
            self.seen[value_of(record, "sys_id")] = value_of(record, "sys_mod_count")


def window_query(since: str, until: str, extra: str = "") -> str:
    """The encoded query of one pass: ``extra`` within ``[since, until)``, in ``ORDER``."""
    parts = [extra] if extra else []
    if since:
        parts.append(f"sys_updated_on>={since}")
    if until:
        parts.append(f"sys_updated_on<{until}")
    parts.append(ORDER)
    return "^".join(parts)


class WatermarkScan:
    """One fetch: passes over the window, pages accepted in order, the cursor after each.

    The caller runs ``query`` and feeds each page (following ``rel="next"``) to ``page``; when that
    says the window moved, it calls ``restart`` and runs the new ``query`` from offset 0.
    """

    def __init__(self, cursor: str | None, server_now: datetime, extra: str = "") -> None:
        self.watermark = Watermark.decode(cursor)
        self.extra = extra
        self.passes = 0
        self.query = ""
        self.until = ""
        self._total: int | None = None
        self.restart(server_now)

    def restart(self, server_now: datetime) -> bool:
        """Begin a pass from the watermark reached; ``False`` when the pass budget is spent."""
        if self.passes >= MAX_PASSES:
            return False
        self.passes += 1
        # One second of margin: the server's clock is known to whole seconds (HTTP Date).
        self.until = format_glide_time(server_now.replace(microsecond=0) - timedelta(seconds=1))
        self.query = window_query(self.watermark.since, self.until, self.extra)
        self._total = None
        return True

    def page(
        self, records: Sequence[Mapping[str, Any]], total: int | None, date: datetime | None = None
    ) -> list[Mapping[str, Any]] | None:
        """The records of this page not read before, or ``None`` if the pass must restart.

        ``total`` is the page's ``X-Total-Count`` (``None`` when the server sent none: the check is
        then skipped, which is only safe when nothing changes during the pass). ``date`` is the
        server's clock (the ``Date`` header): a window that reaches past it was estimated from a
        clock running ahead, and could let tickets updated during the pass in, so it restarts.
        """
        if date is not None and format_glide_time(date - timedelta(seconds=1)) < self.until:
            return None
        if total is not None:
            if self._total is None:
                self._total = total
            elif total != self._total:
                return None
        fresh = [record for record in records if self.watermark.is_new(record)]
        for record in records:
            self.watermark.advance(record)
        return fresh

    @property
    def cursor(self) -> str:
        return self.watermark.encode()


@dataclass(frozen=True, slots=True)
class Page:
    """One Table API page: its records, its ``X-Total-Count`` and its ``Date`` (``None`` if absent)."""

    records: Sequence[Mapping[str, Any]]
    total: int | None
    date: datetime | None = None


def scan_changes(
    cursor: str | None,
    pages: Callable[[str], Iterable[Page]],
    server_now: Callable[[], datetime],
    extra: str = "",
) -> Iterator[tuple[list[Mapping[str, Any]], str]]:
    """Records changed since ``cursor``, page by page, each with the cursor that resumes after it.

    ``pages(query)`` runs an encoded query from offset 0 and yields its pages in order, following
    ``rel="next"``; it is abandoned (closed) when a page shows the window moved. ``server_now``
    estimates the server's clock (from the latest ``Date`` header and the time since).
    """
    scan = WatermarkScan(cursor, server_now(), extra)
    last = scan.cursor
    while True:
        moved = False
        seen_date: datetime | None = None
        walk = iter(pages(scan.query))
        try:
            for page in walk:
                seen_date = page.date or seen_date
                fresh = scan.page(page.records, page.total, page.date)
                if fresh is None:
                    moved = True
                    break
                if fresh or scan.cursor != last:  # pages of tickets read before say nothing new
                    last = scan.cursor
                    yield fresh, last
        finally:
            close = getattr(walk, "close", None)
            if close is not None:
                close()
        if not moved or not scan.restart(seen_date or server_now()):
            return
