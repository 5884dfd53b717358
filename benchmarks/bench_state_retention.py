"""The state file after a million decisions, without and with retention (issue 13, item 10).

A state file is filled with ``N`` decisions (default 1,000,000) as a year of a daemon's cycles would
leave them: real decision records (copied from a real cycle's audit log, about 1.4 KB each) for 10,000
tickets of one connection, a fifth of them open, spread evenly over the last 365 days. Then:

* before: the file's size (file + WAL), and the CPU time of a sync cycle of 200 new tickets against
  the local helpdesk over HTTP (the emulator runs in this process, so its CPU is included);
* the prune with the default retention (90 days): its CPU time and what it dropped;
* after: the same size and the same cycle.

Cycle times are CPU seconds (``time.process_time``) over ``ROUNDS`` rounds: median (min-max).

    python benchmarks/bench_state_retention.py [N]

Measured on the shared 2-core machine (1,000,000 decisions): the file 1,380.3 MiB before, 350.5 MiB
after (753,433 decisions dropped in 20.2 CPU s); a cycle of 200 new tickets 1.595 CPU s (1.337-1.727)
before, 1.652 CPU s (1.592-1.911) after: no difference beyond noise.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from daemon_support import SUBJECTS, rules_text
from matrixcore_helpdesk.adapter import HelpdeskAdapter
from matrixcore_helpdesk.emulator import HelpdeskEmulator

from matrixcore import AdapterContext, ConnectionConfig, Engine, Secret, parse_ruleset
from matrixcore._sync import sync_connection
from matrixcore.state import Retention, StateStore

RULES = rules_text(p1_pickup="1h", warning_at="80%")
ROUNDS = 5
PER_CYCLE = 200
TICKETS = 10_000


def _fill(store: StateStore, n: int, now: datetime) -> None:
    """``n`` decisions: the real ones of the first cycle, copied over 10,000 tickets and a year."""
    db = store._db  # the benchmark fills the file directly: a million records through the API is slow
    with store.transaction():
        samples = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
        db.execute(
            "INSERT INTO tickets (connection, ticket_id, number, snapshot, closed) "
            "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < ?) "
            "SELECT 'hd', 'f' || k, 'F' || k, (SELECT snapshot FROM tickets LIMIT 1), k % 5 != 0 FROM i",
            (TICKETS - 1,),
        )
        start = (now - timedelta(days=365)).timestamp()
        step = 365 * 86400 / n
        db.execute(
            "INSERT INTO decisions "
            "(connection, ticket_id, cycle, decided_at, priority, decision, written, note) "
            "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < ?) "
            "SELECT 'hd', 'f' || (k % ?), 'cycle-' || (k / 200), "
            "strftime('%Y-%m-%dT%H:%M:%f+00:00', ? + k * ?, 'unixepoch'), "
            "d.priority, d.decision, d.written, '' "
            "FROM i JOIN decisions d ON d.id = 1 + k % ?",
            (n - 1, TICKETS, start, step, samples),
        )


def _cycle(server: HelpdeskEmulator, adapter: HelpdeskAdapter, store: StateStore, engine: Engine) -> float:
    for i in range(PER_CYCLE):
        server.add_ticket(
            subject=SUBJECTS[i % len(SUBJECTS)],
            requester={"name": f"R{i}", "email": f"r{i}@example.com", "language": "en"},
        )
    started = time.process_time()
    report = sync_connection("hd", adapter, store, engine, datetime.now(UTC))
    seconds = time.process_time() - started
    assert report.ok, report.error
    return seconds


def _line(label: str, store: StateStore, times: list[float]) -> None:
    print(
        f"{label:7}: {store.counts()['decisions']:9,} decisions, file {store.size_bytes() / 2**20:8.1f} MiB; "
        f"a cycle of {PER_CYCLE} new tickets {statistics.median(times):.3f} CPU s "
        f"({min(times):.3f}-{max(times):.3f}, {ROUNDS} rounds)"
    )


def _desk(server: HelpdeskEmulator, session: requests.Session) -> HelpdeskAdapter:
    settings = {
        "base_url": server.url,
        "auth": {"type": "bearer", "token": Secret(server.token)},
        "page_size": 100,
        "priority_map": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"},
    }
    return HelpdeskAdapter(ConnectionConfig("hd", "helpdesk", settings), AdapterContext(session=session))


def run(n: int) -> dict[str, float]:
    """Two identical files (each with its own identical helpdesk), one left as is, one pruned; their
    cycles alternate so the machine's noise falls on both alike."""
    engine = Engine(parse_ruleset(RULES))
    now = datetime.now(UTC)
    out: dict[str, float] = {}
    with (
        HelpdeskEmulator() as server_a,
        HelpdeskEmulator() as server_b,
        tempfile.TemporaryDirectory() as folder,
        requests.Session() as session,
    ):
        desks = {
            "before": (server_a, _desk(server_a, session)),
            "after": (server_b, _desk(server_b, session)),
        }
        stores = {label: StateStore(Path(folder) / f"{label}.sqlite3") for label in desks}
        for label, (server, adapter) in desks.items():
            _cycle(server, adapter, stores[label], engine)  # real decisions to copy
            started = time.perf_counter()
            _fill(stores[label], n, now)
            stores[label]._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            print(f"{label}: filled {n:,} decisions in {time.perf_counter() - started:.0f}s wall")
        print(f"file   : {stores['before'].size_bytes() / 2**20:.1f} MiB with {n:,} decisions")
        cpu = time.process_time()
        pruned = stores["after"].prune(Retention(), datetime.now(UTC))
        cpu = time.process_time() - cpu
        print(
            f"prune  : {pruned.decisions:,} decisions and {pruned.timers:,} closed timers dropped, "
            f"{pruned.freed_bytes / 2**20:.1f} MiB given back, in {cpu:.1f} CPU s"
        )
        out["prune_cpu_s"] = cpu
        times: dict[str, list[float]] = {label: [] for label in desks}
        for _ in range(ROUNDS):
            for label, (server, adapter) in desks.items():
                times[label].append(_cycle(server, adapter, stores[label], engine))
        for label, store in stores.items():
            _line(label, store, times[label])
            out[f"{label}_mib"] = store.size_bytes() / 2**20
            out[f"{label}_cycle_s"] = statistics.median(times[label])
            store.close()
        for _, adapter in desks.values():
            adapter.close()
    return out


def main(argv: list[str]) -> None:
    run(int(argv[0]) if argv else 1_000_000)


if __name__ == "__main__":
    main(sys.argv[1:])
