"""``matrixcore forecast``: what is coming per channel, how sure that is, and who is needed.

Wired like ``matrixcore report`` and sharing its pieces: the config and rules (every problem with
its line, exit 2), the ``source`` opened read-only through its adapter (the built-in ``file``
adapter and its presets for an export), the progress bar on stderr when a person watches, an
output file that appears whole or not at all, and the same exit codes. The forecast itself is
``_plan``; the formats ``_render`` and ``_html``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from rich.markup import escape

from matrixcore._adapter import AdapterContext, AdapterError
from matrixcore._cmd_check_config import load_config_or_exit
from matrixcore._plugins import PluginError
from matrixcore.exports._source import ExportError, FileSource

from ._history import ArrivalCounter
from ._html import render_html
from ._plan import Forecast, build_forecast
from ._render import FORMATS, SUFFIXES
from ._settings import default_calendar, read_settings
from ._sources import count_tickets, counter_from_state, open_state

__all__ = ["forecast_command"]

_ALL_FORMATS: dict[str, Callable[[Forecast, IO[str]], None]] = {**FORMATS, "html": render_html}
#: As every command has them (``matrixcore._cli``, which imports this module, has the same).
_CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command("forecast", context_settings=_CONTEXT)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The config file: its 'rules' (channels, calendars), its 'source' (a ticket export or a "
    "connection, as for 'report') and its 'forecast' section (staffing per channel, events).",
)
@click.option(
    "--weeks", type=click.IntRange(1, 12), help="Weeks ahead, 1 to 12. Default: forecast.weeks, else 4."
)
@click.option(
    "--interval",
    type=click.Choice(["15m", "30m", "60m"]),
    help="Interval length. Default: forecast.interval, else 60m.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "html"]),
    help="table (per day, for people; the default), csv (per interval and channel, for WFM tools and "
    "spreadsheets), json (everything; schema: 'matrixcore schema forecast') or html (fan charts and "
    "a staffing heatmap). Default: from --output's suffix.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the forecast to this file (written whole or not at all) instead of stdout.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="TIME",
    help="Where the history ends and the forecast begins (ISO 8601 with an offset). Default: "
    "forecast.as_of, else the end of the interval of the last arrival.",
)
@click.option(
    "--from",
    "history_from",
    type=click.Choice(["source", "state"]),
    help="Where the history comes from: the config's 'source' (an export or a connection, as for "
    "'report'), or the daemon's state (the arrivals it counted). Default: source if configured, "
    "else state.",
)
@click.option(
    "--connection",
    metavar="NAME",
    help="With --from state: only this connection's arrivals (default: every connection's, added up).",
)
@click.option(
    "--backfill",
    metavar="CONNECTION",
    help="Count the config's source (an export) into the daemon's state as CONNECTION's arrivals "
    "(replacing what the state has for the export's span; running it twice changes nothing), then "
    "forecast from the state.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress bar and no closing note on stderr; errors only."
)
def forecast_command(
    config_path: str,
    weeks: int | None,
    interval: str | None,
    fmt: str | None,
    output: str | None,
    as_of: str | None,
    history_from: str | None,
    connection: str | None,
    backfill: str | None,
    quiet: bool,
) -> None:
    """Forecast arrivals per channel for the weeks ahead, with scenarios and a staffing plan.

    \b
    History: the tickets of the config's 'source' (an export with any preset, or a connection,
    read-only), counted per channel and interval. Per channel, every model (the 8-week average,
    a weekday-pooled profile, the seasonal naive baseline, and any a plugin adds) is backtested on
    the channel's own history (rolling origin, one week ahead: MASE, WAPE, interval coverage)
    and the best one forecasts. Holidays on the channel's calendar are treated as holidays; known
    events from the config are applied, and measured where the history holds them.

    \b
    Scenarios (configurable): sunny (P50), partly cloudy (P80), stormy (P95) of an over-dispersed
    spread calibrated on the channel's history. Staffing per scenario and interval, on the channel's
    business hours: Erlang C for real-time channels (Erlang A where a patience is configured), the
    deadline model for right-time ones; rostered heads add shrinkage.

    \b
    The config's forecast section (every key optional):
      forecast:
        weeks: 4
        interval: 60m
        scenarios: {sunny: 0.5, partly cloudy: 0.8, stormy: 0.95}
        defaults: {aht: 8m, max_occupancy: 0.85, shrinkage: 0.3}
        channels:
          phone: {aht: 6m, service_level: 0.8, answer_in: 20s, patience: 3m}
          email: {aht: 12m, response: 8h, backlog: 40}
        events:
          - {name: release 5.2, start: 2025-07-07, end: 2025-07-08, channels: [portal], effect: +30%}

    \b
    Examples:
      matrixcore forecast --config examples/quickstart/report.yaml
      matrixcore forecast --config c.yaml --weeks 12 --interval 30m -o plan.csv
      matrixcore forecast --config c.yaml -o forecast.html

    \b
    From the daemon's state instead (it counts every new ticket per channel and 15 minutes):
      matrixcore forecast --config matrixcore.yaml --from state
      matrixcore forecast --config matrixcore.yaml --backfill topdesk-prod   # once, from the export

    \b
    Exit codes: 0 done; 2 invalid input (config, rules, an export that cannot be read, a state
    without arrivals); 3 the source tool could not be reached.
    """
    # The command line's shared pieces; imported here because matrixcore._cli imports this module.
    from matrixcore._cli import (
        EXIT_INVALID,
        EXIT_OK,
        EXIT_UNREACHABLE,
        cli_plugins,
        err_console,
        load_or_exit,
    )
    from matrixcore._cmd_report import _fail, _output, _progress, _tickets

    plugins = cli_plugins()
    errors = err_console()
    config = load_config_or_exit(config_path, "text", plugins, errors)
    ruleset = load_or_exit(str(config.rules_path), "text", plugins.operators())
    section = config.section("forecast")
    settings = read_settings(section, weeks, interval)
    name = fmt or (SUFFIXES.get(Path(output).suffix.lower()) if output and output != "-" else None) or "table"
    if name not in _ALL_FORMATS:
        raise click.BadParameter(
            f"unknown format {name!r} (known: {', '.join(_ALL_FORMATS)})", param_hint="--format"
        )
    end = _moment(as_of or (str(section["as_of"]) if section.get("as_of") else None))
    zone = ruleset.calendars[default_calendar(ruleset)].tzinfo
    history = history_from or ("state" if backfill or config.source is None else "source")
    if (history == "source" or backfill) and config.source is None:
        _fail(
            f"{config_path}: no 'source' section: add 'source: {{path: export.csv, preset: topdesk}}' for "
            "a ticket export, or 'source: {connection: NAME}' to read a connection read-only; or run "
            "the daemon a few weeks and forecast from its state (--from state)",
            EXIT_INVALID,
        )
    try:
        models = plugins.forecast_models()
    except PluginError as exc:
        _fail(str(exc), EXIT_INVALID)
    to_terminal = output in (None, "-") and sys.stdout.isatty()
    watch = not quiet and not to_terminal and sys.stderr.isatty()
    counter = ArrivalCounter(settings.minutes, zone)
    utc: dict[tuple[str, int], int] | None = {} if backfill else None
    source = ""
    if history == "source" or backfill:
        assert config.source is not None
        try:
            adapter = plugins.open_adapter(config.source, AdapterContext(read_only=True))
            if isinstance(adapter, FileSource):
                adapter.use_ruleset(ruleset)
            adapter.check()
        except (ExportError, PluginError) as exc:
            _fail(str(exc), EXIT_INVALID)
        except AdapterError as exc:
            _fail(f"source {config.source.name!r}: {exc}", EXIT_UNREACHABLE)
        source = adapter.describe() if isinstance(adapter, FileSource) else f"connection {adapter.name}"
        try:
            with _progress(adapter, watch) as (tick, read):
                count_tickets(_tickets(adapter, read), ruleset, settings.minutes, zone, tick, counter, utc)
        except ExportError as exc:
            _fail(str(exc), EXIT_INVALID)
        except AdapterError as exc:
            _fail(f"source {config.source.name!r}: {exc}", EXIT_UNREACHABLE)
        finally:
            adapter.close()
    if backfill and utc:
        with open_state(config, write=True) as store:
            store.replace_arrivals(backfill, utc, min(s for _, s in utc), max(s for _, s in utc))
        if not quiet:
            errors.print(
                f"backfilled {counter.tickets:,} arrivals from {escape(source)} into {escape(store.path)} "
                f"as connection {escape(backfill)}"
            )
    if history == "state":
        with open_state(config) as store:
            counter = counter_from_state(store, connection, settings.minutes, zone)
            source = f"state {store.path}" + (f", connection {connection}" if connection else "")
        if not counter.channels:
            _fail(
                f"{source}: no arrivals counted yet; the daemon counts each new ticket, or backfill "
                "once from an export: matrixcore forecast --config FILE --backfill CONNECTION",
                EXIT_INVALID,
            )
    result = build_forecast(counter, ruleset, settings, models, end=end, source=source)
    with _output(output) as out:
        _ALL_FORMATS[name](result, out)
    if not quiet and not to_terminal:
        _closing_note(result, counter, output)
    sys.exit(EXIT_OK)


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--as-of") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} has no offset (write +01:00 or Z)", param_hint="--as-of")
    return moment.astimezone(UTC)


def _closing_note(result: Forecast, counter: ArrivalCounter, output: str | None) -> None:
    from matrixcore._cli import err_console

    where = f"; wrote {output}" if output not in (None, "-") else ""
    weeks = f"{result.weeks} week{'s' if result.weeks != 1 else ''}"
    err_console().print(
        f"{counter.tickets:,} tickets from {escape(result.source)}: {len(result.channels)} channels forecast "
        f"{weeks} from {result.start:%Y-%m-%d %H:%M}{escape(where)}"
    )
