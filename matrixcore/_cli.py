"""The ``matrixcore`` command line: one group, one small function per command.

Exit codes scripts can rely on: 0 all good; 1 the input is valid but something failed (a rule
example, a changed ticket in ``report --fail-on-change``); 2 invalid input (a bad rules or config
file, a bad option); 3 an ITSM tool could not be reached. Errors go to stderr, results to stdout,
and every command that prints results has ``--format json`` for machines.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from . import __version__
from ._cmd_check_config import check_live, connections_exit_code, load_config_or_exit, print_connection_checks
from ._engine import Engine
from ._errors import Problem, RulesetError, whole_file_problem
from ._examples import ExampleResult, run_examples
from ._live_check import ConnectionCheck
from ._operators import OperatorRegistry
from ._plugins import AUTOLOAD_ENV, PluginError, Plugins
from ._ruleset import Ruleset, load_ruleset
from ._schemas import SCHEMA_NAMES, load_schema

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "cli_plugins",
    "engine_or_exit",
    "format_option",
    "main",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_UNREACHABLE = 3

_Decorated = TypeVar("_Decorated", bound=Callable[..., Any])

_CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
#: Keys in ``click.Context.meta`` (shared by the group and its commands).
_PLUGIN_OPTIONS = "matrixcore.plugin_options"
_PLUGINS = "matrixcore.plugins"


def format_option(machines: str = "scripts") -> Callable[[_Decorated], _Decorated]:
    """``--format text|json`` as every command spells it: text for people, json for ``machines``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=f"text for people, json for {machines}.",
    )


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_problems(problems: Sequence[Problem], console: Console | None = None) -> None:
    """``file:line:col: path: message`` per problem, errors in red, warnings in yellow."""
    console = console or err_console()
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{style}]{escape(str(problem))}[/{style}]")


def cli_plugins(strict: bool = False) -> Plugins:
    """The plugins for this invocation, loaded once with the group's options; a conflict exits 2.

    ``strict`` (or ``--strict-plugins`` before the command) makes a plugin that fails to load exit 2
    instead of being logged and skipped.
    """
    ctx = click.get_current_context()
    loaded: Plugins | None = ctx.meta.get(_PLUGINS)
    if loaded is None:
        strict_option, disabled = ctx.meta.get(_PLUGIN_OPTIONS, (False, ()))
        try:
            loaded = Plugins.load(strict=strict or strict_option, disabled=disabled)
        except PluginError as exc:
            err_console().print(f"[bold red]{escape(str(exc))}[/bold red]")
            sys.exit(EXIT_INVALID)
        ctx.meta[_PLUGINS] = loaded
    return loaded


def load_or_exit(path: str, fmt: str = "text", operators: OperatorRegistry | None = None) -> Ruleset:
    """Load a ruleset or print every problem and exit 2: bad input never gives a traceback."""
    try:
        return load_ruleset(path, operators)
    except RulesetError as exc:
        if fmt == "json":
            click.echo(
                json.dumps(
                    {"valid": False, "file": path, "problems": [_problem_dict(p) for p in exc.problems]},
                    indent=2,
                )
            )
        elif (single := whole_file_problem(exc.problems)) is not None:
            err_console().print(f"[bold red]{escape(str(single))}[/bold red]")
        else:
            errors = sum(p.severity == "error" for p in exc.problems)
            err_console().print(
                f"[bold red]{escape(path)}: {errors} error{'s' if errors != 1 else ''}[/bold red]"
            )
            print_problems(exc.problems)
        sys.exit(EXIT_INVALID)


def engine_or_exit(ruleset: Ruleset) -> Engine:
    """The ruleset compiled, or one line and exit 2: a value no check foresaw is still invalid input."""
    try:
        return Engine(ruleset)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
        err_console().print(f"[bold red]{escape(ruleset.file)}: the rules cannot be used ({escape(reason)})")
        sys.exit(EXIT_INVALID)


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.dotted_path,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
        "severity": problem.severity,
    }


@click.group(context_settings=_CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="matrixcore")
@click.option(
    "--strict-plugins",
    is_flag=True,
    envvar="MATRIXCORE_STRICT_PLUGINS",
    help="A plugin that fails to load stops the command (exit 2) instead of being logged and skipped. "
    "Env: MATRIXCORE_STRICT_PLUGINS=1.",
)
@click.option(
    "--disable-plugin",
    "disabled_plugins",
    multiple=True,
    metavar="NAME",
    envvar="MATRIXCORE_DISABLE_PLUGINS",
    help="Do not load the plugin NAME, as 'matrixcore plugins' lists it (repeatable; built-in ones too). "
    f"Env: MATRIXCORE_DISABLE_PLUGINS='a b'. {AUTOLOAD_ENV}=1 loads no installed plugin at all.",
)
@click.pass_context
def main(ctx: click.Context, strict_plugins: bool, disabled_plugins: tuple[str, ...]) -> None:
    """matrixcore: consistent priorities, honest lead times and timely messages for your ITSM tool.

    \b
    Start here:
      matrixcore check rules.yaml            validate a rules file and run its examples
      matrixcore report --config c.yaml      dry run: what would change, and why
      matrixcore forecast --config c.yaml    arrivals per channel ahead, and the staff they need
      matrixcore run --config c.yaml         the sync daemon beside your ITSM tool
      matrixcore state --config c.yaml 4711  a ticket's decisions and messages, from the state file
      matrixcore schema rules > rules.json   JSON Schema for your editor
      matrixcore plugins                     installed adapters, operators and report formats
      matrixcore sandbox topdesk             an emulated TOPdesk to point a daemon at (no account)
      matrixcore new-adapter acme            a complete adapter package for your own tool

    Exit codes: 0 ok, 1 checks failed, 2 invalid input, 3 ITSM tool unreachable.
    """
    ctx.meta[_PLUGIN_OPTIONS] = (strict_plugins, disabled_plugins)


