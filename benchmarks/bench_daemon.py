"""The daemon's cycle against a local helpdesk over real HTTP: speed, and requests per ticket.

Cycle 1 syncs N new tickets (each needs its priority written and an acknowledgement posted). The
tool bumps a ticket's update time on every write, so the same cycle reads each ticket a second
time on its later pages: that re-read (invariant 5) must write nothing. Cycle 2 has nothing changed
and must cost one request.

Goals (issues 9 and 17): no write request for an unchanged ticket, one write request per new ticket
where the API takes the priority and a message in one update (the helpdesk's PATCH with a message,
through the adapter's optional ``apply_update``), and an idle cycle costs one request per connection
per poll. ``--separate`` hides ``apply_update`` (two requests, as before it existed), and the three
vendor emulators (TOPdesk, ServiceNow, Zendesk) are measured both ways with ``--vendors``. The time
is this process's CPU time: it includes the emulator's (a thread here) and excludes waiting for the
state file's fsyncs (SQLite, WAL, synchronous=FULL). The session is matrixcore's own (proxy settings
resolved once per host), as the daemon's adapters use.

    python benchmarks/bench_daemon.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Row
from daemon_support import SUBJECTS, rules_text
from matrixcore_helpdesk.adapter import HelpdeskAdapter
from matrixcore_helpdesk.emulator import HelpdeskEmulator

from matrixcore import AdapterContext, ConnectionConfig, Engine, Secret, parse_ruleset
from matrixcore._session import Session
from matrixcore._sync import sync_connection
from matrixcore.state import StateStore

#: The daemon tests' rules (tests/daemon_support.py), P1 given an hour so no warning falls due.
RULES = rules_text(p1_pickup="1h", warning_at="80%")


def _methods(server: HelpdeskEmulator, since: int) -> Counter[str]:
    return Counter(r.method for r in server.requests[since:])


class Separate:
    """An adapter with ``apply_update`` hidden: the priority and each message in requests of their own."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        if name == "apply_update":
            raise AttributeError(name)
        return getattr(self._adapter, name)


def run(
    n: int, *, separate: bool = False, session_type: type[requests.Session] = Session
) -> dict[str, float]:
    """One changed and one idle cycle over ``n`` new tickets, through a session of ``session_type``."""
    engine = Engine(parse_ruleset(RULES))
    results: dict[str, float] = {}
    with HelpdeskEmulator() as server, tempfile.TemporaryDirectory() as folder, session_type() as session:
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
        connection = ConnectionConfig("hd", "helpdesk", settings)
        helpdesk = HelpdeskAdapter(connection, AdapterContext(session=session))
        adapter: Any = Separate(helpdesk) if separate else helpdesk
        with StateStore(Path(folder) / "state.sqlite3") as store:
            for label in ("changed", "idle"):
                before = len(server.requests)
                started = time.process_time()
                report = sync_connection("hd", adapter, store, engine, datetime.now(UTC))
                seconds = time.process_time() - started
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
                results[f"{label}_messages"] = sum(report.messages.values())
                results[f"{label}_writes"] = report.writes
                results[f"{label}_tickets"] = report.tickets
        adapter.close()
        posted = sum(len(m) for m in server.messages.values())
    changed = n
    writes = results["changed_patches"] + results["changed_posts"]
    results["changed_write_requests"] = writes
    print(
        f"changed cycle: {results['changed_requests'] / changed:.2f} HTTP requests per ticket, "
        f"{writes / changed:.2f} of them writes ({results['changed_patches'] / changed:.2f} PATCH, "
        f"{results['changed_posts'] / changed:.2f} POST; the rest pages read)"
    )
    goals = [
        ("at most one write request per new ticket", writes <= changed or separate),
        ("no write for an unchanged ticket (own writes seen again)", results["changed_patches"] == changed),
        ("no message twice", posted == results["changed_messages"] == changed),
        ("an idle cycle costs one request", results["idle_requests"] == 1),
    ]
    for goal, met in goals:
        print(f"  {'met   ' if met else 'MISSED'} {goal}")
    return results


def rows(n: int = 10_000) -> list[Row]:
    """The daemon's figures for ``benchmarks/run.py`` (CPU time of the process, emulator included)."""
    plain = run(n, session_type=requests.Session)
    results = run(n)
    writes = results["changed_write_requests"] / n
    rate, before = results["changed_tickets_per_second"], plain["changed_tickets_per_second"]
    return [
        Row(
            f"daemon, new tickets synced per CPU-s ({n:,}, emulator's CPU included)",
            f"{rate:,.0f}",
            f"requests.Session {before:,.0f}",
            f"{rate / before:.2f}x",
            "proxy env read once",
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
    numbers = [a for a in argv if not a.startswith("--")]
    n = int(numbers[0]) if numbers else 10_000
    run(n, separate="--separate" in argv)
    if "--vendors" in argv:
        from bench_vendor_writes import vendor_writes

        vendor_writes(min(n, 200))


if __name__ == "__main__":
    main(sys.argv[1:])
