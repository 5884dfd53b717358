"""The command line as scripts and people use it: exit codes, errors with lines, JSON for machines."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matrixcore._cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_quickstart_runs_examples(quickstart_rules):
    result = run("check", str(quickstart_rules))
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output
    assert "examples: 4 passed, 0 failed" in result.output


def test_check_reports_every_error_and_exits_2(tmp_path, small_rules_text):
    path = tmp_path / "rules.yaml"
    path.write_text(
        small_rules_text.replace("within: 30m", "within: soon").replace(
            "set: {urgency: high}", "set: {urgency: hi}"
        )
    )
    result = run("check", str(path))
    assert result.exit_code == 2
    assert f"{path}:10:" in result.output
    assert "priorities.P1.pickup.within" in result.output
    assert "2 errors" in result.output
    assert "Traceback" not in result.output


def test_check_json_for_machines(tmp_path, small_rules_text):
    path = tmp_path / "rules.yaml"
    path.write_text(small_rules_text.replace("within: 30m", "within: soon"))
    result = run("check", "--format", "json", str(path))
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["valid"] is False
    assert data["problems"][0]["path"] == "priorities.P1.pickup.within"
    assert data["problems"][0]["line"] == 10


def test_failing_example_shows_a_readable_diff_and_exits_1(tmp_path, quickstart_rules):
    text = quickstart_rules.read_text().replace(
        'pickup_by: "2026-11-23T09:15:00+01:00"', 'pickup_by: "2026-11-23T09:30:00+01:00"'
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "expected '2026-11-23T09:30:00+01:00'" in result.output
    assert "got      '2026-11-23T09:15:00+01:00'" in result.output
    assert "rule 'major-outage'" in result.output  # the trace says why
    assert "examples: 3 passed, 1 failed" in result.output


def test_missing_file_is_a_clear_error(tmp_path):
    result = run("check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "cannot read file" in result.output


def test_schema_prints_the_rules_schema():
    result = run("schema", "rules")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "matrix" in schema["properties"]


def test_help_teaches():
    result = run("--help")
    assert "Start here" in result.output
    assert "Exit codes" in result.output
    assert run("check", "--help").output.count("Exit codes") == 1


def test_check_config_reads_the_reports_export_too(tmp_path, quickstart_rules):
    export = tmp_path / "tickets.csv"
    config = tmp_path / "report.yaml"
    config.write_text(f"rules: {quickstart_rules}\nsource: {{path: {export}, preset: topdesk}}\n")
    missing = run("check", "--config", str(config))
    assert missing.exit_code == 2, missing.output  # input it cannot read, as for 'report'

    assert "source tickets (file): not checked" in missing.output
    assert "No such file or directory" in missing.output
    export.write_text("Korte omschrijving;Impact\nPrinter kapot;Persoon\n", encoding="utf-8")
    headless = run("check", "--config", str(config))
    assert headless.exit_code == 2, headless.output
    assert "no column for 'id'" in headless.output
    export.write_text(
        "Incidentnummer;Datum aanmelding;Korte omschrijving\nI 1;31-03-2025 09:00;Printer kapot\n",
        encoding="utf-8",
    )
    fine = run("check", "--config", str(config))
    assert fine.exit_code == 0, fine.output
    assert "source tickets (file): reachable, the export reads" in fine.output


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--config"],
        ["run", "--once", "--config"],
        ["run", "--dry-run", "--config"],
        ["state", "--config"],
        ["check", "--config"],
        ["check"],
    ],
)
def test_an_input_file_that_does_not_exist_is_one_clear_line_and_exit_2(tmp_path, command):
    # Exit 2 is what the systemd unit's RestartPreventExitStatus=2 relies on: no restart loop.
    missing = tmp_path / "nope.yaml"
    result = CliRunner().invoke(main, [*command, str(missing)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [f"{missing}: cannot read file: No such file or directory"]


def test_a_config_that_is_not_yaml_is_refused_like_an_invalid_one(tmp_path):
    config = tmp_path / "matrixcore.yaml"
    config.write_text("rules: [unclosed\n")
    result = CliRunner().invoke(main, ["state", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert f"{config}:2:1: not valid YAML" in result.output


# --- shell completion (click's), as the README documents it ------------------------------------------


#: The installed command, beside the interpreter (the README's install puts it there).
_COMMAND = str(Path(sys.executable).with_name("matrixcore"))


def _readme_completion_lines() -> dict[str, str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Shell completion", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (bash|zsh|fish)[^|]*\| [^|]+\| `(.+)` \|$", section, flags=re.M)
    return {shell: line.replace("\\|", "|") for shell, line in rows}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_documented_completion_script_is_what_matrixcore_prints(shell: str) -> None:
    line = _readme_completion_lines()[shell]
    assert f"_MATRIXCORE_COMPLETE={shell}_source matrixcore" in line
    env = {**os.environ, "_MATRIXCORE_COMPLETE": f"{shell}_source"}
    script = subprocess.run([_COMMAND], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert script.returncode == 0, script.stderr
    # The script calls matrixcore back with the same variable to complete each word.
    assert f"_MATRIXCORE_COMPLETE={shell}_complete" in script.stdout.replace('"', "").replace("'", "")


def test_completion_offers_the_commands_and_their_options() -> None:
    def complete(words: str, index: int) -> list[str]:
        env = {
            **os.environ,
            "_MATRIXCORE_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(index),
        }
        done = subprocess.run([_COMMAND], env=env, capture_output=True, text=True, timeout=60, check=False)
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]

    assert complete("matrixcore sta", 1) == ["state"]
    assert {"report", "run", "check", "state", "plugins", "schema"} <= set(complete("matrixcore ", 1))
    assert "--dry-run" in complete("matrixcore run --d", 2)
