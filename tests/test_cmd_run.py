"""``matrixcore run`` as an operator runs it: a subprocess, its log, its exit code, its signals."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import RULES, TOKEN, Helpdesk, write_config, write_rules

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def matrixcore(*args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HD_TOKEN": TOKEN}
    env.pop("MATRIXCORE_STATE", None)
    out = log.open("ab") if log else subprocess.PIPE
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "matrixcore", *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


def run(*args: str, timeout: float = 60) -> tuple[int, str]:
    process = matrixcore(*args)
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out.decode()


def wait_for_text(log: Path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)


def serving(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """``matrixcore run`` polling every 0.2 s, once its first cycle is under way."""
    process = matrixcore("run", "--config", str(config), "--interval", "0.2", log=log)
    wait_for_text(log, "cycle")
    return process


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.glob("state.sqlite3*"))
    }


@pytest.fixture
def desk() -> Iterator[Helpdesk]:
    with Helpdesk() as server:
        yield server
        assert not server.errors, server.errors


@pytest.fixture
def config(tmp_path: Path, desk: Helpdesk) -> Path:
    write_rules(tmp_path / "rules.yaml")
    return write_config(tmp_path, {"hd": desk.url})


def test_dry_run_sends_only_gets_and_leaves_the_state_file_alone(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(6)
    code, _ = run("run", "--config", str(config), "--once")
    assert code == 0
    desk.seed(4)  # new work, and an agent's edit, for the dry run to propose
    desk.update_ticket(1, priority="urgent")
    before = fingerprint(tmp_path)
    assert "state.sqlite3" in before
    desk.clear_requests()
    code, out = run("run", "--config", str(config), "--once", "--dry-run")
    assert code == 0, out
    assert desk.requests, "the dry run read nothing"
    assert {r.method for r in desk.requests} == {"GET"}
    assert fingerprint(tmp_path) == before
    assert "DRY RUN" in out
    assert "would set" in out
    # The text that would go out is shown; the summary says nothing was written.
    would_send = [line for line in out.splitlines() if "would send acknowledge" in line]
    assert would_send
    assert all(re.search(r'\(to the requester\): ".{20,}"$', line) for line in would_send), would_send
    (summary,) = [line for line in out.splitlines() if " done in " in line]
    assert "(dry run)" in summary
    assert re.search(r"\d+ would be written", summary), summary
    assert " written," not in summary.replace("would be written,", "")
    # As a daemon too, until SIGTERM.
    log = tmp_path / "dry.log"
    process = matrixcore("run", "--config", str(config), "--dry-run", "--interval", "0.2", log=log)
    wait_for_text(log, "cycle")
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert {r.method for r in desk.requests} == {"GET"}
    assert fingerprint(tmp_path) == before


def test_start_up_shows_the_effective_config_with_secrets_masked(tmp_path: Path, desk: Helpdesk) -> None:
    desk.seed(2)
    write_rules(tmp_path / "rules.yaml")
    config = write_config(tmp_path, {"hd": desk.url}, extra="sync: {interval: 90s}")
    code, out = run("run", "--config", str(config), "--once", "--log-level", "debug")
    assert code == 0, out
    assert TOKEN not in out
    assert "token: '*** (env:HD_TOKEN)'" in out
    assert "interval: 1m30s" in out
    assert f"base_url: {desk.url}" in out
    assert "[hd cycle=" in out
    # Tickets are named by the number the desk uses, not the tool's internal id.
    assert (
        "ticket=HD-1001] set impact medium (was none), urgency medium (was none), priority P3 (was none)"
        in (out)
    )


def test_json_logs_carry_connection_cycle_and_ticket_ids(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(3)
    code, out = run("run", "--config", str(config), "--once", "--log-format", "json", "--log-level", "debug")
    assert code == 0, out
    lines = [json.loads(line) for line in out.splitlines()]  # every line is JSON
    assert TOKEN not in out
    (effective,) = [line for line in lines if line["message"] == "effective config"]
    assert effective["config"]["connections"]["hd"]["auth"]["token"] == "*** (env:HD_TOKEN)"
    sent = [line for line in lines if line["message"].startswith("sent acknowledge")]
    assert len(sent) == 3
    assert {line["ticket"] for line in sent} == {"HD-1001", "HD-1002", "HD-1003"}
    assert {line["ticket_id"] for line in sent} == {"1", "2", "3"}  # the tool's own id beside it
    assert all(line["connection"] == "hd" and line["cycle"] for line in sent)
    assert len({line["cycle"] for line in sent}) == 1
    assert all({"time", "level", "logger"} <= set(line) for line in lines)


def test_invalid_rules_at_start_exit_2_listing_every_problem(tmp_path: Path, config: Path) -> None:
    broken = RULES.replace("{high: P3, medium: P4, low: P4}", "{high: P9, medium: P4}")
    (tmp_path / "rules.yaml").write_text(broken.replace("urgency: low}", "urgency: lowest}"))
    code, out = run("run", "--config", str(config), "--once")
    assert code == 2
    assert "cannot start" in out
    problems = [line for line in out.splitlines() if "rules.yaml:" in line]
    assert len(problems) >= 3
    assert any("P9" in p for p in problems)
    assert any("lowest" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("P2: {pickup: {within: 2h}", "P2: {pickup: {within: {a: 1}}"),
        ("high:   {high: P1, medium: P2, low: P3}", "high:   {high: {x: 1}, medium: P2, low: P3}"),
        ("P2: {pickup: {within: 2h}", "P2: {pickup: {within: 99999999999999999999999999h}"),
    ],
)
def test_a_start_on_rules_with_a_value_of_the_wrong_type_exits_2_without_a_traceback(
    tmp_path: Path, config: Path, old: str, new: str
) -> None:
    assert old in RULES
    (tmp_path / "rules.yaml").write_text(RULES.replace(old, new))
    code, out = run("run", "--config", str(config), "--once")
    assert code == 2, out
    assert "Traceback" not in out
    assert "cannot start" in out
    assert "rules.yaml:" in out


def test_an_unreachable_tool_exits_3_with_once(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    write_rules(tmp_path / "rules.yaml")
    config = write_config(tmp_path, {"hd": f"http://127.0.0.1:{port}"})
    code, out = run("run", "--config", str(config), "--once")
    assert code == 3, out
    assert "cannot use connection hd" in out
    assert "connection failed" in out


def test_a_second_daemon_on_the_same_state_file_refuses_to_start(
    tmp_path: Path, config: Path, desk: Helpdesk
) -> None:
    desk.seed(3)
    first = serving(config, tmp_path / "first.log")
    try:
        code, out = run("run", "--config", str(config), "--once")
        assert code == 1, out
        assert f"is in use by another matrixcore run (pid {first.pid})" in out
        code, out = run("run", "--config", str(config), "--once", "--dry-run")  # only reads: allowed
        assert code == 0, out
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    code, out = run("run", "--config", str(config), "--once")  # a killed holder leaves no stale lock
    assert code == 0, out


def test_a_bad_interval_is_a_usage_error(config: Path) -> None:
    code, out = run("run", "--config", str(config), "--interval", "soon")
    assert code == 2
    assert "not a duration" in out


def test_sighup_reloads_bad_rules_are_refused_and_sigterm_stops(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(2)
    log = tmp_path / "daemon.log"
    process = serving(config, log)
    (tmp_path / "rules.yaml").write_text(RULES.replace("24x7", "25x8"))
    process.send_signal(signal.SIGHUP)
    wait_for_text(log, "reload refused")
    assert "reload requested (SIGHUP)" in log.read_text()
    assert "rules.yaml:" in log.read_text()
    desk.add_ticket(subject="Mail server is down", requester={"language": "en"})
    deadline = time.monotonic() + 10
    while desk.tickets[3]["priority"] != "urgent":  # the last good rules go on deciding
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)
    write_rules(tmp_path / "rules.yaml")
    process.send_signal(signal.SIGHUP)
    wait_for_text(log, "rules loaded from")
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert "stopped" in log.read_text()
