"""Invariant 3 the hard way: ``matrixcore run`` in a subprocess, killed with SIGKILL at random points
and at the worst moments, against a helpdesk holding thousands of tickets on 127.0.0.1; on the
SQLite file and on a PostgreSQL state alike (there a killed daemon's lease lapses after 1s).

Afterwards every ticket must have the right priority, every requester exactly the messages due
(none twice, none skipped), nothing left pending in the ledger, and one more cycle must write
nothing. ``benchmarks/soak_kill.py`` runs the same with 500 kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from daemon_support import (
    EXPECTED_PREDICTING,
    TOKEN,
    Gate,
    Helpdesk,
    predicting_rules_text,
    write_config,
    write_rules,
)

from matrixcore.state import PostgresStateStore, StateStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

#: Random kills in the main test (the deterministic tests add three more).
KILLS = int(os.environ.get("MATRIXCORE_KILLS", "30"))


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test on both stores: a PostgreSQL state is given as MATRIXCORE_STATE."""
    if request.param == "postgresql":
        monkeypatch.setenv("MATRIXCORE_STATE", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("MATRIXCORE_STATE", raising=False)
    return str(request.param)


def open_state(folder: Path) -> StateStore:
    """The state the daemon used: the file beside the config, or the PostgreSQL database."""
    url = os.environ.get("MATRIXCORE_STATE")
    return PostgresStateStore(url) if url else StateStore(folder / "state.sqlite3")


def matrixcore(*args: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HD_TOKEN": TOKEN}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "matrixcore", *args], stdout=out, stderr=out, env=env)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def wait_until(condition: object, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if process.poll() is not None:
            raise AssertionError(f"the daemon exited with {process.returncode} before it was killed")
        if time.monotonic() > deadline:
            raise AssertionError("the daemon did not get going")
        time.sleep(0.01)


@pytest.fixture
def desk() -> Iterator[Helpdesk]:
    with Helpdesk() as server:
        yield server
        assert not server.errors, server.errors


@pytest.fixture
def config(tmp_path: Path, desk: Helpdesk) -> Path:
    write_rules(tmp_path / "rules.yaml")
    path = write_config(
        tmp_path, {"hd": desk.url}, retry="{max_attempts: 3, backoff_base: 0.05, max_wait: 1}"
    )
    text = path.read_text().replace(
        "state: {path: state.sqlite3}", "state: {path: state.sqlite3, lease: {ttl: 1s}}"
    )
    path.write_text(text)
    return path


@pytest.fixture
def predicting(tmp_path: Path, desk: Helpdesk) -> Path:
    """Rules that also warn printer tickets of a predicted miss, and a history that predicts one:
    printer tickets waited 10 hours for a 4-hour target. Each must be told exactly once."""
    desk.expected = EXPECTED_PREDICTING
    desk.seed_history(40, wait=timedelta(hours=10))
    write_rules(tmp_path / "rules.yaml", predicting_rules_text())
    path = write_config(
        tmp_path, {"hd": desk.url}, retry="{max_attempts: 3, backoff_base: 0.05, max_wait: 1}"
    )
    lease = "state: {path: state.sqlite3, lease: {ttl: 1s}}"  # a killed daemon's lease lapses soon
    path.write_text(path.read_text().replace("state: {path: state.sqlite3}", lease))
    return path


def finish(config: Path, log: Path, desk: Helpdesk) -> None:
    """One clean cycle to completion, then check every ticket, the ledger, and that another cycle
    writes nothing."""
    time.sleep(max(0.0, desk.seeded_at + 2.2 - time.monotonic()))  # every P1 warning is due
    done = matrixcore("run", "--config", str(config), "--once", "--log-level", "warning", log=log)
    assert done.wait(120) == 0, log.read_text()[-3000:]
    problems = desk.outcome_problems()
    assert problems == [], f"{len(problems)} tickets wrong, e.g. {problems[:5]}"
    with open_state(config.parent) as store:
        assert store.pending("hd") == []
    desk.clear_requests()
    again = matrixcore("run", "--config", str(config), "--once", "--log-level", "warning", log=log)
    assert again.wait(60) == 0
    assert desk.writes() == [], "a cycle over unchanged tickets wrote something"


def test_random_sigkills_lose_nothing_and_send_nothing_twice(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(2000)
    seed = int(os.environ.get("MATRIXCORE_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    log = tmp_path / "daemon.log"
    for _ in range(KILLS):
        seen = len(desk.requests)
        process = matrixcore(
            "run", "--config", str(config), "--interval", "0.2", "--log-level", "warning", log=log
        )
        # Kill it somewhere in its work: reading, writing, posting, committing, or asleep.
        wait_until(lambda s=seen: len(desk.requests) > s, process)
        time.sleep(rng.uniform(0.0, 0.4))
        kill(process)
    assert desk.writes(), f"the daemon never got to write (seed {seed})"
    finish(config, log, desk)


def test_a_kill_between_posting_and_recording_a_message_sends_it_once(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(8)
    gate = Gate()
    # The priority and the acknowledgement go in one PATCH (apply_update): the tool stored both;
    # the answer has not left yet.
    desk.after[("PATCH", "ticket")] = gate
    log = tmp_path / "daemon.log"
    process = matrixcore("run", "--config", str(config), log=log)
    wait_until(gate.arrived.is_set, process)
    kill(process)
    del desk.after[("PATCH", "ticket")]
    gate.release.set()
    assert [len(desk.messages[t]) for t in range(1, 9)] == [1, 0, 0, 0, 0, 0, 0, 0]
    with open_state(tmp_path) as store:
        assert [e.key for e in store.pending("hd")] == ["acknowledge"]
    finish(config, log, desk)
    with open_state(tmp_path) as store:
        (entry,) = store.messages("hd", "1")
        assert (entry.state, entry.remote_id) == ("sent", desk.messages[1][0]["id"])


def test_a_kill_between_writing_and_recording_a_priority_still_respects_agents(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(4)
    gate = Gate()
    desk.after[("PATCH", "ticket")] = gate  # the priority is stored; matrixcore has not recorded it
    log = tmp_path / "daemon.log"
    process = matrixcore("run", "--config", str(config), log=log)
    wait_until(gate.arrived.is_set, process)
    kill(process)
    del desk.after[("PATCH", "ticket")]
    gate.release.set()
    assert desk.tickets[1]["priority"] == "normal"
    finish(config, log, desk)
    # An agent now lowers ticket 1: matrixcore keeps it, although the crash hid its own write.
    desk.update_ticket(1, priority="low")
    desk.clear_requests()
    once = matrixcore("run", "--config", str(config), "--once", log=log)
    assert once.wait(60) == 0
    assert desk.tickets[1]["priority"] == "low"
    assert [r for r in desk.writes() if r.method == "PATCH"] == []


def test_a_second_sigterm_exits_at_once_and_the_next_run_finishes(
    tmp_path: Path, desk: Helpdesk, config: Path
) -> None:
    desk.seed(300)
    gate = Gate()
    desk.after[("POST", "messages")] = gate
    log = tmp_path / "daemon.log"
    process = matrixcore("run", "--config", str(config), log=log)
    wait_until(gate.arrived.is_set, process)
    process.send_signal(signal.SIGTERM)  # would finish the batch: the post is held, so it cannot yet
    time.sleep(0.3)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 128 + signal.SIGTERM
    del desk.after[("POST", "messages")]
    gate.release.set()
    assert "exiting at once" in log.read_text()
    finish(config, log, desk)


def test_random_sigkills_never_send_a_predicted_miss_twice(
    tmp_path: Path, desk: Helpdesk, predicting: Path
) -> None:
    desk.seed(400)
    seed = int(os.environ.get("MATRIXCORE_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    log = tmp_path / "daemon.log"
    for _ in range(max(KILLS // 3, 3)):
        seen = len(desk.requests)
        process = matrixcore(
            "run", "--config", str(predicting), "--interval", "0.2", "--log-level", "warning", log=log
        )
        wait_until(lambda s=seen: len(desk.requests) > s, process)
        time.sleep(rng.uniform(0.0, 0.4))
        kill(process)
    finish(predicting, log, desk)  # every printer ticket: acknowledged and warned, once each
    assert sum("expect" in m["body"] for ms in desk.messages.values() for m in ms) == 100


def test_a_kill_between_posting_and_recording_a_predicted_miss_sends_it_once(
    tmp_path: Path, desk: Helpdesk, predicting: Path
) -> None:
    desk.add_ticket(subject="Printer jams", requester={"name": "R", "language": "en"})  # ticket 41
    gate = Gate()
    desk.after[("POST", "messages")] = lambda request: gate(request) if b"expect" in request.body else None
    log = tmp_path / "daemon.log"
    process = matrixcore("run", "--config", str(predicting), log=log)
    wait_until(gate.arrived.is_set, process)
    kill(process)
    del desk.after[("POST", "messages")]
    gate.release.set()
    assert sum("expect" in m["body"] for m in desk.messages[41]) == 1
    with open_state(tmp_path) as store:
        (pending,) = store.pending("hd")
        assert pending.key.startswith("predicted:P3@")
    finish(predicting, log, desk)
    assert sum("expect" in m["body"] for m in desk.messages[41]) == 1
    with open_state(tmp_path) as store:
        entry = next(e for e in store.messages("hd", "41") if e.policy == "predicted")
        assert entry.state == "sent"
