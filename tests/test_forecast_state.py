"""The daemon's arrival counts: every new ticket counted once per channel and 15 minutes, in the same
transaction as its state; an older state file migrates; a backfill from an export is idempotent; and
``matrixcore forecast --from state`` forecasts from them alone."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from matrixcore import AdapterError, Engine, Requester, Ticket, load_ruleset
from matrixcore._cli import main
from matrixcore._memory import MemoryAdapter
from matrixcore._sync import SyncOptions, sync_connection
from matrixcore.forecast._sources import counter_from_state
from matrixcore.state import ARRIVAL_SLOT_SECONDS, SCHEMA_VERSION, StateStore

AMS = ZoneInfo("Europe/Amsterdam")
ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"


def make(i, created, channel="email"):
    return Ticket(
        source="mem", id=str(i), number=f"I {i}", subject="Printer kapot", channel=channel,
        created=created, requester=Requester(language="nl"),
    )  # fmt: skip


@pytest.fixture
def engine(quickstart_rules):
    return Engine(load_ruleset(quickstart_rules))


def slot(moment: datetime) -> int:
    return int(moment.timestamp() // ARRIVAL_SLOT_SECONDS)


def test_a_new_ticket_is_counted_once_in_its_channel_and_quarter_hour(tmp_path, engine):
    tool = MemoryAdapter(page_size=2)
    nine = datetime(2026, 11, 23, 9, 5, tzinfo=AMS)
    tool.add(
        [make(1, nine), make(2, nine.replace(minute=14), "X"), make(3, nine.replace(minute=20), "twitter")]
    )
    with StateStore(tmp_path / "state.sqlite3") as store:
        report = sync_connection("mem", tool, store, engine, nine.replace(hour=10), options=SyncOptions())
        assert report.ok
        # X is an alias of twitter in the quick-start rules: counted under the channel's own name
        assert sorted(store.arrivals()) == [
            ("mem", "email", slot(nine), 1),
            ("mem", "twitter", slot(nine), 1),
            ("mem", "twitter", slot(nine.replace(minute=20)), 1),
        ]
        tool.agent_sets("1", nine.replace(hour=11), subject="Printer kapot (edited)")  # fetched again
        again = sync_connection("mem", tool, store, engine, nine.replace(hour=12), options=SyncOptions())
        assert again.ok
        assert again.tickets >= 1
        assert sum(n for *_, n in store.arrivals("mem")) == 3  # known tickets are not new arrivals


def test_a_new_ticket_the_tool_refuses_still_arrived(tmp_path, engine):
    class Refusing(MemoryAdapter):
        def set_priority(self, ticket, change):
            raise AdapterError(f"PUT /tickets/{ticket.id} -> 422 Unprocessable Entity", status=422)

    tool = Refusing(page_size=5)
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=AMS)
    tool.add([make(1, nine), make(2, nine)])
    with StateStore(tmp_path / "state.sqlite3") as store:
        report = sync_connection("mem", tool, store, engine, nine.replace(hour=10), options=SyncOptions())
        assert report.refused == 2
        assert store.arrivals() == [("mem", "email", slot(nine), 2)]
        later = sync_connection("mem", tool, store, engine, nine.replace(hour=11), options=SyncOptions())
        assert later.ok
        assert store.arrivals() == [("mem", "email", slot(nine), 2)]  # retried, not arrived again


def test_a_dry_run_counts_nothing_in_the_state_file(tmp_path, engine):
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    tool = MemoryAdapter()
    tool.read_only = True
    tool.add([make(1, datetime(2026, 11, 23, 9, tzinfo=AMS))])
    private = StateStore.private_copy(path)  # what a dry run decides in
    options = SyncOptions(dry_run=True)
    assert sync_connection(
        "mem", tool, private, engine, datetime(2026, 11, 23, 10, tzinfo=AMS), options=options
    ).ok
    with StateStore(path, read_only=True) as store:
        assert store.arrivals() == []


def test_an_older_state_file_gains_the_arrivals_table_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    with StateStore(path) as store:
        store.set_cursor("mem", "c-1", datetime(2026, 1, 1, tzinfo=UTC))
    db = sqlite3.connect(path)
    db.execute("DROP TABLE arrivals")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with StateStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        assert store.cursor("mem") == "c-1"
        store.count_arrival("mem", "chat", datetime(2026, 1, 5, 9, 7, tzinfo=UTC))
        store.count_arrival("mem", "chat", datetime(2026, 1, 5, 9, 14, 59, tzinfo=UTC))
        assert store.arrivals() == [("mem", "chat", slot(datetime(2026, 1, 5, 9, tzinfo=UTC)), 2)]


def test_a_backfill_replaces_its_span_and_running_it_twice_changes_nothing(tmp_path):
    with StateStore(tmp_path / "state.sqlite3") as store:
        store.count_arrival("tool", "email", datetime(2026, 1, 5, 9, tzinfo=UTC))  # inside the span
        store.count_arrival("tool", "email", datetime(2026, 3, 1, 9, tzinfo=UTC))  # after it: kept
        store.count_arrival("other", "email", datetime(2026, 1, 5, 9, tzinfo=UTC))  # another connection
        first = slot(datetime(2026, 1, 5, tzinfo=UTC))
        counts = {("email", first + 36): 4, ("phone", first + 40): 2}
        for _ in range(2):
            store.replace_arrivals("tool", counts, first, first + 96 * 7)
        assert sorted(store.arrivals("tool")) == [
            ("tool", "email", first + 36, 4),
            ("tool", "email", slot(datetime(2026, 3, 1, 9, tzinfo=UTC)), 1),
            ("tool", "phone", first + 40, 2),
        ]
        counter = counter_from_state(store, None, 60, AMS)
        # 09:00 UTC is 10:00 in Amsterdam in January: both connections' email arrivals, added up
        assert counter.counts("email")[min(counter.counts("email"))] == 5


def config_text(tmp_path: Path) -> str:
    return textwrap.dedent(
        f"""\
        rules: {QUICKSTART / "rules.yaml"}
        state: {{path: {tmp_path / "state.sqlite3"}}}
        source:
          path: {QUICKSTART / "tickets.csv"}
          preset: topdesk
          timezone: Europe/Amsterdam
        forecast: {{weeks: 1}}
        """
    )


def test_a_daemon_config_forecasts_from_its_state_after_one_backfill(tmp_path):
    config = tmp_path / "matrixcore.yaml"
    config.write_text(config_text(tmp_path))
    runner = CliRunner()
    empty = runner.invoke(main, ["forecast", "--config", str(config), "--from", "state"])
    assert empty.exit_code == 2
    assert "no state file" in empty.output
    filled = runner.invoke(
        main, ["forecast", "--config", str(config), "--backfill", "topdesk", "--format", "json"]
    )
    assert filled.exit_code == 0, filled.output
    assert "backfilled 1,979 arrivals from tickets.csv" in filled.output
    again = runner.invoke(main, ["forecast", "--config", str(config), "--backfill", "topdesk", "-q"])
    assert again.exit_code == 0
    with StateStore(tmp_path / "state.sqlite3", read_only=True) as store:
        assert sum(n for *_, n in store.arrivals("topdesk")) == 1979  # twice backfilled, counted once
    from_state = runner.invoke(
        main, ["forecast", "--config", str(config), "--from", "state", "--format", "json", "-q"]
    )
    from_source = runner.invoke(main, ["forecast", "--config", str(config), "--format", "json", "-q"])
    assert from_state.exit_code == from_source.exit_code == 0
    state_doc, source_doc = json.loads(from_state.output), json.loads(from_source.output)
    assert state_doc["source"].startswith("state ")
    assert state_doc["start"] == source_doc["start"]
    for mine, theirs in zip(state_doc["channels"], source_doc["channels"], strict=True):
        assert mine["channel"] == theirs["channel"]
        assert mine["history"]["values"] == theirs["history"]["values"]  # the same counts, hour by hour
        assert mine["intervals"] == theirs["intervals"]
    one = runner.invoke(
        main, ["forecast", "--config", str(config), "--from", "state", "--connection", "nope"]
    )
    assert one.exit_code == 2
    assert "no arrivals counted yet" in one.output
