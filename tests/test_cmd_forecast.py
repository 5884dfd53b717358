"""``matrixcore forecast`` as planners and scripts use it: one command from an export to a plan."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from matrixcore._cli import main
from matrixcore._schemas import load_schema

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "examples" / "quickstart" / "report.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_quick_start_export_gets_a_forecast_and_staffing_plan_per_channel():
    result = run("forecast", "--config", CONFIG, "--weeks", "1", "-q")
    assert result.exit_code == 0, result.output
    out = result.output
    for channel in ("chat", "email", "facebook", "phone", "portal", "twitter"):
        assert f"\n{channel} (" in out
    assert "backtest: seasonal-naive MASE" in out
    assert "P10-P90 held" in out
    assert "sunny" in out
    assert "partly cloudy" in out
    assert "stormy" in out
    assert "staffing: erlang-c" in out
    assert "staffing: deadline" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_csv_has_a_row_per_interval_and_channel_for_planners(tmp_path):
    target = tmp_path / "plan.csv"
    result = run("forecast", "--config", CONFIG, "--weeks", "2", "--interval", "30m", "-o", str(target), "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 6 * 2 * 7 * 48
    assert {r["channel"] for r in rows} == {"chat", "email", "facebook", "phone", "portal", "twitter"}
    first = rows[0]
    assert first["start"].endswith("+02:00")
    assert first["start"][14:16] in ("00", "30")
    for row in rows:
        if row["open"] == "0":
            assert row["sunny_agents"] == row["stormy_agents"] == "0"
        if row["class"] == "real-time":  # a queue needs more agents for more contacts, hour by hour
            assert int(row["stormy_agents"]) >= int(row["sunny_agents"])
        assert int(row["p10"]) <= int(row["p90"])
    for channel in ("email", "portal"):  # a backlog needs more agent-hours over the weeks
        mine = [r for r in rows if r["channel"] == channel]
        assert sum(int(r["stormy_agents"]) for r in mine) >= sum(int(r["sunny_agents"]) for r in mine)
    for row in rows:  # the flexible extra on top of the sunny base roster
        assert int(row["stormy_extra"]) == max(0, int(row["stormy_rostered"]) - int(row["sunny_rostered"]))
    assert "sunny_extra" not in first
    assert "partly_cloudy_extra" in first
    staffed = [r for r in rows if r["channel"] == "phone" and int(r["sunny_agents"]) > 0]
    assert staffed
    assert all(int(r["sunny_rostered"]) >= int(r["sunny_agents"]) for r in staffed)


def test_json_follows_its_published_schema():
    result = run("forecast", "--config", CONFIG, "--weeks", "1", "--format", "json", "-q")
    assert result.exit_code == 0
    document = json.loads(result.output)
    Draft202012Validator(load_schema("forecast")).validate(document)
    assert document["interval_minutes"] == 60
    phone = next(c for c in document["channels"] if c["channel"] == "phone")
    assert len(phone["intervals"]) == 168
    assert phone["model"] in document["models"]
    assert {s["model"] for s in phone["backtest"]} == {"seasonal-naive", "week-average", "day-profile"}
    # per class: its channels added up, day by day
    classes = {c["class"]: c for c in document["classes"]}
    assert sorted(classes["real-time"]["channels"]) == ["chat", "phone", "twitter"]
    members = [c for c in document["channels"] if c["channel"] in classes["real-time"]["channels"]]
    for i, day in enumerate(classes["real-time"]["days"]):
        assert day["expected"] == pytest.approx(sum(c["days"][i]["expected"] for c in members))
        assert day["stormy"]["agent_hours"] == sum(c["days"][i]["stormy"]["agent_hours"] for c in members)
    schema = run("schema", "forecast")
    assert schema.exit_code == 0
    assert json.loads(schema.output)["title"] == "matrixcore forecast --format json"


def test_as_of_decides_where_the_forecast_begins():
    result = run("forecast", "--config", CONFIG, "--weeks", "1", "--as-of", "2025-06-16T00:00+02:00", "-q")
    assert result.exit_code == 0
    assert "from 2025-06-16 00:00" in result.output
    bad = run("forecast", "--config", CONFIG, "--as-of", "2025-06-16")
    assert bad.exit_code == 2
    assert "has no offset" in bad.output


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("rules: rules.yaml\n", "no state file"),  # no source: the daemon's state, which is not there
        ("rules: rules.yaml\nforecast: {}\n", "has matrixcore run yet?"),
        ("rules: rules.yaml\nsource: {path: missing.csv}\n", "missing.csv"),
        ("rules: rules.yaml\nsource: {path: t.csv}\nforecast: {weeks: 13}\n", "forecast.weeks"),
        (
            "rules: rules.yaml\nsource: {path: t.csv}\nforecast: {channels: {phone: {shrinkage: 1.5}}}\n",
            "shrinkage",
        ),
    ],
)
def test_invalid_input_exits_2_saying_what_is_wrong(tmp_path, config, message):
    (tmp_path / "rules.yaml").write_text((ROOT / "examples" / "quickstart" / "rules.yaml").read_text())
    (tmp_path / "t.csv").write_text("id,created,channel\n1,2025-01-06T09:00:00+01:00,email\n")
    path = tmp_path / "c.yaml"
    path.write_text(config)
    result = CliRunner().invoke(main, ["forecast", "--config", str(path)])
    assert result.exit_code == 2
    assert message in result.output


def test_the_config_section_sets_staffing_events_and_scenarios(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            rules: {ROOT / "examples" / "quickstart" / "rules.yaml"}
            source:
              path: {ROOT / "examples" / "quickstart" / "tickets.csv"}
              preset: topdesk
              timezone: Europe/Amsterdam
            forecast:
              weeks: 1
              scenarios: {{calm: 0.5, wild: 0.99}}
              defaults: {{aht: 5m, shrinkage: 0.2}}
              channels:
                phone: {{aht: 7m, patience: 2m}}
                email: {{response: 2h, backlog: 30}}
              events:
                - {{name: release, start: "2025-07-01", channels: [portal], effect: +40%}}
            """
        )
    )
    result = run("forecast", "--config", str(config), "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [s["name"] for s in document["scenarios"]] == ["calm", "wild"]
    channels = {c["channel"]: c for c in document["channels"]}
    assert channels["phone"]["staffing"]["method"] == "erlang-a"
    assert channels["phone"]["staffing"]["handle_minutes"] == 7
    assert channels["chat"]["staffing"]["handle_minutes"] == 5
    assert channels["email"]["staffing"]["response_minutes"] == 120
    assert channels["email"]["staffing"]["target_source"] == "configured"
    assert [e["name"] for e in channels["portal"]["events"]] == ["release"]
    assert channels["chat"]["events"] == []


def test_help_teaches_the_section_examples_and_exit_codes():
    result = run("forecast", "--help")
    assert result.exit_code == 0
    for text in ("forecast:", "scenarios:", "events:", "Examples:", "Exit codes:", "Erlang C", "deadline"):
        assert text in result.output
    assert "matrixcore forecast --config c.yaml" in run("--help").output


def test_a_progress_bar_shows_on_a_terminal_and_only_there(tmp_path):
    from test_cmd_report import _stderr_on_a_terminal

    args = ["forecast", "--config", CONFIG, "--weeks", "1", "-o", str(tmp_path / "f.csv")]
    watched = _stderr_on_a_terminal(args, tmp_path)
    assert "reading" in watched
    assert "tickets.csv" in watched
    assert "1,979 tickets from tickets.csv (csv, preset topdesk): 6 channels forecast 1 week" in watched
    assert _stderr_on_a_terminal([*args, "--quiet"], tmp_path) == ""


def test_a_live_connection_is_only_read(tmp_path, monkeypatch):
    import shutil
    from datetime import UTC, datetime, timedelta

    from matrixcore_helpdesk.emulator import HelpdeskEmulator

    monkeypatch.setenv("HD_TOKEN", "hd-token-5f2c9e")
    shutil.copy(ROOT / "examples" / "quickstart" / "rules.yaml", tmp_path / "rules.yaml")
    with HelpdeskEmulator() as emulator:
        monday = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
        for day in range(21):  # three weeks: every weekday two e-mails and a tweet
            if day % 7 < 5:
                for minute, channel in ((5, "email"), (35, "email"), (50, "twitter")):
                    created = monday + timedelta(days=day, minutes=minute)
                    emulator.add_ticket(channel=channel, created_at=created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
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
                forecast: {{weeks: 1, as_of: "2025-06-23T00:00:00+02:00"}}
                """
            )
        )
        result = run("forecast", "--config", str(tmp_path / "c.yaml"), "--format", "json", "-q")
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        assert document["source"] == "connection helpdesk"
        channels = {c["channel"]: c for c in document["channels"]}
        assert channels["email"]["history"]["arrivals"] == 30
        assert channels["email"]["history"]["weeks"] == 3
        assert channels["twitter"]["history"]["arrivals"] == 15
        assert {r.method for r in emulator.requests} == {"GET"}
        assert json.dumps(emulator.tickets, sort_keys=True, default=str) == before
