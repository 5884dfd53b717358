"""The file source: exports as tools write them, bad rows reported by line and skipped, never a write."""

from __future__ import annotations

import json
import textwrap
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from matrixcore import ConfigError, ConnectionConfig, PriorityChange, ReadOnlyError, load_ruleset
from matrixcore._config import parse_config
from matrixcore._plugins import Plugins
from matrixcore.exports._source import ExportError, FileSource, file_source_schema

AMS = ZoneInfo("Europe/Amsterdam")

HEADER = (
    "Incidentnummer;Korte omschrijving;Aanmeldingswijze;Aanmelder;Taal;VIP;Categorie;Impact;Urgentie;"
    "Prioriteit;Datum aanmelding;Datum reactie;Datum gereed;Streefdatum;Duur parkeren;"
    "Aantal getroffen gebruikers"
)
TOPDESK_CSV = "\n".join(
    [
        HEADER,
        "I 2504 001;Storing: Outlook is plat;E-mail;Sanne Vos;nl;;Storing;Organisatie;Hoog;P1 kritiek;"
        "01-04-2025 09:13;01-04-2025 09:20;01-04-2025 11:00;01-04-2025 13:13;;60",
        'I 2504 002;"Printer geeft',  # a quoted subject over two lines
        'een foutmelding";Telefoon;Jan Bakker;nl;Ja;Hardware;Persoon;Normaal;P4 laag;gisteren;;;;;1',
        "I 2504 003;Question: how do I share a calendar?;Twitter;Emma Smith;en;;Vraag;Persoon;Laag;Heel laag;"
        "01-04-2025 22:00;;;;90;1",
        "I 2504 004;Te weinig cellen;E-mail",
        ";Leeg nummer;E-mail;Eva Bos;nl;;Hardware;Persoon;Normaal;P4 laag;02-04-2025 10:00;;;;;1",
        "I 2504 006;Laptop wordt warm;Zelfbedieningsportaal;Eva Bos;nl;;Hardware;Persoon;Normaal;P4 laag;"
        "02-04-2025 10:05;02-04-2025 11:00;;;;1",
        "",
    ]
)

VALUES = {
    "impact": {"Organisatie": "organisation", "Persoon": "person"},
    "urgency": {"Hoog": "high", "Normaal": "normal", "Laag": "low"},
}


def source(path: Path, **settings) -> FileSource:
    return FileSource(ConnectionConfig("export", "file", {"path": str(path), **settings}))


def read(export: FileSource) -> list:
    return [ticket for batch in export.fetch(None) for ticket in batch.tickets]


@pytest.fixture
def topdesk_csv(tmp_path: Path) -> Path:
    path = tmp_path / "topdesk.csv"
    path.write_text(TOPDESK_CSV, encoding="utf-8")
    return path


@pytest.fixture
def quickstart(quickstart_rules):
    return load_ruleset(quickstart_rules)


def test_a_topdesk_export_is_read_as_the_desk_wrote_it(topdesk_csv, quickstart):
    export = source(
        topdesk_csv,
        preset="topdesk",
        timezone="Europe/Amsterdam",
        columns={"custom.affected_users": "Aantal getroffen gebruikers"},
        values=VALUES,
    )
    export.use_ruleset(quickstart)
    export.check()
    outage, question, laptop = read(export)
    assert outage.number == outage.id == "I 2504 001"
    assert outage.created == datetime(2025, 4, 1, 9, 13, tzinfo=AMS)
    assert outage.created.utcoffset() == timedelta(hours=2)  # summer time, from the zone
    assert (outage.channel, outage.subject, outage.category) == (
        "email",
        "Storing: Outlook is plat",
        "Storing",
    )
    assert (outage.impact, outage.urgency, outage.priority) == ("organisation", "high", "P1")
    assert outage.first_response == datetime(2025, 4, 1, 9, 20, tzinfo=AMS)
    assert outage.resolved == datetime(2025, 4, 1, 11, 0, tzinfo=AMS)
    assert outage.requester.name == "Sanne Vos"
    assert outage.requester.language == "nl"
    assert outage.custom["affected_users"] == 60
    assert outage.custom["target_date"] == "2025-04-01T13:13:00+02:00"
    assert question.channel == "twitter"
    assert question.priority is None  # "Heel laag" is no priority of the rules
    assert question.paused_seconds == 90 * 60
    assert laptop.channel == "portal"
    assert laptop.requester.vip is False


