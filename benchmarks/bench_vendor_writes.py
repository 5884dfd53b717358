"""Write requests per new ticket against the three vendor emulators, with and without ``apply_update``.

Each vendor's emulator (the plugins' test kits, over real HTTP on 127.0.0.1) gets ``n`` new tickets;
one sync cycle classifies them, writes their priority and sends the acknowledgement. Counted: the
non-GET requests the emulator received, per new ticket. "separate" hides the adapter's
``apply_update`` (the sync then writes the priority and posts the message apart, as before it
existed). Every request is also what the plugins' tests check against the vendors' published API
descriptions.

    python benchmarks/bench_vendor_writes.py [N]
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
for folder in ("plugins/topdesk/tests", "plugins/servicenow/tests", "plugins/zendesk/tests"):
    sys.path.insert(0, str(ROOT / folder))

from matrixcore import AdapterContext, Engine, load_ruleset  # noqa: E402
from matrixcore._sync import sync_connection  # noqa: E402
from matrixcore.state import StateStore  # noqa: E402
from matrixcore.testing import FakeClock  # noqa: E402

QUICKSTART = ROOT / "examples" / "quickstart" / "rules.yaml"
#: One desk's worth of subjects (the quick-start rules give them different priorities).
SUBJECTS = ("Outlook is down", "Printer kapot", "Vraag over mijn rooster", "VPN valt steeds weg")

Setup = Callable[[int], Any]


class Separate:
    """An adapter with ``apply_update`` hidden."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        if name == "apply_update":
            raise AttributeError(name)
        return getattr(self._adapter, name)


@contextmanager
def topdesk(n: int) -> Iterator[tuple[Any, Any, datetime]]:
    from matrixcore_topdesk.testing import ManualClock
    from matrixcore_topdesk.testing.server import TopdeskServer
    from topdesk_support import PASSWORD, PASSWORD_ENV, connection_settings, open_adapter

    os.environ[PASSWORD_ENV] = PASSWORD
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    with TopdeskServer(clock=clock) as server:
        for i in range(n):
            server.store.add_incident(SUBJECTS[i % len(SUBJECTS)], caller=f"Caller {i}")
        clock.advance(minutes=1)
        adapter = open_adapter(connection_settings(server, page_size=100))
        yield server, adapter, clock.now
        adapter.close()


@contextmanager
def servicenow(n: int) -> Iterator[tuple[Any, Any, datetime]]:
    from matrixcore_servicenow.testing import ServiceNowEmulator
    from servicenow_support import open_adapter

    os.environ["SN_PASSWORD"] = "integration"
    auth = {"type": "basic", "username": "integration", "password": {"env": "SN_PASSWORD"}}
    mapping = {
        "impact": {"1": ["organisation", "branch"], "2": ["department", "group"], "3": "person"},
        "urgency": {"1": "high", "2": "normal", "3": "low"},
    }
    with ServiceNowEmulator() as server:
        server.instance.add_user("integration", "integration", roles=["itil", "admin"])
        with server.past(8):
            for i in range(n):
                server.instance.insert("incident", {"short_description": SUBJECTS[i % len(SUBJECTS)]})
        context = AdapterContext(
            session=requests.Session(), logger=logging.getLogger("bench"), retry=FakeClock().retry_policy()
        )
        adapter = open_adapter(server, context, auth=auth, mapping=mapping, page_size=100)
        yield server, adapter, datetime.now(UTC)
        adapter.close()


@contextmanager
def zendesk(n: int) -> Iterator[tuple[Any, Any, datetime]]:
    from matrixcore_zendesk.testing import ZendeskServer
    from zendesk_account import connect, open_account

    class Env:
        @staticmethod
        def setenv(name: str, value: str) -> None:
            os.environ[name] = value

    clock = FakeClock()
    with ZendeskServer() as server:
        server.clock.follow(clock.monotonic)
        account = open_account(server)
        for i in range(n):
            account.ticket("piet", SUBJECTS[i % len(SUBJECTS)], minutes_ago=5)
        server.advance()
        adapter = connect(account.settings(page_size=100), clock, Env)
        yield server, adapter, server.clock()
        adapter.close()


VENDORS: dict[str, Callable[[int], Any]] = {"TOPdesk": topdesk, "ServiceNow": servicenow, "Zendesk": zendesk}


def measure(setup: Callable[[int], Any], n: int, *, separate: bool) -> tuple[float, int]:
    """Write requests per new ticket, and the messages the cycle sent."""
    engine = Engine(load_ruleset(QUICKSTART))
    with setup(n) as (server, adapter, now), tempfile.TemporaryDirectory() as folder:
        store = StateStore(Path(folder) / "state.sqlite3")
        try:
            before = len(server.requests)
            report = sync_connection("v", Separate(adapter) if separate else adapter, store, engine, now)
        finally:
            store.close()
        assert report.ok, report.error
        writes = [r for r in server.requests[before:] if r.method not in ("GET", "HEAD")]
        return len(writes) / n, sum(report.messages.values())


def vendor_writes(n: int = 100) -> dict[str, tuple[float, float]]:
    """Per vendor: write requests per new ticket (separate, combined); printed as a table."""
    results: dict[str, tuple[float, float]] = {}
    print(f"write requests per new ticket ({n} new tickets, one cycle, non-GET requests counted):")
    for vendor, setup in VENDORS.items():
        apart, sent_apart = measure(setup, n, separate=True)
        together, sent_together = measure(setup, n, separate=False)
        assert sent_apart == sent_together, (vendor, sent_apart, sent_together)
        results[vendor] = (apart, together)
        print(
            f"  {vendor:10}  separate {apart:.2f} -> apply_update {together:.2f} ({sent_together} messages)"
        )
    return results


if __name__ == "__main__":
    vendor_writes(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
