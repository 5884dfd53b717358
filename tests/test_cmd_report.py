"""``matrixcore report`` as scripts and people use it: output, exit codes, progress, and no writes."""

from __future__ import annotations

import csv
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from matrixcore_helpdesk.emulator import HelpdeskEmulator

from matrixcore._cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
CONFIG = str(QUICKSTART / "report.yaml")

EXPORT = "".join(
    line + "\n"
    for line in (
        "id,subject,channel,created,first_response,resolved,priority,impact,urgency",
        "A-1,Printer kapot,email,2025-04-07T10:00:00+02:00,2025-04-07T10:30:00+02:00,"
        "2025-04-07T12:00:00+02:00,P4,person,normal",
        "A-2,Wachtwoord vergeten,portal,2025-04-07T11:00:00+02:00,2025-04-07T11:20:00+02:00,"
        "2025-04-07T11:40:00+02:00,P4,person,normal",
    )
)


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A config dir with the quick-start rules and a two-ticket export whose priorities agree."""
    shutil.copy(QUICKSTART / "rules.yaml", tmp_path / "rules.yaml")
    (tmp_path / "export.csv").write_text(EXPORT)
    (tmp_path / "report.yaml").write_text(
        "rules: rules.yaml\nsource: {path: export.csv}\nreport: {as_of: '2025-07-01T08:00:00+02:00'}\n"
    )
    return tmp_path


def test_the_quick_start_report_shows_what_would_change():
    result = run("report", "--config", CONFIG)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("matrixcore report · Servicedesk Voorbeeld (quick start)\n")
    assert "1,979 tickets: 554 would get another priority" in result.stdout
    assert "Backtest per priority" in result.stdout
    # Not a terminal: no progress bar, but a closing note on stderr for the log.
    assert "reading" not in result.stderr
    assert (
        "1,979 tickets from tickets.csv (csv, preset topdesk): 554 would get another priority"
        in result.stderr
    )


def test_output_is_written_whole_in_the_format_its_suffix_names(tmp_path):
    target = tmp_path / "report.html"
    result = run("report", "--config", CONFIG, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text().startswith("<!doctype html>")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert f"wrote {target}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file left
    as_json = tmp_path / "report.json"
    assert run("report", "--config", CONFIG, "-o", str(as_json), "--tickets", "none").exit_code == 0
    report = json.loads(as_json.read_text())
    assert (report["tickets"], report["summary"]["tickets"]) == ([], 1979)
    missing = run("report", "--config", CONFIG, "-o", str(tmp_path / "nowhere" / "r.csv"))
    assert missing.exit_code == 2
    assert "no such directory" in missing.stderr


def test_an_output_suffix_no_format_writes_is_an_error_listing_the_formats(tmp_path):
    target = tmp_path / "report.pdf"
    result = run("report", "--config", CONFIG, "-o", str(target))
    assert result.exit_code == 2, result.output
    assert "no report format writes .pdf files" in result.stderr
    for suffix in (".csv (csv)", ".html (html)", ".json (json)", ".txt (table)"):
        assert suffix in result.stderr
    assert not target.exists()
    # Naming the format says what the file holds, whatever its name.
    named = run("report", "--config", CONFIG, "-o", str(target), "--format", "csv", "--tickets", "none")
    assert named.exit_code == 0, named.output
    assert target.read_text().startswith("ticket,number,")


def test_quiet_leaves_stderr_empty(tmp_path):
    result = run("report", "--config", CONFIG, "--quiet", "-o", str(tmp_path / "r.csv"))
    assert result.exit_code == 0
    assert result.stderr == ""
    with (tmp_path / "r.csv").open(newline="") as rows:
        assert len(list(csv.DictReader(rows))) == 615  # the tickets that change


def test_fail_on_change_exits_1_only_when_a_priority_would_change(desk):
    assert (
        run("report", "--config", CONFIG, "--quiet", "--tickets", "none", "--fail-on-change").exit_code == 1
    )
    same = run("report", "--config", str(desk / "report.yaml"), "--quiet", "--fail-on-change")
    assert same.exit_code == 0, same.output
    assert "2 tickets: 0 would get another priority" in same.stdout


def test_bad_rows_are_reported_with_their_line_and_fail_only_when_asked(desk):
    with (desk / "export.csv").open("a") as out:
        out.write("A-3,Geen datum,email,morgen,,,P4,person,normal\n")
    result = run("report", "--config", str(desk / "report.yaml"), "--format", "json")
    assert result.exit_code == 0
    assert f"{desk / 'export.csv'}:4: column 'created' (created): 'morgen' is not a time" in result.stderr
    assert "2 tickets from export.csv (csv, preset matrixcore) (1 rows skipped)" in result.stderr
    assert json.loads(result.stdout)["summary"]["source"]["skipped"] == 1
    failing = run("report", "--config", str(desk / "report.yaml"), "--quiet", "--fail-on-skipped")
    assert failing.exit_code == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("rules: rules.yaml\nsource:\n  path: export.csv\n  preset: topdsk\n", "report.yaml:4:"),
        ("rules: rules.yaml\n", "no 'source' section"),
        ("rules: rules.yaml\nsource: {path: gone.csv}\n", "cannot read the export"),
        (
            "rules: rules.yaml\nsource: {path: export.csv, columns: {created: Datum}}\n",
            "no column for 'created'",
        ),
        ("rules: missing.yaml\nsource: {path: export.csv}\n", "missing.yaml"),
        ("rules: rules.yaml\nsource: {path: export.csv}\nreport: {format: pdf}\n", "unknown format 'pdf'"),
    ],
)
def test_invalid_input_exits_2_saying_what_is_wrong(desk, config, message):
    (desk / "report.yaml").write_text(config)
    result = run("report", "--config", str(desk / "report.yaml"))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "html"])
def test_a_report_that_read_no_ticket_exits_2_and_writes_no_file(desk, fmt):
    """Every row skipped (here: a date format no row has) is invalid input, not "0 tickets"."""
    (desk / "report.yaml").write_text(
        "rules: rules.yaml\nsource: {path: export.csv, date_format: '%d/%m/%Y'}\n"
    )
    (desk / "export.csv").write_text("id,created\nA-1,gisteren\nA-2,eergisteren\n")
    target = desk / f"out.{fmt}"
    result = run("report", "--config", str(desk / "report.yaml"), "--format", fmt, "-o", str(target))
    assert result.exit_code == 2, result.output
    assert (
        f"{desk / 'export.csv'}: no ticket read (2 rows, 2 skipped); line 2: column 'created' (created): "
        "'gisteren' is not a time" in result.stderr
    )
    assert not target.exists()
    assert sorted(p.name for p in desk.iterdir()) == ["export.csv", "report.yaml", "rules.yaml"]
    (desk / "export.csv").write_text("id,created\n")
    empty = run("report", "--config", str(desk / "report.yaml"), "--format", fmt)
    assert empty.exit_code == 2
    assert "no ticket read (0 rows, 0 skipped)" in empty.stderr


def test_bad_options_exit_2(desk):
    config = str(desk / "report.yaml")
    assert "has no offset" in run("report", "--config", config, "--as-of", "2025-07-01T08:00").output
    assert run("report", "--config", config, "--as-of", "2025-07-01T08:00").exit_code == 2
    unknown = run("report", "--config", config, "--format", "xlsx")
    assert unknown.exit_code == 2
    assert "installed: csv, html, json, table" in unknown.output


def test_as_of_decides_what_is_still_pending(desk):
    (desk / "export.csv").write_text(
        EXPORT.splitlines()[0] + "\nA-9,Open,email,2025-04-07T10:00:00+02:00,,,P4,,\n"
    )
    config = str(desk / "report.yaml")

    def pickup(*extra: str) -> dict:
        result = run("report", "--config", config, "--format", "json", "--quiet", *extra)
        return json.loads(result.stdout)["summary"]["backtest"]["pickup"]["total"]

    assert pickup()["missed"] == 1  # the config's as_of, months later
    assert pickup("--as-of", "2025-04-07T11:00:00+02:00")["pending"] == 1


def test_a_live_connection_is_only_read(tmp_path, monkeypatch):
    monkeypatch.setenv("HD_TOKEN", "hd-token-5f2c9e")
    shutil.copy(QUICKSTART / "rules.yaml", tmp_path / "rules.yaml")
    with HelpdeskEmulator() as emulator:
        emulator.add_ticket(subject="Outlook is down for our whole office", priority="low", channel="twitter")
        emulator.add_ticket(subject="Vraag: hoe deel ik een agenda?", priority="normal", channel="email")
        before = json.dumps(emulator.tickets, sort_keys=True, default=str)
        (tmp_path / "c.yaml").write_text(
            textwrap.dedent(
                f"""\
                rules: rules.yaml
                connections:
                  helpdesk:
                    adapter: helpdesk
                    base_url: {emulator.url}
                    auth: {{type: bearer, token: {{env: HD_TOKEN}}}}
                    priority_map: {{P1: urgent, P2: high, P3: normal, P4: low}}
                source: {{connection: helpdesk}}
                """
            )
        )
        result = run("report", "--config", str(tmp_path / "c.yaml"), "--format", "json", "--tickets", "all")
        assert result.exit_code == 0, result.output
        tickets = json.loads(result.stdout)["tickets"]
        assert [(t["current"]["priority"], t["proposed"]["priority"]) for t in tickets] == [
            ("P4", "P1"),
            ("P3", "P5"),
        ]
        assert tickets[0]["messages"][0]["policy"] == "acknowledge"
        assert emulator.requests, "the report read nothing"
        assert {r.method for r in emulator.requests} == {"GET"}
        assert json.dumps(emulator.tickets, sort_keys=True, default=str) == before
        assert all(not messages for messages in emulator.messages.values())


def test_an_unreachable_tool_exits_3(tmp_path, monkeypatch):
    monkeypatch.setenv("HD_TOKEN", "x")
    shutil.copy(QUICKSTART / "rules.yaml", tmp_path / "rules.yaml")
    (tmp_path / "c.yaml").write_text(
        "rules: rules.yaml\n"
        "connections:\n"
        "  helpdesk:\n"
        "    adapter: helpdesk\n"
        "    base_url: http://127.0.0.1:9\n"
        "    auth: {type: bearer, token: {env: HD_TOKEN}}\n"
        "    retry: {max_attempts: 1}\n"
        "    timeout: 2\n"
        "source: {connection: helpdesk}\n"
    )
    result = run("report", "--config", str(tmp_path / "c.yaml"))
    assert result.exit_code == 3, result.output
    assert "source 'helpdesk'" in result.stderr


def test_an_export_is_left_untouched_and_nothing_else_is_written(desk):
    export = desk / "export.csv"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in desk.iterdir()}
    for fmt in ("table", "csv", "json", "html"):
        assert run("report", "--config", str(desk / "report.yaml"), "--format", fmt).exit_code == 0
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in desk.iterdir()}
    assert after == before
    assert export.read_text() == EXPORT


def test_a_plugin_format_is_used_like_a_built_in_one(desk, install_plugin):
    install_plugin(
        "markdown_format",
        """
        from matrixcore import ReportFormat, hookimpl

        def render(report, out):
            for row in report.rows:
                out.write(f"- {row.number}: {row.ticket.priority} -> {row.priority}\\n")
            out.write(f"{report.summary.tickets} tickets\\n")

        @hookimpl
        def matrixcore_report_formats():
            return [ReportFormat("markdown", render, ".md", "text/markdown", "a Markdown list")]
        """,
    )
    result = run("report", "--config", str(desk / "report.yaml"), "--format", "markdown", "--tickets", "all")
    assert result.exit_code == 0, result.output
    assert result.stdout == "- A-1: P4 -> P4\n- A-2: P4 -> P4\n2 tickets\n"


def test_help_teaches_the_source_section_examples_and_exit_codes():
    text = run("report", "--help").output
    for expected in (
        "preset: topdesk",
        "source: {connection: topdesk-prod}",
        "--fail-on-change",
        "Exit codes: 0 done",
    ):
        assert expected in text
    assert "matrixcore report --config examples/quickstart/report.yaml" in text


def _stderr_on_a_terminal(args: list[str], tmp_path: Path, stdout_to: str = "file") -> str:
    """Run the command with stderr on a pseudo-terminal (as a person would see it); return what it
    wrote there. stdout goes to a file, into a pipe (a pager), or to the same terminal."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-c", "from matrixcore._cli import main; main()", *args]
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    with (tmp_path / "stdout").open("w") as stdout:
        target = {"file": stdout, "pipe": subprocess.PIPE, "terminal": follower}[stdout_to]
        process = subprocess.Popen(command, stdout=target, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    if process.stdout is not None:
        process.stdout.read()
        process.stdout.close()
    assert process.wait(timeout=60) == 0
    return seen.decode(errors="replace")


def test_a_progress_bar_shows_on_a_terminal_and_only_there(tmp_path):
    args = ["report", "--config", CONFIG, "-o", str(tmp_path / "r.json")]
    watched = _stderr_on_a_terminal(args, tmp_path)
    assert "reading" in watched
    assert "tickets.csv" in watched
    assert "1,979 tickets from tickets.csv" in watched
    quiet = _stderr_on_a_terminal([*args, "--quiet"], tmp_path)
    assert quiet == ""


def test_the_progress_bar_never_mixes_with_the_report(tmp_path):
    """Into a pipe (a pager on the same terminal): no bar. To the terminal itself: the bar shows
    while the export is read and is cleared before the first line of the report."""
    args = ["report", "--config", CONFIG, "--tickets", "none"]
    piped = _stderr_on_a_terminal(args, tmp_path, stdout_to="pipe")
    assert "reading" not in piped
    assert "1,979 tickets from tickets.csv" in piped  # the closing note still comes
    shared = _stderr_on_a_terminal(args, tmp_path, stdout_to="terminal")
    assert "reading" in shared
    report_starts = shared.index("matrixcore report")  # in bold: a terminal gets colour
    assert shared.rindex("reading") < report_starts
    assert "\x1b[2K" in shared[shared.rindex("reading") : report_starts]  # the bar's line erased
    assert "Backtest per priority" in shared[report_starts:]
