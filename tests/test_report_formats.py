"""The built-in report formats over the quick-start export: what a person or a script gets."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from test_report import MONDAY, RULES, ticket

from matrixcore import Engine, parse_ruleset
from matrixcore._plugins import Plugins
from matrixcore._schemas import load_schema
from matrixcore.exports._source import FileSource
from matrixcore.report._csv import CSV_COLUMNS
from matrixcore.report._report import Report, ReportMeta

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def quickstart_report(selection: str = "changed") -> Report:
    """The report the README's first command makes, built the way the command builds it."""
    plugins = Plugins()
    config = plugins.load_config(QUICKSTART / "report.yaml")
    ruleset = plugins.load_ruleset(config.rules_path)
    assert config.source is not None
    export = plugins.open_adapter(config.source)
    assert isinstance(export, FileSource)
    export.use_ruleset(ruleset)
    meta = ReportMeta(
        as_of=datetime.fromisoformat(config.section("report")["as_of"]),
        generated_at=datetime(2025, 7, 1, 9, tzinfo=UTC),
        source=export.describe(),
        rules=str(config.rules_path),
        rules_name=ruleset.name,
        tickets=selection,
        version="test",
    )
    tickets = (t for batch in export.fetch(None) for t in batch.tickets)
    return Report(Engine(ruleset), tickets, meta, provides=export.provides, source_stats=lambda: export.stats)


