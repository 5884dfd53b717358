"""``matrixcore check --config``: the config file, and the ruleset against each live connection.

Kept apart from ``_cli.check`` so the command only gains an option and a few calls: loading the
config (every problem with its line, exit 2), running ``check_connections`` read-only, printing what
each tool said, and the exit code scripts rely on (2 a config problem, 3 a tool unreachable).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from ._config import Config
from ._errors import ConfigError, whole_file_problem
from ._live_check import ConnectionCheck, check_connections, problem_dict
from ._plugins import Plugins
from ._ruleset import Ruleset

__all__ = ["check_live", "connections_exit_code", "load_config_or_exit", "print_connection_checks"]

EXIT_INVALID = 2
EXIT_UNREACHABLE = 3


def load_config_or_exit(
    path: str, fmt: str, plugins: Plugins, console: Console, *, secrets: bool = True
) -> Config:
    """The config with each connection validated by its adapter's schema, or every problem and exit 2.

    ``secrets=False`` is for commands that open no connection: an unset secret is then no problem.
    """
    try:
        return plugins.load_config(path, secrets=secrets)
    except ConfigError as exc:
        if fmt == "json":
            problems = [problem_dict(p) for p in exc.problems]
            print(json.dumps({"valid": False, "file": path, "problems": problems}, indent=2))
        elif (single := whole_file_problem(exc.problems)) is not None:
            console.print(f"[bold red]{escape(str(single))}[/bold red]")
        else:
            console.print(f"[bold red]{escape(path)}: invalid config[/bold red]")
            for problem in exc.problems:
                style = "red" if problem.severity == "error" else "yellow"
                console.print(f"[{style}]{escape(str(problem))}[/{style}]")
        sys.exit(EXIT_INVALID)


def check_live(config: Config, ruleset: Ruleset, plugins: Plugins) -> list[ConnectionCheck]:
    """Every connection opened read-only through its plugin, checked, and asked about the ruleset."""
    return check_connections(config, ruleset, plugins.open_adapter)


def print_connection_checks(results: Sequence[ConnectionCheck], console: Console, errors: Console) -> None:
    for result in results:
        label = f"{result.connection} ({result.adapter})"
        if result.error is not None:
            errors.print(f"[bold red]{escape(label)}: not checked: {escape(result.error)}[/bold red]")
            continue
        for problem in result.problems:
            style = "red" if problem.severity == "error" else "yellow"
            errors.print(f"[{style}]{escape(str(problem))}[/{style}]")
        if result.adapter == "file":
            what = "the export reads, with an id and a creation time column"
        else:
            what = "the ruleset checked against it" if result.checks_rules else "connection works"
        count = len(result.problems)
        tail = f", {count} problem{'s' if count != 1 else ''}" if count else ""
        style = "red" if result.failed else "green"
        console.print(f"[{style}]{escape(label)}: reachable, {what}{tail}[/{style}]")


def connections_exit_code(results: Sequence[ConnectionCheck]) -> int | None:
    """2 when a tool reports a config error or the report's export cannot be read (input, as for
    ``report``), else 3 when a tool is unreachable, else ``None``."""
    if any(p.severity == "error" for r in results for p in r.problems):
        return EXIT_INVALID
    if any(r.error is not None and r.adapter == "file" for r in results):
        return EXIT_INVALID
    if any(r.error is not None for r in results):
        return EXIT_UNREACHABLE
    return None
