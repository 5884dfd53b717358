"""``matrixcore state``: a ticket's history from the state file, for people and for scripts."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from matrixcore import Engine, Requester, Ticket, load_ruleset
from matrixcore._cli import main
from matrixcore._memory import MemoryAdapter
from matrixcore._sync import sync_connection
from matrixcore.state import StateStore

AMS = ZoneInfo("Europe/Amsterdam")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=AMS)


@pytest.fixture
def state_file(tmp_path: Path, quickstart_rules: Path) -> Path:
    """Two cycles over three tickets, then an agent raises ticket 1 to P2."""
    engine = Engine(load_ruleset(quickstart_rules))
    tool = MemoryAdapter(name="td")
    tool.add(
        Ticket(
            source="td",
            id=str(i),
            number=f"I 26{i}",
            subject=s,
            created=at(23, 9),
            requester=Requester(language="nl"),
        )
        for i, s in ((1, "Printer kapot"), (2, "Outlook storing"), (3, "Vraag: VPN?"))
    )
    path = tmp_path / "state.sqlite3"
    with StateStore(path) as store:
        sync_connection("td", tool, store, engine, at(23, 9, 5), cycle="cycle-one")
        tool.agent_sets("1", at(23, 10), priority="P2")
        sync_connection("td", tool, store, engine, at(23, 10, 1), cycle="cycle-two")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["state", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_a_ticket_shows_decisions_rules_writes_and_messages(state_file: Path) -> None:
    code, out = invoke("--state", str(state_file), "I 262")
    assert code == 0, out
    assert "td: ticket 2 (I 262)" in out
    assert "rule major-outage" in out  # what set impact and urgency
    assert "priority=P1" in out  # what was written
    assert "acknowledge" in out
    assert "sent" in out
    assert "cycle-one" in out
    assert "the latest decision, step by step" in out


def test_json_has_the_whole_history_and_the_agents_choice(state_file: Path) -> None:
    code, out = invoke("--state", str(state_file), "--format", "json", "1")
    assert code == 0
    (ticket,) = json.loads(out)["tickets"]
    assert ticket["agent_priority"] == "P2"
    first, *_, last = ticket["decisions"]
    assert first["written"] == {"impact": "person", "urgency": "normal", "priority": "P4"}
    assert first["set_by"] == {"impact": "default", "urgency": "default", "priority": "matrix"}
    assert "kept the agent's" in last["note"]
    keys = [(m["key"], m["state"], m["cycle"]) for m in ticket["messages"]]
    assert ("acknowledge", "sent", "cycle-one") in keys
    assert any(k.startswith("reprioritised:P4>P2") for k, _, _ in keys)


def test_an_unknown_ticket_exits_1(state_file: Path) -> None:
    assert invoke("--state", str(state_file), "4711")[0] == 1
    code, out = invoke("--state", str(state_file), "--format", "json", "4711")
    assert (code, json.loads(out)["found"]) == (1, False)


def test_without_a_ticket_a_summary_per_connection(state_file: Path) -> None:
    code, out = invoke("--state", str(state_file), "--format", "json")
    assert code == 0
    body = json.loads(out)
    (summary,) = body["connections"]
    with StateStore(state_file, read_only=True) as store:
        sent = sum(e.state == "sent" for t in "123" for e in store.messages("td", t))
    assert (summary["connection"], summary["tickets"], summary["messages"]["sent"]) == ("td", 3, sent)
    assert summary["cursor"] is not None
    assert body["schema_version"] == 3
    assert "td" in invoke("--state", str(state_file))[1]


def test_a_missing_file_or_no_source_is_an_error(tmp_path: Path) -> None:
    code, out = invoke("--state", str(tmp_path / "nope.sqlite3"), "1")
    assert code == 2
    assert "no state file" in out
    assert invoke("1")[0] == 2


def test_an_older_state_file_is_read_without_changing_it(state_file: Path) -> None:
    db = sqlite3.connect(state_file)  # make it a version 1 file: no cycle column
    db.execute("ALTER TABLE messages DROP COLUMN cycle")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    before = state_file.read_bytes()
    code, out = invoke("--state", str(state_file), "--format", "json", "1")
    assert code == 0, out
    assert json.loads(out)["tickets"][0]["messages"][0]["cycle"] is None
    assert state_file.read_bytes() == before


def test_reading_state_through_the_config_needs_no_tool_secret(
    state_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config names a password variable that is not set: reading local state must not need it."""
    monkeypatch.delenv("TOPDESK_APP_PASSWORD_UNSET", raising=False)
    config = tmp_path / "matrixcore.yaml"
    config.write_text(
        "rules: rules.yaml\n"
        f"state: {{path: {state_file.name}}}\n"
        "connections:\n"
        "  td:\n"
        "    adapter: helpdesk\n"
        "    base_url: https://helpdesk.example\n"
        "    auth: {type: bearer, token: {env: TOPDESK_APP_PASSWORD_UNSET}}\n",
        encoding="utf-8",
    )
    code, out = invoke("--config", str(config), "I 262")
    assert code == 0, out
    assert "td: ticket 2 (I 262)" in out
    assert invoke("--config", str(config))[0] == 0
    # Commands that connect still insist on it.
    result = CliRunner().invoke(main, ["check", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "TOPDESK_APP_PASSWORD_UNSET is not set" in result.output


@pytest.fixture
def amsterdam_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_carry_their_zone(state_file: Path, amsterdam_time: None) -> None:
    code, out = invoke("--state", str(state_file), "I 262")
    assert code == 0, out
    # Decided at 09:05 Amsterdam time (CET, +01:00), shown with the offset like every time.
    assert "2026-11-23 09:05:00 +01:00" in out
    assert not re.search(r"(?<!T)\d\d:\d\d:\d\d(?! [+-]\d\d:\d\d)", out), out  # ISO in the trace has it
    code, out = invoke("--state", str(state_file))
    assert "2026-11-23 10:01:00 +01:00" in out  # the cursor's last update, in the summary too


def test_the_summary_cuts_no_cell_when_piped(tmp_path: Path, quickstart_rules: Path) -> None:
    """Piped (no terminal width), a long connection name and full times stay whole."""
    engine = Engine(load_ruleset(quickstart_rules))
    name = "topdesk-production-amsterdam-second-line"
    tool = MemoryAdapter(name=name)
    tool.add([Ticket(source=name, id="9", number="I 2609", subject="VPN", created=at(23, 9))])
    path = tmp_path / "state.sqlite3"
    with StateStore(path) as store:
        sync_connection(name, tool, store, engine, at(23, 9, 5), cycle="c1")
    code, out = invoke("--state", str(path))
    assert code == 0, out
    assert name in out
    assert "…" not in out
    (row,) = [line for line in out.splitlines() if name in line]
    assert re.search(r"2026-11-2\d \d\d:\d\d:\d\d [+-]\d\d:\d\d .* 1 .* 1 sent", row), row
