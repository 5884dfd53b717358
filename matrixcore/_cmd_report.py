"""``matrixcore report``: the dry run. What matrixcore would do to every ticket, and why, and how the
promises would have fared; it never writes to any tool.

The command only wires things together: the config and rules (every problem with its line, exit 2),
the source opened read-only through its adapter plugin (the built-in ``file`` adapter for an export),
the format from ``matrixcore_report_formats``, a progress bar on stderr when a person is watching,
and the exit code. The report itself is ``_report``; the formats are ``_report_*``.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ._adapter import Adapter, AdapterContext, AdapterError
from ._cli import (
    _CONTEXT,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREACHABLE,
    cli_plugins,
    err_console,
    load_or_exit,
)
from ._cmd_check_config import load_config_or_exit
from ._engine import Engine
from ._plugins import PluginError, Plugins
from ._ticket import Ticket
from .exports._source import ExportError, FileSource
from .report._report import TICKET_SELECTIONS, Report, ReportMeta

__all__ = ["report"]

#: Suffixes that name a format besides each format's own (``ReportFormat.suffix``).
_EXTRA_SUFFIXES = {".htm": "html", ".text": "table"}
#: How often (in tickets) the progress bar is updated: often enough to move, rarely enough to cost nothing.
_TICK = 512


class _NoTickets(Exception):
    """An export of which no ticket could be read: invalid input, never a report of nothing."""

    def __init__(self, export: FileSource) -> None:
        stats = export.stats
        message = f"{export.path}: no ticket read ({stats.rows:,} rows, {stats.skipped:,} skipped)"
        if stats.problems:
            first = stats.problems[0]
            message += f"; line {first.line}: {first.message}"
        super().__init__(message)


def _fail(message: str, code: int) -> None:
    err_console().print(f"[bold red]{escape(message)}[/bold red]")
    sys.exit(code)


@click.command(context_settings=_CONTEXT)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The config file: its 'rules', and its 'source' (a ticket export, or a connection).",
)
@click.option(
    "--format",
    "fmt",
    metavar="NAME",
    help="table (the default, for people), csv, json (schema: 'matrixcore schema report'), html, or a "
    "format a plugin offers. Default: from --output's suffix, else the config's report.format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the report to this file (written whole or not at all) instead of stdout.",
)
@click.option(
    "--tickets",
    type=click.Choice(TICKET_SELECTIONS),
    help="Which tickets get a row of their own: all, changed (another priority, impact or urgency; "
    "the default), missed (a promised pickup or resolution missed) or none. The summary counts all.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="TIME",
    help="Judge open tickets at this moment (ISO 8601, e.g. 2025-07-01T08:00+02:00). Default: the "
    "config's report.as_of, else the export's modification time, else now.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress bar and no closing note on stderr; errors only."
)
@click.option(
    "--fail-on-change",
    is_flag=True,
    help="Exit 1 when any ticket would get another priority (for CI on rules).",
)
@click.option("--fail-on-skipped", is_flag=True, help="Exit 1 when any row of the export could not be read.")
def report(
    config_path: str,
    fmt: str | None,
    output: str | None,
    tickets: str | None,
    as_of: str | None,
    quiet: bool,
    fail_on_change: bool,
    fail_on_skipped: bool,
) -> None:
    """Dry run: classify every ticket of an export (or a connection, read-only) as it arrived, and
    show what matrixcore would change, why, and which messages would have gone out.

    \b
    For each ticket: the priority it has and the one matrixcore proposes, the promised pickup and
    resolution moments, the rules that decided, and the messages in the requester's language.
    The summary: the priority shift (now x proposed), tickets per channel and priority, the messages
    of each kind, a backtest (promised pickup and resolution met or missed against the export's real
    times, per priority and channel, next to the source's own SLA outcome), the delay messages and
    when they would have gone out, and a consistency audit (tickets the rules treat alike that the
    source gave different priorities or lead times, largest groups first).

    \b
    The config's source section, for a TOPdesk export:
      source:
        path: export.csv          # relative to the config
        preset: topdesk           # servicenow, topdesk, zendesk or matrixcore
        timezone: Europe/Amsterdam
        columns: {custom.affected_users: Aantal gebruikers}
        values: {impact: {Persoon: person}}
    or, for a live tool, read-only:  source: {connection: topdesk-prod}

    \b
    Examples:
      matrixcore report --config examples/quickstart/report.yaml
      matrixcore report --config c.yaml -o report.html
      matrixcore report --config c.yaml --format json --tickets all | jq .summary.backtest
      matrixcore report --config c.yaml --quiet --fail-on-change --tickets none

    Nothing is ever written to the ticket tool or the export: the source is opened read-only.

    \b
    Exit codes: 0 done; 1 --fail-on-change and a priority would change, or --fail-on-skipped and
    rows were skipped; 2 invalid input (config, rules, an export that cannot be read or of which
    no ticket could be read, an unknown format); 3 the source tool could not be reached.
    """
    plugins = cli_plugins()
    errors = err_console()
    config = load_config_or_exit(config_path, "text", plugins, errors)
    if config.source is None:
        _fail(
            f"{config_path}: no 'source' section: add 'source: {{path: export.csv, preset: topdesk}}' for "
            "a ticket export, or 'source: {connection: NAME}' to read a connection read-only",
            EXIT_INVALID,
        )
    assert config.source is not None
    ruleset = load_or_exit(str(config.rules_path), "text", plugins.operators())
    defaults = config.section("report")
    format_name = _format_name(fmt, output, defaults, plugins)
    selection = tickets or str(defaults.get("tickets") or "changed")
    try:
        adapter = plugins.open_adapter(config.source, AdapterContext(read_only=True))
        if isinstance(adapter, FileSource):
            adapter.use_ruleset(ruleset)
        adapter.check()
    except (ExportError, PluginError) as exc:
        _fail(str(exc), EXIT_INVALID)
    except AdapterError as exc:
        _fail(f"source {config.source.name!r}: {exc}", EXIT_UNREACHABLE)
    try:
        moment = _as_of(as_of, defaults.get("as_of"), adapter)
        from . import __version__

        meta = ReportMeta(
            as_of=moment,
            generated_at=datetime.now(UTC),
            source=adapter.describe() if isinstance(adapter, FileSource) else f"connection {adapter.name}",
            rules=str(config.rules_path),
            rules_name=ruleset.name,
            config=config_path,
            tickets=selection,
            version=__version__,
        )
        to_terminal = output in (None, "-") and sys.stdout.isatty()
        chosen = plugins.report_formats()[format_name]
        watch = not quiet and _bar_cannot_mix(output, chosen.spooled)
        export = adapter if isinstance(adapter, FileSource) else None
        with _progress(adapter, watch) as (tick, read):
            built = Report(
                Engine(ruleset),
                _tickets(adapter, read),
                meta,
                plugins=plugins,
                provides=export.provides if export else None,
                source_stats=(lambda: export.stats) if export else None,
                on_ticket=tick,
            )
            with _output(output) as out:
                chosen.render(built, out)
                if not built.summary.tickets and export is not None:
                    raise _NoTickets(export)
        summary = built.summary
    except _NoTickets as exc:
        _fail(str(exc), EXIT_INVALID)
    except ExportError as exc:
        _fail(str(exc), EXIT_INVALID)
    except AdapterError as exc:
        _fail(f"source {config.source.name!r}: {exc}", EXIT_UNREACHABLE)
    finally:
        adapter.close()
    if not quiet and not to_terminal:
        _closing_note(errors, summary, meta, output)
    code = EXIT_OK
    skipped = getattr(summary.source, "skipped", 0)
    if (fail_on_change and summary.changes["priority"]) or (fail_on_skipped and skipped):
        code = EXIT_FAILED
    sys.exit(code)


def _format_name(fmt: str | None, output: str | None, defaults: Any, plugins: Plugins) -> str:
    """``--format``, else the format ``--output``'s suffix names, else the config's, else table.

    A suffix no format owns (``-o report.pdf``) is an error rather than a table under a misleading
    name: the file would not open in what its name promises.
    """
    formats = plugins.report_formats()
    known = ", ".join(sorted(formats))
    name = fmt
    suffix = Path(output).suffix.lower() if output and output != "-" else ""
    if name is None and suffix:
        by_suffix = {f.suffix.lower(): f.name for f in formats.values() if f.suffix}
        by_suffix.update({s: n for s, n in _EXTRA_SUFFIXES.items() if n in formats and s not in by_suffix})
        name = by_suffix.get(suffix)
        if name is None:
            listed = ", ".join(f"{s} ({n})" for s, n in sorted(by_suffix.items()))
            raise click.BadParameter(
                f"{output}: no report format writes {suffix} files (suffixes: {listed}); "
                "or name one with --format",
                param_hint="--output",
            )
    name = name or str(defaults.get("format") or "table")
    if name not in formats:
        raise click.BadParameter(f"unknown format {name!r} (installed: {known})", param_hint="--format")
    return name


def _as_of(option: str | None, configured: Any, adapter: Adapter) -> datetime:
    text = option or (str(configured) if configured else None)
    if text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--as-of") from None
        if moment.tzinfo is None:
            raise click.BadParameter(f"{text!r} has no offset (write +01:00 or Z)", param_hint="--as-of")
        return moment
    if isinstance(adapter, FileSource):
        return datetime.fromtimestamp(adapter.path.stat().st_mtime, UTC)
    return datetime.now(UTC)


def _tickets(adapter: Adapter, read: Callable[[], None]) -> Iterator[Ticket]:
    for batch in adapter.fetch(None):
        yield from batch.tickets
    read()  # every ticket read: the progress bar goes before a spooled format writes


def _bar_cannot_mix(output: str | None, spooled: bool) -> bool:
    """Whether a progress bar on stderr can never end up between the report's lines: stderr is a
    terminal and the report goes to a file (``-o``, ``> file``, ``/dev/null``), or to this terminal
    from a format that writes nothing until the bar is gone. Never into a pipe: a pager reading it
    draws on the same terminal."""
    if not sys.stderr.isatty():
        return False
    if output not in (None, "-"):
        return True
    if sys.stdout.isatty():
        return spooled
    try:
        mode = os.fstat(sys.stdout.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISREG(mode) or stat.S_ISCHR(mode)


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a file that appears whole: written beside the target and renamed at the end."""
    if path in (None, "-"):
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        _fail(f"{path}: no such directory {directory}", EXIT_INVALID)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as open() would have made it, not mkstemp's 0600
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _progress(adapter: Adapter, watch: bool) -> Iterator[tuple[Any, Callable[[], None]]]:
    """A progress bar on stderr while a person watches: bytes of the export, or tickets of a tool.
    Yields ``(tick, read)``: ``tick`` per ticket, ``read`` once all are read, which clears it."""
    if not watch:
        yield None, lambda: None
        return
    console = Console(stderr=True)
    sized = isinstance(adapter, FileSource)
    columns = [TextColumn("[bold]reading[/bold] {task.description}"), BarColumn()]
    columns += [TextColumn("{task.percentage:>3.0f}%")] if sized else [MofNCompleteColumn()]
    bar = Progress(
        *columns,
        TextColumn("{task.fields[tickets]:,} tickets"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    name = adapter.path.name if isinstance(adapter, FileSource) else adapter.name
    with bar:
        task = bar.add_task(name, total=None, tickets=0)
        count = 0

        def tick() -> None:
            nonlocal count
            count += 1
            if count % _TICK == 0:
                if isinstance(adapter, FileSource):
                    done, size = adapter.progress()
                    bar.update(task, completed=done, total=size, tickets=count)
                else:
                    bar.update(task, completed=count, tickets=count)

        yield tick, bar.stop


def _closing_note(console: Console, summary: Any, meta: ReportMeta, output: str | None) -> None:
    source = summary.source
    skipped = getattr(source, "skipped", 0)
    for problem in getattr(source, "problems", [])[:10]:
        console.print(f"[yellow]{escape(source.file)}:{problem.line}: {escape(problem.message)}[/yellow]")
    if skipped > 10:
        console.print(f"[yellow]… and {skipped - 10:,} more rows skipped[/yellow]")
    if getattr(source, "date_formats_how", "") == "inferred":  # say which, so a person can check it
        formats = escape(", ".join(source.date_formats))
        console.print(f"times read as {formats} (inferred from the first rows; set source.date_format)")
    where = f"; wrote {output}" if output not in (None, "-") else ""
    skipped_note = f" ({skipped:,} rows skipped)" if skipped else ""
    console.print(
        f"{summary.tickets:,} tickets from {escape(meta.source)}{skipped_note}: "
        f"{summary.changes['priority']:,} would get another priority{escape(where)}"
    )
