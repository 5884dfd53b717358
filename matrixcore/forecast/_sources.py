"""Where the history comes from: tickets streamed from an export or a connection (counted, never
kept), the daemon's own arrival counts, or both."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import tzinfo

from matrixcore._ruleset import Ruleset
from matrixcore._ticket import Ticket

from ._history import ArrivalCounter

__all__ = ["channel_name", "count_tickets", "handle_minutes"]

#: Where a ticket's handle time is read from, in minutes (map an export column to it with the
#: source's ``columns: {custom.handle_minutes: "Time spent"}``).
HANDLE_FIELD = "handle_minutes"


def channel_name(ruleset: Ruleset, raw: str) -> str:
    """The ruleset's name for a ticket's channel (aliases resolved), else the tool's, lower-cased."""
    channel = ruleset.channel(raw)
    if channel is not None:
        return channel.name
    return raw.strip().lower() or "unknown"


def handle_minutes(ticket: Ticket) -> float | None:
    value = ticket.custom.get(HANDLE_FIELD)
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def count_tickets(
    tickets: Iterable[Ticket],
    ruleset: Ruleset,
    minutes: int,
    zone: tzinfo,
    on_ticket: Callable[[], None] | None = None,
    counter: ArrivalCounter | None = None,
) -> ArrivalCounter:
    """Count every ticket's arrival (its creation) in its channel's interval."""
    counter = counter or ArrivalCounter(minutes, zone)
    names: dict[str, str] = {}
    for ticket in tickets:
        raw = ticket.channel
        name = names.get(raw)
        if name is None:
            name = names[raw] = channel_name(ruleset, raw)
        counter.add(name, ticket.created, handle_minutes(ticket))
        if on_ticket is not None:
            on_ticket()
    return counter
