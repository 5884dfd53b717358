"""Dividing the connections among daemons that share a PostgreSQL state: leases with a fencing epoch.

Each connection has a row in ``leases``. A daemon claims free or expired rows (``FOR UPDATE SKIP
LOCKED``: claims never wait for each other), each claim raising the row's epoch; it renews what it
holds every ``ttl / 3`` and the store's fence checks owner and epoch on every write, so a daemon
whose lease was taken over (it was paused, or cut off from the database) has every later write
rejected. The time is the database's, so the daemons' clocks need not agree.

Fair shares: each daemon heartbeats in ``daemons``; with ``live`` daemons and ``n`` connections each
holds at most ``ceil(n / live)``, so a joining daemon is given connections by the others releasing
their surplus (a connection in a cycle when it is found surplus starts no other and is released when
the cycle ends), and a leaving one's are claimed once its lease expires (at
once when it stops gracefully: it releases them).
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from ._postgres import PostgresStateStore, connect

__all__ = ["LeaseManager"]

#: How long a daemon's first round waits between its heartbeat and its first claim, so daemons that
#: start together share from the start instead of the first one taking everything.
_JOIN_WINDOW = 1.0

logger = logging.getLogger("matrixcore.leases")


class _LeaseMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.owned = Gauge(
            "matrixcore_lease_connections_owned", "Connections this daemon holds.", registry=registry
        )
        self.renewals = Counter(
            "matrixcore_lease_renewals", "Leases renewed by this daemon.", registry=registry
        )
        self.takeovers = Counter(
            "matrixcore_lease_takeovers",
            "Expired leases of another daemon claimed by this one.",
            registry=registry,
        )
        self.lost = Counter(
            "matrixcore_lease_lost", "Leases this daemon found taken over when renewing.", registry=registry
        )
        self.fenced = Counter(
            "matrixcore_state_fenced_writes",
            "Writes rejected because this daemon no longer held the connection's lease.",
            ("connection",),
            registry=registry,
        )


class LeaseManager:
    """The lease side of one daemon: ``round()`` every ``heartbeat`` seconds from its own thread."""

    def __init__(
        self,
        store: PostgresStateStore,
        connections: Collection[str],
        *,
        ttl: float,
        registry: CollectorRegistry,
        busy: Callable[[str], bool] = lambda name: False,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.owner = store.owner
        self.connections = sorted(connections)
        self.ttl = ttl
        self.heartbeat = ttl / 3
        self.busy = busy
        self.on_change = on_change
        self.metrics = _LeaseMetrics(registry)
        store.fences = {}
        store.on_fenced = lambda connection: self.metrics.fenced.labels(connection).inc()
        self._db: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leases", daemon=True)
        #: The database could not be reached in the last round (``/healthz`` says so).
        self.error: str | None = None
        #: This daemon's fair share in the last round.
        self.fair = 0
        #: Surplus connections to give up as soon as their cycle in progress ends (none starts).
        self.releasing: set[str] = set()
        self._rounds = 0

    # -- what this daemon holds --------------------------------------------------------------------
    def owned(self) -> list[str]:
        return sorted((self.store.fences or {}).keys())

    def owns(self, connection: str) -> bool:
        """May a cycle of ``connection`` start here now (held, not lapsed, not being given up)?"""
        fences = self.store.fences or {}
        return (
            connection in fences
            and connection not in self.releasing
            and time.monotonic() <= self.store.deadlines.get(connection, 0.0)
        )

    def health(self) -> dict[str, Any]:
        """For ``/healthz``: who this daemon is and which connections it answers for."""
        return {
            "daemon": self.owner,
            "owned_connections": self.owned(),
            "lease_ttl_seconds": self.ttl,
            "error": self.error,
        }

    def set_connections(self, connections: Collection[str]) -> None:
        """After a reload: claim only what is configured; give up what was removed."""
        self.connections = sorted(connections)

    # -- the thread --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and release every lease, so the other daemons take over at once."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.heartbeat + 10)
        try:
            self._release(self.owned())
            self._sql("DELETE FROM daemons WHERE daemon = %s", (self.owner,))
        except Exception as exc:  # the database is away: the leases expire by themselves
            logger.warning("could not release the leases (they expire in %ss): %s", self.ttl, exc)
        if self._db is not None:
            self._db.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.round()
                if self.error:
                    logger.info("the state database is back: leases renewed")
                self.error = None
            except Exception as exc:
                if self.error is None:
                    logger.error(
                        "cannot renew the leases (%s): the connections stop writing when their leases "
                        "lapse, and resume once the database is back",
                        exc,
                    )
                self.error = str(exc)
                if self._db is not None and (self._db.closed or self._db.broken):
                    self._db = None
            self._stop.wait(max(0.0, self.heartbeat - (time.monotonic() - started)))

    def _sql(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        if self._db is None:
            self._db = connect(self.store.url, application=f"matrixcore leases {self.owner}")
        cursor = self._db.execute(sql, args)
        return list(cursor.fetchall()) if cursor.description else []

    # -- one round ---------------------------------------------------------------------------------
    def round(self) -> None:
        """Heartbeat, renew, then give up a surplus or claim a fair share."""
        ttl = f"{self.ttl} seconds"
        self._sql(
            "INSERT INTO daemons (daemon, host) VALUES (%s, %s) "
            "ON CONFLICT (daemon) DO UPDATE SET heartbeat_at = now()",
            (self.owner, socket.gethostname()),
        )
        self._sql(
            "INSERT INTO leases (connection) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
            (self.connections,),
        )
        self._rounds += 1
        if self._rounds == 1:  # daemons started together see each other before the first claim
            time.sleep(min(_JOIN_WINDOW, self.heartbeat))
        self._renew(ttl)
        live = self._sql(
            "SELECT count(*) AS n FROM daemons WHERE heartbeat_at > now() - %s::interval", (ttl,)
        )[0]["n"]
        fair = math.ceil(len(self.connections) / max(1, int(live)))
        owned = self.owned()
        removed = [c for c in owned if c not in self.connections]
        kept = [c for c in owned if c in self.connections]
        # Give up the surplus, idle connections first; a busy one after its cycle (none starts now).
        kept.sort(key=lambda c: (c not in self.releasing, self.busy(c)))
        self.releasing = set(kept[: max(0, len(kept) - fair)])
        surplus = [c for c in self.releasing if not self.busy(c)]
        self.releasing -= set(surplus)
        if removed or surplus:
            self._release(removed + surplus)
            logger.info(
                "released %s (%d daemons share %d connections)",
                ", ".join(removed + surplus),
                live,
                len(self.connections),
            )
        wanted = fair - len(self.owned())
        if wanted > 0:
            self._claim(wanted, ttl)
        self.metrics.owned.set(len(self.owned()))
        self.fair = fair

    def settle(self, timeout: float) -> None:
        """Claim rounds until this daemon holds its fair share or ``timeout`` passed: what a
        ``--once`` run does first, since a crashed predecessor's leases only lapse after the ttl."""
        deadline = time.monotonic() + timeout
        while True:
            self.round()
            if len(self.owned()) >= self.fair or time.monotonic() >= deadline:
                return
            time.sleep(min(0.2, self.heartbeat))

    def _renew(self, ttl: str) -> None:
        fences = dict(self.store.fences or {})
        if not fences:
            return
        started = time.monotonic()
        rows = self._sql(
            "UPDATE leases l SET expires_at = now() + %s::interval, renewed_at = now() "
            "FROM unnest(%s::text[], %s::bigint[]) AS o(connection, epoch) "
            "WHERE l.connection = o.connection AND l.epoch = o.epoch AND l.owner = %s RETURNING l.connection",
            (ttl, list(fences), list(fences.values()), self.owner),
        )
        kept = {r["connection"] for r in rows}
        for connection in kept:
            self.store.deadlines[connection] = started + self.ttl
        self.metrics.renewals.inc(len(kept))
        lost = [c for c in fences if c not in kept]
        if lost:
            self._drop(lost)
            self.metrics.lost.inc(len(lost))
            logger.warning(
                "lost the lease of %s to another daemon: no more writes for it here", ", ".join(lost)
            )

    def _claim(self, wanted: int, ttl: str) -> None:
        started = time.monotonic()
        rows = self._sql(
            "UPDATE leases l SET owner = %s, epoch = l.epoch + 1, expires_at = now() + %s::interval, "
            "renewed_at = now() FROM (SELECT connection, owner AS previous FROM leases "
            "WHERE connection = ANY(%s::text[]) AND (owner IS NULL OR expires_at < now()) "
            "ORDER BY random() LIMIT %s FOR UPDATE SKIP LOCKED) AS f "
            "WHERE l.connection = f.connection RETURNING l.connection, l.epoch, f.previous",
            (self.owner, ttl, self.connections, wanted),
        )
        if not rows:
            return
        fences = self.store.fences if self.store.fences is not None else {}
        for row in rows:
            self.store.deadlines[row["connection"]] = started + self.ttl
            fences[row["connection"]] = int(row["epoch"])
        self.store.fences = fences
        taken = [r for r in rows if r["previous"] not in (None, self.owner)]
        self.metrics.takeovers.inc(len(taken))
        logger.info(
            "claimed %s%s",
            ", ".join(sorted(r["connection"] for r in rows)),
            f" ({len(taken)} taken over from daemons whose lease expired)" if taken else "",
        )
        self.on_change()

    def _release(self, connections: list[str]) -> None:
        fences = dict(self.store.fences or {})
        self._drop(connections)
        for connection in connections:
            if connection in fences:
                self._sql(
                    "UPDATE leases SET owner = NULL, expires_at = '-infinity' "
                    "WHERE connection = %s AND owner = %s AND epoch = %s",
                    (connection, self.owner, fences[connection]),
                )

    def _drop(self, connections: list[str]) -> None:
        fences = self.store.fences if self.store.fences is not None else {}
        for connection in connections:
            fences.pop(connection, None)
            self.store.deadlines.pop(connection, None)
        self.store.fences = fences
