"""The connection's JSON Schema, through matrixcore's own config loader (paths, lines, secrets)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from matrixcore_zendesk import ZendeskSettings, connection_schema

from matrixcore import ConfigError
from matrixcore._config import Secret, parse_config

SCHEMAS = {"zendesk": connection_schema()}
OAUTH = "    subdomain: acme\n    auth: {oauth_token: {env: T}}\n"


def config(connection: str) -> str:
    return f"rules: rules.yaml\nconnections:\n  zd:\n    adapter: zendesk\n{connection}"


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(connection_schema())


def test_a_full_connection_loads_and_its_secret_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZD_TOKEN", "s3cr3t-token")
    text = config(
        "    subdomain: acme\n"
        "    auth: {email: bot@acme.example, token: {env: ZD_TOKEN}}\n"
        "    impact: {field_id: 360001}\n"
        "    urgency: {tag_prefix: urgency_, values: {high: hi}}\n"
        "    priority: {values: {P1: urgent, P2: high}}\n"
        "    channels: {whatsapp: chat}\n"
        "    pause_statuses: [pending]\n"
        "    custom_fields: {affected_users: 360002}\n"
    )

    connection = parse_config(text, adapter_schemas=SCHEMAS).connections["zd"]
    settings = ZendeskSettings.from_settings(connection.settings)

    assert isinstance(settings.token, Secret)
    assert settings.token.reveal() == "s3cr3t-token"
    assert "s3cr3t" not in repr(settings)
    assert settings.urgency is not None
    assert settings.urgency.tag("high") == "urgency_hi"


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        ("    auth: {email: a@b.c, token: {env: T}}\n", "exactly one of 'subdomain'"),
        (
            "    subdomain: acme\n    url: https://x.example\n    auth: {email: a@b.c, token: {env: T}}\n",
            "exactly one of 'subdomain'",
        ),
        ("    subdomain: acme\n    auth: {email: a@b.c, token: inline-secret}\n", "auth"),
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
