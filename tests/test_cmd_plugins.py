"""``matrixcore plugins`` and the global plugin options, as an operator checking a deployment uses them."""

import json
import re

from click.testing import CliRunner
from test_plugins import ACME, ANGRY_RULE, SHOUTING

from matrixcore._cli import main
from matrixcore._plugins import AUTOLOAD_ENV, BUILTIN_PLUGINS

BROKEN = "import not_installed_anywhere\n"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_plugins_lists_builtin_and_installed_plugins_with_what_they_offer(install_plugin):
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore", version="1.2", name="acme")
    result = run("plugins")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "matrixcore.operators  built in  loaded" in lines
    assert "  operators: matches, before, after, within_business_hours, outside_business_hours" in lines
    acme = lines.index("acme  acme-matrixcore 1.2  loaded")
    assert lines[acme + 1 : acme + 3] == [
        "  hooks: adapters, enrich_ticket",
        "  adapters: acme 2.0 (Acme Helpdesk)",
    ]
    assert re.fullmatch(r"\d+ loaded", lines[-1])  # other installed plugins may be counted too


def test_plugins_json_for_scripts(install_plugin):
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore", version="1.2", name="acme")
    result = run("plugins", "--format", "json")
    assert result.exit_code == 0
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    acme = plugins["acme"]
    assert (acme["kind"], acme["status"], acme["distribution"], acme["version"], acme["target"]) == (
        "entry point",
        "loaded",
        "acme-matrixcore",
        "1.2",
        "acme_plugin",
    )
    assert acme["hooks"] == ["matrixcore_adapters", "matrixcore_enrich_ticket"]
    assert acme["adapters"] == [{"name": "acme", "version": "2.0", "description": "Acme Helpdesk"}]
    assert plugins["matrixcore.engine"]["kind"] == "built-in"
    assert plugins["matrixcore.operators"]["operators"][0] == {
        "name": "matches",
        "description": "the value contains a match of a regular expression",
    }


def test_a_broken_plugin_is_listed_with_its_reason_and_exits_1(install_plugin, caplog):
    install_plugin("broken_plugin", BROKEN, dist="broken-matrixcore", version="0.3")
    result = run("plugins")
    assert result.exit_code == 1
    assert "broken_plugin  broken-matrixcore 0.3  failed" in result.stdout
    assert "  error: cannot import broken_plugin: ModuleNotFoundError: No module named" in result.stdout
    assert "plugin 'broken_plugin' (broken-matrixcore 0.3) skipped: cannot import" in caplog.text
    data = json.loads(run("plugins", "--format", "json").stdout)
    (broken,) = [p for p in data["plugins"] if p["status"] == "failed"]
    assert broken["name"] == "broken_plugin"


def test_strict_plugins_makes_a_broken_plugin_exit_2_wherever_it_is_given(install_plugin):
    install_plugin("broken_plugin", BROKEN, dist="broken-matrixcore")
    for args, env in (
        (["--strict-plugins", "plugins"], None),
        (["plugins", "--strict-plugins"], None),
        (["plugins"], {"MATRIXCORE_STRICT_PLUGINS": "1"}),
    ):
        result = run(*args, env=env)
        assert result.exit_code == 2, args
        assert "plugin 'broken_plugin' (broken-matrixcore 1.0): cannot import broken_plugin" in result.stderr
        assert result.stdout == ""


def test_disable_plugin_and_the_autoload_variable(install_plugin):
    install_plugin("broken_plugin", BROKEN)
    install_plugin("acme_plugin", ACME)
    result = run("--disable-plugin", "broken_plugin", "plugins")
    assert result.exit_code == 0
    assert "broken_plugin  broken-plugin 1.0  disabled" in result.stdout
    result = run("plugins", env={"MATRIXCORE_DISABLE_PLUGINS": "broken_plugin acme_plugin"})
    assert "acme_plugin  acme-plugin 1.0  disabled" in result.stdout
    result = run("plugins", env={AUTOLOAD_ENV: "1"})
    assert result.exit_code == 0
    assert "acme_plugin  acme-plugin 1.0  blocked" in result.stdout
    assert re.search(
        rf"^{len(BUILTIN_PLUGINS)} loaded, \d+ blocked \(installed plugins are blocked by {AUTOLOAD_ENV}\)$",
        result.stdout,
        re.M,
    )


def test_clashing_plugins_stop_every_command_naming_both(install_plugin, quickstart_rules):
    install_plugin("acme_plugin", ACME, dist="acme-matrixcore")
    install_plugin("acme_fork", ACME, dist="acme-fork")
    for args in (["plugins"], ["check", str(quickstart_rules)]):
        result = run(*args)
        assert result.exit_code == 2
        assert "adapter 'acme' from plugin 'acme_plugin' (acme-matrixcore 1.0) clashes" in result.stderr
        assert "plugin 'acme_fork' (acme-fork 1.0)" in result.stderr


EXAMPLE = """\
examples:
  - name: shouting gets urgency high
    now: "2025-01-06T12:00:00+01:00"
    ticket: {subject: PRINTER ON FIRE, created: "2025-01-06T10:00:00+01:00"}
    expect: {urgency: high, priority: P3}
"""


def test_check_compiles_rules_with_the_plugins_operators(install_plugin, tmp_path, small_rules_text):
    install_plugin("shouting_plugin", SHOUTING)
    rules = tmp_path / "rules.yaml"
    rules.write_text(small_rules_text.replace("defaults:", ANGRY_RULE, 1) + EXAMPLE)
    result = run("check", str(rules))
    assert result.exit_code == 0, result.output
    assert "examples: 1 passed, 0 failed" in result.stdout
    result = run("--disable-plugin", "shouting_plugin", "check", str(rules))
    assert result.exit_code == 2
    assert "shouting" in result.stderr


def test_check_runs_examples_through_the_decision_hooks(install_plugin, tmp_path, small_rules_text):
    install_plugin(
        "board_plugin",
        """\
        from matrixcore import hookimpl

        @hookimpl
        def matrixcore_classify(engine, ticket, now):
            return engine.classify(ticket, now, engine.evaluate(ticket)._replace(priority="P1"))
        """,
    )
    install_plugin("shouting_plugin", SHOUTING)
    rules = tmp_path / "rules.yaml"
    rules.write_text(small_rules_text.replace("defaults:", ANGRY_RULE, 1) + EXAMPLE)
    result = run("check", str(rules))
    assert result.exit_code == 1
    assert "+ got      'P1'" in result.stdout
    assert run("--disable-plugin", "board_plugin", "check", str(rules)).exit_code == 0