def test_bad_rows_are_skipped_reported_by_line_and_the_run_goes_on(topdesk_csv, quickstart):
    export = source(topdesk_csv, preset="topdesk", timezone="Europe/Amsterdam", values=VALUES)
    export.use_ruleset(quickstart)
    tickets = read(export)
    assert [t.number for t in tickets] == ["I 2504 001", "I 2504 003", "I 2504 006"]
    stats = export.stats
    assert (stats.rows, stats.tickets, stats.skipped) == (6, 3, 3)
    lines = {p.line: p.message for p in stats.problems}
    # The second ticket's subject spans lines 3 and 4; its problem is reported where the row starts.
    assert set(lines) == {3, 6, 7}
    assert "column 'Datum aanmelding' (created): 'gisteren' is not a time" in lines[3]
    # The date format the first rows agreed on is named; no format would read a word.
    assert lines[3].endswith("(read as ISO 8601, %d-%m-%Y %H:%M)")
    assert stats.date_formats == ("%d-%m-%Y %H:%M",)
    assert stats.date_formats_how == "inferred"
    assert lines[6] == "has 3 cells, the header has 16"
    assert lines[7] == "no ticket id (the id and number columns are empty)"


def test_every_export_value_is_read_once_and_reported_with_how(topdesk_csv, quickstart):
    export = source(topdesk_csv, preset="topdesk", timezone="Europe/Amsterdam", values=VALUES)
    export.use_ruleset(quickstart)
    read(export)
    priorities = {
        v.value: (v.level, v.how, v.count, v.first_line) for v in export.stats.values["priority"].values()
    }
    assert priorities["P1 kritiek"] == ("P1", "label", 1, 2)
    assert priorities["P4 laag"] == ("P4", "label", 1, 8)
    assert priorities["Heel laag"] == (None, "unmapped", 1, 5)
    impacts = {v.value: v.how for v in export.stats.values["impact"].values()}
    assert impacts == {"Organisatie": "configured", "Persoon": "configured"}


def test_configured_values_must_name_levels_of_the_rules(topdesk_csv, quickstart):
    export = source(topdesk_csv, preset="topdesk", values={"impact": {"Persoon": "individual"}})
    with pytest.raises(
        ExportError, match=r"values\.impact: 'Persoon' maps to 'individual', which is not an impact"
    ):
        export.use_ruleset(quickstart)


def test_positions_are_used_only_where_the_scales_have_as_many_steps(tmp_path, quickstart, small_rules_text):
    path = tmp_path / "servicenow.csv"
    path.write_text(
        "number,short_description,contact_type,impact,urgency,priority,opened_at\n"
        "INC0010001,VPN down,Self-service,1 - High,2 - Medium,3 - Moderate,2025-04-01 09:00:00\n"
    )
    export = source(path, preset="servicenow")
    export.use_ruleset(quickstart)  # 5 impacts, 3 urgencies, 5 priorities
    (ticket,) = read(export)
    assert ticket.channel == "portal"
    assert (ticket.impact, ticket.urgency, ticket.priority) == (None, "normal", "P3")
    assert export.stats.values["impact"]["1 - High"].how == "unmapped"
    assert export.stats.values["urgency"]["2 - Medium"].how == "position"
    small = tmp_path / "small.yaml"
    small.write_text(small_rules_text)  # 3 x 3 matrix, 4 priorities
    export.use_ruleset(load_ruleset(small))
    (ticket,) = read(export)
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("high", "medium", "P3")
    assert ticket.created == datetime(2025, 4, 1, 9, tzinfo=UTC)  # no zone configured: UTC


