"""Prometheus metrics and ``/healthz`` for the daemon, on one small HTTP server.

The metrics are prometheus_client's (the exposition format, content negotiation and the
OpenMetrics variant are its job), kept in a registry of their own so two daemons in one process
(tests) never share counters. Every series is labelled by connection, so a dashboard shows which
ITSM tool is failing, and how (``matrixcore_errors_total{kind="rate_limited"}``).

``/`` is the read-only status page (HTML, see ``matrixcore.status``). ``/healthz`` answers 200
while every connection's last successful cycle is recent and 503 when one
is not (JSON saying which, and its last error), for a container's liveness probe or a load
balancer. ``/metrics`` is the Prometheus endpoint.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any, Final
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    make_wsgi_app,
)

from ._adapter import AdapterError, ConflictError, ReadOnlyError
from ._http import HttpError
from ._sync import CycleReport

__all__ = ["DaemonMetrics", "MetricsServer", "error_kind", "parse_address"]

# Every counter would also export a ``*_created`` series (its creation time): noise on every
# dashboard and twice the series count, and nothing a desk needs. Off for the whole process.
disable_created_metrics()  # type: ignore[no-untyped-call]

#: Cycle durations: from an idle poll (tens of ms) to a first sync of a large tool (tens of minutes).
_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, float("inf"))


def error_kind(error: BaseException | None) -> str:
    """A short, stable label for a failure: ``rate_limited``, ``server_error``, ``timeout``, …"""
    if isinstance(error, HttpError):
        if error.kind == "status" and error.status is not None:
            if error.status == 429:
                return "rate_limited"
            return "server_error" if error.status >= 500 else "refused"
        return error.kind or "request"
    if isinstance(error, ReadOnlyError):
        return "read_only"
    if isinstance(error, ConflictError):
        return "conflict"
    if isinstance(error, AdapterError):
        return "refused" if error.status is not None and error.status < 500 else "adapter"
    return "internal" if error is not None else "none"


class DaemonMetrics:
    """The daemon's counters and gauges; ``record_cycle`` turns a ``CycleReport`` into them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = registry or CollectorRegistry()

        def counter(name: str, doc: str, *labels: str) -> Counter:
            return Counter(f"matrixcore_{name}", doc, labels or ("connection",), registry=r)

        def gauge(name: str, doc: str, *labels: str) -> Gauge:
            return Gauge(f"matrixcore_{name}", doc, labels, registry=r)

        self.tickets = counter("tickets_seen", "Tickets fetched from the tool.")
        self.decisions = counter("decisions", "Decisions recorded.")
        self.writes = counter("writes", "Tickets whose impact/urgency/priority was written.")
        self.unchanged = counter("unchanged", "Tickets seen that already held the decided values.")
        self.agent_kept = counter("agent_kept", "Tickets where an agent's choice was kept.")
        self.timers = counter("timers_fired", "Tickets processed because a timed message fell due.")
        self.refused = counter(
            "tickets_refused", "Tickets the tool refused (gone, changed, a value rejected): set aside."
        )
        self.failing = counter(
            "tickets_failing",
            "Tickets whose writes kept failing while the tool answered (poison): set aside, retried later.",
        )
        self.page_limited = counter(
            "page_limited_cycles", "Cycles ended early because a listing reached max_pages (cursor kept)."
        )
        self.reconciled = counter("reconciled", "Pending messages settled against the tool after a crash.")
        self.messages = counter("messages", "Messages sent, by policy.", "connection", "policy")
        self.cycles = counter("cycles", "Sync cycles, by outcome.", "connection", "outcome")
        self.errors = counter("errors", "Failed cycles, by kind of failure.", "connection", "kind")
        self.retries = counter("retries", "Requests retried, by reason.", "connection", "reason")
        self.duration = Histogram(
            "matrixcore_cycle_duration_seconds",
            "Duration of sync cycles.",
            ("connection",),
            buckets=_BUCKETS,
            registry=r,
        )
        self.last_success = gauge(
            "last_success_timestamp_seconds", "Unix time of the last successful cycle.", "connection"
        )
        self.failures = gauge("consecutive_failures", "Cycles failed in a row (0: healthy).", "connection")
        self.reloads = counter("rules_reloads", "Rules (re)loads, by outcome.", "outcome")
        self.rules_loaded = gauge(
            "rules_loaded_timestamp_seconds", "Unix time the rules in force were loaded."
        )
        self.info = Info("matrixcore_build", "Version and mode of this matrixcore.", registry=r)

    def start(self, version: str, dry_run: bool, connections: Iterable[str]) -> None:
        """Set the info and create every connection's series, so dashboards see zeros, not gaps."""
        self.info.info({"version": version, "dry_run": str(dry_run).lower()})
        for name in connections:
            self.add_connection(name)

    def add_connection(self, name: str) -> None:
        per_connection: tuple[Counter | Gauge | Histogram, ...] = (
            self.tickets,
            self.decisions,
            self.writes,
            self.unchanged,
            self.agent_kept,
            self.timers,
            self.refused,
            self.failing,
            self.page_limited,
            self.reconciled,
            self.duration,
            self.failures,
        )
        for metric in per_connection:
            metric.labels(name)
        for outcome in ("ok", "error"):
            self.cycles.labels(name, outcome)

    def record_cycle(
        self, connection: str, report: CycleReport | None, seconds: float, finished_at: float, ok: bool
    ) -> None:
        """One cycle: what it did (``report`` is ``None`` when the tool could not even be opened)."""
        self.duration.labels(connection).observe(seconds)
        self.cycles.labels(connection, "ok" if ok else "error").inc()
        if ok:
            self.last_success.labels(connection).set(finished_at)
            self.failures.labels(connection).set(0)
        if report is None:
            return
        self.tickets.labels(connection).inc(report.tickets)
        self.decisions.labels(connection).inc(report.decisions)
        self.writes.labels(connection).inc(report.writes)
        self.unchanged.labels(connection).inc(report.unchanged)
        self.agent_kept.labels(connection).inc(report.agent_kept)
        self.timers.labels(connection).inc(report.timers)
        self.refused.labels(connection).inc(report.refused)
        self.failing.labels(connection).inc(report.failing)
        self.page_limited.labels(connection).inc(int(report.page_limited))
        self.reconciled.labels(connection).inc(report.reconciled)
        for policy, count in report.messages.items():
            self.messages.labels(connection, policy).inc(count)

    def record_failure(self, connection: str, error: BaseException | None, failures: int) -> None:
        """A cycle that failed (a tool's error, or one of matrixcore's own)."""
        self.errors.labels(connection, error_kind(error)).inc()
        self.failures.labels(connection).set(failures)

    def record_retry(self, connection: str, error: BaseException | None) -> None:
        self.retries.labels(connection, error_kind(error)).inc()

    def record_reload(self, ok: bool, at: float) -> None:
        self.reloads.labels("ok" if ok else "error").inc()
        if ok:
            self.rules_loaded.set(at)


