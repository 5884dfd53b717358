"""Incremental fetch: ties on the same second are neither lost nor repeated, whatever changes meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matrixcore_topdesk import Cursor, PageWalker
from matrixcore_topdesk._cursor import fingerprint
from matrixcore_topdesk.testing import ManualClock, TopdeskEmulator
from topdesk_support import call

Item = Mapping[str, Any]


def step(emulator: TopdeskEmulator, walker: PageWalker) -> list[Item]:
    """One list request through the emulator's API, fed to the walker."""
    response = call(emulator, "GET", "/tas/api/incidents?" + urlencode(walker.params()))
    assert response.status in (200, 204, 206), response.body
    return walker.accept(response.body or [], response.status == 206)


def drain(
    emulator: TopdeskEmulator, cursor: Cursor, page_size: int, between: Callable[[int], None] | None = None
) -> tuple[list[Item], PageWalker]:
    walker = PageWalker(cursor, page_size)
    delivered: list[Item] = []
    while not walker.done:
        delivered += step(emulator, walker)
        if between is not None:
            between(walker.requests)
        assert walker.requests < 500, "the walk does not end"
    return delivered, walker


def test_cursor_round_trips_and_accepts_a_bare_time() -> None:
    cursor = Cursor(datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC), {"b": "2", "a": "1"})
    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode(None) == Cursor() == Cursor.decode("")
    assert Cursor.decode("2026-11-23T09:00:00Z").since == datetime(2026, 11, 23, 9, tzinfo=UTC)
    for bad in ("yesterday", "{", '{"v": 2, "since": null}', '{"v": 1, "since": 5}', "[1]"):
        with pytest.raises(ValueError, match="cursor"):
            Cursor.decode(bad)


def test_first_request_reads_everything_in_modification_order(emulator: TopdeskEmulator) -> None:
    walker = PageWalker(Cursor(), 50)
    assert walker.params() == {"sort": "modificationDate:asc,id:asc", "pageStart": 0, "pageSize": 50}
    later = PageWalker(Cursor(datetime(2026, 11, 23, 9, 0, 5, 700000, tzinfo=UTC)), 50)
    assert later.params()["query"] == "modificationDate=ge=2026-11-23T09:00:05Z"  # to the second


def test_a_tie_group_larger_than_a_page_is_read_once(emulator: TopdeskEmulator, clock: ManualClock) -> None:
    for i in range(23):
        emulator.store.add_incident(f"bulk {i}")  # all in one second
    clock.advance(seconds=1)
    emulator.store.add_incident("after")
    delivered, walker = drain(emulator, Cursor(), page_size=5)
    assert sorted(i["briefDescription"] for i in delivered) == sorted(
        [f"bulk {i}" for i in range(23)] + ["after"]
    )
    assert len({i["id"] for i in delivered}) == 24
    again, _ = drain(emulator, walker.cursor, page_size=5)
    assert again == []  # resuming re-reads the last second but delivers nothing twice


def test_resuming_mid_tie_delivers_the_rest(emulator: TopdeskEmulator) -> None:
    for i in range(7):
        emulator.store.add_incident(f"tie {i}")
    walker = PageWalker(Cursor(), 3)
    first = step(emulator, walker)  # one batch committed, then the process dies
    rest, _ = drain(emulator, Cursor.decode(walker.cursor.encode()), page_size=3)
    assert len(first) == 3
    assert sorted(i["id"] for i in first + rest) == sorted(emulator.store.incidents)


def test_a_change_within_the_same_second_is_still_delivered(emulator: TopdeskEmulator) -> None:
    record = emulator.store.add_incident("first")
    _, walker = drain(emulator, Cursor(), page_size=10)
    emulator.store.agent_update(record["id"], urgency="Hoog")  # same second: same modificationDate
    again, walker = drain(emulator, walker.cursor, page_size=10)
    assert [i["urgency"]["name"] for i in again] == ["Hoog"]
    assert drain(emulator, walker.cursor, page_size=10)[0] == []


