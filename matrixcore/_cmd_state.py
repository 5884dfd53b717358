"""``matrixcore state``: "why did ticket 4711 get P2, and which messages went out?" from the state file.

Reads the state file only (a copy, if the file is from an older matrixcore and needs migrating),
so it is safe next to a running daemon and on a backup, and it needs none of the tools' secrets:
``--config`` is read for ``state.path`` alone. Times are in the reader's local zone, with its offset.
Without a ticket it summarises each connection: cursor, tickets, timers, messages by state
(``pending`` ones are crash leftovers the next cycle reconciles).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from ._cli import (
    _CONTEXT,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREACHABLE,
    cli_plugins,
    err_console,
    format_option,
)
from ._cmd_check_config import load_config_or_exit
from ._cmd_state_migrate import migrate
from ._daemon_settings import DaemonSettings
from ._errors import ConfigError
from ._sync import AGENT_NOTE
from .state import (
    LedgerEntry,
    PostgresStateStore,
    StateError,
    StateStore,
    TicketState,
    is_postgres_url,
    redact_url,
)

__all__ = ["state"]

_DIMENSIONS = ("impact", "urgency", "priority")


class _WithMigrate(click.Command):
    """``matrixcore state migrate ...`` runs the migrate command; anything else is a ticket."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] == ["migrate"]:
            ctx.meta["matrixcore.migrate"] = args[1:]
            return super().parse_args(ctx, [])
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        if "matrixcore.migrate" in ctx.meta:
            return migrate.main(ctx.meta["matrixcore.migrate"], prog_name=f"{ctx.command_path} migrate")
        return super().invoke(ctx)


