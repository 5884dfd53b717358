"""The deployment examples stay true: the config validates, and the command lines in the systemd
unit and the container file are ones ``matrixcore`` accepts."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest

from matrixcore._cli import main
from matrixcore._daemon_settings import DaemonSettings
from matrixcore._plugins import Plugins

DEPLOY = Path(__file__).resolve().parents[1] / "examples" / "deploy"


def parses(argv: list[str]) -> None:
    """Parse a command line as the CLI would, without running it."""
    with click.Context(main, info_name="matrixcore") as context:
        command = main.get_command(context, argv[0])
        assert command is not None, argv
        command.make_context(argv[0], list(argv[1:]), parent=context)


def test_the_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPDESK_APP_PASSWORD", "x")
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)
    config = Plugins.load().load_config(DEPLOY / "matrixcore.yaml")
    settings = DaemonSettings.from_config(config)
    assert settings.state_path == Path("/var/lib/matrixcore/state.sqlite3")
    assert settings.metrics_address == ("127.0.0.1", 9464)
    assert (settings.interval, settings.backoff_max) == (60.0, 900.0)


def test_the_systemd_unit_runs_commands_matrixcore_accepts() -> None:
    unit = (DEPLOY / "matrixcore.service").read_text()
    commands = re.findall(r"^ExecStart(?:Pre)?=(\S*matrixcore) (.+)$", unit, re.MULTILINE)
    assert commands
    for _, args in commands:
        parses(shlex.split(args))
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    assert "RestartPreventExitStatus=2" in unit


def test_the_container_runs_a_command_matrixcore_accepts() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.MULTILINE).group(1))
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1))
    assert entry[0] == "matrixcore"
    parses([*entry[1:], *cmd])
    with pytest.raises(click.UsageError):
        parses(["run", "--no-such-option"])
