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


def test_the_postgresql_compose_file_runs_two_daemons_on_one_valid_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import yaml

    compose = yaml.safe_load((DEPLOY / "compose.postgres.yaml").read_text())
    services = compose["services"]
    daemons = [s for name, s in services.items() if name.startswith("daemon")]
    assert len(daemons) == 2
    assert services["db"]["image"].startswith("postgres:")
    entry = json.loads(
        re.search(r"^ENTRYPOINT (\[.*\])$", (DEPLOY / "Containerfile").read_text(), re.M).group(1)
    )
    for daemon in daemons:
        parses([*entry[1:], *daemon.get("command", services["daemon-1"]["command"])])
    assert sorted(d["ports"][0] for d in daemons) == ["127.0.0.1:9464:9464", "127.0.0.1:9465:9464"]
    mounted = {v.split(":")[0] for v in services["daemon-1"]["volumes"]}
    assert "./matrixcore-postgres.yaml" in mounted
    # The config the daemons mount: valid, its state a PostgreSQL URL from the secret file.
    secret = tmp_path / "state_url"
    secret.write_text("postgresql://matrixcore:pw@db/matrixcore\n")
    text = (DEPLOY / "matrixcore-postgres.yaml").read_text().replace("/run/secrets/state_url", str(secret))
    (tmp_path / "matrixcore.yaml").write_text(text)
    monkeypatch.setenv("TOPDESK_APP_PASSWORD", "x")
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)
    settings = DaemonSettings.from_config(Plugins.load().load_config(tmp_path / "matrixcore.yaml"))
    assert settings.state_shown == "postgresql://matrixcore:***@db/matrixcore"
    assert settings.lease_ttl == 30.0
