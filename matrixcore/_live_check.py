"""Checks of a ruleset against the live ITSM tools a config connects to (``check --config``).

A rules file can be valid on its own and still contradict the tool it runs beside: TOPdesk's own
duration for a priority shorter than the pickup the rules promise, a mapping naming an impact the
tool does not have. Each connection's adapter is opened read-only, its ``check()`` proves the
connection, and an adapter that implements ``RulesetChecker`` reports what the tool says about the
ruleset. Problems about the config are located in the config file, with line and column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._adapter import Adapter, AdapterContext, AdapterError, RulesetChecker
from ._config import Config, ConnectionConfig
from ._errors import MatrixcoreError, Problem
from ._ruleset import Ruleset

__all__ = ["ConnectionCheck", "check_connections", "problem_dict"]

Opener = Callable[[ConnectionConfig, AdapterContext], Adapter]


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What checking one connection found."""

    connection: str
    adapter: str
    problems: tuple[Problem, ...] = ()
    #: Why the tool could not be checked (unreachable, refused, adapter missing); ``None``: checked.
    error: str | None = None
    #: Whether the adapter can check rulesets at all (``RulesetChecker``).
    checks_rules: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None or any(p.severity == "error" for p in self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "adapter": self.adapter,
            "reachable": self.error is None,
            "error": self.error,
            "checks_rules": self.checks_rules,
            "problems": [problem_dict(p) for p in self.problems],
        }


def problem_dict(problem: Problem) -> dict[str, Any]:
    """A problem as JSON for scripts and editors."""
    return {
        "file": problem.file,
        "path": problem.dotted_path,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
        "severity": problem.severity,
    }


def _locate(problem: Problem, config: Config) -> Problem:
    """Config problems an adapter reports without a place get the config file's line and column."""
    if problem.file or not problem.path or problem.path[0] != "connections" or config.document is None:
        return problem
    return config.document.problem(problem.path, problem.message, problem.severity)


def check_connections(
    config: Config, ruleset: Ruleset, open_adapter: Opener, context: AdapterContext | None = None
) -> list[ConnectionCheck]:
    """Check every connection of ``config`` (and the report's export, if it names one) against
    ``ruleset``; never writes (read-only context)."""
    context = context or AdapterContext(read_only=True)
    results: list[ConnectionCheck] = []
    checked = dict(config.connections)
    if config.source is not None and config.source not in checked.values():
        # The report's inline export: its file and header are checked like a connection's reach.
        checked[f"source {config.source.name}"] = config.source
    for name, connection in checked.items():
        try:
            adapter = open_adapter(connection, context)
        except MatrixcoreError as exc:
            results.append(ConnectionCheck(name, connection.adapter, error=str(exc)))
            continue
        checks_rules = isinstance(adapter, RulesetChecker)
        try:
            adapter.check()
            found = list(adapter.ruleset_problems(ruleset)) if isinstance(adapter, RulesetChecker) else []
        except AdapterError as exc:
            results.append(
                ConnectionCheck(name, connection.adapter, error=str(exc), checks_rules=checks_rules)
            )
            continue
        finally:
            adapter.close()
        located = tuple(_locate(p, config) for p in found)
        results.append(ConnectionCheck(name, connection.adapter, located, checks_rules=checks_rules))
    return results
