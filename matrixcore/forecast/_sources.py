"""Where the history comes from: tickets streamed from an export or a connection (counted, never
kept), the daemon's own arrival counts, or both."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import NoReturn

from rich.markup import escape

from matrixcore._config import Config
from matrixcore._errors import ConfigError
from matrixcore._ruleset import Ruleset
from matrixcore._ticket import Ticket
from matrixcore.state import ARRIVAL_SLOT_SECONDS, StateError, StateStore

from ._history import ArrivalCounter, slot_of

__all__ = ["channel_name", "count_tickets", "counter_from_state", "handle_minutes", "open_state"]

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
    utc: dict[tuple[str, int], int] | None = None,
) -> ArrivalCounter:
    """Count every ticket's arrival (its creation) in its channel's interval; with ``utc``, also per
    ``(channel, 15-minute UTC slot)`` as the daemon's state keeps them (for a backfill)."""
    counter = counter or ArrivalCounter(minutes, zone)
    names: dict[str, str] = {}
    for ticket in tickets:
        raw = ticket.channel
        name = names.get(raw)
        if name is None:
            name = names[raw] = channel_name(ruleset, raw)
        counter.add(name, ticket.created, handle_minutes(ticket))
        if utc is not None:
            key = (name, int(ticket.created.timestamp() // ARRIVAL_SLOT_SECONDS))
            utc[key] = utc.get(key, 0) + 1
        if on_ticket is not None:
            on_ticket()
    return counter


def counter_from_state(
    store: StateStore, connection: str | None, minutes: int, zone: tzinfo
) -> ArrivalCounter:
    """The daemon's arrival counts (every connection's added up, or one's) in local intervals."""
    counter = ArrivalCounter(minutes, zone)
    for _, channel, slot, count in store.arrivals(connection):
        moment = datetime.fromtimestamp(slot * ARRIVAL_SLOT_SECONDS, UTC)
        counter.add_count(channel, slot_of(moment, minutes, zone), float(count))
        counter.tickets += count
    return counter


@contextmanager
def open_state(config: Config, write: bool = False) -> Iterator[StateStore]:
    """The daemon's state file of ``config``; a bad path or file exits 2 with the reason."""
    from matrixcore._cli import EXIT_INVALID, err_console
    from matrixcore._daemon_settings import DaemonSettings

    def fail(message: str) -> NoReturn:
        err_console().print(f"[bold red]{escape(message)}[/bold red]")
        sys.exit(EXIT_INVALID)

    try:
        path = DaemonSettings.from_config(config).state_path
    except ConfigError as exc:
        fail(str(exc))
    if not write and not path.exists():
        fail(f"no state file at {path}: has matrixcore run yet? (or backfill it: --backfill CONNECTION)")
    try:
        if write:
            store = StateStore(path)
        else:
            try:
                store = StateStore(path, read_only=True)
            except StateError as exc:
                if "needs a migration" not in str(exc):
                    raise
                store = StateStore.private_copy(path)  # an older file: read a migrated copy
    except StateError as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()