def parse_address(text: str) -> tuple[str, int]:
    """``127.0.0.1:9464``, ``[::1]:9464``, ``:9464`` (loopback) or ``0.0.0.0:9464`` -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"not a HOST:PORT address: {text!r} (e.g. 127.0.0.1:9464)")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


#: ``(healthy, details)`` for ``/healthz``.
HealthCheck = Callable[[], tuple[bool, Mapping[str, Any]]]
_Start = Callable[[str, list[tuple[str, str]]], Any]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every 15 s are not news
        return None


class MetricsServer:
    """``/metrics`` (Prometheus) and ``/healthz`` on one address, served from a background thread."""

    def __init__(
        self,
        address: tuple[str, int],
        registry: CollectorRegistry,
        health: HealthCheck,
        status: Callable[[], str] | None = None,
    ) -> None:
        self.address = address
        self._metrics = make_wsgi_app(registry)
        self._health = health
        self._status = status
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _app(self, environ: dict[str, Any], start_response: _Start) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):  # it only reads
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
            return [b"read-only: GET or HEAD\n"]
        if path == "/metrics":
            return self._metrics(environ, start_response)  # type: ignore[no-any-return]
        if path in ("/healthz", "/health"):
            healthy, details = self._health()
            body = json.dumps({"status": "ok" if healthy else "unhealthy", **details}, indent=2).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/":
            if self._status is None:
                body = b"matrixcore daemon: /metrics (Prometheus), /healthz (200 healthy, 503 not)\n"
                start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
                return [body]
            page = self._status().encode("utf-8")
            headers = [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(page))),
                # Self-contained: no script, nothing loaded from elsewhere, not framed by other sites.
                (
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
                ("Cache-Control", "no-store"),
            ]
            start_response("200 OK", headers)
            return [page]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found: try /metrics or /healthz\n"]

    def start(self) -> MetricsServer:
        host, port = self.address
        server_class = _Server6 if ":" in host else _Server
        self._server = make_server(
            host, port, self._app, server_class=server_class, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the metrics server is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self.address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
