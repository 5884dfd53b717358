"""``check_connections``: a ruleset checked against each configured tool, read-only."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from matrixcore import Problem, Ruleset, Ticket, load_ruleset
from matrixcore._adapter import (
    AdapterContext,
    AdapterError,
    Batch,
    PostedMessage,
    PriorityChange,
    RulesetChecker,
)
from matrixcore._config import Config, ConnectionConfig, load_config
from matrixcore._errors import ConfigError
from matrixcore._live_check import check_connections

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


class ToolAdapter:
    """An adapter whose tool answers from memory (the checks under test do the rest)."""

    def __init__(self, config: ConnectionConfig, context: AdapterContext) -> None:
        self.name = config.name
        self.context = context
        self.closed = False
        self.down = bool(config.settings.get("down"))

    def check(self) -> None:
        if self.down:
            raise AdapterError("tool.example: connection refused", retryable=True)

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        return iter(())

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        raise AssertionError("a check must not write")

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        raise AssertionError("a check must not write")

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        return ()

    def close(self) -> None:
        self.closed = True


class CheckingAdapter(ToolAdapter):
    def ruleset_problems(self, ruleset: Ruleset) -> list[Problem]:
        assert self.context.read_only
        level = ruleset.priorities["P2"]
        assert ruleset.document is not None
        return [
            ruleset.document.problem(
                ("priorities", "P2", "pickup", "within"), f"longer than {level.pickup}", "warning"
            ),
            Problem(("connections", self.name, "mappings", "impact"), "the tool has no impact 'Keten'"),
        ]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "matrixcore.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            rules: {QUICKSTART / "rules.yaml"}
            connections:
              checked:
                adapter: checking
                mappings:
                  impact: {{person: Keten}}
              plain:
                adapter: plain
              down:
                adapter: checking
                down: true
              missing:
                adapter: nowhere
            """
        ),
        encoding="utf-8",
    )
    return load_config(path)


def opener(opened: list[ToolAdapter]) -> Callable[[ConnectionConfig, AdapterContext], ToolAdapter]:
    def open_adapter(connection: ConnectionConfig, context: AdapterContext) -> ToolAdapter:
        kinds = {"checking": CheckingAdapter, "plain": ToolAdapter}
        if connection.adapter not in kinds:
            raise ConfigError([Problem(("connections", connection.name), "unknown adapter")])
        adapter = kinds[connection.adapter](connection, context)
        opened.append(adapter)
        return adapter

    return open_adapter


def test_each_connection_is_checked_read_only_and_closed(config: Config) -> None:
    opened: list[ToolAdapter] = []
    ruleset = load_ruleset(config.rules_path)
    results = {r.connection: r for r in check_connections(config, ruleset, opener(opened))}
    assert all(a.context.read_only for a in opened)
    assert all(a.closed for a in opened)
    assert isinstance(opened[0], RulesetChecker)
    assert not isinstance(opened[1], RulesetChecker)

    checked = results["checked"]
    assert checked.checks_rules
    assert checked.failed  # an error-severity problem
    warning, error = checked.problems
    assert warning.file.endswith("rules.yaml")
    assert warning.line is not None
    assert error.file == config.file  # located in the config file, at the mapping
    assert error.line == 6
    assert error.dotted_path == "connections.checked.mappings.impact"

    assert results["plain"] == type(checked)("plain", "plain")
    assert not results["plain"].failed
    assert results["down"].error == "tool.example: connection refused"
    assert results["down"].failed
    assert results["missing"].error is not None
