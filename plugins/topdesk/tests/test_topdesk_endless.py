"""Issue 13 item 7: a TOPdesk that answers 206 ("more pages") forever, and runs that must still stop.

Before: a ``--once`` dry run paged without end (9,656 requests in 10 minutes) and ignored SIGTERM.
Now a page served again is a loop (an error), a listing ends after ``max_pages`` pages with a
warning and the cursor kept, and SIGTERM or SIGINT stop the run within seconds, wherever it is.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import PASSWORD, PASSWORD_ENV, QUICKSTART_RULES, connection_settings, open_adapter

from matrixcore import AdapterError, Engine, load_ruleset
from matrixcore._sync import SyncOptions, sync_connection
from matrixcore.state import StateStore
from matrixcore.testing import Fault, Reply

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: A guard so that the code before the fix cannot hang the suite: past it the emulator answers 500.
CAP = 300


def incident(number: int, modified: datetime) -> dict[str, Any]:
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {
        "id": f"00000000-0000-0000-0000-{number:012d}",
        "number": f"I 2611 {number:03d}",
        "briefDescription": f"Endless {number}",
        "creationDate": stamp,
        "modificationDate": stamp,
        "status": "firstLine",
    }


class EndlessTopdesk(TopdeskServer):
    """``GET /incidents`` always answers 206: the same page (``fresh=False``), or new incidents
    every time (``fresh=True``), optionally slowly."""

    def __init__(self, *, fresh: bool, delay: float = 0.0) -> None:
        super().__init__()
        self.fresh, self.delay = fresh, delay
        self.served = 0
        self._numbers = itertools.count(1)
        self._start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
        self._routes.insert(0, ("GET", __import__("re").compile("/tas/api/incidents"), self._endless))

    def _endless(self, request: Any) -> Reply:
        self.served += 1
        if self.served > CAP:
            return Reply(500, {"message": "test cap reached: the client never stopped"})
        time.sleep(self.delay)
        size = int(request.arg("pageSize") or 10)
        if self.fresh:
            page = [
                incident(n, self._start + timedelta(seconds=n)) for n in itertools.islice(self._numbers, size)
            ]
        else:
            page = [incident(n, self._start) for n in range(1, size + 1)]
        return Reply(206, page)


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def test_the_same_page_again_is_a_loop_not_more_pages(password: None) -> None:
    with EndlessTopdesk(fresh=False) as topdesk:
        adapter = open_adapter(connection_settings(topdesk, page_size=5))
        with pytest.raises(AdapterError, match="same page of incidents again"):
            for _ in adapter.fetch(None):
                pass
        assert topdesk.served <= 5
        adapter.close()


def test_a_listing_ends_after_max_pages_with_the_cursor_kept(password: None, tmp_path: Path) -> None:
    with EndlessTopdesk(fresh=True) as topdesk, StateStore(tmp_path / "state.db") as store:
        adapter = open_adapter(connection_settings(topdesk, page_size=5, max_pages=20), read_only=True)
        engine = Engine(load_ruleset(QUICKSTART_RULES))
        now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        report = sync_connection("td", adapter, store, engine, now, options=SyncOptions(dry_run=True))
        assert report.ok
        assert report.page_limited
        assert topdesk.served == 20
        assert 0 < report.tickets <= 20 * 5  # what the pages delivered was processed
        assert store.cursor("td") == report.cursor is not None  # the last batch's cursor, kept
        adapter.close()


def _config(tmp_path: Path, topdesk: TopdeskServer, **settings: Any) -> Path:
    path = tmp_path / "matrixcore.yaml"
    connection = {"adapter": "topdesk", **connection_settings(topdesk, **settings)}
    document = {
        "rules": str(QUICKSTART_RULES),
        "state": {"path": str(tmp_path / "state.db")},
        "connections": {"desk": connection},
    }
    path.write_text(yaml.safe_dump(document))
    return path


def _run(config: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, PASSWORD_ENV: PASSWORD}
    env.pop("MATRIXCORE_STATE", None)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "matrixcore", "run", "--config", str(config), *args],
            stdout=out,
            stderr=out,
            env=env,
        )


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("where", ["paging", "back-off"])
def test_a_signal_stops_a_once_dry_run_within_seconds(tmp_path: Path, signum: int, where: str) -> None:
    """Paging through a TOPdesk that never stops saying 206, or sleeping out its Retry-After: 60
    between retries, a ``--once --dry-run`` stops within a few seconds of one signal."""
    with EndlessTopdesk(fresh=True, delay=0.05) as topdesk:
        retry = {"max_attempts": 20, "backoff_base": 1, "max_wait": 60}
        if where == "back-off":
            topdesk.inject(Fault.server_error(503, retry_after=60), path="/tas/api/incidents", times=None)
        config = _config(tmp_path, topdesk, page_size=5, max_pages=100000, retry=retry)
        log = tmp_path / "run.log"
        process = _run(config, log, "--once", "--dry-run")
        try:
            least = 2 if where == "paging" else 1  # back-off: the first answer asks for 60 s
            _wait_for(lambda: len(topdesk.requests_to("/tas/api/incidents")) >= least)
            time.sleep(0.3)
            process.send_signal(signum)
            sent = time.monotonic()
            code = process.wait(15)
            took = time.monotonic() - sent
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert took < 10, f"took {took:.1f}s to stop\n{log.read_text()[-2000:]}"
        assert code == 0, log.read_text()[-2000:]
        assert "Traceback" not in log.read_text()
        assert {r.method for r in topdesk.requests} == {"GET"}