def test_json_lines_with_nested_keys_and_bad_lines(tmp_path):
    path = tmp_path / "zendesk.jsonl"
    records = [
        {
            "id": 35436,
            "subject": "Help, my printer is on fire!",
            "via": {"channel": "twitter"},
            "priority": "high",
            "status": "open",
            "created_at": "2025-04-01T07:00:00Z",
            "metric_set": {
                "reply_time_in_minutes": {"calendar": 42},
                "on_hold_time_in_minutes": {"calendar": 0},
            },
            "requester": {"name": "Mia", "locale": "en-US"},
            "tags": ["vip", "printer"],
            "organization_id": 509974,
        },
        {"id": 35437, "subject": "No creation time"},
    ]
    lines = [json.dumps(records[0]), "", "[1, 2, 3]", "{not json", json.dumps(records[1]), ""]
    path.write_text("\n".join(lines) + "\n")
    export = source(path, preset="zendesk")
    (ticket,) = read(export)
    assert ticket.id == "35436"
    assert ticket.channel == "twitter"
    assert ticket.created == datetime(2025, 4, 1, 7, tzinfo=UTC)
    assert ticket.first_response == ticket.created + timedelta(minutes=42)
    assert ticket.requester.language == "en-US"
    assert ticket.custom["tags"] == ["vip", "printer"]
    assert ticket.custom["organization_id"] == 509974  # unmapped keys are kept as custom fields
    problems = {p.line: p.message for p in export.stats.problems}
    assert problems[3] == "not a JSON object but list"
    assert problems[4].startswith("not JSON: ")
    assert problems[5] == "no creation time (the created column is empty)"
    assert export.stats.provides("first_response")  # from the reply-time metric
    assert not export.stats.provides("resolved")


def test_a_recorded_topdesk_api_incident_reads_with_the_topdesk_preset(tmp_path, research_data):
    recorded = research_data / "topdesk" / "recorded" / "topdesk_incident.json"
    if not recorded.is_file():
        pytest.skip(f"research data not available at {recorded}")
    path = tmp_path / "incidents.jsonl"
    path.write_text(json.dumps(json.loads(recorded.read_text())) + "\n")
    (ticket,) = read(source(path, preset="topdesk"))
    assert ticket.id == "some-test-id-1"
    assert ticket.number == "TEST-1"
    assert ticket.channel == "automation"  # entryType.name, passed through
    assert ticket.status == "Logged"
    assert ticket.created == datetime(2021, 2, 11, 6, 32, 36, 303000, tzinfo=UTC)  # callDate, "+0000"


def test_a_real_servicenow_incident_log_reads_without_problems(tmp_path, quickstart, research_data):
    log = research_data / "servicenow-incident-log" / "incident_event_log.head-2000.csv"
    if not log.is_file():
        pytest.skip(f"research data not available at {log}")
    export = source(log, preset="servicenow", date_format="%d/%m/%Y %H:%M", null_values=["?"])
    export.use_ruleset(quickstart)
    tickets = read(export)
    assert export.stats.skipped == 0
    # An event log: one row per state change, an incident's rows together. Each incident is one
    # ticket, as its last row (its latest state) has it.
    numbers = [line.split(",", 1)[0] for line in log.read_text(encoding="utf-8").splitlines()[1:]]
    assert export.stats.rows == 2000
    assert [t.number for t in tickets] == list(dict.fromkeys(numbers))
    assert export.stats.merged == 2000 - len(tickets) > 0
    first = tickets[0]
    assert first.status == "Closed"  # INC0000045 went New, Resolved, Resolved, Closed
    assert first.number == "INC0000045"
    assert first.channel == "phone"
    assert first.priority == "P3"  # "3 - Moderate", by position on five priorities
    assert first.custom["sla_met"] is True
    assert first.created == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)
    assert first.resolved == datetime(2016, 2, 29, 11, 29, tzinfo=UTC)
    assert first.requester.name == "Caller 2403"
    assert export.stats.values["priority"]["3 - Moderate"].how == "position"
    assert not export.stats.provides("first_response")


#: A ServiceNow event-log export as the UCI copy has it: d/M/yyyy dates, "?" for no value, an
#: incident closed without a resolution time.
SERVICENOW_LOG = "\n".join(
    ",".join(row)
    for row in [
        (
            *["number", "incident_state", "made_sla", "opened_at", "contact_type", "subcategory"],
            *["impact", "urgency", "priority", "resolved_at", "closed_at"],
        ),
        (
            *["INC0000045", "New", "true", "29/2/2016 01:16", "Phone", "Subcategory 170"],
            *["2 - Medium", "2 - Medium", "3 - Moderate", "?", "?"],
        ),
        (
            *["INC0000045", "Resolved", "true", "29/2/2016 01:16", "Phone", "Subcategory 170"],
            *["2 - Medium", "2 - Medium", "3 - Moderate", "29/2/2016 11:29", "?"],
        ),
        (
            *["INC0000045", "Closed", "true", "29/2/2016 01:16", "Phone", "Subcategory 170"],
            *["2 - Medium", "2 - Medium", "3 - Moderate", "29/2/2016 11:29", "5/3/2016 12:00"],
        ),
        (
            *["INC0000047", "New", "false", "1/3/2016 08:05", "Email", "?"],
            *["1 - High", "2 - Medium", "2 - High", "?", "?"],
        ),
        (
            *["INC0000047", "Closed", "false", "1/3/2016 08:05", "Email", "?"],
            *["1 - High", "2 - Medium", "2 - High", "?", "8/3/2016 09:00"],
        ),
    ]
)


