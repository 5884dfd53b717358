"""An ITSM tool in memory: a complete ``Adapter`` for tests, examples and trying rules offline.

Like httpx's mock transport, it ships with the library so plugin authors and matrixcore's own tests
exercise real sync logic without a server. It behaves like a real tool where the daemon's invariants
depend on it: every write bumps the ticket's update time (so matrixcore sees its own writes again),
fetch order is (updated, id) with a resumable cursor, read-only mode refuses writes before doing
anything, and faults can be scripted.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ._adapter import AdapterError, Batch, PostedMessage, PriorityChange, ReadOnlyError
from ._ticket import Ticket

__all__ = ["MemoryAdapter", "WriteRecord"]


@dataclass(frozen=True, slots=True)
class WriteRecord:
    ticket_id: str
    change: PriorityChange | None = None
    message: PostedMessage | None = None


@dataclass
class MemoryAdapter:
    """Tickets in a dict. ``writes`` records every accepted write, in order."""

    name: str = "memory"
    page_size: int = 50
    read_only: bool = False
    #: How much a write moves the ticket's update time forward (tools stamp their own writes).
    write_tick: timedelta = timedelta(seconds=1)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    messages: dict[str, list[PostedMessage]] = field(default_factory=dict)
    writes: list[WriteRecord] = field(default_factory=list)
    #: Scripted faults: the next N calls of an operation raise ``AdapterError``.
    failures: dict[str, int] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, tickets: Iterable[Ticket]) -> None:
        for ticket in tickets:
            self.tickets[ticket.id] = ticket if ticket.updated else ticket.evolve(updated=ticket.created)

    def fail_next(self, operation: str, times: int = 1) -> None:
        self.failures[operation] = times

    def _maybe_fail(self, operation: str) -> None:
        if self.failures.get(operation, 0) > 0:
            self.failures[operation] -= 1
            raise AdapterError(f"scripted failure of {operation}", retryable=True, status=503)

    def _write_guard(self, operation: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"{operation} refused: connection {self.name!r} is read-only (dry run)")
        self._maybe_fail(operation)

    @staticmethod
    def _order(ticket: Ticket) -> tuple[str, str]:
        stamp = ticket.updated or ticket.created
        return stamp.isoformat(timespec="microseconds"), ticket.id

    # -- the Adapter protocol ---------------------------------------------------------------------
    def check(self) -> None:
        self._maybe_fail("check")

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        self._maybe_fail("fetch")
        after = tuple(cursor.split("|", 1)) if cursor else ("", "")
        with self._lock:
            pending = sorted((t for t in self.tickets.values() if self._order(t) > after), key=self._order)
        for start in range(0, len(pending), self.page_size):
            page = pending[start : start + self.page_size]
            self._maybe_fail("fetch_page")
            yield Batch(page, "|".join(self._order(page[-1])))

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        self._write_guard("set_priority")
        with self._lock:
            current = self.tickets[ticket.id]
            values = {
                k: v
                for k, v in (
                    ("impact", change.impact),
                    ("urgency", change.urgency),
                    ("priority", change.priority),
                )
                if v is not None
            }
            stamp = (current.updated or current.created) + self.write_tick
            self.tickets[ticket.id] = current.evolve(updated=stamp, **values)
            self.writes.append(WriteRecord(ticket.id, change=change))

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        self._write_guard("post_message")
        with self._lock:
            current = self.tickets.get(ticket.id, ticket)
            stamp = (current.updated or current.created) + self.write_tick
            posted = PostedMessage(str(next(self._ids)), text, visible_to_requester, stamp, "matrixcore")
            self.messages.setdefault(ticket.id, []).append(posted)
            if ticket.id in self.tickets:
                self.tickets[ticket.id] = current.evolve(updated=stamp)
            self.writes.append(WriteRecord(ticket.id, message=posted))
            return posted

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        self._maybe_fail("list_messages")
        return list(self.messages.get(ticket.id, ()))

    def close(self) -> None:
        return None

    # -- what a person does in the tool -----------------------------------------------------------
    def agent_sets(self, ticket_id: str, when: datetime, **values: str | datetime | None) -> None:
        """An agent edits a ticket (priority, first response…) at ``when``."""
        with self._lock:
            self.tickets[ticket_id] = self.tickets[ticket_id].evolve(updated=when, **values)
