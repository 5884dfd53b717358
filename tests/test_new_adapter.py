"""``matrixcore new-adapter NAME``: a complete package whose own tests pass, with no name left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from matrixcore._cli import main
from matrixcore.scaffold import leftovers, template_root

ROOT = Path(__file__).resolve().parents[1]


def _path_install(package: Path, site: Path, name: str) -> dict[str, str]:
    """Make ``package`` importable and findable as pip would leave it (a ``.dist-info`` with its entry
    point, the ``src`` folder on the path), without touching this environment."""
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    points = project["entry-points"]["matrixcore"]
    (info / "entry_points.txt").write_text(
        "[matrixcore]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
    )
    assert points == {name: f"matrixcore_{name}.plugin"}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(package / "src")])}
    env.pop("MATRIXCORE_DISABLE_PLUGIN_AUTOLOAD", None)
    return env


def test_a_new_adapter_package_is_complete_and_its_tests_pass(tmp_path: Path) -> None:
    target = tmp_path / "matrixcore-acme"
    result = CliRunner().invoke(main, ["new-adapter", "acme", "--dir", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    files = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert {
        "pyproject.toml",
        "README.md",
        "src/matrixcore_acme/adapter.py",
        "src/matrixcore_acme/plugin.py",
        "src/matrixcore_acme/emulator.py",
        "tests/test_acme_contract.py",
        "tests/test_acme_adapter.py",
    } <= files
    assert leftovers(target) == []  # not one "helpdesk" in a name, a path or a line
    project = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "matrixcore-acme"
    assert project["dependencies"] == ["matrixcore-itsm>=0.1"]
    assert "AcmeAdapter" in (target / "src" / "matrixcore_acme" / "adapter.py").read_text()
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# matrixcore-acme\n")
    assert "adapter: acme" in readme
    assert "../../" not in readme  # no link into a checkout it does not live in
    # Its own test suite (the contract suite against its emulator, and its particular tests) passes.
    env = _path_install(target, tmp_path / "site", "acme")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed, run.stdout[-1000:]
    assert int(passed.group(1)) >= 20
    assert "failed" not in run.stdout.splitlines()[-1]
    # And matrixcore finds the plugin through its entry point.
    listed = subprocess.run(
        [sys.executable, "-m", "matrixcore", "plugins", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    plugins = json.loads(listed.stdout)
    entries = plugins["plugins"] if isinstance(plugins, dict) else plugins
    acme = next(p for p in entries if p["name"] == "acme")
    adapters = [a["name"] if isinstance(a, dict) else a for a in acme["adapters"]]
    assert (acme["status"], acme["distribution"], adapters) == ("loaded", "matrixcore-acme", ["acme"])


def test_two_word_names_become_every_kind_of_name(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    assert CliRunner().invoke(main, ["new-adapter", "acme-desk", "--dir", str(target)]).exit_code == 0
    assert (target / "src" / "matrixcore_acme_desk" / "plugin.py").is_file()
    assert (target / "tests" / "test_acme_desk_contract.py").is_file()
    text = (target / "src" / "matrixcore_acme_desk" / "emulator.py").read_text(encoding="utf-8")
    assert "class AcmeDeskEmulator" in text
    assert leftovers(target) == []
    project = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "matrixcore-acme-desk"


@pytest.mark.parametrize("name", ["Acme", "1acme", "acme desk", "acme--x", "matrixcore", "helpdesk", "tests"])
def test_a_name_that_cannot_be_a_package_exits_2(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(main, ["new-adapter", name, "--dir", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert not (tmp_path / "x").exists()


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("keep")
    result = CliRunner().invoke(main, ["new-adapter", "acme", "--dir", str(tmp_path / "taken")])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["mine.txt"]


def test_the_template_ships_in_the_wheel() -> None:
    """The wheel carries the template where ``template_root`` looks first; a checkout uses the example."""
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    force = wheel["targets"]["wheel"]["force-include"]
    assert force["examples/adapter-template"] == "matrixcore/scaffold/adapter-template"
    assert (template_root() / "pyproject.toml").is_file()
    assert (template_root() / "tests").is_dir()