def test_a_servicenow_log_reads_with_the_preset_alone(tmp_path, quickstart):
    """No date_format, no null_values: the preset knows '?' and the first rows say days come first."""
    path = tmp_path / "incidents.csv"
    path.write_text(SERVICENOW_LOG)
    export = source(path, preset="servicenow")
    export.use_ruleset(quickstart)
    export.check()
    first, second = read(export)
    stats = export.stats
    assert (stats.rows, stats.tickets, stats.skipped, stats.merged) == (5, 2, 0, 3)
    assert stats.date_formats == ("%d/%m/%Y %H:%M",)
    assert stats.date_formats_how == "inferred"
    assert "?" in stats.nulls
    assert first.created == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)
    assert first.resolved == datetime(2016, 2, 29, 11, 29, tzinfo=UTC)
    assert first.custom["closed_at"] == "2016-03-05T12:00:00+00:00"
    # Closed without a resolution time: the resolution stays unknown, the closing time is kept apart.
    assert second.resolved is None
    assert second.custom["closed_at"] == "2016-03-08T09:00:00+00:00"
    assert second.subcategory == ""
    # The preset's columns this export lacks are named, with what the preset looked for.
    assert stats.missing["subject"] == ("short_description",)
    assert stats.missing["first_response"] == ("work_start", "u_first_response")
    assert "status" not in stats.missing
    assert "closed" not in stats.missing
    assert stats.as_dict()["missing_columns"]["subject"] == ["short_description"]
    # How values were read counts rows (an event log has several per ticket), and says so.
    impact = stats.as_dict()["values"]["impact"]
    assert {v["value"]: v["rows"] for v in impact} == {"2 - Medium": 3, "1 - High": 2}


