"""``matrixcore check --config`` with the TOPdesk plugin loaded through its entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import PASSWORD, PASSWORD_ENV, QUICKSTART_RULES, connection_settings

from matrixcore._cli import main


def write_config(tmp_path: Path, topdesk: TopdeskServer, **overrides: Any) -> Path:
    path = tmp_path / "matrixcore.yaml"
    connection = {"adapter": "topdesk", **connection_settings(topdesk, **overrides)}
    path.write_text(yaml.safe_dump({"rules": str(QUICKSTART_RULES), "connections": {"desk": connection}}))
    return path


def run(*args: str, password: str = PASSWORD) -> Any:
    return CliRunner().invoke(main, list(args), env={PASSWORD_ENV: password})


def test_a_consistent_desk_passes(tmp_path: Path, topdesk: TopdeskServer) -> None:
    result = run("check", "--config", str(write_config(tmp_path, topdesk)))
    assert result.exit_code == 0, result.output
    assert "desk (topdesk): reachable, the ruleset checked against it" in result.output
    assert {r.method for r in topdesk.requests} == {"GET"}  # a check never writes


def test_topdesks_shorter_duration_is_a_warning_with_its_line(tmp_path: Path, topdesk: TopdeskServer) -> None:
    duration = next(d for d in topdesk.store.catalog["durations"] if d["name"] == "8 uur")
    duration.update(basicPeriods=30, timeSpanType="minutes")
    result = run("check", "--config", str(write_config(tmp_path, topdesk)))
    assert result.exit_code == 0, result.output
    assert "rules.yaml:22:39: warning: priorities.P2.pickup.within" in result.output
    assert "priorities.P2.pickup.within: promises pickup within 1h" in result.output


def test_a_mapped_name_topdesk_lacks_fails_with_the_config_line(
    tmp_path: Path, topdesk: TopdeskServer
) -> None:
    mappings = {"impact": {"person": "Iemand"}, "urgency": {}, "priority": {}}
    config = write_config(tmp_path, topdesk, mappings=mappings, write=["impact"])
    result = run("check", "--config", str(config), "--format", "json")
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    (desk,) = report["connections"]
    errors = [p for p in desk["problems"] if p["severity"] == "error"]
    assert errors[0]["file"].endswith("matrixcore.yaml")
    assert errors[0]["line"] is not None
    assert "TOPdesk has no impact named 'iemand'" in errors[0]["message"]


def test_a_misspelt_incident_field_fails_with_its_config_line(tmp_path: Path, topdesk: TopdeskServer) -> None:
    mappings = {
        "fields": {"affected_users": "optionalFeilds1.number1"},
        "language_field": "optionalFields1.text1",
    }
    config = write_config(tmp_path, topdesk, mappings=mappings, write=[])
    result = run("check", "--config", str(config), "--format", "json")
    assert result.exit_code == 2, result.output
    (desk,) = json.loads(result.stdout)["connections"]
    (error,) = [p for p in desk["problems"] if p["severity"] == "error"]
    assert error["path"] == "connections.desk.mappings.fields.affected_users"
    assert error["line"] is not None
    assert "TOPdesk refuses the incident field 'optionalFeilds1'" in error["message"]


def test_an_unreachable_or_refusing_topdesk_exits_3(tmp_path: Path, topdesk: TopdeskServer) -> None:
    result = run("check", "--config", str(write_config(tmp_path, topdesk)), password="wrong")
    assert result.exit_code == 3, result.output
    assert "refused the login name or application password" in result.output
    assert "wrong" not in result.output  # the password never shows


def test_an_invalid_connection_section_is_reported_before_anything_is_sent(
    tmp_path: Path, topdesk: TopdeskServer
) -> None:
    result = run("check", "--config", str(write_config(tmp_path, topdesk, page_size=1)))
    assert result.exit_code == 2, result.output
    assert "connections.desk.page_size" in result.output
    assert topdesk.requests == []


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
