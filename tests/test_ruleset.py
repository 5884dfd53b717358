"""Loading a ruleset: every error at once, each with its path, line and column."""

import json
import textwrap

import pytest

from matrixcore import RulesetError
from matrixcore._ruleset import load_ruleset, parse_ruleset


def problems_of(text, file="rules.yaml"):
    with pytest.raises(RulesetError) as info:
        parse_ruleset(text, file)
    return info.value.problems


def by_path(problems):
    return {p.dotted_path: p for p in problems}


def test_quickstart_rules_load(quickstart_rules):
    ruleset = load_ruleset(quickstart_rules)
    assert ruleset.impact_levels[0] == "organisation"
    assert len(ruleset.cells) == 15
    assert list(ruleset.priorities) == ["P1", "P2", "P3", "P4", "P5"]
    assert ruleset.channel("X").name == "twitter"
    assert ruleset.is_paused("wacht op KLANT")
    assert not ruleset.warnings


def test_small_rules_load(small_rules_text):
    ruleset = parse_ruleset(small_rules_text)
    assert ruleset.cells["medium", "low"] == "P4"
    assert ruleset.rules[0].reason == {
        "en": "we are fixing an outage first",
        "nl": "we eerst een storing oplossen",
    }


def test_every_error_is_reported_at_once_with_lines(small_rules_text):
    broken = (
        small_rules_text.replace("low:    {high: P3, medium: P4, low: P4}", "low:    {high: P3, medium: P9}")
        .replace("within: 30m", "within: thirty")
        .replace('"(?i)outage"', '"(unclosed"')
        .replace("set: {urgency: high}", "set: {urgency: hihg}")
        .replace("{pickup_by} at the latest", "{pickup_bye} at the latest")
        .replace(
            "defaults: {impact: low, urgency: medium}",
            "defaults: {impact: low, urgency: medium, colour: red}",
        )
    )
    problems = problems_of(broken)
    messages = [f"{p.line}:{p.dotted_path}: {p.message}" for p in problems]
    text = "\n".join(messages)
    assert "missing cell impact='low' x urgency='low'" in text
    assert "unknown priority 'P9'" in text
    assert "'thirty'" in text
    assert "unknown urgency 'hihg'" in text
    assert "unknown placeholder {pickup_bye}" in text
    assert "unknown key 'colour'" in text
    assert any("rules[0].when" in m for m in messages)
    # Errors are in file order, and each has a line number.
    lines = [p.line for p in problems]
    assert None not in lines
    assert lines == sorted(lines)
    where = by_path(problems)
    assert where["matrix.cells.low.medium"].line == 8


def test_unknown_calendar_and_missing_default_calendar(small_rules_text):
    text = small_rules_text.replace(
        "P2: {pickup: {within: 1h}", "P2: {pickup: {within: 1h, calendar: weekend}"
    )
    text = text.replace("default_calendar: office\n", "")
    problems = problems_of(text)
    messages = {p.dotted_path: p.message for p in problems}
    assert "unknown calendar 'weekend'" in messages["priorities.P2.pickup.calendar"]
    assert "no calendar" in messages["priorities.P1.pickup"]


def test_fallback_language_text_is_required(small_rules_text):
    text = small_rules_text.replace("fallback_language: en", "fallback_language: de")
    (problem,) = [p for p in problems_of(text) if p.severity == "error"]
    assert problem.dotted_path == "messages.templates.ack"
    assert "fallback language 'de'" in problem.message


def test_schema_errors_point_at_the_key(small_rules_text):
    text = small_rules_text.replace(
        "- {name: ack, event: classified, template: ack}", "- {name: ack, event: clasified, template: ack}"
    )
    problem = by_path(problems_of(text))["messages.policies[0].event"]
    assert "'clasified' is not one of" in problem.message
    assert problem.line == 31


def test_json_and_toml_rules_are_accepted(small_rules_text, tmp_path):
    import yaml

    data = yaml.safe_load(small_rules_text)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data, indent=2))
    assert load_ruleset(path).cells["high", "high"] == "P1"
    toml = textwrap.dedent(
        """\
        version = 1
        default_calendar = "office"
        rules = []
        [matrix]
        impact = ["only"]
        urgency = ["only"]
        cells = {only = {only = "P1"}}
        [priorities.P1]
        pickup = {within = "1h"}
        resolve = {within = "8h"}
        [calendars.office]
        timezone = "UTC"
        hours = "24x7"
        [defaults]
        impact = "only"
        urgency = "onyl"
        """
    )
    problems = problems_of(toml, "rules.toml")
    assert [(p.dotted_path, p.line) for p in problems] == [("defaults.urgency", 16)]


def test_duplicate_rule_names_and_channel_aliases(small_rules_text):
    text = small_rules_text.replace("- name: vip", "- name: outage") + textwrap.dedent(
        """\
        channels:
          twitter: {class: real-time, aliases: [x]}
          x: {class: right-time}
        """
    )
    messages = " | ".join(p.message for p in problems_of(text))
    assert "rule name 'outage' is used twice" in messages
    assert "channel name 'x' is used twice" in messages


def test_empty_and_non_mapping_files_are_clear_errors():
    problems = problems_of("")
    assert any("None is not of type 'object'" in p.message for p in problems)
    problems = problems_of("- just\n- a list\n")
    assert problems[0].message.startswith("[")
