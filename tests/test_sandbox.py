"""``matrixcore sandbox``: each plugin's emulated tool, seeded, with a real daemon working against it."""

from __future__ import annotations

import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from matrixcore import PluginError, Plugins, hookimpl
from matrixcore._cli import main
from matrixcore._sync import AGENT_NOTE
from matrixcore.sandbox import SEED, SandboxRun, SandboxSpec, quickstart_rules, sandboxes
from matrixcore.sandbox._command import sandbox_command
from matrixcore.state import StateError, StateStore

VENDORS = ("topdesk", "servicenow", "zendesk")


def _offered() -> dict[str, tuple[SandboxSpec, str]]:
    return sandboxes(Plugins.load())


def _wait(what: str, check: Callable[[], bool], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s; daemon log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


class _State:
    """What the daemon recorded, read the way 'matrixcore state' reads it (read-only, beside it)."""

    def __init__(self, path: Path, connection: str) -> None:
        self.path, self.connection = path, connection

    def summary(self) -> tuple[int, int]:
        """(tickets, messages sent) of the sandbox's connection; (0, 0) before the first commit."""
        try:
            with StateStore(self.path, read_only=True) as store:
                found = [s for s in store.summaries() if s.connection == self.connection]
        except StateError:  # not there yet, or the daemon is creating it
            return 0, 0
        return (found[0].tickets, found[0].messages.get("sent", 0)) if found else (0, 0)

    def latest_note(self, ticket_id: str) -> str:
        with StateStore(self.path, read_only=True) as store:
            decisions = store.decisions(self.connection, ticket_id, 5)
        return str(decisions[-1]["note"]) if decisions else ""


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_daemon_works_against_each_sandbox_for_a_few_cycles(vendor: str, tmp_path: Path) -> None:
    offered = _offered()
    if vendor not in offered:
        pytest.skip(f"the {vendor} plugin is not installed")
    spec, _ = offered[vendor]
    with spec.factory() as box:
        run = SandboxRun(vendor, box, tmp_path / "sandbox", random.Random(3))
        assert len(run.seed()) == len(SEED)
        run.write_config(quickstart_rules(), {"state": {"path": "state.sqlite3"}})
        env = {k: v for k, v in os.environ.items() if k != "MATRIXCORE_STATE"}
        log = tmp_path / "daemon.log"
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "matrixcore",
                    "run",
                    "--config",
                    str(run.config_path),
                    "--interval",
                    "0.5s",
                    "--log-level",
                    "debug",  # quiet cycles are logged at debug
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        state = _State(run.directory / "state.sqlite3", run.connection_name)
        try:
            # Cycle 1: every seeded ticket classified, written and acknowledged in its language.
            _wait("the seeded tickets acknowledged", lambda: state.summary() == (len(SEED), len(SEED)), log)
            # Then the desk goes on: a ticket arrives, an agent overrules matrixcore on another.
            run.arrive()
            printer = box.filed[0]
            box.set_priority(printer.id, "P2")
            box.settle()
            _wait("the new ticket acknowledged", lambda: state.summary()[0] == len(SEED) + 1, log)
            agents = lambda: state.latest_note(printer.id).startswith(AGENT_NOTE)  # noqa: E731
            _wait("the agent's priority kept", agents, log)
            # And a few quiet cycles: its own writes come back, and nothing is written or sent again.
            settled = state.summary()
            assert settled[1] >= len(SEED) + 1  # each acknowledged once (and the printer's requester told)
            writes = log.read_text().count("] set ")
            cycles = log.read_text().count(" done in ")
            _wait("three more cycles", lambda: log.read_text().count(" done in ") >= cycles + 3, log)
            assert state.summary() == settled
            assert log.read_text().count("] set ") == writes
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(60)
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "Traceback" not in text
    assert box.secret() not in text  # the sandbox's credential is a secret like any other
    assert f"[{run.connection_name} cycle=" in text


def test_the_command_seeds_prints_the_config_and_plays_the_desk(tmp_path: Path) -> None:
    if "topdesk" not in _offered():
        pytest.skip("the topdesk plugin is not installed")
    directory = tmp_path / "sandbox"
    args = ["sandbox", "topdesk", "--dir", str(directory), "--duration", "2s", "--arrivals", "0.5s"]
    result = CliRunner().invoke(main, [*args, "--agents", "0.4s", "--metrics-addr", "127.0.0.1:9999"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("new ticket I ") >= len(SEED) + 2  # the seed, then arrivals
    assert "agent picked up I " in out
    assert f"matrixcore run --config {directory / 'matrixcore.yaml'}" in out
    assert "http://127.0.0.1:9999/" in out
    config = directory / "matrixcore.yaml"
    assert f"    {config.read_text().splitlines()[1]}" in out  # the config is printed as written
    secret = directory / "sandbox-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().strip() not in out
    loaded = Plugins.load().load_config(config)  # a config the daemon accepts, secret and all
    (connection,) = loaded.connections.values()
    assert connection.adapter == "topdesk"
    assert loaded.rules_path == quickstart_rules().resolve()
    assert "sandbox stopped" in out


def test_without_a_vendor_the_sandboxes_are_listed_and_an_unknown_one_exits_2() -> None:
    listed = CliRunner().invoke(main, ["sandbox"])
    assert listed.exit_code == 0
    for vendor in set(_offered()) & set(VENDORS):
        assert f"{vendor} " in listed.output
    unknown = CliRunner().invoke(main, ["sandbox", "remedy"])
    assert unknown.exit_code == 2
    assert "no sandbox 'remedy'" in unknown.output


class TwinTopdesk:
    """A plugin offering a sandbox under a name another plugin already uses."""

    @hookimpl
    def matrixcore_sandboxes(self) -> list[SandboxSpec]:
        from matrixcore_topdesk.sandbox import TopdeskSandbox

        return [SandboxSpec("topdesk", TopdeskSandbox, "a second TOPdesk")]


class NotASpec:
    @hookimpl
    def matrixcore_sandboxes(self) -> list[object]:
        return ["topdesk"]


def test_a_sandbox_name_offered_twice_or_a_wrong_record_names_the_plugin() -> None:
    pytest.importorskip("matrixcore_topdesk")
    plugins = Plugins.load()
    plugins.register(TwinTopdesk(), "twin")
    with pytest.raises(
        PluginError, match=r"sandbox 'topdesk' is offered by plugin 'topdesk' .* and by plugin 'twin'"
    ):
        sandboxes(plugins)
    alone = Plugins()
    alone.register(NotASpec(), "wrong")
    with pytest.raises(PluginError, match=r"plugin 'wrong': matrixcore_sandboxes returned 'topdesk'"):
        sandboxes(alone)


def test_the_readme_shows_the_sandbox_as_the_way_to_watch_the_daemon() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks[2:] if "matrixcore sandbox" in b]  # after the first two, the main job
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == [
        "pip install . plugins/topdesk",
        "matrixcore sandbox topdesk &",
        "matrixcore run --config sandbox/matrixcore.yaml",
    ]
    # The daemon's config is where the sandbox writes it by default.
    option = next(p for p in sandbox_command.params if p.name == "directory")
    assert option.default == "sandbox"
