"""The plugin loads through the ``matrixcore`` entry-point group like any third-party plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
from matrixcore_zendesk import __version__, plugin

from matrixcore import ConfigError, Plugins


def test_the_installed_entry_point_offers_the_zendesk_adapter() -> None:
    plugins = Plugins.load(strict=True, block_external=False)

    spec = plugins.adapters()["zendesk"]

    assert spec.factory is plugin.ZendeskAdapter
    assert spec.version == __version__
    assert plugins.adapter_schemas()["zendesk"]["properties"]["subdomain"]["type"] == "string"
    assert any(i.name == "zendesk" and i.status == "loaded" for i in plugins.info())


def test_configs_are_validated_by_the_plugins_schema(tmp_path: Path) -> None:
    plugins = Plugins.load(strict=True, block_external=False)
    config = tmp_path / "matrixcore.yaml"
    config.write_text("rules: rules.yaml\nconnections:\n  zd:\n    adapter: zendesk\n    subdomain: acme\n")

    with pytest.raises(ConfigError, match="'auth' is a required property"):
        plugins.load_config(config)
