"""``matrixcore check --config`` with the ServiceNow plugin loaded through its entry point: the
ruleset and the mappings against the instance's choice lists and Priority Lookup Rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from matrixcore._cli import main
from matrixcore_servicenow.testing import ServiceNowEmulator

QUICKSTART = Path(__file__).resolve().parents[3] / "examples" / "quickstart" / "rules.yaml"
#: The quick-start's 5 x 3 matrix on ServiceNow's 3 x 3, the way its cells agree best with the base
#: system's lookup rules.
MAPPING = {
    "impact": {"1": ["organisation", "branch"], "2": ["department", "group"], "3": "person"},
    "urgency": {"1": "high", "2": "normal", "3": "low"},
}


def check(tmp_path: Path, server: ServiceNowEmulator, **settings: Any) -> Any:
    connection = {
        "adapter": "servicenow",
        "base_url": server.url,
        "auth": {"type": "basic", "username": "integration", "password": {"env": "SN_PASSWORD"}},
        "mapping": MAPPING,
        **settings,
    }
    path = tmp_path / "matrixcore.yaml"
    path.write_text(yaml.safe_dump({"rules": str(QUICKSTART), "connections": {"sn": connection}}))
    result = CliRunner().invoke(
        main, ["check", "--config", str(path), "--format", "json"], env={"SN_PASSWORD": "integration"}
    )
    return result, json.loads(result.output) if result.output.startswith("{") else None


def connection_problems(report: Any) -> list[dict[str, Any]]:
    (connection,) = report["connections"]
    assert connection["reachable"], connection
    assert connection["checks_rules"] is True
    return list(connection["problems"])


def test_cells_where_servicenow_derives_another_priority_are_warnings(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    result, report = check(tmp_path, server)
    assert result.exit_code == 0, result.output
    problems = connection_problems(report)
    assert {p["path"] for p in problems} == {"connections.sn.mapping.priority"}
    assert all(p["line"] is not None and p["severity"] == "warning" for p in problems)
    messages = [p["message"] for p in problems]
    # organisation x normal: the matrix says P1, impact 1 x urgency 2 gives ServiceNow's 2 (P2).
    assert any(
        "impact 1 x urgency 2, where the matrix says organisation x normal -> P1" in m for m in messages
    )
    assert not any("x high -> P1" in m and "impact 1 x urgency 1" in m for m in messages)  # that cell agrees
    assert {r.method for r in server.requests} == {"GET"}  # a check never writes


def test_lookup_rules_that_match_the_matrix_leave_only_unwritable_levels(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    one_to_one = {
        "impact": {"1": "organisation", "2": "department", "3": "person"},
        "urgency": MAPPING["urgency"],
    }
    # Make ServiceNow's lookup agree with the quick-start cells for these three impacts.
    for (impact, urgency), priority in {
        ("1", "1"): "1", ("1", "2"): "1", ("1", "3"): "2",
        ("2", "1"): "2", ("2", "2"): "3", ("2", "3"): "3",
        ("3", "1"): "3", ("3", "2"): "4", ("3", "3"): "5",
    }.items():  # fmt: skip
        server.instance.set_priority_rule(impact, urgency, priority)
    result, report = check(tmp_path, server, mapping=one_to_one)
    messages = [p["message"] for p in connection_problems(report)]
    # Only what the 1:1 mapping cannot write is left: the levels without a ServiceNow value.
    assert sorted(messages) == [
        "the ruleset's impact 'branch' has no ServiceNow value: it cannot be written",
        "the ruleset's impact 'group' has no ServiceNow value: it cannot be written",
    ]
    assert result.exit_code == 2  # invalid: a write would fail


def test_a_value_servicenow_does_not_list_fails_with_the_config_line(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    mapping = {
        **MAPPING,
        "urgency": {"1": "high", "2": "normal", "4": "low"},
        "pause": {"states": ["3", "9"]},
    }
    result, report = check(tmp_path, server, mapping=mapping)
    assert result.exit_code == 2, result.output
    problems = {p["message"]: p for p in connection_problems(report)}
    urgency = problems["ServiceNow has no urgency choice '4' (it has 1, 2, 3)"]
    assert (urgency["path"], urgency["severity"]) == ("connections.sn.mapping.urgency", "error")
    state = problems["ServiceNow has no state choice '9' (it has 1, 2, 3, 6, 7, 8)"]
    assert (state["path"], state["severity"]) == ("connections.sn.mapping.pause", "warning")


def test_a_level_the_ruleset_lacks_is_an_error(tmp_path: Path, server: ServiceNowEmulator) -> None:
    mapping = {**MAPPING, "urgency": {"1": "critical", "2": "normal", "3": "low"}}
    result, report = check(tmp_path, server, mapping=mapping)
    assert result.exit_code == 2  # invalid: a write would fail
    messages = [p["message"] for p in connection_problems(report)]
    assert "'critical' is not a urgency level of the ruleset (high, normal, low)" in messages
    assert "the ruleset's urgency 'high' has no ServiceNow value: it cannot be written" in messages


def test_unreadable_lookup_rules_are_a_warning_not_a_failure(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    server.instance.hidden["integration"] = {"dl_u_priority"}
    result, report = check(tmp_path, server)
    assert result.exit_code == 0, result.output
    messages = [p["message"] for p in connection_problems(report)]
    assert messages == ["cannot read the Priority Lookup Rules (dl_u_priority): not compared"]


def test_a_misspelt_filter_field_is_an_error_and_a_missing_mapped_field_a_warning(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    server.instance.add_column("incident", "u_affected_users", "integer")
    mapping = {**MAPPING, "custom": {"affected_users": "u_affected_users", "team": "u_team.name"}}
    result, report = check(tmp_path, server, filter="actve=true^ORassignment_group=abc", mapping=mapping)
    assert result.exit_code == 2, result.output
    found = connection_problems(report)
    problems = {p["path"]: p for p in found if "field" in p["message"] or "filter" in p["message"]}
    assert set(problems) == {"connections.sn.filter", "connections.sn.mapping.custom.team"}
    assert problems["connections.sn.filter"]["severity"] == "error"
    assert "'actve'" in problems["connections.sn.filter"]["message"]
    assert problems["connections.sn.mapping.custom.team"]["severity"] == "warning"


def test_a_requested_item_table_is_checked_against_tasks_states(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    # Pending (-5) and the closed states exist on task, which sc_req_item inherits; incident's 6
    # (Resolved) does not.
    _, report = check(tmp_path, server, table="sc_req_item", mapping={**MAPPING, "pause": {"states": ["6"]}})
    problems = [p["message"] for p in connection_problems(report) if "state" in p["message"]]
    assert problems == ["ServiceNow has no state choice '6' (it has -5, 1, 2, 3, 4, 7)"]
    _, report = check(tmp_path, server, table="sc_req_item")
    assert not [p for p in connection_problems(report) if "state" in p["message"]]


def test_tables_are_compared_with_their_own_lookup_rules_or_told_they_have_none(
    tmp_path: Path, server: ServiceNowEmulator
) -> None:
    _, report = check(tmp_path, server, table="sc_req_item")
    (problem,) = [p for p in connection_problems(report) if p["path"] == "connections.sn.write"]
    assert problem["severity"] == "warning"
    assert "sc_req_item has no Priority Lookup Rules out of the box" in problem["message"]
    _, report = check(tmp_path, server, table="sc_req_item", write="all")
    assert not [p for p in connection_problems(report) if p["path"] == "connections.sn.write"]
    # Problem has rules of its own (dl_problem_priority): a change there shows, incident's does not.
    server.instance.set_priority_rule("1", "1", "3", table="problem")
    _, report = check(tmp_path, server, table="problem")
    messages = [p["message"] for p in connection_problems(report)]
    assert any("give priority 3 (P3) for impact 1 x urgency 1" in m for m in messages)
    _, report = check(tmp_path, server)
    assert not any("for impact 1 x urgency 1," in p["message"] for p in connection_problems(report))
