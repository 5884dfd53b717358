"""One sync cycle and the daemon's invariants, over the in-memory tool."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from matrixcore import AdapterError, ConflictError, Engine, Requester, Ticket, load_ruleset
from matrixcore._memory import MemoryAdapter
from matrixcore._sync import SET_ASIDE_RETRY, SyncOptions, sync_connection
from matrixcore.state import StateStore

AMS = ZoneInfo("Europe/Amsterdam")


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=AMS)


def make(i, subject="Printer kapot", **fields):
    fields.setdefault("created", at(23, 9))
    fields.setdefault("channel", "email")
    fields.setdefault("requester", Requester(language="nl"))
    return Ticket(source="mem", id=str(i), number=f"I {i}", subject=subject, **fields)


@pytest.fixture
def engine(quickstart_rules):
    return Engine(load_ruleset(quickstart_rules))


@pytest.fixture
def store(tmp_path):
    with StateStore(tmp_path / "state.sqlite3") as opened:
        yield opened


@pytest.fixture
def tool():
    adapter = MemoryAdapter(page_size=2)
    adapter.add([make(1), make(2, "Outlook storing"), make(3, "Vraag: hoe werkt de VPN?")])
    return adapter


def cycle(tool, store, engine, now, **options):
    report = sync_connection("mem", tool, store, engine, now, options=SyncOptions(**options))
    assert report.ok, report.error
    return report


def test_first_cycle_writes_priorities_and_acknowledges(tool, store, engine):
    report = cycle(tool, store, engine, at(23, 9, 5))
    assert (report.tickets, report.batches, report.writes) == (3, 2, 3)
    assert tool.tickets["2"].priority == "P1"
    assert tool.tickets["1"].priority == "P4"
    assert report.messages["acknowledge"] == 3
    assert [m.text[:25] for m in tool.messages["1"]] == ["Bedankt voor je melding I"]
    assert store.cursor("mem") is not None


def test_own_writes_cause_no_new_writes(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5))
    writes = len(tool.writes)
    again = cycle(tool, store, engine, at(23, 9, 6))
    # The tool bumped every ticket's update time, so all three come back: and nothing is written.
    assert again.tickets == 3
    assert again.writes == 0
    assert len(tool.writes) == writes


def test_dry_run_writes_nothing_anywhere(tool, tmp_path, engine):
    tool.read_only = True
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    with StateStore(path, read_only=True) as frozen:
        before = frozen.counts()
    private = StateStore.private_copy(path)
    report = sync_connection("mem", tool, private, engine, at(23, 9, 5), options=SyncOptions(dry_run=True))
    assert report.ok
    assert report.writes == 3  # what it would have written
    assert tool.writes == []
    with StateStore(path, read_only=True) as frozen:
        assert frozen.counts() == before
    # Within its session the dry run remembers what it "sent": no repeated proposals.
    assert private.counts()["messages"] == 3


def test_messages_are_never_sent_twice_even_after_a_crash(tool, store, engine):
    tool.fail_next("post_message")  # the first post fails: its ledger entry stays pending
    report = sync_connection("mem", tool, store, engine, at(23, 9, 5))
    assert not report.ok
    assert store.cursor("mem") is None  # the batch was not committed
    assert [e.key for e in store.pending("mem")] == ["acknowledge"]
    cycle(tool, store, engine, at(23, 9, 6))
    # Reconciled (never sent), then sent exactly once; every ticket has one acknowledgement.
    assert {tid: len(msgs) for tid, msgs in tool.messages.items()} == {"1": 1, "2": 1, "3": 1}
    assert store.pending("mem") == []


def test_a_message_posted_just_before_a_crash_is_not_resent(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5))
    # Simulate a crash after posting but before recording "sent": flip the entry back to pending.
    store._db.execute("UPDATE messages SET state = 'pending', sent_at = NULL WHERE ticket_id = '1'")
    report = cycle(tool, store, engine, at(23, 9, 6))
    assert report.reconciled == 1
    assert len(tool.messages["1"]) == 1
    assert store.messages("mem", "1")[0].state == "sent"


def test_an_agents_priority_is_kept_and_recorded(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5))
    tool.agent_sets("1", at(23, 10), priority="P2")
    report = cycle(tool, store, engine, at(23, 10, 1))
    assert report.agent_kept == 1
    assert tool.tickets["1"].priority == "P2"
    last = store.decisions("mem", "1")[-1]
    assert "kept the agent's" in last["note"]
    assert last["decision"]["priority"] == "P2"
    assert last["decision"]["pickup_by"] == at(23, 10).isoformat()  # P2: 1h from 09:00
    # Later cycles keep respecting it, even when the ticket looks untouched.
    assert cycle(tool, store, engine, at(23, 11)).writes == 0


def test_timed_messages_go_out_without_the_ticket_changing(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5))
    cycle(tool, store, engine, at(23, 9, 6))  # sees matrixcore's own writes once more
    report = cycle(tool, store, engine, at(24, 15))
    # Nothing changed in the tool, but ticket 3 (P5, 16h) passed 80% of its pickup target.
    assert report.tickets == 0
    assert report.timers >= 1
    assert report.messages["pickup-warning"] >= 1
    assert any("geduld" in m.text for m in tool.messages["3"])


def test_a_failing_tool_keeps_the_cursor(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5))
    cycle(tool, store, engine, at(23, 9, 6))  # sees matrixcore's own writes once more
    cursor = store.cursor("mem")
    tool.add([make(4, created=at(23, 12), updated=at(23, 12))])
    tool.fail_next("set_priority")
    report = sync_connection("mem", tool, store, engine, at(23, 12, 1))
    assert "scripted failure" in report.error
    assert store.cursor("mem") == cursor
    assert cycle(tool, store, engine, at(23, 12, 2)).writes == 1


def test_trace_notes_explain_written_priorities(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5), trace_notes=True)
    notes = [m for m in tool.messages["2"] if not m.visible_to_requester]
    assert len(notes) == 1
    assert "major-outage" in notes[0].text
    cycle(tool, store, engine, at(23, 9, 6), trace_notes=True)
    assert len([m for m in tool.messages["2"] if not m.visible_to_requester]) == 1


def test_tools_that_derive_priority_get_only_impact_and_urgency(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5), writable=frozenset({"impact", "urgency"}))
    change = tool.writes[0].change
    assert change.priority is None
    assert change.impact is not None


def test_resolved_tickets_close_their_timers(tool, store, engine):
    tool.agent_sets("3", at(23, 9, 1), resolved=at(23, 9, 1))
    cycle(tool, store, engine, at(23, 9, 5))
    state = store.ticket("mem", "3")
    assert state.closed
    assert all(t.ticket_id != "3" for t in store.due_tickets("mem", at(30, 9)))


def test_a_ticket_gone_from_the_tool_stops_its_timers_not_the_cycle(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5))
    cycle(tool, store, engine, at(23, 9, 6))  # sees matrixcore's own writes once more
    del tool.tickets["3"]  # deleted in the tool: no fetch brings it back
    posted = tool.post_message

    def post_message(ticket, text, visible_to_requester):
        if ticket.id not in tool.tickets:
            raise AdapterError(f"ticket {ticket.id} does not exist", status=404)
        return posted(ticket, text, visible_to_requester)

    tool.post_message = post_message
    before = len(tool.messages["1"])
    report = cycle(tool, store, engine, at(24, 15))  # ticket 3's pickup warning is due, and 1's
    assert report.timers >= 2  # cycle() asserted report.ok
    assert store.ticket("mem", "3").closed
    assert len(tool.messages["1"]) > before  # the other tickets' timers still ran
    assert all(t.ticket_id != "3" for t in store.due_tickets("mem", at(30, 9)))


def test_a_cycle_asked_to_stop_ends_after_a_committed_batch(tool, store, engine):
    batches = []

    def stop():
        batches.append(store.cursor("mem"))
        return True

    report = sync_connection("mem", tool, store, engine, at(23, 9, 5), stop=stop)
    assert (report.ok, report.stopped, report.batches, report.tickets) == (True, True, 1, 2)
    assert batches == [report.cursor]  # asked only once the batch's cursor was committed
    assert store.ticket("mem", "3") is None
    assert cycle(tool, store, engine, at(23, 9, 6)).tickets >= 1  # the next cycle goes on from there


def test_values_the_tool_already_holds_count_as_matrixcores(tool, store, engine):
    # The tool holds what the rules decide before matrixcore ever wrote (or a crash hid the write).
    tool.agent_sets("1", at(23, 9, 1), impact="person", urgency="normal", priority="P4")
    report = cycle(tool, store, engine, at(23, 9, 5))
    assert report.unchanged == 1
    assert store.ticket("mem", "1").written_priority == "P4"
    assert store.decisions("mem", "1")[-1]["written"] == {}  # the audit log says nothing was written
    tool.agent_sets("1", at(23, 10), priority="P2")
    assert cycle(tool, store, engine, at(23, 10, 1)).agent_kept == 1
    assert tool.tickets["1"].priority == "P2"


def test_every_ledger_entry_knows_its_cycle(tool, store, engine):
    report = cycle(tool, store, engine, at(23, 9, 5))
    assert {e.cycle for t in "123" for e in store.messages("mem", t)} == {report.cycle}


class _Deleting(MemoryAdapter):
    """A tool where a ticket was deleted after matrixcore saw it: its messages answer 404."""

    gone: frozenset[str] = frozenset()

    def post_message(self, ticket, text, visible_to_requester):
        if ticket.id in self.gone:
            raise AdapterError(f"POST /tickets/{ticket.id}/messages -> 404 Not Found", status=404)
        return super().post_message(ticket, text, visible_to_requester)


def test_a_ticket_deleted_in_the_tool_drops_its_timers_instead_of_failing_every_cycle(store, engine):
    tool = _Deleting()
    tool.add([make(3, "Vraag: hoe werkt de VPN?")])
    cycle(tool, store, engine, at(23, 9, 5))
    cycle(tool, store, engine, at(23, 9, 6))
    del tool.tickets["3"]
    tool.gone = frozenset({"3"})
    report = cycle(tool, store, engine, at(24, 15))  # the 80% warning falls due: the post answers 404
    assert report.ok
    assert store.ticket("mem", "3").closed
    assert store.due_tickets("mem", at(30, 9)) == []
    assert store.pending("mem") == []


class _DerivesPriority(MemoryAdapter):
    """A tool that derives priority from impact and urgency itself (ServiceNow's lookup rules), its
    own way: matrixcore may only write impact and urgency."""

    writable = frozenset({"impact", "urgency"})

    def set_priority(self, ticket, change):
        assert change.priority is None, "wrote a dimension the tool does not accept"
        super().set_priority(ticket, change)
        with self._lock:
            self.tickets[ticket.id] = self.tickets[ticket.id].evolve(priority="P5")


def test_a_priority_the_tool_derives_is_neither_written_nor_taken_for_an_agents(store, engine):
    tool = _DerivesPriority(page_size=2)
    tool.add([make(1), make(2, "Outlook storing")])
    first = cycle(tool, store, engine, at(23, 9, 5))
    assert first.writes == 2
    assert tool.tickets["2"].impact == "organisation"  # written; its priority is the tool's own
    again = cycle(tool, store, engine, at(23, 9, 6))
    assert (again.agent_kept, again.writes) == (0, 0)
    assert not any("P5" in m.text or "gewijzigd" in m.text for m in tool.messages["2"][1:])


def test_trace_notes_name_the_values_in_a_fixed_order(tool, store, engine):
    cycle(tool, store, engine, at(23, 9, 5), trace_notes=True)
    notes = [m.text for m in tool.messages["2"] if not m.visible_to_requester]
    assert notes
    assert notes[0].startswith("matrixcore set impact = organisation, urgency = ")


class _Refusing(MemoryAdapter):
    """A tool that refuses the priority write of some tickets (a value its validation rejects), or
    answers 409 because an agent changed the ticket while matrixcore decided."""

    refuse: frozenset[str] = frozenset()
    conflict: frozenset[str] = frozenset()
    collide: frozenset[str] = frozenset()

    def set_priority(self, ticket, change):
        if ticket.id in self.refuse:
            raise AdapterError(f"PUT /tickets/{ticket.id} -> 422 Unprocessable Entity: priority", status=422)
        if ticket.id in self.collide:  # the tool collided with itself: the ticket did not change
            self.collide = self.collide - {ticket.id}
            raise ConflictError(f"ticket {ticket.id}: DatabaseConflict", ticket_id=ticket.id)
        if ticket.id in self.conflict:
            self.conflict = self.conflict - {ticket.id}
            # The agent's edit bumps the ticket, so the fetch brings it again.
            self.agent_sets(ticket.id, at(23, 9, 30), subject=ticket.subject + " (edited)")
            raise ConflictError(f"ticket {ticket.id} changed since it was read", ticket_id=ticket.id)
        super().set_priority(ticket, change)


def refusing(**sets):
    tool = _Refusing(page_size=2)
    tool.add([make(1), make(2, "Outlook storing"), make(3, "Vraag: hoe werkt de VPN?")])
    for name, ids in sets.items():
        setattr(tool, name, frozenset(ids))
    return tool


def test_one_ticket_the_tool_refuses_holds_up_no_other_and_is_tried_again_later(store, engine):
    tool = refusing(refuse={"1"})
    report = cycle(tool, store, engine, at(23, 9, 5))
    assert report.refused == 1
    assert all(tool.tickets[t].priority is not None for t in "23")
    assert store.cursor("mem") == report.cursor is not None  # the cursor moved past the refusal
    assert tool.tickets["1"].priority is None
    retry = store.ticket("mem", "1").next_due
    assert retry == at(23, 9, 5) + SET_ASIDE_RETRY
    [refusal] = store.decisions("mem", "1")  # 'matrixcore state 1' says why nothing was written
    assert refusal["note"].startswith("refused by the tool, set aside: PUT /tickets/1 -> 422")
    assert (refusal["written"], refusal["decision"]["priority"]) == ({}, "P4")
    tool.refuse = frozenset()  # the operator fixed the mapping
    assert all(t.ticket_id != "1" for t in store.due_tickets("mem", at(23, 9, 10)))
    later = cycle(tool, store, engine, retry)
    assert later.timers >= 1
    assert tool.tickets["1"].priority is not None
    assert [m.text for m in tool.messages["1"]].count(tool.messages["1"][0].text) == 1


def test_a_conflict_on_one_ticket_is_decided_again_from_its_new_version(store, engine):
    tool = refusing(conflict={"1"})
    report = cycle(tool, store, engine, at(23, 9, 31))
    assert report.refused == 1
    assert all(tool.tickets[t].priority is not None for t in "23")  # the others went on
    assert tool.tickets["1"].priority is None
    assert store.ticket("mem", "1").next_due == at(23, 9, 31)  # retried next cycle, unless read anew
    again = cycle(tool, store, engine, at(23, 9, 32))
    assert (again.refused, again.writes, again.timers) == (0, 1, 0)  # read anew: no timer needed
    assert tool.tickets["1"].subject.endswith("(edited)")
    assert tool.tickets["1"].priority is not None


def test_a_conflict_without_a_change_is_tried_again_next_cycle(store, engine):
    tool = refusing(collide={"1"})
    assert cycle(tool, store, engine, at(23, 9, 31)).refused == 1
    again = cycle(tool, store, engine, at(23, 9, 32))  # the export brings only our own writes
    assert (again.timers, again.writes) == (1, 1)
    assert tool.tickets["1"].priority is not None


def test_the_tool_failing_still_ends_the_cycle_with_the_cursor_kept(store, engine):
    tool = refusing()
    denied = AdapterError("PUT /tickets/1 -> 403 Forbidden: no write rights", status=403)

    def set_priority(ticket, change):
        raise denied

    tool.set_priority = set_priority
    report = sync_connection("mem", tool, store, engine, at(23, 9, 5))
    assert (report.ok, report.exception, store.cursor("mem")) == (False, denied, None)
