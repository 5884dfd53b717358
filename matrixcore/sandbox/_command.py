"""``matrixcore sandbox VENDOR``: a local emulated ITSM tool to watch the daemon work, no account needed."""

from __future__ import annotations

import random
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, Final

import click
from rich.markup import escape

from matrixcore._daemon_settings import format_duration_s
from matrixcore._durations import parse_duration
from matrixcore._errors import MatrixcoreError

from ._runner import SandboxRun, quickstart_rules, sandboxes

__all__ = ["sandbox_command"]

# As matrixcore._cli has them; not imported from there, which imports this module to register it.
_CONTEXT: Final[dict[str, Any]] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_OK: Final = 0
EXIT_INVALID: Final = 2


def _seconds(value: str, option: str) -> float:
    try:
        return parse_duration(value).total_seconds()
    except (ValueError, MatrixcoreError) as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@click.command("sandbox", context_settings=_CONTEXT)
@click.argument("vendor", required=False)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default="sandbox",
    show_default=True,
    help="Where the daemon's config, the sandbox's secret and the state file go.",
)
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, exists=True),
    help="The rules the daemon uses (default: the quick-start rules).",
)
@click.option("--arrivals", default="40s", show_default=True, help="A new ticket every so often (0: none).")
@click.option("--agents", default="30s", show_default=True, help="An agent acts every so often (0: never).")
@click.option(
    "--metrics-addr",
    default="127.0.0.1:9464",
    show_default=True,
    help="The status page and metrics address written into the daemon's config.",
)
@click.option(
    "--interval", default="10s", show_default=True, help="The daemon's poll interval in the config."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seeds the agents' choices.")
@click.option("--duration", default=None, help="Stop after this long (default: until Ctrl-C).")
def sandbox_command(
    vendor: str | None,
    directory: str,
    rules: str | None,
    arrivals: str,
    agents: str,
    metrics_addr: str,
    interval: str,
    seed: int,
    duration: str | None,
) -> None:
    """Run an emulated ITSM tool on this machine to try the daemon without an account.

    VENDOR is a sandbox a plugin offers (topdesk, servicenow, zendesk: the plugins' own emulators,
    the ones their tests use). The sandbox starts on 127.0.0.1 with the quick-start desk's tickets
    (Dutch, English, German and French requesters, e-mail to Twitter/X), writes DIR/matrixcore.yaml
    for a daemon and prints it; then a new ticket arrives every --arrivals and an agent picks one
    up, resolves one or overrules a priority every --agents. Nothing leaves this machine. Without
    VENDOR, lists the sandboxes installed.

    \b
    In one terminal:
      matrixcore sandbox topdesk
    in another (the status page on http://127.0.0.1:9464/):
      matrixcore run --config sandbox/matrixcore.yaml
      matrixcore state --config sandbox/matrixcore.yaml
    \b
    Exit codes: 0 stopped (Ctrl-C, SIGTERM or --duration); 2 unknown VENDOR or bad option.
    """
    from matrixcore._cli import cli_plugins, err_console

    every_arrival = _seconds(arrivals, "--arrivals")
    every_action = _seconds(agents, "--agents")
    _seconds(interval, "--interval")
    stop_after = _seconds(duration, "--duration") if duration else None
    try:
        offered = sandboxes(cli_plugins())
    except MatrixcoreError as exc:
        err_console().print(f"[bold red]{escape(str(exc))}[/bold red]")
        sys.exit(EXIT_INVALID)
    if vendor is None:
        if not offered:
            click.echo("no sandbox installed: install an adapter plugin (plugins/topdesk, ...)")
        for name, (spec, label) in sorted(offered.items()):
            click.echo(f"{name:<12} {spec.description} ({label})")
        sys.exit(EXIT_OK)
    if vendor not in offered:
        known = ", ".join(sorted(offered)) or "none installed"
        err_console().print(
            f"[bold red]no sandbox {escape(vendor)!r} (installed: {escape(known)})[/bold red]"
        )
        sys.exit(EXIT_INVALID)
    spec, _ = offered[vendor]
    rules_path = Path(rules) if rules else quickstart_rules()
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    with spec.factory() as box:
        run = SandboxRun(vendor, box, Path(directory), random.Random(seed))
        click.echo(f"matrixcore sandbox {vendor}: {spec.description}, on {box.url} (this machine only)")
        for line in run.seed():
            click.echo(f"  {line}")
        extra = {
            "state": {"path": "state.sqlite3"},
            "sync": {"interval": interval},
            "metrics": {"address": metrics_addr},
        }
        text = run.write_config(rules_path, extra)
        click.echo(f"\nwrote {run.config_path}:\n")
        click.echo("\n".join(f"    {line}" for line in text.rstrip().splitlines()))
        click.echo(
            f"\npoint a daemon at it (another terminal):\n    matrixcore run --config {run.config_path}\n"
            f"and watch it on http://{metrics_addr}/ ; 'matrixcore state --config {run.config_path}' "
            "shows what it decided"
        )
        for note in spec.notes:
            click.echo(note)
        plan = []
        if every_arrival > 0:
            plan.append(f"a new ticket every {format_duration_s(every_arrival)}")
        if every_action > 0:
            plan.append(f"an agent acts every {format_duration_s(every_action)}")
        click.echo(f"\n{' and '.join(plan) or 'no new tickets, no agents'}; Ctrl-C stops\n")
        started = time.monotonic()
        next_arrival = started + every_arrival if every_arrival > 0 else float("inf")
        next_action = started + every_action if every_action > 0 else float("inf")
        try:
            while not stopping:
                now = time.monotonic()
                if stop_after is not None and now - started >= stop_after:
                    break
                if now >= next_arrival:
                    click.echo(f"{time.strftime('%H:%M:%S')} {run.arrive()}")
                    next_arrival += every_arrival
                if now >= next_action:
                    action = run.act()
                    if action:
                        click.echo(f"{time.strftime('%H:%M:%S')} {action}")
                    next_action += every_action
                time.sleep(min(0.2, max(0.0, min(next_arrival, next_action) - time.monotonic())))
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    click.echo("sandbox stopped")
    sys.exit(EXIT_OK)
