"""``matrixcore state migrate``: copy a desk's SQLite state file into a PostgreSQL state.

The way from one daemon on a file to several daemons on PostgreSQL without losing a cursor or a
ledger entry: stop the daemon, copy, point the config at the database, start the daemons. The copy
takes the file's lock, so it refuses while a daemon still runs on the file, and refuses a database
that already holds a state (it never merges two ledgers).
"""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from ._cli import _CONTEXT, EXIT_INVALID, EXIT_OK, EXIT_UNREACHABLE, cli_plugins, err_console
from ._cmd_check_config import load_config_or_exit
from ._daemon_settings import DaemonSettings
from ._errors import ConfigError
from .state import (
    PostgresStateStore,
    StateError,
    StateFileInUse,
    StateLock,
    StateStore,
    copy_state,
    is_postgres_url,
    redact_url,
)

__all__ = ["migrate"]


@click.command(context_settings=_CONTEXT)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MATRIXCORE_CONFIG",
    help="The daemon's config: its state.path is the source and its state.url the target, unless given.",
)
@click.option("--from", "source", type=click.Path(dir_okay=False), help="The SQLite state file to copy.")
@click.option(
    "--to",
    "target",
    envvar="MATRIXCORE_STATE_URL",
    help="The PostgreSQL state: postgresql://user@host/db (password from PGPASSWORD or ~/.pgpass). "
    "Env: MATRIXCORE_STATE_URL.",
)
def migrate(config_path: str | None, source: str | None, target: str | None) -> None:
    """Copy a SQLite state file (cursors, tickets, the decision log, the message ledger) into an
    empty PostgreSQL state, so several daemons can share it.

    \b
    Steps:
      systemctl stop matrixcore                       # the copy refuses while a daemon runs on the file
      matrixcore state migrate --config matrixcore.yaml --to postgresql://matrixcore@db/matrixcore
      # set state.url in the config (and remove state.path), then start the daemons
    \b
    Exit codes: 0 copied; 2 no such file, a daemon still on it, a target that is not empty or not
    a postgresql:// URL; 3 the database cannot be reached.
    """
    console = err_console()
    settings = None
    if config_path is not None:
        config = load_config_or_exit(config_path, "text", cli_plugins(), console)
        try:
            settings = DaemonSettings.from_config(config)
        except ConfigError as exc:
            console.print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(EXIT_INVALID)
    path = source or (str(settings.state_path) if settings else None)
    url = target or (settings.state_url.reveal() if settings and settings.state_url else None)
    if path is None or url is None:
        raise click.UsageError("give --from FILE and --to URL (or --config with state.path and state.url)")
    if not is_postgres_url(url):
        console.print(f"[bold red]--to must be a postgresql:// URL, not {escape(redact_url(url))}[/bold red]")
        sys.exit(EXIT_INVALID)
    lock = StateLock(path)
    try:
        lock.acquire()
        reader = StateStore(path, read_only=True)
    except StateFileInUse as exc:
        console.print(f"[bold red]{escape(str(exc))}[/bold red]")
        sys.exit(EXIT_INVALID)
    except StateError as exc:
        lock.release()
        if "needs a migration" not in str(exc):
            console.print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(EXIT_INVALID)
        reader = StateStore.private_copy(path)  # an older file: copy its migrated image
    try:
        try:
            writer = PostgresStateStore(url)
        except StateError as exc:
            console.print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(EXIT_UNREACHABLE)
        try:
            copied = copy_state(reader, writer)
        except ValueError as exc:
            console.print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(EXIT_INVALID)
        except StateError as exc:
            console.print(f"[bold red]{escape(str(exc))}: nothing was copied[/bold red]")
            sys.exit(EXIT_UNREACHABLE)
        finally:
            writer.close()
    finally:
        reader.close()
        lock.release()
    counts = ", ".join(f"{n} {table}" for table, n in copied.items())
    click.echo(f"copied {path} into {redact_url(url)}: {counts}")
    sys.exit(EXIT_OK)
