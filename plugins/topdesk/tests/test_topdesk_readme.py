"""The README's config example is valid, and works against a desk set up the way it describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from matrixcore_topdesk import TOPDESK_ADAPTER, TopdeskSettings
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import PASSWORD, open_adapter

from matrixcore import Ruleset
from matrixcore._config import parse_config

README = Path(__file__).resolve().parents[1] / "README.md"


def config_example() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## Config", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_config_example_passes_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPDESK_APP_PASSWORD", "from-the-environment")
    config = parse_config(config_example(), "matrixcore.yaml", {"topdesk": TOPDESK_ADAPTER.config_schema})
    connection = config.connections["topdesk-prod"]
    settings = TopdeskSettings.from_connection(connection)
    assert settings.page_size == 200
    assert settings.level_map("impact").level("Eén persoon") == "person"
    assert settings.level_map("priority").vendor("P2") == "P2 Hoog"
    assert settings.channels["telefonisch"] == "phone"
    assert "from-the-environment" not in repr(connection)  # a secret, not plain text


def test_the_config_example_checks_clean_against_the_quickstart_desk(
    topdesk: TopdeskServer, quickstart: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOPDESK_APP_PASSWORD", PASSWORD)
    document = yaml.safe_load(config_example())
    section = document["connections"]["topdesk-prod"]
    section.pop("adapter")
    section["base_url"] = topdesk.url
    adapter = open_adapter(json.loads(json.dumps(section)))
    adapter.check()
    problems = adapter.ruleset_problems(quickstart)
    assert [p.severity for p in problems] == ["warning"], problems  # only the archived alias
    assert "'eén persoon'" in problems[0].message
    adapter.close()


def test_the_documented_import_path_of_the_emulator_works() -> None:
    """The README names ``matrixcore_topdesk.testing`` as the emulator's home: the server is there."""
    import matrixcore_topdesk.testing as kit
    from matrixcore_topdesk.testing import TopdeskServer as documented

    assert documented is TopdeskServer
    assert {"TopdeskServer", "TopdeskEmulator"} <= set(kit.__all__)
    assert "matrixcore_topdesk.testing" in README.read_text(encoding="utf-8")
    with documented() as topdesk:
        incident = topdesk.store.add_incident("Printer kapot", impact="Persoon")
        assert topdesk.url.startswith("http://127.0.0.1:")
        assert topdesk.store.get(incident["id"])["number"] == incident["number"]
