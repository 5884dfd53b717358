"""The plugin loads through the ``matrixcore`` entry-point group like any third-party plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from matrixcore_topdesk import TOPDESK_ADAPTER, __version__

from matrixcore import ConfigError, Plugins
from matrixcore._cli import main


def test_the_installed_entry_point_offers_the_topdesk_adapter() -> None:
    plugins = Plugins.load(strict=True, block_external=False)
    spec = plugins.adapters()["topdesk"]
    assert spec is TOPDESK_ADAPTER
    assert spec.version == __version__
    assert plugins.adapter_schemas()["topdesk"]["properties"]["page_size"]["maximum"] == 10000
    assert any(i.name == "topdesk" and i.status == "loaded" for i in plugins.info())
    listed = CliRunner().invoke(main, ["plugins"])
    assert listed.exit_code == 0, listed.output
    assert "topdesk" in listed.output


def test_configs_are_validated_by_the_plugins_schema(tmp_path: Path) -> None:
    plugins = Plugins.load(strict=True, block_external=False)
    config = tmp_path / "matrixcore.yaml"
    config.write_text(
        "rules: rules.yaml\nconnections:\n  td:\n    adapter: topdesk\n"
        "    base_url: https://acme.topdesk.net\n"
        "    auth: {type: basic, username: matrixcore, password: app-password-inline}\n"
    )
    refusal = r"connections\.td\.auth\.password: a secret is given as"
    with pytest.raises(ConfigError, match=refusal) as refused:
        plugins.load_config(config)
    assert "app-password-inline" not in str(refused.value)  # not even when refusing it