@click.command(cls=_WithMigrate, context_settings=_CONTEXT)
@click.argument("ticket", required=False)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MATRIXCORE_CONFIG",
    help="The daemon's config file; its state.path is read. Env: MATRIXCORE_CONFIG.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="Read this state instead: a file (a backup, another host's copy) or a postgresql:// URL.",
)
@click.option("--connection", help="Only this connection (when a number exists in several).")
@click.option(
    "--limit", type=click.IntRange(1), default=50, show_default=True, help="Decisions shown, newest."
)
@format_option()
def state(
    ticket: str | None,
    config_path: str | None,
    state_path: str | None,
    connection: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Show a ticket's history from the state file: every decision with the rule that set each
    value and what was written, and every message with its state (pending, sent, superseded).

    TICKET is the tool's id or the ticket number (4711, INC0012345, HD-1042). Without TICKET,
    a summary of each connection. Reads a SQLite file or a PostgreSQL state alike.
    'matrixcore state migrate --help': copy a state file into PostgreSQL.

    \b
    Examples:
      matrixcore state --config matrixcore.yaml 4711
      matrixcore state --state /var/lib/matrixcore/state.sqlite3 --format json INC0012345
    \b
    Exit codes: 0 shown; 1 no such ticket in the state file; 2 no state file, or an invalid config.
    """
    location = _state_path(config_path, state_path)
    store = _open(location)
    path = redact_url(location)  # shown: a URL without its password
    try:
        if ticket is None:
            _summary(store, path, fmt)
            sys.exit(EXIT_OK)
        found = [t for t in store.find_tickets(ticket) if connection in (None, t.connection)]
        if not found:
            if fmt == "json":
                click.echo(json.dumps({"found": False, "ticket": ticket, "state": str(path)}, indent=2))
            else:
                where = f" in connection {connection}" if connection else ""
                err_console().print(
                    f"[bold red]no ticket {escape(ticket)}{escape(where)} in {path}[/bold red]"
                )
            sys.exit(EXIT_FAILED)
        histories = [_history(store, t, limit) for t in found]
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({"found": True, "tickets": histories}, indent=2, default=str))
    else:
        console = Console(highlight=False)
        for history in histories:
            _print_history(console, history)
    sys.exit(EXIT_OK)


def _state_path(config_path: str | None, state_path: str | None) -> str:
    if state_path is not None:
        return state_path
    if config_path is None:
        raise click.UsageError("give --config (the daemon's config) or --state (a state file)")
    # Only the state's location is needed: a tool's password variable need not be set to read it.
    config = load_config_or_exit(config_path, "text", cli_plugins(), err_console(), secrets=False)
    try:
        settings = DaemonSettings.from_config(config)
    except ConfigError as exc:
        err_console().print(f"[bold red]{escape(str(exc))}[/bold red]")
        sys.exit(EXIT_INVALID)

    return settings.state_url.reveal() if settings.state_url is not None else str(settings.state_path)


def _open(location: str) -> StateStore:
    if is_postgres_url(location):
        try:
            return PostgresStateStore(location, read_only=True)
        except StateError as exc:
            err_console().print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(
                EXIT_INVALID if "schema version" in str(exc) or "migration" in str(exc) else EXIT_UNREACHABLE
            )
    path = Path(location)
    if not path.exists():
        err_console().print(
            f"[bold red]no state file at {escape(str(path))}: has matrixcore run yet?[/bold red]"
        )
        sys.exit(EXIT_INVALID)
    try:
        return StateStore(path, read_only=True)
    except StateError as exc:
        if "needs a migration" not in str(exc):
            err_console().print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(EXIT_INVALID)
        return StateStore.private_copy(path)  # an older file: read a migrated copy, leave it alone


# -- one ticket ----------------------------------------------------------------------------------


def _history(store: StateStore, ticket: TicketState, limit: int) -> dict[str, Any]:
    return {
        "connection": ticket.connection,
        "id": ticket.ticket_id,
        "number": ticket.number,
        "written": {dim: getattr(ticket, f"written_{dim}") for dim in _DIMENSIONS},
        "written_at": _iso(ticket.written_at),
        "agent_priority": ticket.agent_priority,
        "next_due": _iso(ticket.next_due),
        "closed": ticket.closed,
        "subject": (ticket.snapshot or {}).get("subject", ""),
        "decisions": [
            {**d, "set_by": _set_by(d["decision"])}
            for d in store.decisions(ticket.connection, ticket.ticket_id, limit)
        ],
        "messages": [_message(m) for m in store.messages(ticket.connection, ticket.ticket_id)],
    }


def _set_by(decision: Mapping[str, Any]) -> dict[str, str]:
    """Per dimension what set it: ``rule major-outage``, ``default``, ``matrix``."""
    out = {}
    for step in decision.get("trace", ()):
        if step.get("dimension") in _DIMENSIONS:
            out[step["dimension"]] = f"rule {step['rule']}" if step.get("rule") else str(step.get("source"))
    return out


def _message(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "policy": entry.policy,
        "state": entry.state,
        "visible_to_requester": entry.visible_to_requester,
        "priority": entry.priority,
        "recorded_at": _iso(entry.recorded_at),
        "sent_at": _iso(entry.sent_at),
        "remote_id": entry.remote_id,
        "cycle": entry.cycle or None,
        "text": entry.text,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: str | None) -> str:
    """An ISO instant in the reader's local time, to the second, with the zone's offset."""
    if not value:
        return "-"
    try:
        local = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _print_history(console: Console, h: Mapping[str, Any]) -> None:
    title = f"{h['connection']}: ticket {h['id']}" + (f" ({h['number']})" if h["number"] else "")
    console.print(f"[bold]{escape(title)}[/bold]" + (f"  {escape(h['subject'])}" if h["subject"] else ""))
    ours = ", ".join(f"{k} {v}" for k, v in h["written"].items() if v) or "nothing yet"
    console.print(f"  matrixcore's values: {escape(ours)} (last written {_when(h['written_at'])})")
    if h["agent_priority"]:
        console.print(f"  [yellow]an agent chose priority {escape(h['agent_priority'])}: kept[/yellow]")
    console.print(
        "  closed: no more messages" if h["closed"] else f"  next timed message due: {_when(h['next_due'])}"
    )
    console.print("[bold]decisions[/bold] (oldest first)")
    for d in h["decisions"]:
        decision = {k: escape(str(v)) for k, v in d["decision"].items() if k != "trace"}
        console.print(
            f"  {_when(d['decided_at'])}  cycle {escape(d['cycle'])}  "
            f"[bold]{decision.get('priority')}[/bold] "
            f"(impact {decision.get('impact')}, urgency {decision.get('urgency')}), "
            f"pickup by {_when(d['decision'].get('pickup_by'))}"
        )
        if d["note"]:
            console.print(f"      [yellow]{escape(d['note'])}[/yellow]")
        elif d["set_by"]:
            console.print("      set by: " + escape(", ".join(f"{k} {v}" for k, v in d["set_by"].items())))
        predicted = d["decision"].get("prediction")
        if isinstance(predicted, Mapping):
            console.print(
                f"      predicted miss: {float(predicted.get('probability') or 0):.0%} "
                f"({escape(str(predicted.get('basis')))}), expected pickup "
                f"{_when(predicted.get('expected_pickup'))}: {escape(str(predicted.get('reason')))}"
            )
        written = ", ".join(f"{k}={v}" for k, v in d["written"].items())
        console.print(
            f"      written: {escape(written)}" if written else "      written: nothing (unchanged)"
        )
    if h["decisions"]:
        latest, note = h["decisions"][-1]["decision"], h["decisions"][-1]["note"]
        console.print("  the latest decision, step by step:")
        agents = note.startswith(AGENT_NOTE)
        if note:
            console.print(f"    {escape(note)}")
        for step in latest.get("trace", ()):
            if agents and step["dimension"] in _DIMENSIONS:  # the agent's values stand in for the rules'
                continue
            console.print(
                f"    {escape(step['dimension'])} = {escape(str(step['value']))}: {escape(step['detail'])}"
            )
    _print_messages(console, h["messages"])
    console.print()


def _print_messages(console: Console, messages: Sequence[Mapping[str, Any]]) -> None:
    if not messages:
        console.print("[bold]messages[/bold]: none")
        return
    console.print("[bold]messages[/bold]")
    style = {"pending": "yellow", "superseded": "dim"}
    for m in messages:
        state = f"[{style.get(m['state'], 'green')}]{m['state']}[/]"
        to = "to the requester" if m["visible_to_requester"] else "internal note"
        when = _when(m["sent_at"] or m["recorded_at"])
        extra = "".join(
            f"  {label} {escape(str(m[key]))}"
            for label, key in (("id", "remote_id"), ("cycle", "cycle"))
            if m[key]
        )
        console.print(f"  {escape(m['key'])}  {state}  {to}  {when}{extra}")
        if m["text"]:
            console.print(f"      {escape(m['text'])}", overflow="fold")


# -- all connections -----------------------------------------------------------------------------


def _summary(store: StateStore, path: str, fmt: str) -> None:
    summaries = store.summaries()
    if fmt == "json":
        body = {
            "state": str(path),
            "schema_version": store.schema_version,
            "connections": [s.as_dict() for s in summaries],
        }
        click.echo(json.dumps(body, indent=2))
        return
    console = Console(highlight=False)
    console.print(f"[bold]{escape(str(path))}[/bold] (schema version {store.schema_version})")
    columns = ("connection", "cursor updated", "tickets", "open timers", "next due", "decisions", "messages")
    rows = [
        (
            s.connection,
            _when(_iso(s.cursor_updated_at)),
            str(s.tickets),
            str(s.open_timers),
            _when(_iso(s.next_due)),
            str(s.decisions),
            ", ".join(f"{n} {state}" for state, n in sorted(s.messages.items())) or "-",
        )
        for s in summaries
    ]
    table = Table()
    for column in columns:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if not console.is_terminal:  # a pipe or a file has no width: the table at its natural one, uncut
        console.width = max(console.width, natural)
    if natural <= console.width:
        console.print(table)
    else:  # a terminal too narrow for the table: one block per connection, every value whole
        for row in rows:
            block = Table.grid(padding=(0, 2))
            block.add_column(style="bold")
            block.add_column(overflow="fold")
            for column, value in zip(columns, row, strict=True):
                block.add_row(column, value)
            console.print(block)
            console.print()
    if any(s.messages.get("pending") for s in summaries):
        console.print(
            "[yellow]pending messages: a cycle stopped between recording and confirming them; the next "
            "cycle checks the tool before sending anything again[/yellow]"
        )