def test_ambiguous_dates_stop_with_a_clear_error_and_a_format_decides(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("number,opened_at,impact\nINC1,3/4/2016 10:00,1 - High\nINC2,5/4/2016 11:00,1 - High\n")
    with pytest.raises(ExportError) as caught:
        source(path, preset="servicenow").check()
    message = str(caught.value)
    assert str(path) in message
    assert "'3/4/2016 10:00' is 2016-04-03 10:00 as '%d/%m/%Y %H:%M'" in message
    assert "2016-03-04 10:00 as '%m/%d/%Y %H:%M'" in message
    assert message.endswith("set source.date_format")
    export = source(path, preset="servicenow", date_format="%m/%d/%Y %H:%M")
    assert [t.created.day for t in read(export)] == [4, 4]
    assert export.stats.date_formats_how == "configured"


def test_dates_no_preset_knows_are_inferred_and_named(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,created\nA,04.01.2025 09:30:00\nB,17.01.2025 10:00:00\n")
    export = source(path)
    assert [t.created.day for t in read(export)] == [4, 17]
    assert export.stats.date_formats == ("%d.%m.%Y %H:%M:%S",)


@pytest.mark.parametrize("null", ["?", "NULL", "-", ""])
def test_presets_know_their_tools_null_markers(tmp_path, null):
    path = tmp_path / "export.csv"
    preset = "servicenow" if null == "?" else "topdesk" if null == "-" else "zendesk"
    header = {
        "servicenow": "number,opened_at,resolved_at",
        "topdesk": "Incidentnummer,Datum aanmelding,Datum gereed",
        "zendesk": "Id,Created at,Solved at",
    }[preset]
    path.write_text(f"{header}\nT1,2025-04-01 10:00,{null}\n")
    (ticket,) = read(source(path, preset=preset))
    assert ticket.resolved is None


def test_a_hint_names_the_column_and_the_value_that_failed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,created,resolved,custom.n\nA,2025-04-01T10:00:00Z,~,1\nB,2025-04-01T10:00:00Z,,x\n")
    export = source(path, columns={"resolution_minutes": "custom.n"})
    read(export)
    messages = [p.message for p in export.stats.problems]
    assert messages[0] == (
        "column 'resolved' (resolved): '~' is not a time; if the export writes it for a missing value, "
        "add it to source.null_values"
    )
    assert messages[1] == (
        "column 'custom.n' (resolution_minutes): 'x' is not a number; if it means none, add it to null_values"
    )


def test_a_column_named_twice_is_an_error_naming_both_positions(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("number,category,opened_at,category\nINC1,Network,2025-04-01 10:00,Hardware\n")
    with pytest.raises(ExportError) as caught:
        source(path, preset="servicenow").check()
    assert str(caught.value) == (
        f"{path}:1: the header names column 'category' twice (columns 2 and 4); rename one of them, "
        "or export it once"
    )


def test_the_real_servicenow_log_reads_every_row_with_the_preset_alone(tmp_path, quickstart, research_data):
    log = research_data / "servicenow-incident-log" / "incident_event_log.head-2000.csv"
    if not log.is_file():
        pytest.skip(f"research data not available at {log}")
    export = source(log, preset="servicenow")
    export.use_ruleset(quickstart)
    tickets = read(export)
    stats = export.stats
    assert (stats.rows, stats.skipped) == (2000, 0)
    assert stats.date_formats == ("%d/%m/%Y %H:%M",)
    assert stats.tickets == len(tickets) == len({t.number for t in tickets})
    # Closed incidents whose history never carries a resolution time keep their closing time apart.
    unresolved = [t for t in tickets if t.resolved is None and t.status == "Closed"]
    assert unresolved
    assert all("closed_at" in t.custom for t in unresolved)


def test_columns_override_the_preset(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Ref,Onderwerp,Gemeld op,Kanaal,Eigen veld\nA-1,Hallo,2025-04-01T10:00:00+02:00,X,7\n")
    export = source(
        path,
        columns={
            "id": ["Referentie", "Ref"],
            "subject": "Onderwerp",
            "created": "Gemeld op",
            "channel": "Kanaal",
        },
    )
    (ticket,) = read(export)
    assert (ticket.id, ticket.subject, ticket.channel) == ("A-1", "Hallo", "x")
    assert ticket.custom == {"Eigen veld": 7}
    ignoring = source(path, columns={"id": "Ref", "created": "Gemeld op", "subject": None})
    (ticket,) = read(ignoring)
    assert ticket.subject == ""
    assert ticket.custom["Onderwerp"] == "Hallo"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found_from_the_header(tmp_path, delimiter):
    path = tmp_path / "export.csv"
    rows = [["id", "subject", "created"], ["1", "a, b; c", "2025-04-01T10:00:00Z"]]
    path.write_text(
        "".join(delimiter.join(f'"{c}"' if delimiter in c or "," in c else c for c in r) + "\n" for r in rows)
    )
    (ticket,) = read(source(path))
    assert ticket.subject == "a, b; c"


def test_the_cursor_resumes_after_the_records_read(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(
        "".join(json.dumps({"id": str(i), "created": f"2025-04-01T10:{i:02d}:00Z"}) + "\n" for i in range(7))
    )
    export = source(path, batch_size=3)
    batches = list(export.fetch(None))
    assert [[t.id for t in b.tickets] for b in batches] == [["0", "1", "2"], ["3", "4", "5"], ["6"]]
    assert [b.cursor for b in batches] == ["3", "6", "7"]
    resumed = list(export.fetch("6"))
    assert [t.id for b in resumed for t in b.tickets] == ["6"]


def test_consecutive_rows_of_one_ticket_are_one_ticket_as_its_last_row_says(tmp_path):
    rows = [("1", "New", 0), ("1", "Active", 1), ("1", "Closed", 2), ("2", "New", 3), ("3", "New", 4)]
    rows += [("3", "Closed", 5), ("1", "Reopened", 6)]  # 1 again, after others: a ticket of its own
    path = tmp_path / "events.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": i, "status": s, "created": f"2025-04-01T10:{m:02d}:00Z"}) + "\n"
            for i, s, m in rows
        )
    )
    export = source(path, batch_size=2)
    batches = list(export.fetch(None))
    assert [[(t.id, t.status) for t in b.tickets] for b in batches] == [
        [("1", "Closed"), ("2", "New")],
        [("3", "Closed"), ("1", "Reopened")],
    ]
    assert (export.stats.rows, export.stats.tickets, export.stats.merged) == (7, 4, 3)
    assert batches[0].cursor == "4"  # after ticket 2's row, never inside ticket 3's rows
    assert [(t.id, t.status) for b in export.fetch(batches[0].cursor) for t in b.tickets] == [
        ("3", "Closed"),
        ("1", "Reopened"),
    ]


def test_an_export_is_never_written(topdesk_csv):
    before = topdesk_csv.read_bytes(), topdesk_csv.stat().st_mtime_ns
    export = source(topdesk_csv, preset="topdesk")
    ticket = read(export)[0]
    with pytest.raises(ReadOnlyError, match="never writes"):
        export.set_priority(ticket, PriorityChange(priority="P2"))
    with pytest.raises(ReadOnlyError):
        export.post_message(ticket, "hello", True)
    assert export.list_messages(ticket) == ()
    assert (topdesk_csv.read_bytes(), topdesk_csv.stat().st_mtime_ns) == before


def test_an_unreadable_export_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match=r"cannot read the export: No such file"):
        source(tmp_path / "missing.csv").check()
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(ExportError, match="the export is empty"):
        source(empty).check()
    no_created = tmp_path / "wrong.csv"
    no_created.write_text("Number,Subject\n1,a\n")
    with pytest.raises(
        ExportError, match=r"no column for 'created' \(preset 'matrixcore' looks for 'created'\)"
    ):
        source(no_created).check()
    with pytest.raises(ExportError, match="set format: csv or format: jsonl"):
        source(tmp_path / "export.xlsx")
    with pytest.raises(ExportError, match="unknown time zone 'Europe/Amsterdm'"):
        source(no_created, timezone="Europe/Amsterdm")


