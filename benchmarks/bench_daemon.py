"""The daemon's cycle against a local helpdesk over real HTTP: speed, and requests per ticket.

Cycle 1 syncs N new tickets (each needs its priority written and an acknowledgement posted). The
tool bumps a ticket's update time on every write, so the same cycle reads each ticket a second
time on its later pages: that re-read (invariant 5) must write nothing. Cycle 2 has nothing changed
and must cost one request.

Goals (issue 9): no write request for an unchanged ticket, at most one write request per changed
ticket where the API allows it (the helpdesk takes impact, urgency and priority in one PATCH; the
acknowledgement is a message, a request of its own), and an idle cycle costs one request per
connection per poll. The time includes the emulator (in this process, on the same cores) and the
state file's fsyncs (SQLite, WAL, synchronous=FULL).

    python benchmarks/bench_daemon.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Row
from daemon_support import SUBJECTS, rules_text
from matrixcore_helpdesk.adapter import HelpdeskAdapter
from matrixcore_helpdesk.emulator import HelpdeskEmulator

from matrixcore import AdapterContext, ConnectionConfig, Engine, Secret, parse_ruleset
from matrixcore._sync import sync_connection
from matrixcore.state import StateStore

#: The daemon tests' rules (tests/daemon_support.py), P1 given an hour so no warning falls due.
RULES = rules_text(p1_pickup="1h", warning_at="80%")


def _methods(server: HelpdeskEmulator, since: int) -> Counter[str]:
    return Counter(r.method for r in server.requests[since:])


def run(n: int) -> dict[str, float]:
    engine = Engine(parse_ruleset(RULES))
    results: dict[str, float] = {}
    with HelpdeskEmulator() as server, tempfile.TemporaryDirectory() as folder, requests.Session() as session:
        for i in range(n):
            server.add_ticket(
                subject=SUBJECTS[i % len(SUBJECTS)],
                requester={"name": f"R{i}", "email": f"r{i}@example.com", "language": "en"},
            )
        settings = {
            "base_url": server.url,
            "auth": {"type": "bearer", "token": Secret(server.token)},
            "page_size": 100,
            "priority_map": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"},
        }
        adapter = HelpdeskAdapter(
            ConnectionConfig("hd", "helpdesk", settings), AdapterContext(session=session)
        )
        with StateStore(Path(folder) / "state.sqlite3") as store:
            for label in ("changed", "idle"):
                before = len(server.requests)
                started = time.perf_counter()
                report = sync_connection("hd", adapter, store, engine, datetime.now(UTC))
                seconds = time.perf_counter() - started
                assert report.ok, report.error
                methods = _methods(server, before)
                requests_made = sum(methods.values())
                distinct = n if label == "changed" else report.tickets
                by_method = ", ".join(f"{m} {c}" for m, c in sorted(methods.items()))
                print(
                    f"cycle {label:7}: {distinct:6} tickets in {seconds:6.2f}s "
                    f"({distinct / seconds if distinct else 0:5.0f} tickets/s; {report.tickets} read), "
                    f"{requests_made:6} requests ({by_method}), "
                    f"{report.writes} priority writes, {sum(report.messages.values())} messages"
                )
                results[f"{label}_tickets_per_second"] = distinct / seconds if distinct else 0.0
                results[f"{label}_requests"] = requests_made
                results[f"{label}_patches"] = methods["PATCH"]
                results[f"{label}_posts"] = methods["POST"]
                results[f"{label}_writes"] = report.writes
                results[f"{label}_tickets"] = report.tickets
        adapter.close()
    changed = n
    print(
        f"changed cycle: {results['changed_requests'] / changed:.2f} HTTP requests per ticket "
        f"({results['changed_patches'] / changed:.2f} priority writes + "
        f"{results['changed_posts'] / changed:.2f} messages per ticket, the rest pages read)"
    )
    goals = [
        ("at most one priority write per changed ticket", results["changed_patches"] <= changed),
        ("no write for an unchanged ticket (own writes seen again)", results["changed_patches"] == changed),
        ("no message twice", results["changed_posts"] == changed),
        ("an idle cycle costs one request", results["idle_requests"] == 1),
    ]
    for goal, met in goals:
        print(f"  {'met   ' if met else 'MISSED'} {goal}")
    return results


def rows(n: int = 10_000) -> list[Row]:
    """The daemon's figures for ``benchmarks/run.py`` (wall time here: the emulator shares the process)."""
    results = run(n)
    writes = (results["changed_patches"] + results["changed_posts"]) / n
    return [
        Row(
            f"daemon, new tickets synced per second (wall, {n:,} tickets, emulator in-process)",
            f"{results['changed_tickets_per_second']:,.0f}",
        ),
        Row(
            "daemon, write requests per new ticket (priority + acknowledgement)",
            f"{writes:.2f}",
            goal="1",
            met=writes <= 1,
        ),
        Row(
            "daemon, requests of an idle cycle",
            f"{results['idle_requests']:.0f}",
            goal="1",
            met=results["idle_requests"] == 1,
        ),
    ]


def main(argv: list[str]) -> None:
    run(int(argv[0]) if argv else 10_000)


if __name__ == "__main__":
    main(sys.argv[1:])
