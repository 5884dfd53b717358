"""``matrixcore plugins``: what is installed, where it comes from and what it offers.

The first thing to run when a config names an adapter matrixcore does not know: a plugin that failed
to load is listed with the reason, and the exit code says so (1), so a deployment check can use it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ._adapter import AdapterSpec
from ._cli import _CONTEXT, EXIT_FAILED, EXIT_OK, cli_plugins, format_option
from ._plugins import AUTOLOAD_ENV, PluginInfo, Plugins

__all__ = ["plugins"]

_STATUS_STYLE = {"loaded": "green", "failed": "bold red", "disabled": "yellow", "blocked": "yellow"}


@click.command(context_settings=_CONTEXT)
@format_option()
@click.option(
    "--strict-plugins",
    is_flag=True,
    help="Exit 2 at the first plugin that fails to load (same as 'matrixcore --strict-plugins plugins').",
)
def plugins(fmt: str, strict_plugins: bool) -> None:
    """List the plugins: built-in ones, installed ones (entry-point group 'matrixcore') and those
    that failed to load, each with its version, the hooks it implements and the adapters, condition
    operators and report formats it offers.

    \b
    Exit codes: 0 every plugin loaded; 1 a plugin failed to load and was skipped (the reason is
    listed); 2 a plugin failed under --strict-plugins, or two plugins offer the same name.
    """
    loaded = cli_plugins(strict=strict_plugins)
    infos = loaded.info()
    if fmt == "json":
        click.echo(json.dumps({"plugins": [_as_json(loaded, info) for info in infos]}, indent=2))
    else:
        _print_text(loaded, infos)
    sys.exit(EXIT_FAILED if loaded.failures else EXIT_OK)


def _as_json(loaded: Plugins, info: PluginInfo) -> dict[str, Any]:
    adapters, formats, operators = loaded.adapters(), loaded.report_formats(), loaded.operators()
    out = info.as_dict()
    out["adapters"] = [
        {
            "name": name,
            "version": adapters[name].version or info.version,
            "description": adapters[name].description,
        }
        for name in info.adapters
    ]
    out["operators"] = [
        {"name": op.name, "description": op.description}
        for op in (operators.get(name) for name in info.operators)
        if op is not None
    ]
    out["report_formats"] = [
        {
            "name": name,
            "suffix": formats[name].suffix,
            "media_type": formats[name].media_type,
            "description": formats[name].description,
        }
        for name in info.report_formats
    ]
    return out


def _print_text(loaded: Plugins, infos: list[PluginInfo]) -> None:
    """One short block per plugin: long lists stay readable in 80 columns and greppable in a pipe."""
    console = Console(highlight=False, soft_wrap=True)
    adapters = loaded.adapters()
    for info in infos:
        origin = "built in" if info.kind == "built-in" else f"{info.distribution} {info.version}".strip()
        style = _STATUS_STYLE[info.status]
        status = f"[{style}]{info.status}[/{style}]"
        console.print(f"[bold]{escape(info.name)}[/bold]  {escape(origin or info.target)}  {status}")
        details = [
            ("hooks", [hook.removeprefix("matrixcore_") for hook in info.hooks]),
            ("adapters", [_adapter_line(name, adapters[name], info) for name in info.adapters]),
            ("operators", list(info.operators)),
            ("report formats", list(info.report_formats)),
        ]
        for label, items in details:
            if items:
                console.print(f"  {label}: {escape(', '.join(items))}")
        if info.error:
            console.print(
                f"  [{style}]{'error' if info.status == 'failed' else 'why'}: {escape(info.error)}[/{style}]"
            )
    counts = {status: sum(i.status == status for i in infos) for status in _STATUS_STYLE}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    if counts["blocked"]:
        summary += f" (installed plugins are blocked by {AUTOLOAD_ENV})"
    console.print(summary)


def _adapter_line(name: str, spec: AdapterSpec, info: PluginInfo) -> str:
    version = spec.version or info.version
    return f"{name} {version}".rstrip() + (f" ({spec.description})" if spec.description else "")
