"""What the state remembers, independent of where it is stored: tickets, ledger entries, summaries.

Every store (SQLite, PostgreSQL) reads and writes these records; instants are stored as ISO 8601
text in UTC so a state copied from one store to another compares equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from matrixcore._decision import SentMessage
from matrixcore._errors import MatrixcoreError

__all__ = ["ConnectionSummary", "LedgerEntry", "StateError", "TicketState"]


class StateError(MatrixcoreError):
    """The state file cannot be opened or is from a newer matrixcore."""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class TicketState:
    """What matrixcore remembers of one ticket."""

    connection: str
    ticket_id: str
    number: str = ""
    written_impact: str | None = None
    written_urgency: str | None = None
    written_priority: str | None = None
    written_at: datetime | None = None
    #: A priority an agent set over matrixcore's, which matrixcore now respects.
    agent_priority: str | None = None
    #: The ticket as last seen (``Ticket.to_dict()``), so timed messages can go out without a fetch.
    snapshot: Mapping[str, Any] | None = None
    next_due: datetime | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    """One connection as the state file knows it, for ``matrixcore state`` without a ticket."""

    connection: str
    cursor: str | None
    cursor_updated_at: datetime | None
    tickets: int
    open_timers: int
    next_due: datetime | None
    decisions: int
    last_decision_at: datetime | None
    messages: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "cursor": self.cursor,
            "cursor_updated_at": _iso(self.cursor_updated_at),
            "tickets": self.tickets,
            "open_timers": self.open_timers,
            "next_due": _iso(self.next_due),
            "decisions": self.decisions,
            "last_decision_at": _iso(self.last_decision_at),
            "messages": dict(self.messages),
        }


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One message in the ledger: pending (about to be sent or unknown), sent, or superseded."""

    connection: str
    ticket_id: str
    key: str
    policy: str
    state: str
    visible_to_requester: bool
    priority: str | None
    text: str
    recorded_at: datetime
    sent_at: datetime | None = None
    remote_id: str | None = None
    #: The cycle that recorded it ("" for entries from before schema version 2).
    cycle: str = ""

    def as_sent(self) -> SentMessage:
        """The engine's view: pending counts as sent (never resend before reconciling); a superseded
        stage blocks its key but announced nothing and does not count towards the cap."""
        if self.state == "superseded":
            return SentMessage(self.policy, self.key, self.recorded_at, False, None)
        return SentMessage(
            self.policy, self.key, self.sent_at or self.recorded_at, self.visible_to_requester, self.priority
        )
