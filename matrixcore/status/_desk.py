"""Desk-level metrics: what a desk lead asks of the daemon, beside the per-cycle counters.

* ``matrixcore_open_timers{connection}``: open tickets with a timed message still to come, and
  ``matrixcore_tickets_at_risk{connection}``: those not picked up whose next warning or missed-target
  message is due within the hour (or overdue). Both are read from the state store at scrape time,
  so they are right after a restart too.
* ``matrixcore_promises_total{connection,priority,channel,outcome}``: pickup promises settled, ``met``
  (picked up by the promised moment) or ``missed`` (picked up later, or still waiting after it),
  counted once per ticket when the daemon first sees the outcome. A restart forgets which tickets
  were counted: a settled ticket that changes again after a restart is counted again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from matrixcore._decision import Decision
from matrixcore._ticket import Ticket
from matrixcore.hookspecs import hookimpl

if TYPE_CHECKING:
    from matrixcore._adapter import PriorityChange
    from matrixcore.state import StateStore

__all__ = ["AT_RISK_WITHIN", "DeskCollector", "PromiseOutcomes"]

#: A waiting ticket whose next timed message falls within this window is at risk.
AT_RISK_WITHIN: Final = timedelta(hours=1)


class DeskCollector(Collector):
    """Open timers and tickets at risk per connection, read from the state store on each scrape."""

    def __init__(
        self, store: StateStore, connections: Callable[[], Collection[str]], clock: Callable[[], datetime]
    ) -> None:
        self.store, self.connections, self.clock = store, connections, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        timers = GaugeMetricFamily(
            "matrixcore_open_timers",
            "Open tickets with a timed message (a warning, a missed-target message) still to come.",
            labels=("connection",),
        )
        at_risk = GaugeMetricFamily(
            "matrixcore_tickets_at_risk",
            "Open tickets not picked up whose next warning or missed-target message is due within the hour.",
            labels=("connection",),
        )
        names = set(self.connections())
        summaries = {s.connection: s for s in self.store.summaries()}
        horizon = self.clock() + AT_RISK_WITHIN
        for name in sorted(names):
            summary = summaries.get(name)
            timers.add_metric([name], summary.open_timers if summary else 0)
            due = self.store.due_tickets(name, horizon, limit=100_000)
            waiting = sum(1 for s in due if not (s.snapshot or {}).get("first_response"))
            at_risk.add_metric([name], waiting)
        yield timers
        yield at_risk


class PromiseOutcomes:
    """Counts each ticket's pickup promise once it is settled (an observer of decision_recorded)."""

    def __init__(self, registry: CollectorRegistry, clock: Callable[[], datetime]) -> None:
        self.promises = Counter(
            "matrixcore_promises",
            "Pickup promises settled: met (picked up by the promised moment) or missed.",
            ("connection", "priority", "channel", "outcome"),
            registry=registry,
        )
        self.clock = clock
        self._settled: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @hookimpl
    def matrixcore_decision_recorded(
        self,
        connection: str,
        ticket: Ticket,
        decision: Decision,
        change: PriorityChange | None,
        dry_run: bool,
    ) -> None:
        promised = decision.pickup_by
        if promised is None:
            return
        picked = ticket.first_response
        if picked is not None:
            outcome = "met" if picked <= promised else "missed"
        elif self.clock() > promised:
            outcome = "missed"
        else:
            return  # still open, still in time
        key = (connection, ticket.id)
        with self._lock:
            if key in self._settled:
                return
            self._settled.add(key)
        self.promises.labels(connection, decision.priority, ticket.channel or "unknown", outcome).inc()
