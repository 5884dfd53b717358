"""Desk-level metrics, no ``_created`` noise, and a Grafana dashboard and alert rules that only ask
for metrics the daemon exports."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yaml
from daemon_support import TOKEN, Helpdesk, rules_text
from test_daemon import Running, make_daemon, synced, wait_for

from matrixcore.state import StateStore

DEPLOY = Path(__file__).resolve().parents[1] / "examples" / "deploy"
METRIC = re.compile(r"\bmatrixcore_[a-z_]+\b")
MISSED = (("channel", "email"), ("connection", "alpha"), ("outcome", "missed"), ("priority", "P1"))


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HD_TOKEN", TOKEN)
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)


@pytest.fixture
def desk() -> Iterator[Helpdesk]:
    with Helpdesk() as server:
        yield server
        assert not server.errors, server.errors


def exported(text: str) -> set[str]:
    """Every series name a scrape of ``text`` can be queried by (histograms with their suffixes)."""
    names = {line.split("{")[0].split()[0] for line in text.splitlines() if line and not line.startswith("#")}
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M):
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        if kind == "counter" and not name.endswith("_total"):
            names.add(f"{name}_total")
    return names


def dashboard_queries() -> list[str]:
    board = json.loads((DEPLOY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    queries = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    queries += [v["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return queries


def alert_queries() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text(encoding="utf-8"))
    found = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["alert"].startswith("Matrixcore")
            assert rule["labels"]["severity"] in ("critical", "warning", "info")
            assert rule["annotations"]["summary"]
            found.append(rule["expr"])
    return found


def _samples(daemon: object, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    registry = daemon.metrics.registry  # type: ignore[attr-defined]
    out = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_the_dashboard_and_the_alerts_ask_only_for_exported_metrics(tmp_path: Path, desk: Helpdesk) -> None:
    desk.seed(4)
    daemon = make_daemon(tmp_path, {"alpha": desk}, metrics_address=("127.0.0.1", 0))
    with Running(daemon):
        wait_for(lambda: daemon.server is not None and synced(desk), timeout=30)
        assert daemon.server is not None
        text = requests.get(f"{daemon.server.url}/metrics", timeout=5).text
    names = exported(text)
    assert "_created" not in text  # no creation-time twin of every counter
    queries = dashboard_queries() + alert_queries()
    assert len(dashboard_queries()) >= 12
    assert len(alert_queries()) >= 6
    for query in queries:
        asked = set(METRIC.findall(query))
        assert asked, f"a query that names no matrixcore metric: {query}"
        assert asked <= names, f"{query}: not exported: {sorted(asked - names)}"
    # The desk-level series are among them.
    for name in ("matrixcore_open_timers", "matrixcore_tickets_at_risk", "matrixcore_promises_total"):
        assert name in names
        assert any(name in q for q in dashboard_queries())


def test_open_timers_and_tickets_at_risk(tmp_path: Path, desk: Helpdesk) -> None:
    """P1 must be picked up within 20 minutes (warned at 10): at risk; the others have hours."""
    desk.seed(4)  # 1 Printer jams (P3), 2 Mail server is down (P1), 3 a question (P4), 4 Laptop slow (P3)
    daemon = make_daemon(tmp_path, {"alpha": desk}, rules=rules_text(p1_pickup="20m"))
    with Running(daemon):
        wait_for(lambda: synced(desk), timeout=30)
        with StateStore(tmp_path / "state.sqlite3", read_only=True) as store:
            (summary,) = store.summaries()
        assert summary.open_timers == 4  # every ticket's warning is still to come
        assert _samples(daemon, "matrixcore_open_timers") == {(("connection", "alpha"),): 4.0}
        assert _samples(daemon, "matrixcore_tickets_at_risk") == {(("connection", "alpha"),): 1.0}
        # Picked up: no longer at risk, though its timer stays until the daemon sees it.
        desk.update_ticket(2, first_response_at=datetime.now(UTC).isoformat())
        wait_for(
            lambda: _samples(daemon, "matrixcore_tickets_at_risk") == {(("connection", "alpha"),): 0.0},
            timeout=30,
            what="the picked-up ticket off the list",
        )


def test_promises_met_and_missed_per_priority_and_channel(tmp_path: Path, desk: Helpdesk) -> None:
    """P1 must be picked up within 4 s; the others have hours."""
    desk.seed(4)
    daemon = make_daemon(tmp_path, {"alpha": desk})
    with Running(daemon):
        wait_for(lambda: synced(desk), timeout=30)
        # An agent picks the printer ticket up at once: its promise (4 hours) is met.
        desk.update_ticket(1, first_response_at=datetime.now(UTC).isoformat())
        met = (("channel", "email"), ("connection", "alpha"), ("outcome", "met"), ("priority", "P3"))
        wait_for(
            lambda: _samples(daemon, "matrixcore_promises_total").get(met) == 1.0,
            timeout=30,
            what="the met one",
        )
        # (The outage may count as missed already: its 4 seconds can pass while a loaded machine works.)
        assert set(_samples(daemon, "matrixcore_promises_total")) <= {met, MISSED}
        # The outage is picked up only after its 4 seconds: missed.
        time.sleep(4.5)
        desk.update_ticket(2, first_response_at=datetime.now(UTC).isoformat())
        missed = MISSED
        wait_for(lambda: _samples(daemon, "matrixcore_promises_total").get(missed) == 1.0, timeout=30)
        assert _samples(daemon, "matrixcore_promises_total") == {met: 1.0, missed: 1.0}
        # Seen again (its own write, an unrelated change): a settled promise is not counted twice.
        desk.update_ticket(2, subject="Mail server is down (again?)")
        time.sleep(1.0)
        assert _samples(daemon, "matrixcore_promises_total").get(missed) == 1.0