def test_incidents_leaving_a_tie_group_during_the_walk_push_nothing_past_the_offset(
    emulator: TopdeskEmulator, clock: ManualClock
) -> None:
    records = [emulator.store.add_incident(f"tie {i}") for i in range(12)]
    clock.advance(seconds=1)

    def meanwhile(requests: int) -> None:
        if requests == 1:  # after the first page, the first four incidents of the group change
            ordered = [
                i["id"]
                for i in call(emulator, "GET", "/tas/api/incidents?sort=modificationDate:asc,id:asc").body
            ]
            for incident_id in ordered[:4]:
                emulator.store.agent_update(incident_id, urgency="Laag")

    delivered, _ = drain(emulator, Cursor(), page_size=4, between=meanwhile)
    versions = {(i["id"], fingerprint(i)) for i in delivered}
    assert {i["id"] for i in delivered} == {r["id"] for r in records}
    assert len(versions) == len(delivered)  # nothing delivered twice
    latest = {i["id"]: i for i in delivered}
    assert sum(1 for i in latest.values() if i["urgency"] and i["urgency"]["name"] == "Laag") == 4


def listed(emulator: TopdeskEmulator) -> list[str]:
    """Ids of the incidents TOPdesk lists by default (not deleted, not archived)."""
    return sorted(
        i for i, r in emulator.store.incidents.items() if r["status"] in ("firstLine", "secondLine")
    )


operations = st.lists(
    st.one_of(
        st.tuples(st.just("page")),
        st.tuples(st.just("modify"), st.integers(0, 30), st.integers(0, 1)),
        st.tuples(st.just("add"), st.integers(0, 1)),
        st.tuples(st.just("restart")),
        st.tuples(st.sampled_from(["delete", "archive"]), st.integers(0, 30)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page_size=st.sampled_from([2, 3, 5]),
    created=st.lists(st.integers(0, 2), max_size=16),
    ops=operations,
)
def test_no_change_is_ever_lost_nor_delivered_twice(
    page_size: int, created: list[int], ops: list[tuple[Any, ...]]
) -> None:
    clock = ManualClock()
    emulator = TopdeskEmulator(clock=clock)
    start = clock.now
    for n, offset in enumerate(sorted(created)):
        clock.now = start.replace(second=offset)
        emulator.store.add_incident(f"v0 {n}")
    delivered: list[Item] = []
    walker = PageWalker(Cursor(), page_size)
    edits = 0
    for op in ops:
        if op[0] == "page":
            if walker.done:
                walker = PageWalker(walker.cursor, page_size)
            delivered += step(emulator, walker)
        elif op[0] == "restart":
            walker = PageWalker(Cursor.decode(walker.cursor.encode()), page_size)
        elif op[0] == "add":
            clock.advance(seconds=op[1])
            emulator.store.add_incident("added")
        elif op[0] in ("delete", "archive") and listed(emulator):
            # Leaves the list for good, mid-walk: the pages after it shift by one.
            ids = listed(emulator)
            incident_id = ids[op[1] % len(ids)]
            if op[0] == "delete":
                emulator.store.remove(incident_id)
            else:
                emulator.store.archive(incident_id)
        elif op[0] == "modify" and listed(emulator):
            clock.advance(seconds=op[2])
            ids = listed(emulator)
            edits += 1
            emulator.store.agent_update(ids[op[1] % len(ids)], briefDescription=f"edit {edits}")
    for _ in range(2):  # the next sync runs, with nothing changing meanwhile
        more, walker = drain(emulator, walker.cursor, page_size)
        delivered += more
    pairs = [(i["id"], fingerprint(i)) for i in delivered]
    assert len(pairs) == len(set(pairs)), "an incident version was delivered twice"
    latest = {i["id"]: i["briefDescription"] for i in delivered}
    current = {i: emulator.store.incidents[i]["briefDescription"] for i in listed(emulator)}
    assert {i: latest.get(i) for i in current} == current, "a change was never delivered"
