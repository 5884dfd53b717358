"""``matrixcore run``: the sync daemon beside the ITSM tool (see ``_daemon`` for how it behaves).

This module is the command line around it: load and check the config and rules (every problem
with its line, exit 2), set up logging (text or JSON lines, secrets masked), print the effective
config and the dry-run banner, then hand over to ``Daemon``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click
import yaml
from rich.markup import escape

from . import __version__
from ._cli import _CONTEXT, EXIT_FAILED, EXIT_INVALID, cli_plugins, err_console, print_problems
from ._cmd_check_config import load_config_or_exit
from ._daemon import Daemon, RulesRefused
from ._daemon_settings import DaemonSettings, effective_config, secrets_of
from ._durations import parse_duration
from ._errors import ConfigError
from ._logging import configure_logging
from ._redact import default_redactor
from .state import StateError, StateFileInUse

__all__ = ["run"]

logger = logging.getLogger("matrixcore.daemon")

_BANNER = """\
==================================================================================
 DRY RUN: matrixcore writes nothing. Connections are read-only (only GET requests
 reach the ITSM tools) and the state file {state} is only read;
 what would be written or sent is logged as "would set" / "would send".
=================================================================================="""


def _seconds(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(float(value) if value.replace(".", "", 1).isdigit() else value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds.total_seconds() <= 0:
        raise click.BadParameter("must be more than 0 seconds")
    return seconds.total_seconds()


@click.command(context_settings=_CONTEXT)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    envvar="MATRIXCORE_CONFIG",
    help="The config file: rules, connections, and the state, sync, logging and metrics sections. "
    "Env: MATRIXCORE_CONFIG.",
)
@click.option("--once", is_flag=True, help="One cycle per connection, then exit (cron, or trying a config).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write nothing: connections read-only (GET only), the state file only read; log what would "
    "be written and sent.",
)
@click.option(
    "--interval",
    metavar="DURATION",
    callback=_seconds,
    help="Time between two polls of each connection: seconds, or 30s, 5m (overrides sync.interval; "
    "default 60s). Timed messages go out when due, whatever the interval.",
)
@click.option(
    "--metrics-addr",
    metavar="HOST:PORT",
    help="Serve Prometheus /metrics and /healthz here (overrides metrics.address), e.g. 127.0.0.1:9464; "
    "0.0.0.0:9464 in a container.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="The SQLite state file (overrides state.path and MATRIXCORE_STATE).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    help="text for people, json for one JSON object per line (overrides logging.format; default text).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    help="Least severe level logged (overrides logging.level; default info).",
)
def run(
    config_path: str,
    once: bool,
    dry_run: bool,
    interval: float | None,
    metrics_addr: str | None,
    state_path: str | None,
    log_format: str | None,
    log_level: str | None,
) -> None:
    """Run the sync daemon: poll every connection, write the decided priorities, send the messages
    that are due, and remember it all in the state file.

    Each cycle, per connection: fetch what changed since the stored cursor; classify; write only
    what differs from the tool and from what matrixcore wrote before; post the messages due; record
    the decision; then commit the cursor. An agent's change to a priority matrixcore set is kept.
    Between cycles it sleeps until the next poll or the earliest timed message (the 80% warning,
    the missed-target message), whichever comes first. A failing tool is retried with backoff on
    its own; the other connections go on.

    \b
    Signals:
      SIGHUP            reload the config and rules (also done when either file changes);
                        an invalid file is reported and the last good one stays in force
      SIGTERM, SIGINT   finish the batch in progress and exit 0; a second one exits at once
    \b
    Examples:
      matrixcore run --config matrixcore.yaml --dry-run --once    what would the first cycle do?
      matrixcore run --config matrixcore.yaml --metrics-addr 127.0.0.1:9464
      matrixcore state --config matrixcore.yaml 4711              why did ticket 4711 get P2?
    \b
    Exit codes: 0 stopped by a signal, or --once and every connection synced; 1 --once and a cycle
    failed on matrixcore's side, the rules' own examples fail, or another matrixcore run holds the
    state file; 2 invalid config or rules (every problem is listed); 3 --once and an ITSM tool
    could not be reached or refused; 128+N after a second signal N.
    """
    plugins = cli_plugins()
    console = err_console()
    config = load_config_or_exit(config_path, "text", plugins, console)
    overrides: dict[str, Any] = {
        "interval": interval,
        "dry_run": True if dry_run else None,
        "metrics_address": metrics_addr,
        "state_path": state_path,
        "log_format": log_format,
        "log_level": log_level.upper() if log_level else None,
    }
    try:
        settings = DaemonSettings.from_config(config, **overrides)
    except ConfigError as exc:
        console.print(f"[bold red]{escape(config_path)}: invalid config[/bold red]")
        print_problems(exc.problems, console)
        sys.exit(EXIT_INVALID)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    configure_logging(settings.log_format, settings.log_level)
    for connection in config.connections.values():
        default_redactor.add(*secrets_of(connection.settings))
    _announce(config, settings, once)
    try:
        daemon = Daemon(
            config,
            plugins,
            settings,
            pinned=[name for name, value in overrides.items() if value is not None],
        )
    except RulesRefused as exc:
        logger.error("cannot start: %s", exc)
        for problem in exc.problems:
            logger.error("  %s", problem)
        sys.exit(EXIT_INVALID if exc.invalid else EXIT_FAILED)
    except StateError as exc:
        logger.error("cannot start: %s", exc)
        sys.exit(EXIT_INVALID)
    except StateFileInUse as exc:
        logger.error("cannot start: %s", exc)
        sys.exit(EXIT_FAILED)
    daemon.install_signal_handlers()
    try:
        code = daemon.run_once() if once else daemon.run()
    except OSError as exc:  # the metrics address is taken, or not ours to bind
        logger.error("cannot start: metrics server on %s: %s", settings.metrics_address, exc.strerror or exc)
        sys.exit(EXIT_INVALID)
    sys.exit(code)


def _announce(config: Any, settings: DaemonSettings, once: bool) -> None:
    """The start-up lines: version and mode, the effective config (redacted), the dry-run banner."""
    mode = "one cycle" if once else "daemon"
    logger.info(
        "matrixcore %s starting (%s%s) with %s",
        __version__,
        mode,
        ", DRY RUN" if settings.dry_run else "",
        config.file,
    )
    shown = effective_config(config, settings)
    if settings.log_format == "json":
        clean = json.loads(default_redactor.redact(json.dumps(shown, default=str)))
        logger.info("effective config", extra={"config": clean})
    else:
        text = yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, default_flow_style=False)
        indented = "\n".join(f"    {line}" for line in text.rstrip().splitlines())
        logger.info("effective config:\n%s", default_redactor.redact(indented))
    if settings.dry_run:
        for line in _BANNER.format(state=settings.state_path).splitlines():
            logger.warning("%s", line)
