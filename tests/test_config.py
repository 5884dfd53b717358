"""The config file: connections validated by their adapter's schema, secrets that never show."""

import pytest

from matrixcore import ConfigError
from matrixcore._config import Secret, parse_config

ADAPTERS = {
    "topdesk": {
        "type": "object",
        "required": ["base_url", "password"],
        "additionalProperties": False,
        "properties": {
            "base_url": {"type": "string", "format": "uri"},
            "username": {"type": "string"},
            "password": {"$ref": "#/$defs/secret"},
            "page_size": {"type": "integer", "maximum": 10000},
        },
        "$defs": {"secret": {"type": "object"}},
    }
}

CONFIG = """\
rules: rules.yaml
connections:
  prod:
    adapter: topdesk
    base_url: https://acme.topdesk.net
    username: matrixcore
    password: {env: MC_TEST_PASSWORD}
"""


def test_secrets_come_from_the_environment_and_never_show(monkeypatch, tmp_path):
    monkeypatch.setenv("MC_TEST_PASSWORD", "hunter2")
    config = parse_config(CONFIG, str(tmp_path / "matrixcore.yaml"), ADAPTERS)
    secret = config.connections["prod"].settings["password"]
    assert isinstance(secret, Secret)
    assert secret.reveal() == "hunter2"
    assert "hunter2" not in repr(config)
    assert "hunter2" not in f"{secret} {secret!r} {config.connections}"
    assert config.rules_path == tmp_path / "rules.yaml"


def test_secret_files_are_read_relative_to_the_config(tmp_path):
    (tmp_path / "pw.txt").write_text("s3cret\n")
    text = CONFIG.replace("{env: MC_TEST_PASSWORD}", "{file: pw.txt}")
    config = parse_config(text, str(tmp_path / "c.yaml"), ADAPTERS)
    assert config.connections["prod"].settings["password"].reveal() == "s3cret"


def test_adapter_settings_errors_have_the_same_paths_and_lines(monkeypatch):
    monkeypatch.delenv("MC_TEST_PASSWORD", raising=False)
    text = CONFIG.replace("username: matrixcore", "usrname: matrixcore\n    page_size: 99999")
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml", ADAPTERS)
    found = {(p.dotted_path, p.line): p.message for p in info.value.problems}
    assert "unknown key 'usrname'" in found["connections.prod", 3]
    assert "99999 is greater than the maximum" in found["connections.prod.page_size", 7]
    assert found["connections.prod.password", 8] == "environment variable MC_TEST_PASSWORD is not set"


def test_unknown_adapter_suggests_the_closest(monkeypatch):
    monkeypatch.setenv("MC_TEST_PASSWORD", "x")
    with pytest.raises(ConfigError) as info:
        parse_config(CONFIG.replace("adapter: topdesk", "adapter: topdsk"), "c.yaml", ADAPTERS)
    (problem,) = info.value.problems
    assert problem.dotted_path == "connections.prod.adapter"
    assert "did you mean 'topdesk'?" in problem.message


def test_a_secret_written_inline_is_refused_without_being_shown():
    from matrixcore import http_settings_schema

    text = (
        "rules: rules.yaml\nconnections:\n  prod:\n    adapter: http\n    base_url: https://acme.example\n"
        "    auth: {type: basic, username: u, password: hunter2-inline}\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml", {"http": http_settings_schema()})
    found = {p.dotted_path: p.message for p in info.value.problems}
    assert "never inline" in found["connections.prod.auth.password"]
    assert "hunter2-inline" not in str(info.value)