def test_memory_does_not_grow_with_the_export(tmp_path):
    """Reading 30,000 rows peaks at about what reading 3,000 does: nothing accumulates per row (27,000
    more tickets keeping even 25 bytes each would add 700 kB)."""
    row = "{i},Printer {i} is stuk,E-mail,2025-04-01T10:00:00+02:00,2025-04-01T11:00:00+02:00,{i}\n"

    def peak(rows: int) -> int:
        path = tmp_path / f"export-{rows}.csv"
        with path.open("w") as out:
            out.write("id,subject,channel,created,first_response,affected_users\n")
            for i in range(rows):
                out.write(row.format(i=i))
        export = source(path)
        tracemalloc.start()
        count = sum(len(batch.tickets) for batch in export.fetch(None))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == rows
        return top

    small, large = peak(3_000), peak(30_000)
    assert large < small + 700_000, (small, large)


def test_it_is_an_adapter_registered_like_any_other(tmp_path):
    plugins = Plugins()
    assert "file" in plugins.adapters()
    assert plugins.owner("adapter", "file") == "built-in plugin 'matrixcore.file_source'"
    (tmp_path / "x.csv").write_text("id,created\n1,2025-04-01T10:00:00Z\n")
    text = textwrap.dedent(
        """\
        rules: rules.yaml
        connections:
          export: {adapter: file, path: x.csv, preset: topdesk}
        source: {connection: export}
        """
    )
    config = parse_config(text, str(tmp_path / "c.yaml"), plugins.adapter_schemas())
    assert config.source is not None
    assert config.source.adapter == "file"
    adapter = plugins.open_adapter(config.source)
    assert isinstance(adapter, FileSource)
    assert adapter.path == tmp_path / "x.csv"  # relative to the config, not the working directory
    assert file_source_schema()["properties"]["preset"]["enum"] == [
        "matrixcore",
        "servicenow",
        "topdesk",
        "zendesk",
    ]


def test_source_settings_errors_have_paths_and_lines(tmp_path):
    plugins = Plugins()
    text = textwrap.dedent(
        """\
        rules: rules.yaml
        source:
          path: x.csv
          preset: topdsk
          columns:
            subjetc: Onderwerp
        """
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml", plugins.adapter_schemas())
    found = {(p.dotted_path, p.line) for p in info.value.problems}
    assert ("source.preset", 4) in found
    assert ("source.columns", 5) in found or ("source.columns.subjetc", 6) in found
    missing = (
        "rules: r.yaml\nconnections: {export: {adapter: file, path: x.csv}}\nsource: {connection: exprt}\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(missing, "c.yaml", plugins.adapter_schemas())
    (problem,) = info.value.problems
    assert problem.dotted_path == "source.connection"
    assert problem.line == 3
    assert "no connection 'exprt'; did you mean 'export'?" in problem.message
