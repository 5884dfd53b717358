"""The forecast's HTML page as a planner sees it, rendered by headless Chromium: a section per channel
with its backtest, a fan chart of the forecast over the history, and a day x hour heatmap of the
rostered heads whose numbers are the plan's. Skipped only where Chromium is not installed (CI
installs it and sets ``MATRIXCORE_REQUIRE_CHROMIUM=1``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pngdata import decode

from matrixcore._cli import main

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "examples" / "quickstart" / "report.yaml")
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
TEAL, BAND = (0x00, 0x79, 0x6B), (0xB2, 0xDF, 0xDB)


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("MATRIXCORE_REQUIRE_CHROMIUM"):
        pytest.fail("MATRIXCORE_REQUIRE_CHROMIUM is set but chromium is not installed")
    pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    import json

    folder = tmp_path_factory.mktemp("forecast-html")
    path = folder / "forecast.html"
    runner = CliRunner()
    made = runner.invoke(main, ["forecast", "--config", CONFIG, "--weeks", "2", "-o", str(path), "-q"])
    assert made.exit_code == 0, made.output
    data = runner.invoke(main, ["forecast", "--config", CONFIG, "--weeks", "2", "--format", "json", "-q"])
    return path, json.loads(data.output)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [_browser(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.series: dict[str, list[str]] = {}
        self.cells: dict[str, dict[tuple[str, int], int]] = {}
        self._heading: list[str] | None = None
        self._chart = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        if tag == "svg":
            self._chart = found.get("id", "")
        if tag == "polyline":
            self.series.setdefault(self._chart, []).append(found["data-series"])
        if tag == "g" and found.get("class") == "cell":
            key = (found["data-day"], int(found["data-hour"]))
            self.cells.setdefault(self._chart, {})[key] = int(found["data-heads"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)


def test_chromium_renders_a_section_a_fan_chart_and_a_heatmap_per_channel(page, tmp_path):
    path, document = page
    result = _chromium(tmp_path, "--dump-dom", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    assert dom.headings[0] == "matrixcore forecast · tickets.csv (csv, preset topdesk)"
    for channel in document["channels"]:
        name = channel["channel"]
        assert name in dom.headings
        assert f"Forecast of {name}" in dom.headings
        assert dom.series[f"fan-{name}"] == ["history", "sunny", "partly cloudy", "stormy", "expected"]
        # every heatmap cell is the plan's peak of rostered heads for that hour (the base scenario)
        expected: dict[tuple[str, int], int] = {}
        for interval in channel["intervals"]:
            key = (interval["start"][:10], int(interval["start"][11:13]))
            heads = interval["scenarios"]["sunny"]["rostered"]
            expected[key] = max(expected.get(key, 0), heads)
        shown = dom.cells[f"heatmap-{name}"]
        assert shown
        assert all(shown[key] == expected[key] for key in shown)
        assert sum(shown.values()) > 0


def test_chromium_paints_the_forecast_and_its_band(page, tmp_path):
    path, _ = page
    shot = tmp_path / "forecast.png"
    result = _chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    image = decode(shot.read_bytes())
    assert image.pixel(4, 4) == (0xF6, 0xF8, 0xFA)  # the header band, not an error page
    assert image.count(BAND, tolerance=3) > 2000  # the P10-P90 band of the first channel
    assert image.count(TEAL, tolerance=3) > 3000  # the expected line and the busiest heatmap cells
