"""The connection's JSON Schema, through matrixcore's own config loader (paths, lines, secrets)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from matrixcore_zendesk import ZendeskSettings, connection_schema

from matrixcore import ConfigError
from matrixcore._config import parse_config

SCHEMAS = {"zendesk": connection_schema()}
OAUTH = "    subdomain: acme\n    auth: {type: bearer, token: {env: T}}\n"


def config(connection: str) -> str:
    return f"rules: rules.yaml\nconnections:\n  zd:\n    adapter: zendesk\n{connection}"


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(connection_schema())


def test_a_full_connection_loads_and_its_secret_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZD_TOKEN", "s3cr3t-token")
    text = config(
        "    subdomain: acme\n"
        "    auth: {type: basic, username: bot@acme.example/token, password: {env: ZD_TOKEN}}\n"
        "    rate_limit: {per_minute: 400}\n"
        "    impact: {field_id: 360001}\n"
        "    urgency: {tag_prefix: urgency_, values: {high: hi}}\n"
        "    priority: {values: {P1: urgent, P2: high}}\n"
        "    channels: {whatsapp: chat}\n"
        "    pause_statuses: [pending]\n"
        "    custom_fields: {affected_users: 360002}\n"
    )

    connection = parse_config(text, adapter_schemas=SCHEMAS).connections["zd"]
    settings = ZendeskSettings.from_settings(connection.settings)

    assert settings.base_url == "https://acme.zendesk.com"
    assert connection.settings["auth"]["password"].reveal() == "s3cr3t-token"
    assert "s3cr3t" not in repr(connection)
    assert settings.urgency is not None
    assert settings.urgency.tag("high") == "urgency_hi"


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        ("    auth: {type: bearer, token: {env: T}}\n", "exactly one of 'subdomain'"),
        (
            OAUTH + "    base_url: https://x.example\n",
            "exactly one of 'subdomain'",
        ),
        ("    subdomain: acme\n    auth: {type: bearer, token: inline-secret}\n", "auth"),
        (OAUTH + "    page_size: 2000\n", "2000"),
        (
            OAUTH + "    priority: {values: {P1: critical}}\n",
            "critical",
        ),
        (
            OAUTH + "    impact: {field_id: 1, tag_prefix: i_}\n",
            "impact",
        ),
        (OAUTH + "    pause_statuses: [closed]\n", "closed"),
        (OAUTH + "    plan: premium\n", "premium"),
        (OAUTH + "    colour: blue\n", "colour"),
    ],
)
def test_invalid_connections_are_reported_with_their_path(
    monkeypatch: pytest.MonkeyPatch, connection: str, message: str
) -> None:
    monkeypatch.setenv("T", "x")

    with pytest.raises(ConfigError) as caught:
        parse_config(config(connection), adapter_schemas=SCHEMAS)

    text = str(caught.value)
    assert "connections" in text
    assert message in text


def test_the_readme_config_example_is_a_valid_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's example is what users copy: it must load through the plugin's schema."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Config\s+```yaml\n(.*?)```", readme, re.S)
    assert example is not None
    monkeypatch.setenv("ZENDESK_API_TOKEN", "s3cr3t")

    config = parse_config("rules: rules.yaml\n" + example.group(1), adapter_schemas=SCHEMAS)
    settings = ZendeskSettings.from_settings(config.connections["zendesk"].settings)

    assert settings.plan == "professional"
    assert settings.impact is not None
    assert settings.priority.shared  # the example's P4 and P5 share 'low'
