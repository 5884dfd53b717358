"""The daemon's status page at ``/``: what a desk lead sees, read-only, rendered in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from daemon_support import TOKEN, Helpdesk, rules_text
from pngdata import decode
from test_daemon import Running, make_daemon, synced, wait_for
from test_report_browser import _chromium

TEAL = (0x00, 0x79, 0x6B)


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HD_TOKEN", TOKEN)
    monkeypatch.delenv("MATRIXCORE_STATE", raising=False)


@pytest.fixture
def desk() -> Iterator[Helpdesk]:
    with Helpdesk() as server:
        yield server
        assert not server.errors, server.errors


class _Page(HTMLParser):
    """Headings, the rows of each table by its id, and anything that could run or write."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.rows: dict[str, list[list[str]]] = {}
        self.active: list[str] = []  # script, form, input, button, iframe: must stay empty
        self._text: list[str] | None = None
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "form", "input", "button", "iframe", "object", "embed"):
            self.active.append(tag)
        if any(name.startswith("on") for name in found):
            self.active.append(f"{tag} handler")
        if tag in ("br", "div") and self._cell is not None:
            self._cell.append(" ")
        if tag in ("h1", "h2"):
            self._text = []
        if tag == "table":
            self._table = found.get("id") or ""
            self.rows[self._table] = []
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._in_body:
            self._row = []
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2") and self._text is not None:
            self.headings.append("".join(self._text).strip())
            self._text = None
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None and self._table is not None:
            self.rows[self._table].append(self._row)
            self._row = None
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        for part in (self._text, self._cell):
            if part is not None:
                part.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_the_page_shows_connections_promises_decisions_and_rules(tmp_path: Path, desk: Helpdesk) -> None:
    desk.seed(4)
    # P1 within 20 minutes: no timer fires while the test compares the page with the state file.
    daemon = make_daemon(
        tmp_path, {"alpha": desk}, rules=rules_text(p1_pickup="20m"), metrics_address=("127.0.0.1", 0)
    )
    with Running(daemon):
        wait_for(lambda: daemon.server is not None and synced(desk), timeout=30)
        assert daemon.server is not None
        url = daemon.server.url
        # Once the first cycle has ended (decisions show up while it runs).
        answer = wait_for(
            lambda: (
                (r := requests.get(f"{url}/", timeout=5))
                and "HD-1004" in r.text
                and " written, " in r.text
                and r
            ),
            timeout=30,
        )
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "script-src" not in answer.headers["Content-Security-Policy"]  # default-src 'none'
        page = _parse(answer.text)
        assert page.active == []
        assert page.headings[0] == "matrixcore status"
        assert page.headings[1:5] == [
            "Connections",
            page.headings[2],
            "Recent decisions and messages",
            "Rules in force",
        ]
        assert page.headings[2].startswith("Promises at risk and warnings due next")
        (alpha,) = page.rows["connections"]
        assert alpha[0] == "alpha helpdesk"
        assert alpha[1] == "healthy"
        assert re.match(r"\d+ tickets, \d+ written, \d+ messages in [\d.]+ s", alpha[4])
        decided = {row[1].split()[0]: row for row in page.rows["decisions"]}
        assert set(decided) == {"HD-1001", "HD-1002", "HD-1003", "HD-1004"}
        first = decided["HD-1001"]
        assert first[4].startswith("impact ")  # what was written
        assert "acknowledge" in first[6]
        assert "to the requester" in first[6]
        assert "Ticket HD-1001: we will pick it up by" in first[6]  # the text that went out
        assert "matrix" in first[5]  # why: what set each value
        # Every open ticket has its warning timer: a promise, with when it is due.
        promised = {row[1] for row in page.rows["promises"]}
        timers = daemon.store.due_tickets("alpha", daemon.clock() + timedelta(hours=24))
        expected = {s.number for s in timers if not (s.snapshot or {}).get("first_response")}
        assert promised == expected
        assert promised  # the seeded desk has open promises
        assert all(row[0] in ("on track", "at risk", "missed") for row in page.rows["promises"])
        assert all(
            re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d$", row[5])
            for row in page.rows["promises"]
        )
        assert "last load succeeded" in answer.text
        # Read-only: nothing but GET and HEAD, on any path.
        before = len(desk.requests)
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            refused = requests.request(method, f"{url}/", data=b"x", timeout=5)
            assert refused.status_code == 405
            assert refused.headers["Allow"] == "GET, HEAD"
        assert requests.post(f"{url}/metrics", timeout=5).status_code == 405
        assert len(desk.requests) >= before  # the tool saw nothing because of them
        # A refused reload says so, and that the last good rules stay in force.
        (tmp_path / "rules.yaml").write_text("version: 1\nmatrix: [broken\n", encoding="utf-8")
        assert daemon.reload(force=True) is False
        page_text = requests.get(f"{url}/", timeout=5).text
        assert "last reload refused" in page_text
        assert "the rules below stay in force" in page_text


def test_chromium_renders_the_status_page(tmp_path: Path, desk: Helpdesk) -> None:
    desk.seed(3)
    daemon = make_daemon(tmp_path, {"alpha": desk}, metrics_address=("127.0.0.1", 0))
    with Running(daemon):
        wait_for(lambda: daemon.server is not None and synced(desk), timeout=30)
        assert daemon.server is not None
        url = f"{daemon.server.url}/"
        wait_for(lambda: "HD-1003" in requests.get(url, timeout=5).text, timeout=30)
        dom = _chromium(tmp_path, "--dump-dom", url)
        assert dom.returncode == 0, dom.stderr[-2000:]
        page = _parse(dom.stdout)
        assert page.headings[0] == "matrixcore status"
        assert "Recent decisions and messages" in page.headings
        assert len(page.rows["decisions"]) == 3
        assert page.active == []
        shot = tmp_path / "status.png"
        result = _chromium(tmp_path, "--window-size=1280,900", f"--screenshot={shot}", url)
        assert result.returncode == 0, result.stderr[-2000:]
    image = decode(shot.read_bytes())
    assert (image.width, image.height) == (1280, 900)
    assert image.pixel(4, 4) == TEAL  # the header band is painted: styles inline, nothing fetched
    assert image.count(TEAL, tolerance=3) > 1280 * 40


def test_the_status_page_is_on_loopback_by_default() -> None:
    from matrixcore._metrics import parse_address

    assert parse_address(":9464") == ("127.0.0.1", 9464)
