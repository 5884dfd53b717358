"""Metrics: failures labelled by kind, addresses parsed, /metrics and /healthz served."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from matrixcore import AdapterError, ConflictError, HttpError, ReadOnlyError
from matrixcore._metrics import DaemonMetrics, MetricsServer, error_kind, parse_address
from matrixcore._sync import CycleReport


def http_error(**kwargs: object) -> HttpError:
    return HttpError("x", method="GET", url="http://127.0.0.1/", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (http_error(status=429), "rate_limited"),
        (http_error(status=503), "server_error"),
        (http_error(status=404), "refused"),
        (http_error(kind="timeout"), "timeout"),
        (http_error(kind="connection"), "connection"),
        (http_error(status=200, kind="malformed"), "malformed"),
        (ReadOnlyError("no"), "read_only"),
        (ConflictError("changed"), "conflict"),
        (AdapterError("refused", status=401), "refused"),
        (AdapterError("odd"), "adapter"),
        (KeyError("id"), "internal"),
    ],
)
def test_every_failure_gets_a_stable_kind(error: BaseException, kind: str) -> None:
    assert error_kind(error) == kind


def test_addresses() -> None:
    assert parse_address("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_address(":9464") == ("127.0.0.1", 9464)
    assert parse_address("[::1]:9464") == ("::1", 9464)
    for bad in ("9464", "host:", "host:99999", "host:http"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            parse_address(bad)


@pytest.fixture
def served() -> Iterator[tuple[DaemonMetrics, MetricsServer, list[bool]]]:
    metrics = DaemonMetrics()
    healthy = [True]
    server = MetricsServer(("127.0.0.1", 0), metrics.registry, lambda: (healthy[0], {"why": "test"}))
    server.start()
    yield metrics, server, healthy
    server.stop()


def test_a_cycle_report_becomes_series(served: tuple[DaemonMetrics, MetricsServer, list[bool]]) -> None:
    metrics, server, _ = served
    metrics.start("9.9", dry_run=True, connections=["zd"])
    report = CycleReport(
        "zd", "c1", datetime.now(UTC), tickets=7, writes=3, decisions=7, failing=1, page_limited=True
    )
    report.messages["acknowledge"] += 2
    metrics.record_cycle("zd", report, 0.3, 1_700_000_000.0, ok=True)
    metrics.record_retry("zd", http_error(status=429))
    metrics.record_failure("zd", http_error(status=502), 1)
    text = requests.get(f"{server.url}/metrics", timeout=5).text
    for line in (
        'matrixcore_tickets_seen_total{connection="zd"} 7.0',
        'matrixcore_writes_total{connection="zd"} 3.0',
        'matrixcore_tickets_failing_total{connection="zd"} 1.0',
        'matrixcore_page_limited_cycles_total{connection="zd"} 1.0',
        'matrixcore_messages_total{connection="zd",policy="acknowledge"} 2.0',
        'matrixcore_retries_total{connection="zd",reason="rate_limited"} 1.0',
        'matrixcore_errors_total{connection="zd",kind="server_error"} 1.0',
        'matrixcore_consecutive_failures{connection="zd"} 1.0',
        'matrixcore_last_success_timestamp_seconds{connection="zd"} 1.7e+09',
        'matrixcore_cycles_total{connection="zd",outcome="error"} 0.0',
        'matrixcore_build_info{dry_run="true",version="9.9"} 1.0',
    ):
        assert line in text


def test_health_answers_503_when_unhealthy(served: tuple[DaemonMetrics, MetricsServer, list[bool]]) -> None:
    _, server, healthy = served
    assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok", "why": "test"}
    healthy[0] = False
    answer = requests.get(f"{server.url}/healthz", timeout=5)
    assert (answer.status_code, answer.json()["status"]) == (503, "unhealthy")
    assert requests.get(f"{server.url}/", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/other", timeout=5).status_code == 404


def test_every_metric_is_documented_for_operators() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()
    names = {metric.name for metric in DaemonMetrics().registry.collect()}
    missing = [n for n in sorted(names) if n not in docs and f"{n}_total" not in docs]
    assert missing == [], f"undocumented in docs/operations.md: {missing}"
    assert len(names) >= 15
