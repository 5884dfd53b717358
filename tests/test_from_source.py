"""Checking the matrix a desk already has: impact and urgency taken from the source where no rule
sets them (``defaults.from_source``), an empty rule list, and rule examples written with the tool's
own values (``impact: "1 - High"``) read as the report reads them."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from matrixcore import Engine, RulesetError, Ticket, parse_ruleset
from matrixcore._cli import main

MATRIX = textwrap.dedent(
    """\
    version: 1
    matrix:
      impact: [high, medium, low]
      urgency: [high, medium, low]
      cells:
        high:   {high: P1, medium: P2, low: P3}
        medium: {high: P2, medium: P3, low: P4}
        low:    {high: P3, medium: P4, low: P4}
    priorities:
      P1: {label: "1 - Critical", pickup: {within: 1h}, resolve: {within: 8h}}
      P2: {label: "2 - High", pickup: {within: 4h}, resolve: {within: 1d}}
      P3: {label: "3 - Moderate", pickup: {within: 1d}, resolve: {within: 5d}}
      P4: {label: "4 - Low", pickup: {within: 2d}, resolve: {within: 10d}}
    default_calendar: always
    calendars:
      always: {timezone: UTC, hours: 24x7}
    """
)
MONDAY = datetime(2016, 2, 29, 9, tzinfo=UTC)
KEEP = "defaults: {impact: low, urgency: low, from_source: [impact, urgency]}\n"


def ticket(**fields) -> Ticket:
    return Ticket(source="t", id="1", created=MONDAY, **fields)


def test_without_rules_the_tickets_own_impact_and_urgency_decide():
    ruleset = parse_ruleset(
        MATRIX + "defaults: {impact: low, urgency: low, from_source: [impact, urgency]}\n"
    )
    assert ruleset.rules == ()
    engine = Engine(ruleset)
    kept = engine.classify(ticket(impact="high", urgency="medium"), MONDAY)
    assert (kept.impact, kept.urgency, kept.priority) == ("high", "medium", "P2")
    steps = [(s.dimension, s.source, s.detail) for s in kept.trace(ruleset)[:2]]
    assert steps == [
        ("impact", "source", "no rule matched: the ticket's own (defaults.from_source)"),
        ("urgency", "source", "no rule matched: the ticket's own (defaults.from_source)"),
    ]
    # No value, or one the matrix does not know: the default, and the trace says so.
    fallback = engine.classify(ticket(impact="enormous"), MONDAY)
    assert (fallback.impact, fallback.urgency, fallback.priority) == ("low", "low", "P4")
    assert fallback.trace(ruleset)[0].source == "default"


def test_a_rule_still_wins_over_the_source_and_only_listed_dimensions_are_kept():
    rules = MATRIX + textwrap.dedent(
        """\
        rules:
          - {name: outage, when: {subject: {matches: "(?i)outage"}}, set: {impact: high}}
        defaults: {impact: low, urgency: low, from_source: [impact]}
        """
    )
    engine = Engine(parse_ruleset(rules))
    ruled = engine.classify(ticket(subject="Outage", impact="low", urgency="high"), MONDAY)
    assert (ruled.impact, ruled.urgency) == ("high", "low")  # urgency is not kept: the default
    kept = engine.classify(ticket(subject="Printer", impact="medium"), MONDAY)
    assert kept.impact == "medium"


def test_from_source_names_only_impact_or_urgency():
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(MATRIX + "defaults: {impact: low, urgency: low, from_source: [priority]}\n")
    assert "from_source" in str(caught.value)


def _check(tmp_path: Path, examples: str, config: str | None = None):
    (tmp_path / "rules.yaml").write_text(MATRIX + KEEP + examples)
    args = ["check", str(tmp_path / "rules.yaml"), "--format", "json"]
    if config is not None:
        (tmp_path / "export.csv").write_text("number,opened_at\nINC1,2016-02-29 09:00\n")
        (tmp_path / "c.yaml").write_text(config)
        args += ["--config", str(tmp_path / "c.yaml")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)["examples"]


def test_examples_written_with_the_tools_values_read_as_the_report_reads_them(tmp_path):
    code, (example,) = _check(
        tmp_path,
        textwrap.dedent(
            """\
            examples:
              - name: as ServiceNow writes it
                now: "2016-02-29T09:00:00Z"
                ticket: {impact: "1 - High", urgency: "2 - Medium", priority: "2 - High"}
                expect: {impact: high, urgency: medium, priority: P2}
            """
        ),
    )
    assert code == 0, example
    assert example["passed"]


def test_an_example_value_no_level_reads_names_the_levels(tmp_path):
    code, (example,) = _check(
        tmp_path,
        textwrap.dedent(
            """\
            examples:
              - name: a value of another tool
                now: "2016-02-29T09:00:00Z"
                ticket: {impact: Organisatie}
                expect: {priority: P3}
            """
        ),
    )
    assert code == 1
    assert example["error"] == (
        "ticket: impact 'Organisatie' is not an impact of the rules (high, medium, low); write one of "
        "them, or map the tool's value under the config's source.values.impact and check with --config"
    )


def test_examples_read_values_through_the_configs_source_values(tmp_path):
    code, (example,) = _check(
        tmp_path,
        textwrap.dedent(
            """\
            examples:
              - name: as the desk's tool writes it
                now: "2016-02-29T09:00:00Z"
                ticket: {impact: Organisatie, urgency: Hoog}
                expect: {priority: P1}
            """
        ),
        "rules: rules.yaml\nsource:\n  path: export.csv\n  preset: servicenow\n"
        "  values: {impact: {Organisatie: high}, urgency: {Hoog: high}}\n",
    )
    assert code == 0, example
