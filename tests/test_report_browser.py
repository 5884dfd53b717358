"""The HTML report as a person sees it: rendered by headless Chromium (Debian's ``chromium``).

The DOM Chromium builds is read back (headings, heat-map cells and their numbers, one row per ticket
in the tickets table), and a screenshot is decoded to check that the charts are painted in their
colours. Skipped only where Chromium is not installed; ``.ci/run`` installs it and sets
``MATRIXCORE_REQUIRE_CHROMIUM=1``, so in CI a missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pngdata import decode
from test_report_formats import quickstart_report, render

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
#: Colours the page paints at full strength: the fullest heat-map cell that keeps its priority, a
#: bar of promises met, and one of promises missed.
TEAL, GREEN, RED = (0x00, 0x79, 0x6B), (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("MATRIXCORE_REQUIRE_CHROMIUM"):
        pytest.fail("MATRIXCORE_REQUIRE_CHROMIUM is set but chromium is not installed")
    pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    built = quickstart_report()
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render("html", built), encoding="utf-8")
    return path, built.summary


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [_browser(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.cells: list[tuple[str, str, str]] = []
        self.ticket_rows = 0
        self.cards: list[str] = []
        self._heading: list[str] | None = None
        self._cell: list[str] | None = None
        self._card: list[str] | None = None
        self._in_tickets = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.stack.append(tag)
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        if tag == "g" and "cell" in (found.get("class") or "").split():
            self._cell = [str(found.get("data-current")), str(found.get("data-proposed"))]
        if tag == "section":
            self._in_tickets = found.get("id") == "tickets"
        if tag == "tr" and self._in_tickets and "tbody" in self.stack:
            self.ticket_rows += 1
        if tag == "div" and found.get("class") == "n":
            self._card = []

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        if tag == "div" and self._card is not None:
            self.cards.append("".join(self._card))
            self._card = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._card is not None:
            self._card.append(data)
        if self._cell is not None and "text" in self.stack and "title" not in self.stack:
            self.cells.append((self._cell[0], self._cell[1], data))
            self._cell = None


def test_chromium_renders_the_headings_heat_map_and_rows(page, tmp_path):
    path, summary = page
    result = _chromium(tmp_path, "--dump-dom", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    assert dom.headings[0] == "matrixcore report · Servicedesk Voorbeeld (quick start)"
    for heading in (
        "Priority shift",
        "Backtest: would the promises have been kept?",
        "Tickets per channel and proposed priority",
        "Messages that would have gone out",
        "Consistency audit",
        "Source",
        f"Tickets that change ({summary.shown:,})",
    ):
        assert heading in dom.headings
    shown = {(c, p): text for c, p, text in dom.cells}
    for (current, proposed), n in summary.shift.items():
        assert shown[current, proposed] == f"{n:,}"
    assert sum(int(t.replace(",", "")) for t in shown.values() if t != "·") == summary.tickets
    assert dom.ticket_rows == summary.shown
    assert dom.cards[0] == f"{summary.tickets:,}"
    assert dom.cards[1] == f"{summary.changes['priority']:,}"
    assert re.fullmatch(r"\d+%", dom.cards[2])


def test_chromium_paints_the_charts_in_their_colours(page, tmp_path):
    path, summary = page
    shot = tmp_path / "report.png"
    result = _chromium(tmp_path, "--window-size=1280,1900", f"--screenshot={shot}", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    image = decode(shot.read_bytes())
    assert (image.width, image.height) == (1280, 1900)
    assert image.pixel(4, 4) == (0xF6, 0xF8, 0xFA)  # the header band, not a blank or error page
    # The fullest cell keeps its priority (P4 -> P4 in the quick start): about 70 x 38 pixels of teal.
    busiest = max(summary.shift, key=summary.shift.get)
    assert busiest[0] == busiest[1]
    assert image.count(TEAL, tolerance=3) > 1500
    # Met and missed bars per priority and channel.
    assert image.count(GREEN, tolerance=3) > 5000
    assert image.count(RED, tolerance=3) > 500
