"""The report's predicted-miss backtest: the curve beside the elapsed-share rule's, in HTML and JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jsonschema import Draft202012Validator
from predict_support import START, generate

from matrixcore._engine import Engine
from matrixcore._plugins import Plugins
from matrixcore._ruleset import load_ruleset, parse_ruleset
from matrixcore._schemas import load_schema
from matrixcore.report._report import Report, ReportMeta

RULES = Path(__file__).resolve().parents[1] / "benchmarks" / "predict" / "servicenow-rules.yaml"


def report(engine: Engine, weeks: int = 6) -> tuple[dict, str]:  # type: ignore[type-arg]
    tickets = [c.ticket.evolve(first_response=c.picked_up) for c in generate(weeks=weeks)]
    meta = ReportMeta(
        as_of=START + timedelta(weeks=weeks),
        generated_at=datetime(2027, 3, 1, tzinfo=UTC),
        source="generated",
        rules=str(RULES),
        tickets="none",
        version="test",
    )
    formats = Plugins().report_formats()
    out = {}
    for name in ("json", "html"):
        text = io.StringIO()
        formats[name].render(Report(engine, iter(tickets), meta), text)
        out[name] = text.getvalue()
    return json.loads(out["json"]), out["html"]


def test_the_report_shows_the_prediction_curve_beside_the_elapsed_share_rule() -> None:
    data, page = report(Engine(load_ruleset(RULES)))
    figures = data["summary"]["predicted_miss"]
    assert figures["threshold"] == 0.9
    assert [row["lead"] for row in figures["leads"]] == [0.9, 0.75, 0.66, 0.5, 0.25]
    for row in figures["leads"]:
        assert row["misses"] > 0
        assert row["elapsed"]["recall"] == 1.0
        assert row["predicted"]["precision"] >= row["elapsed"]["precision"] - 0.02
    validator = Draft202012Validator(
        load_schema("report"), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(data)] == []
    assert '<section id="predicted-misses">' in page
    for series in ("elapsed-share rule: precision", "prediction: precision", "prediction: recall"):
        assert f'data-series="{series}"' in page


def test_too_little_history_is_said_plainly() -> None:
    data, page = report(Engine(load_ruleset(RULES)), weeks=2)
    assert data["summary"]["predicted_miss"]["note"].startswith("2.0 weeks of tickets")
    assert "Not replayed: 2.0 weeks of tickets" in page


def test_without_a_predicted_miss_policy_there_is_no_such_section() -> None:
    text = RULES.read_text(encoding="utf-8").replace(
        "    - {name: predicted-miss, event: predicted_miss, template: predicted}\n", ""
    )
    data, page = report(Engine(parse_ruleset(text)), weeks=1)
    assert "predicted_miss" not in data["summary"]
    assert "predicted-misses" not in page
