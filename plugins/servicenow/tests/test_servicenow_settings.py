"""The connection's settings: checked by its JSON Schema through matrixcore's config loader, with
line numbers, and parsed into defaults the adapter can rely on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from matrixcore import ConfigError
from matrixcore._config import parse_config
from matrixcore_servicenow import LevelMap, Settings, connection_schema, parse_settings

SCHEMAS = {"servicenow": connection_schema()}

CONFIG = textwrap.dedent(
    """\
    rules: rules.yaml
    connections:
      servicenow-prod:
        adapter: servicenow
        base_url: https://acme.service-now.com
        auth:
          type: oauth
          grant: password
          client_id: 3f2b0c
          client_secret: {env: SN_CLIENT_SECRET}
          username: matrixcore.integration
          password: {env: SN_PASSWORD}
        table: incident
        filter: active=true
        mapping:
          impact: {"1": [organisation, branch], "2": [department, group], "3": person}
          urgency: {"1": high, "2": normal, "3": low}
          pause: {states: ["3"], hold_reasons: ["1"]}
          custom: {affected_users: u_affected_users}
    """
)


def test_the_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(connection_schema())


def test_the_readme_example_loads_with_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SN_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("SN_PASSWORD", "password-value")
    config = parse_config(CONFIG, adapter_schemas=SCHEMAS)
    settings = parse_settings(config.connections["servicenow-prod"].settings)
    assert settings.auth.grant == "password"
    assert settings.auth.password is not None
    assert settings.auth.password.reveal() == "password-value"
    assert "password-value" not in repr(settings)
    assert "client-secret-value" not in repr(settings)
    assert settings.impact.value("branch") == "1"
    assert settings.pause_hold_reasons == frozenset({"1"})
    assert settings.custom_fields == {"affected_users": "u_affected_users"}


@pytest.mark.parametrize(
    ("line", "replacement", "message"),
    [
        ("      password: {env: SN_PASSWORD}", "      password: hunter2", "password"),
        ("    table: incident", "    table: Incident; DROP", "table"),
        ("    filter: active=true", "    filter: active=true^NQactive=false", "filter"),
        ("    filter: active=true", "    filter: active=true^ORDERBYnumber", "filter"),
        ("      grant: password", "      grant: implicit", "auth"),
        ("    table: incident", "    page_size: 20000", "page_size"),
    ],
)
def test_mistakes_are_reported_with_their_line(
    line: str, replacement: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SN_CLIENT_SECRET", "x")
    monkeypatch.setenv("SN_PASSWORD", "y")
    text = CONFIG.replace(line, replacement)
    assert text != CONFIG
    with pytest.raises(ConfigError) as caught:
        parse_config(text, adapter_schemas=SCHEMAS)
    problems = caught.value.problems
    assert any(message in p.dotted_path for p in problems), [str(p) for p in problems]
    assert all(p.line is not None for p in problems)


def test_defaults() -> None:
    settings = parse_settings(
        {
            "base_url": "https://acme.service-now.com/",
            "auth": {"type": "basic", "username": "u", "password": "p"},
        }
    )
    assert settings.base_url == "https://acme.service-now.com"
    assert (settings.table, settings.page_size, settings.write) == ("incident", 100, "impact_urgency")
    assert settings.writes_levels
    assert not settings.writes_priority
    assert settings.impact.level("1") == "high"
    assert settings.priority.level("5") == "P5"
    assert settings.pause_states == frozenset({"3"})
    assert settings.pause_hold_reasons is None


def test_other_tables_get_their_own_states_and_requester() -> None:
    def parse(table: str, **raw: object) -> Settings:
        auth = {"type": "basic", "username": "u", "password": "p"}
        return parse_settings(
            {"base_url": "https://acme.service-now.com", "auth": auth, "table": table, **raw}
        )

    items = parse("sc_req_item")
    # 3 is Closed Complete on a requested item, not On Hold: it must neither pause nor read as held.
    assert items.states["3"] == "Closed Complete"
    assert items.pause_states == frozenset({"-5"})
    assert "3" in items.pickup_states
    assert items.requester_fields["address"] == "requested_for.email"
    assert items.hold_reason_field == ""
    assert parse("u_facilities_task").requester_fields["name"] == "opened_by.name"
    assert parse("incident").requester_fields["name"] == "caller_id.name"
    with pytest.raises(ValueError, match="sc_req_item has no hold reason"):
        parse("sc_req_item", mapping={"pause": {"hold_reasons": ["1"]}})


def test_a_level_mapped_to_two_values_is_refused() -> None:
    with pytest.raises(ValueError, match="level 'high' is mapped to both '1' and '2'"):
        LevelMap.build("impact", {"1": "high", "2": ["high", "medium"]})


def test_the_readme_configuration_example_is_valid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Configuration", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "sn-password").write_text("password-from-file\n")
    example = example.replace("/run/secrets/sn-password", str(tmp_path / "sn-password"))
    monkeypatch.setenv("SN_CLIENT_SECRET", "x")
    config = parse_config(example, str(tmp_path / "matrixcore.yaml"), SCHEMAS)
    settings = parse_settings(config.connections["servicenow-prod"].settings)
    assert settings.auth.password is not None
    assert settings.auth.password.reveal() == "password-from-file"
    assert settings.channels["u_twitter"] == "twitter"
