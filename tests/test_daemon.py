"""The daemon in this process, against example helpdesks over real HTTP: scheduling, isolation of a
failing tool, reloads that keep the last good rules, a graceful stop, metrics and health."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from daemon_support import RULES, TOKEN, Gate, Helpdesk, write_config, write_rules
from hypothesis import HealthCheck, given, settings
from rules_mutations import BILLION_LAUGHS, mutated_rules

from matrixcore import Operator, hookimpl
from matrixcore._daemon import Daemon
from matrixcore._daemon_settings import DaemonSettings
from matrixcore._plugins import Plugins
from matrixcore.state import StateStore
from matrixcore.testing import Fault


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def helpdesks() -> Iterator[dict[str, Helpdesk]]:
    desks = {"alpha": Helpdesk(), "beta": Helpdesk()}
    for desk in desks.values():
        desk.start()
    yield desks
    for desk in desks.values():
        desk.stop()
        assert not desk.errors, desk.errors


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HD_TOKEN", TOKEN)
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)


class Running:
    """A daemon run in a thread (signals are the main thread's; tests call request_stop)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.result: list[int] = []
        self.thread = threading.Thread(target=lambda: self.result.append(daemon.run()), daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.daemon.request_stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the daemon did not stop"
        assert self.result == [0]

    def metric(self, name: str, **labels: str) -> float:
        value = self.daemon.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


def make_daemon(
    tmp_path: Path,
    desks: dict[str, Helpdesk],
    *,
    plugins: Plugins | None = None,
    rules: str = RULES,
    timeout: float = 5,
    **settings: Any,
) -> Daemon:
    write_rules(tmp_path / "rules.yaml", rules)
    path = write_config(tmp_path, {name: desk.url for name, desk in desks.items()}, timeout=timeout)
    plugins = plugins or Plugins.load()
    config = plugins.load_config(path)
    chosen = {
        "interval": 0.2,
        "backoff_initial": 0.2,
        "backoff_max": 0.5,
        "min_gap": 0.05,
        "watch_interval": 0.1,
        **settings,
    }
    return Daemon(config, plugins, DaemonSettings.from_config(config).override(**chosen))


def synced(desk: Helpdesk, warnings: bool = False) -> bool:
    problems = desk.outcome_problems()
    if not warnings:
        problems = [p for p in problems if "expected ['acknowledge', 'warning']" not in p]
    return not problems


def test_once_syncs_every_connection_and_reports(tmp_path: Path, helpdesks: dict[str, Helpdesk]) -> None:
    for desk in helpdesks.values():
        desk.seed(30)
    daemon = make_daemon(tmp_path, helpdesks)
    assert daemon.run_once() == 0
    for desk in helpdesks.values():
        assert synced(desk), desk.outcome_problems()
    registry = daemon.metrics.registry
    assert registry.get_sample_value("matrixcore_tickets_seen_total", {"connection": "alpha"}) >= 30
    assert registry.get_sample_value("matrixcore_writes_total", {"connection": "beta"}) == 30
    assert (
        registry.get_sample_value(
            "matrixcore_messages_total", {"connection": "beta", "policy": "acknowledge"}
        )
        == 30
    )
    assert registry.get_sample_value("matrixcore_last_success_timestamp_seconds", {"connection": "alpha"}) > 0


def test_no_loops_and_no_fights_over_many_cycles(tmp_path: Path, helpdesks: dict[str, Helpdesk]) -> None:
    desk = helpdesks["alpha"]
    desk.seed(20)
    with Running(make_daemon(tmp_path, {"alpha": desk})) as running:
        wait_for(lambda: synced(desk), what="the first sync")
        cycles = running.metric("matrixcore_cycles_total", connection="alpha", outcome="ok")
        wait_for(
            lambda: running.metric("matrixcore_cycles_total", connection="alpha", outcome="ok") > cycles + 1
        )
        desk.clear_requests()
        # An agent lowers an outage (P1, urgent) that matrixcore set.
        desk.update_ticket(2, priority="normal")
        start = running.metric("matrixcore_cycles_total", connection="alpha", outcome="ok")
        wait_for(
            lambda: running.metric("matrixcore_cycles_total", connection="alpha", outcome="ok") > start + 3
        )
        assert desk.tickets[2]["priority"] == "normal"  # the agent's choice is kept
        assert running.metric("matrixcore_agent_kept_total", connection="alpha") >= 1
        # Own writes seen again, the agent's change seen: no write request at all (a warning for the
        # P1 ticket may fall due meanwhile, which is the only message allowed).
        writes = [r for r in desk.writes() if not (r.method == "POST" and "patience" in r.body.decode())]
        assert writes == []
        state = running.daemon.store.ticket("alpha", "2")
        assert state.agent_priority == "P3"


def test_a_timed_message_wakes_the_daemon_before_the_next_poll(
    tmp_path: Path, helpdesks: dict[str, Helpdesk]
) -> None:
    desk = helpdesks["alpha"]
    desk.add_ticket(subject="Mail server is down", requester={"name": "R", "language": "en"})
    # An hour between polls: only the timer (50% of the 4 s pickup target) can bring the warning.
    with Running(make_daemon(tmp_path, {"alpha": desk}, interval=3600)):
        wait_for(
            lambda: any("patience" in m["body"] for m in desk.messages[1]), timeout=8, what="the warning"
        )
    polls = desk.requests_to("/api/v1/tickets", "GET")
    assert 2 <= len(polls) <= 3  # the first cycle, the timer's (which reads what changed first)
    assert synced(desk, warnings=True)


FAULTS = {
    "rate_limited": Fault.too_many_requests(retry_after=0),
    "server_error": Fault.server_error(503),
    "timeout": Fault.slow(1.0),
    "connection": Fault.drop_connection(),
    "malformed": Fault.malformed(),
}


@pytest.mark.parametrize("kind", FAULTS)
def test_a_failing_tool_delays_only_itself(tmp_path: Path, helpdesks: dict[str, Helpdesk], kind: str) -> None:
    good, bad = helpdesks["alpha"], helpdesks["beta"]
    good.seed(10)
    bad.seed(10)
    bad.inject(FAULTS[kind], path="/api/v1/tickets", times=None)
    daemon = make_daemon(tmp_path, helpdesks, healthy_within=0.6, timeout=0.3)
    with Running(daemon) as running:
        wait_for(lambda: synced(good), what="the good tool's sync")
        good.seed(5)  # new work on the good tool keeps flowing while the other fails
        wait_for(lambda: synced(good), what="the good tool's new tickets")
        wait_for(lambda: running.metric("matrixcore_errors_total", connection="beta", kind=kind) >= 2)
        assert bad.writes() == []
        _, details = wait_for(lambda: (h := daemon.health()) and not h[0] and h, what="503")
        assert details["connections"]["alpha"]["healthy"]
        assert not details["connections"]["beta"]["healthy"]
        assert details["connections"]["beta"]["last_error"]
        # Backoff: far fewer attempts than one per 0.2 s poll (with retries, two per cycle).
        attempts = len(bad.requests_to("/api/v1/tickets"))
        bad.clear_faults()
        wait_for(lambda: synced(bad), what="the failing tool's recovery")
        wait_for(lambda: daemon.health()[0], what="healthy again")
        assert running.metric("matrixcore_consecutive_failures", connection="beta") == 0
    assert attempts < 30


class _Broken:
    @hookimpl
    def matrixcore_enrich_ticket(self, ticket: Any) -> Any:
        raise RuntimeError("a plugin bug")


def test_a_plugin_bug_is_logged_and_retried_not_fatal(
    tmp_path: Path, helpdesks: dict[str, Helpdesk], caplog: pytest.LogCaptureFixture
) -> None:
    helpdesks["alpha"].seed(3)
    plugins = Plugins.load()
    plugins.register(_Broken(), "broken")
    with Running(make_daemon(tmp_path, {"alpha": helpdesks["alpha"]}, plugins=plugins)) as running:
        wait_for(lambda: running.metric("matrixcore_errors_total", connection="alpha", kind="internal") >= 2)
        assert running.thread.is_alive()
        assert running.daemon.store.cursor("alpha") is None  # nothing was committed
    assert "a plugin bug" in caplog.text


def test_bad_rules_on_reload_keep_the_last_good(
    tmp_path: Path, helpdesks: dict[str, Helpdesk], caplog: pytest.LogCaptureFixture
) -> None:
    desk = helpdesks["alpha"]
    desk.seed(4)
    daemon = make_daemon(tmp_path, {"alpha": desk})
    rules = tmp_path / "rules.yaml"
    with Running(daemon) as running:
        wait_for(lambda: synced(desk))
        good = daemon.engine
        broken = RULES.replace("low:    {high: P3, medium: P4, low: P4}", "low:    {high: P9, medium: P4}")
        broken = broken.replace("urgency: low}", "urgency: lowest}")
        with caplog.at_level(logging.ERROR):
            rules.write_text(broken, encoding="utf-8")
            wait_for(lambda: running.metric("matrixcore_rules_reloads_total", outcome="error") == 1)
        assert daemon.engine is good
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("reload refused" in e for e in errors)
        located = [e for e in errors if "rules.yaml:" in e]
        assert len(located) >= 3, errors  # every problem, each with its line
        assert any("P9" in e for e in located)
        assert any("lowest" in e for e in located)
        # Meanwhile tickets are still decided by the last good rules.
        desk.add_ticket(subject="Question: a new one", requester={"language": "en"})
        wait_for(lambda: desk.tickets[5]["priority"] == "low")
        # Rules whose own examples fail are refused too.
        failing = (
            RULES
            + "examples:\n  - name: x\n    ticket: {subject: Printer jams}\n    expect: {priority: P1}\n"
        )
        rules.write_text(failing, encoding="utf-8")
        wait_for(lambda: running.metric("matrixcore_rules_reloads_total", outcome="error") == 2)
        assert daemon.engine is good
        # A good file is applied: printers become outages.
        rules.write_text(RULES.replace("outage|down", "outage|down|printer"), encoding="utf-8")
        wait_for(lambda: daemon.engine is not good, what="the reload")
        desk.add_ticket(subject="Printer on fire", requester={"language": "en"})
        wait_for(lambda: desk.tickets[6]["priority"] == "urgent")
        assert daemon.health()[1]["rules"]["last_reload_error"] is None


def test_a_running_daemon_never_stops_on_a_reload_whatever_the_file_holds(
    tmp_path: Path, helpdesks: dict[str, Helpdesk]
) -> None:
    desk = helpdesks["alpha"]
    desk.seed(2)
    # No file watch: its reloads would race the ones this test makes and checks (SIGHUP's path stays).
    daemon = make_daemon(tmp_path, {"alpha": desk}, watch_interval=0)
    rules = tmp_path / "rules.yaml"
    # A reload takes the file's settings: keep the test's short poll interval in it.
    config = write_config(tmp_path, {"alpha": desk.url}, extra="sync: {interval: 0.2s}")
    good_config = config.read_text()
    with Running(daemon) as running:
        wait_for(lambda: synced(desk))

        @settings(
            max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
        )
        @given(text=mutated_rules())
        def reload_survives(text: str) -> None:
            rules.write_text(text, encoding="utf-8")
            before = daemon.engine
            applied = daemon.reload(force=True)  # what SIGHUP and the file watch run
            assert applied is (daemon.engine is not before)
            assert running.thread.is_alive()

        reload_survives()
        # The bombs and the missing files too, through SIGHUP's path (a reload in a thread of its own).
        for name, text in (("rules", BILLION_LAUGHS), ("config", BILLION_LAUGHS), ("rules", None)):
            target = rules if name == "rules" else config
            refused = running.metric("matrixcore_rules_reloads_total", outcome="error")
            if text is None:
                target.unlink()
            else:
                target.write_text(text, encoding="utf-8")
            daemon.request_reload()
            wait_for(lambda r=refused: running.metric("matrixcore_rules_reloads_total", outcome="error") > r)
            assert running.thread.is_alive()
            config.write_text(good_config)
        write_rules(rules)
        assert daemon.reload(force=True)
        desk.add_ticket(subject="Outage: mail is down", requester={"language": "en"})
        wait_for(lambda: desk.tickets[3]["priority"] == "urgent", 30, what="the daemon still deciding")


class _SlowOperator:
    """An operator whose compiling waits for the test: a reload that takes as long as the test wants."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def prepare(self, args: tuple[Any, ...], context: Any) -> tuple[Any, ...]:
        self.entered.set()
        self.release.wait(30)
        return args

    @hookimpl
    def matrixcore_conditions(self) -> list[Operator]:
        return [Operator("slowly", lambda value, other: value == other, self.prepare)]


def test_a_stop_is_not_held_up_by_a_reload_in_progress(
    tmp_path: Path, helpdesks: dict[str, Helpdesk]
) -> None:
    desk = helpdesks["alpha"]
    slow = _SlowOperator()
    plugins = Plugins.load()
    plugins.register(slow, "slow")
    daemon = make_daemon(tmp_path, {"alpha": desk}, plugins=plugins)
    running = Running(daemon).__enter__()
    try:
        wait_for(lambda: daemon.health()[1]["connections"]["alpha"]["cycles"] > 0)
        rules = RULES.replace('when: {subject: {matches: "(?i)^question"}}', "when: {subject: {slowly: x}}")
        write_rules(tmp_path / "rules.yaml", rules)
        daemon.request_reload()
        assert slow.entered.wait(10), "the reload did not start"
        assert daemon.health()[1]["rules"]["reload_running_seconds"] is not None
        stopped = time.monotonic()
        daemon.request_stop()  # what the first SIGTERM does, while the reload still reads
        running.thread.join(5)
        assert not running.thread.is_alive(), "the stop waited for the reload"
        assert time.monotonic() - stopped < 5
        assert running.result == [0]
    finally:
        slow.release.set()
        running.thread.join(15)


def test_health_turns_503_when_the_main_loop_is_stuck(tmp_path: Path, helpdesks: dict[str, Helpdesk]) -> None:
    desk = helpdesks["alpha"]
    desk.seed(1)
    gate = Gate(timeout=20)
    daemon = make_daemon(tmp_path, {"alpha": desk, "beta": helpdesks["beta"]})
    daemon.stale_after = 0.5
    with Running(daemon):
        wait_for(lambda: daemon.health()[0], what="healthy")
        desk.after[("PATCH", "ticket")] = gate  # the new ticket's priority and acknowledgement
        desk.add_ticket(subject="Printer jams", requester={"language": "en"})
        assert gate.arrived.wait(10)
        # Removing alpha waits for the batch it is stuck in: meanwhile no signal, reload or cycle
        # of the daemon's own is handled, and /healthz says so instead of "ok".
        write_config(tmp_path, {"beta": helpdesks["beta"].url})
        _, details = wait_for(lambda: (h := daemon.health()) and not h[0] and h, what="503")
        assert details["main_loop_stuck_seconds"] > 0.5
        del desk.after[("PATCH", "ticket")]
        gate.release.set()
        wait_for(lambda: daemon.health()[0], what="healthy again")
        assert set(daemon.workers) == {"beta"}


def test_a_changed_config_adds_and_removes_connections(
    tmp_path: Path, helpdesks: dict[str, Helpdesk]
) -> None:
    alpha, beta = helpdesks["alpha"], helpdesks["beta"]
    alpha.seed(3)
    beta.seed(3)
    daemon = make_daemon(tmp_path, {"alpha": alpha})
    with Running(daemon):
        wait_for(lambda: synced(alpha))
        (tmp_path / "matrixcore.yaml").write_text(
            "rules: rules.yaml\nconnections: {alpha: {adapter: nope}}\n"
        )
        wait_for(lambda: daemon.last_reload_error is not None, what="the refused config")
        assert set(daemon.workers) == {"alpha"}
        write_config(tmp_path, {"beta": beta.url})
        wait_for(lambda: synced(beta), what="the added connection's sync")
        assert set(daemon.workers) == {"beta"}


def test_the_first_stop_finishes_the_batch_in_progress(
    tmp_path: Path, helpdesks: dict[str, Helpdesk]
) -> None:
    desk = helpdesks["alpha"]
    desk.seed(250)  # three batches of 100
    gate = Gate()
    desk.after[("PATCH", "ticket")] = gate  # the priority and the acknowledgement, in one request
    daemon = make_daemon(tmp_path, {"alpha": desk})
    daemon.stop_grace = 60  # the batch finishes however loaded the machine (the bound: test_topdesk_endless)
    running = Running(daemon).__enter__()
    wait_for(gate.arrived.is_set, what="the first message")
    daemon.request_stop()  # while the first ticket's message is in flight
    del desk.after[("PATCH", "ticket")]
    gate.release.set()
    running.__exit__()
    with_ack = [tid for tid, messages in desk.messages.items() if messages]
    assert with_ack == list(range(1, 101))  # the whole first batch, nothing of the next
    with StateStore(tmp_path / "state.sqlite3") as store:
        assert store.pending("alpha") == []
        assert len(store.decisions("alpha", "100")) == 1
        assert store.ticket("alpha", "101") is None


def test_metrics_and_health_are_served(tmp_path: Path, helpdesks: dict[str, Helpdesk]) -> None:
    desk = helpdesks["alpha"]
    desk.seed(4)
    daemon = make_daemon(tmp_path, {"alpha": desk}, metrics_address=("127.0.0.1", 0))
    with Running(daemon):
        wait_for(lambda: daemon.server is not None and synced(desk))
        assert daemon.server is not None
        url = daemon.server.url
        text = wait_for(
            lambda: (
                (t := requests.get(f"{url}/metrics", timeout=5).text)
                and 'matrixcore_writes_total{connection="alpha"} 4.0' in t
                and t
            )
        )
        assert 'matrixcore_messages_total{connection="alpha",policy="acknowledge"} 4.0' in text
        assert 'matrixcore_build_info{dry_run="false"' in text
        assert "matrixcore_cycle_duration_seconds_bucket" in text
        health = requests.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json()["connections"]["alpha"]["healthy"] is True
        assert requests.get(f"{url}/nope", timeout=5).status_code == 404