@main.command(context_settings=_CONTEXT)
@click.argument("rules", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Also check the config file, and the ruleset against each of its connections, read-only "
    "(mapped values the tool lacks, the tool's own targets). RULES defaults to the config's rules.",
)
@format_option("scripts and editors")
@click.option("--no-examples", is_flag=True, help="Only validate; do not run the file's examples.")
def check(rules: str | None, fmt: str, no_examples: bool, config_path: str | None) -> None:
    """Validate a rules file (YAML, JSON or TOML) and run its examples.

    Every error is reported at once with its file, line, column and dotted path: schema errors first,
    then the logical checks (every matrix cell filled, every calendar, level, template and placeholder
    known, every regex compiles). Then each entry under 'examples' is classified and compared with
    what its author expects. Conditions may use the operators of installed plugins, and examples are
    classified through the plugins' decision hooks, as the daemon does ('matrixcore plugins' lists them).

    With --config, the config is validated too, and every connection is opened read-only: its
    check proves the tool is reachable with the credentials, and adapters that can (TOPdesk) say what
    the live tool contradicts in the ruleset or the mappings. The report's export (its 'source'
    section) is opened the same way: the file must read, with an id and a creation time column.

    \b
    Exit codes: 0 valid and every example passes; 1 an example fails; 2 a file is invalid or cannot
    be read, the export included (or a tool reports a config error); 3 a tool could not be reached.
    """
    plugins = cli_plugins()
    config = None
    if config_path is not None:
        config = load_config_or_exit(config_path, fmt, plugins, err_console())
    if rules is None:
        if config is None:
            raise click.UsageError("give a RULES file, or --config to check the config's rules")
        rules = str(config.rules_path)
    ruleset = load_or_exit(rules, fmt, plugins.operators())
    # Examples read the tool's values as the report does: through the config's source.values.
    source = config.source if config is not None else None
    values = source.settings.get("values") if source is not None and source.adapter == "file" else None
    results: list[ExampleResult] = (
        [] if no_examples else run_examples(engine_or_exit(ruleset), plugins, values)
    )
    failed = [r for r in results if not r.passed]
    live: list[ConnectionCheck] = []
    if config is not None:
        live = check_live(config, ruleset, plugins)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "valid": True,
                    "file": rules,
                    "problems": [_problem_dict(p) for p in ruleset.warnings],
                    "examples": [r.as_dict() for r in results],
                    **({"connections": [c.as_dict() for c in live]} if config is not None else {}),
                },
                indent=2,
            )
        )
    else:
        console = Console(highlight=False, soft_wrap=True)
        print_problems(ruleset.warnings)
        summary = (
            f"{len(ruleset.rules)} rules, {len(ruleset.impact_levels)}x{len(ruleset.urgency_levels)} matrix, "
            f"{len(ruleset.priorities)} priorities, {len(ruleset.calendars)} calendars, "
            f"{len(ruleset.messages.policies)} message policies"
        )
        console.print(f"[green]{escape(rules)} is valid[/green]: {summary}")
        for result in failed:
            _print_failure(console, rules, result)
        if results:
            style = "red" if failed else "green"
            console.print(
                f"[{style}]examples: {len(results) - len(failed)} passed, {len(failed)} failed[/{style}]"
            )
        if config is not None:
            print_connection_checks(live, console, err_console())
    sys.exit(connections_exit_code(live) or (EXIT_FAILED if failed else EXIT_OK))


def _print_failure(console: Console, file: str, result: ExampleResult) -> None:
    where = f"{file}:{result.line}" if result.line else file
    console.print(f"\n[bold red]FAIL[/bold red] {escape(where)}: example {escape(result.example.name)!r}")
    if result.error:
        console.print(f"  [red]{escape(result.error)}[/red]")
    for mismatch in result.mismatches:
        console.print(f"  {mismatch.field}:")
        console.print(f"[red]  - expected {escape(repr(mismatch.expected))}[/red]")
        console.print(f"[green]  + got      {escape(repr(mismatch.actual))}[/green]")
    if result.trace:
        console.print("  why:")
        for step in result.trace:
            console.print(f"    {escape(str(step))}")


@main.command(context_settings=_CONTEXT)
@click.argument("name", type=click.Choice(SCHEMA_NAMES), default="rules")
def schema(name: str) -> None:
    """Print the JSON Schema of a rules or config file (for editors), or of report (or forecast)
    --format json.

    \b
    VS Code (YAML extension): save it and add to settings.json
      "yaml.schemas": {"./rules.schema.json": "rules*.yaml"}
    or put '# yaml-language-server: $schema=./rules.schema.json' at the top of the rules file.
    """
    click.echo(json.dumps(load_schema(name), indent=2))


from ._cmd_plugins import plugins  # noqa: E402  (commands import this module's helpers)
from ._cmd_report import report  # noqa: E402

main.add_command(plugins)
main.add_command(report)

from ._cmd_run import run  # noqa: E402
from ._cmd_state import state  # noqa: E402

main.add_command(run)
main.add_command(state)

from .sandbox._command import sandbox_command  # noqa: E402
from .scaffold._command import new_adapter_command  # noqa: E402

main.add_command(sandbox_command)
main.add_command(new_adapter_command)

from .forecast import _command as _forecast  # noqa: E402

main.add_command(_forecast.forecast_command)

if __name__ == "__main__":  # pragma: no cover
    main()
