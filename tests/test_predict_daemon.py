"""Predicted misses in the daemon, against the example helpdesk over real HTTP: told once, re-evaluated
between polls from the state (no request to the tool but the message), and shown by ``matrixcore
state``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from daemon_support import (
    EXPECTED_PREDICTING,
    TOKEN,
    Helpdesk,
    predicting_rules_text,
    write_config,
    write_rules,
)

from matrixcore._cli import main
from matrixcore._daemon import Daemon
from matrixcore._daemon_settings import DaemonSettings
from matrixcore._plugins import Plugins
from matrixcore.state import StateStore


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HD_TOKEN", TOKEN)
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)


@pytest.fixture
def desk() -> Iterator[Helpdesk]:
    with Helpdesk() as server:
        server.expected = EXPECTED_PREDICTING
        yield server
        assert not server.errors, server.errors


def daemon(tmp_path: Path, desk: Helpdesk, **settings: float) -> Daemon:
    write_rules(tmp_path / "rules.yaml", predicting_rules_text())
    path = write_config(tmp_path, {"hd": desk.url})
    plugins = Plugins.load()
    config = plugins.load_config(path)
    chosen = {"interval": 0.2, "min_gap": 0.05, "watch_interval": 0.1, **settings}
    return Daemon(config, plugins, DaemonSettings.from_config(config).override(**chosen))


def test_every_printer_ticket_is_told_once_when_we_expect_to_pick_it_up(
    tmp_path: Path, desk: Helpdesk
) -> None:
    desk.seed_history(40, wait=timedelta(hours=10))  # printer tickets wait 10 hours for a 4-hour target
    desk.seed(12)
    assert daemon(tmp_path, desk).run_once() == 0
    problems = [p for p in desk.outcome_problems() if "expected ['acknowledge', 'warning']" not in p]
    assert problems == []  # (the outages' 50% warnings fall due 2 seconds later)
    (text,) = [m["body"] for m in desk.messages[41] if "expect" in m["body"]]
    assert text.startswith("Ticket HD-1041: we now expect to pick it up ")
    assert text.endswith(
        "because of the tickets like yours that had waited this long, 10 in 10 waited past the promised time."
    )
    # Again, and again: nothing new to say.
    desk.clear_requests()
    assert daemon(tmp_path, desk).run_once() == 0
    assert [r.body for r in desk.writes() if b"expect" in r.body] == []
    # 'matrixcore state' shows the estimate and why.
    state = str(tmp_path / "state.sqlite3")
    result = CliRunner().invoke(main, ["state", "--state", state, "--format", "json", "HD-1041"])
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.output)["tickets"]
    decision = found["decisions"][0]["decision"]
    assert decision["prediction"]["basis"] == "history"
    assert decision["prediction"]["probability"] == 1.0
    assert any(step["dimension"] == "predicted_miss" for step in decision["trace"])
    result = CliRunner().invoke(main, ["state", "--state", state, "HD-1041"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "predicted miss: 100% (history), expected pickup" in result.output


def test_waiting_tickets_are_re_evaluated_between_polls_without_asking_the_tool(
    tmp_path: Path, desk: Helpdesk
) -> None:
    # Of 30 printer tickets, 12 were picked up after 15 seconds and 18 after 10 hours: a new one is
    # likely (60%) but not surely late, until it has waited 15 seconds unpicked: then 100%. A week
    # ago the desk picked up 12 in the coming hour, so the queue expects no miss.
    week_ago = timedelta(days=7) - timedelta(hours=1)
    desk.seed_history(12, wait=timedelta(seconds=15), ago=week_ago)
    desk.seed_history(18, wait=timedelta(hours=10), ago=week_ago)
    desk.add_ticket(subject="Printer jams", requester={"name": "R", "language": "en"})
    running = daemon(tmp_path, desk, interval=3600, predict_interval=0.2)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 90
        while not any("expect" in m["body"] for m in desk.messages[31]):
            assert time.monotonic() < deadline, "no predicted-miss warning"
            time.sleep(0.05)
    finally:
        running.request_stop()
        thread.join(15)
    polls = desk.requests_to("/api/v1/tickets", "GET")
    assert len(polls) == 1  # the one poll of the hour: the warning came from the state
    posted = [r for r in desk.requests if r.method == "POST" and b"expect" in r.body]
    assert len(posted) == 1
    with StateStore(tmp_path / "state.sqlite3") as store:
        decisions = store.decisions("hd", "31")
        first, *_, last = decisions
    assert first["decision"]["prediction"]["history_probability"] == pytest.approx(0.6)
    assert last["decision"]["prediction"]["history_probability"] == 1.0