def render(name: str, built: Report) -> str:
    out = io.StringIO()
    Plugins().report_formats()[name].render(built, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def json_report() -> dict:
    return json.loads(render("json", quickstart_report("all")))


def test_the_built_in_formats_are_registered_through_the_hook():
    plugins = Plugins()
    assert sorted(plugins.report_formats()) == ["csv", "html", "json", "table"]
    assert plugins.owner("report format", "html") == "built-in plugin 'matrixcore.report_formats'"
    assert plugins.report_formats()["json"].media_type == "application/json"


def test_the_table_reads_on_an_80_column_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    built = quickstart_report()
    text = render("table", built)
    lines = text.splitlines()
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, too_wide[:3]
    summary = built.summary
    for heading in (
        "Priority shift: now (rows) → proposed (columns)",
        "Tickets per channel and proposed priority",
        "Backtest per priority",
        "Backtest per channel",
        "Messages that would have gone out",
        "Consistency audit",
    ):
        assert heading in text
    assert f"{summary.tickets:,} tickets: {summary.changes['priority']:,} would get another priority" in text
    p4 = next(line for line in lines if re.match(r"^P4\s+·?\s*\S", line) and "→" not in line)
    assert p4.split()[-1] == f"{sum(n for (c, _), n in summary.shift.items() if c == 'P4'):,}"
    ticket_lines = [line for line in lines if re.match(r"^I \d{4} \d{3}", line)]
    assert len(ticket_lines) == summary.shown == summary.changes["any"]
    legend = lines.index(ticket_lines[-1]) + 1
    assert "P, R: the promised pickup and resolution, met ✓, missed ✗" in " ".join(lines[legend : legend + 3])


def test_csv_has_one_row_per_ticket_and_no_formulas():
    engine = Engine(parse_ruleset(RULES, "rules.yaml"))
    tickets = [ticket("1", subject='=HYPERLINK("http://evil")', priority="P3"), ticket("2", subject="Outage")]
    meta = ReportMeta(MONDAY + timedelta(days=1), MONDAY, "test", "rules.yaml", tickets="all")
    rows = list(csv.DictReader(io.StringIO(render("csv", Report(engine, tickets, meta)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["subject"] == '\'=HYPERLINK("http://evil")'
    assert (rows[1]["current_priority"], rows[1]["proposed_priority"], rows[1]["changed"]) == (
        "",
        "P1",
        "impact urgency priority",
    )
    assert rows[1]["pickup_by"] == "2025-04-07T11:00:00+02:00"
    assert rows[1]["messages"].split() == ["ack", "warning", "missed", "alert"]
    assert "we are fixing an outage first" in rows[1]["message_texts"]


def test_the_json_report_follows_its_schema(json_report):
    schema = load_schema("report")
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(json_report)
    ]
    assert not errors, errors[:5]
    broken = {**json_report, "summary": {**json_report["summary"], "changes": {"any": -1}}}
    assert not validator.is_valid(broken)


def test_the_json_summary_adds_up(json_report):
    summary, tickets = json_report["summary"], json_report["tickets"]
    assert summary["tickets"] == summary["shown"] == len(tickets) == summary["source"]["tickets"]
    assert sum(cell["tickets"] for cell in summary["priority_shift"]["cells"]) == len(tickets)
    assert sum(1 for t in tickets if "priority" in t["changed"]) == summary["changes"]["priority"]
    pickups = {
        o: sum(1 for t in tickets if t["backtest"]["pickup"] == o) for o in ("met", "missed", "pending")
    }
    total = summary["backtest"]["pickup"]["total"]
    assert pickups == {o: total[o] for o in pickups}
    assert sum(len(t["messages"]) for t in tickets) == summary["messages"]["total"]
    assert json_report["report"]["as_of"] == "2025-07-01T08:00:00+02:00"
    dutch = next(t for t in tickets if t["language"] == "nl" and t["messages"])
    assert dutch["messages"][0]["text"].startswith(
        f"Bedankt voor je melding {dutch['number']}. We pakken hem"
    )


def test_json_streams_one_ticket_per_line():
    text = render("json", quickstart_report("all"))
    ticket_lines = [line for line in text.splitlines() if line.startswith('{"ticket":')]
    assert len(ticket_lines) == 1979


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: dict[tuple[str, str], str] = {}
        self._cell: tuple[str, str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "g" and "cell" in (found.get("class") or ""):
            self._cell = (str(found["data-current"]), str(found["data-proposed"]))
        elif tag == "text" and self._cell is not None:
            self.cells[self._cell] = ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None and self._cell in self.cells and not self.cells[self._cell]:
            self.cells[self._cell] = data

    def handle_endtag(self, tag: str) -> None:
        if tag == "g":
            self._cell = None


def test_the_html_page_is_self_contained_and_escapes_ticket_text():
    engine = Engine(parse_ruleset(RULES, "rules.yaml"))
    meta = ReportMeta(MONDAY + timedelta(days=1), MONDAY, "test", "rules.yaml", tickets="all")
    hostile = ticket("1", subject='<script>alert("x")</script><img src="http://evil/x.png">', priority="P1")
    page = render("html", Report(engine, [hostile], meta))
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    parsed = _Page()
    parsed.feed(page)
    assert not [t for t, a in parsed.tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, a in parsed.tags if a.get("src") or (a.get("href") or "").startswith(("http", "//"))]
    assert "url(" not in page
    csp = next(a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in str(csp["content"])


def test_the_html_heat_map_shows_every_cell_of_the_shift():
    built = quickstart_report()
    page = render("html", built)
    summary = built.summary
    parsed = _Page()
    parsed.feed(page)
    rows = [
        r for r in summary.current_priorities if any(summary.shift.get((r, c)) for c in summary.priorities)
    ]
    assert len(parsed.cells) == len(rows) * len(summary.priorities)
    for (current, proposed), text in parsed.cells.items():
        n = summary.shift.get((current, proposed), 0)
        assert text == (f"{n:,}" if n else "·"), (current, proposed)
    headings = [data for data in parsed.text if data.strip()]
    for heading in ("Priority shift", "Backtest: would the promises have been kept?", "Consistency audit"):
        assert heading in headings
    assert f"Tickets that change ({summary.shown:,})" in headings


def test_the_json_schema_is_printed_for_scripts_and_editors():
    from click.testing import CliRunner

    from matrixcore._cli import main

    result = CliRunner().invoke(main, ["schema", "report"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == load_schema("report")
    assert load_schema("report")["properties"]["version"]["const"] == 2
