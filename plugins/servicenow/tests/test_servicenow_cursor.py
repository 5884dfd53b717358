"""The incremental fetch over the emulated Table API: no ticket skipped, none read twice, no loop,
whatever happens between two page requests (updates, inserts, deletes, many tickets in one
second), and from any intermediate cursor."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.utils import parse_header_links

from matrixcore_servicenow import Page, Watermark, scan_changes, window_query
from matrixcore_servicenow.testing import ManualClock, ServiceNowApi, ServiceNowInstance

from servicenow_support import basic

AUTH = basic("admin", "pw")
Version = tuple[str, str]


def emulator() -> tuple[ServiceNowInstance, ServiceNowApi, ManualClock]:
    clock = ManualClock()
    instance = ServiceNowInstance(clock=clock)
    instance.add_user("admin", "pw")
    return instance, ServiceNowApi(instance), clock


def pages_over(
    api: ServiceNowApi, page_size: int, between: Callable[[], None]
) -> Callable[[str], Iterator[Page]]:
    """``pages(query)`` as the adapter runs it: first page, then the ``rel="next"`` links."""

    def pages(query: str) -> Iterator[Page]:
        params = {
            "sysparm_query": query,
            "sysparm_limit": str(page_size),
            "sysparm_fields": "sys_id,sys_updated_on,sys_mod_count",
        }
        target: str | None = f"/api/now/table/incident?{urlencode(params)}"
        while target:
            response = api.handle("GET", target, AUTH)
            assert response.status == 200, response.body
            date = parsedate_to_datetime(response.headers["Date"])
            yield Page(response.json()["result"], int(response.headers["X-Total-Count"]), date)
            between()
            header = response.headers.get("Link", "")  # none when everything fits on one page
            links = {link["rel"]: link["url"] for link in parse_header_links(header)}
            target = None
            if "next" in links:
                split = urlsplit(links["next"])
                target = f"{split.path}?{split.query}"

    return pages


def run(
    api: ServiceNowApi,
    clock: ManualClock,
    cursor: str | None,
    page_size: int,
    between: Callable[[], None] = lambda: None,
    skew: float = 0.0,
) -> list[tuple[list[Version], str]]:
    """One fetch; ``skew`` seconds: how far the adapter's estimate of the server clock is off."""
    batches = scan_changes(
        cursor, pages_over(api, page_size, between), lambda: clock() + timedelta(seconds=skew)
    )
    return [([(r["sys_id"], r["sys_mod_count"]) for r in records], c) for records, c in batches]


def current(instance: ServiceNowInstance) -> set[Version]:
    return {(r["sys_id"], r["sys_mod_count"]) for r in instance.tables["incident"].values()}


def test_many_tickets_in_one_second_are_read_once_and_resume_exactly() -> None:
    instance, api, clock = emulator()
    ids = {instance.insert("incident", {"short_description": f"T{n}"})["sys_id"] for n in range(7)}
    clock.advance(2)
    batches = run(api, clock, None, page_size=3)
    assert [len(b) for b, _ in batches] == [3, 3, 1]
    assert {i for b, _ in batches for i, _ in b} == ids
    # Resume from the middle: the rest of the same second, nothing already read.
    rest = run(api, clock, batches[0][1], page_size=3)
    assert {v for b, _ in rest for v in b} == {v for b, _ in batches[1:] for v in b}
    # Nothing changed since the end: nothing to read, and the cursor does not move.
    assert run(api, clock, batches[-1][1], page_size=3) == []


def test_a_ticket_updated_again_within_the_same_second_is_read_again() -> None:
    instance, api, clock = emulator()
    row = instance.insert("incident", {"short_description": "T"})
    clock.advance(2)
    ((_, cursor),) = run(api, clock, None, page_size=10)
    clock.now = clock.now.replace(second=0)  # back to the second the watermark holds
    instance.update("incident", row["sys_id"], {"urgency": "1"})
    clock.advance(2)
    assert [v for b, _ in run(api, clock, cursor, page_size=10) for v in b] == [(row["sys_id"], "1")]


def test_tickets_of_the_current_second_wait_for_the_next_run() -> None:
    instance, api, clock = emulator()
    instance.insert("incident", {"short_description": "T"})
    assert run(api, clock, None, page_size=10) == []  # same second as the server clock
    clock.advance(1)
    assert run(api, clock, None, page_size=10) == []  # one second of margin
    clock.advance(1)
    assert len(run(api, clock, None, page_size=10)) == 1


def test_an_update_during_the_scan_restarts_it_instead_of_skipping() -> None:
    instance, api, clock = emulator()
    rows = []
    for n in range(6):
        rows.append(instance.insert("incident", {"short_description": f"T{n}"}))
        clock.advance(1)
    clock.advance(1)
    touched = []

    def agent_updates_the_first_ticket() -> None:
        if not touched:
            touched.append(instance.update("incident", rows[0]["sys_id"], {"urgency": "1"}))

    batches = run(api, clock, None, page_size=2, between=agent_updates_the_first_ticket)
    read = [v for b, _ in batches for v in b]
    # Plain offset paging would have skipped T2 (every row moved up one place).
    assert [i for i, _ in read] == [r["sys_id"] for r in rows]
    clock.advance(2)
    later = [v for b, _ in run(api, clock, batches[-1][1], page_size=2) for v in b]
    assert later == [(rows[0]["sys_id"], "1")]


def test_cursors_are_compact_and_versioned() -> None:
    mark = Watermark("2026-11-23 08:00:00", {"a": "3"})
    assert Watermark.decode(mark.encode()) == mark
    assert Watermark.decode(None) == Watermark()
    with pytest.raises(ValueError, match="not a ServiceNow cursor"):
        Watermark.decode('{"v": 99}')
    with pytest.raises(ValueError, match="not a ServiceNow cursor"):
        Watermark.decode("2026-11-23")


def test_window_query_keeps_the_users_filter_inside() -> None:
    assert window_query("2026-11-23 08:00:00", "2026-11-23 09:00:00", "active=true") == (
        "active=true^sys_updated_on>=2026-11-23 08:00:00^sys_updated_on<2026-11-23 09:00:00"
        "^ORDERBYsys_updated_on^ORDERBYsys_id"
    )
    assert window_query("", "", "") == "ORDERBYsys_updated_on^ORDERBYsys_id"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=st.lists(st.integers(0, 1), min_size=0, max_size=25),
    page_size=st.integers(1, 6),
    churn=st.lists(
        st.tuples(st.sampled_from(["update", "insert", "delete", "tick"]), st.integers(0, 10**6)), max_size=30
    ),
    resume_at=st.integers(0, 10**6),
)
def test_no_ticket_is_skipped_or_read_twice_whatever_happens_between_pages(
    initial: list[int], page_size: int, churn: list[tuple[str, int]], resume_at: int
) -> None:
    instance, api, clock = emulator()
    for step in initial:  # 0: same second as the previous ticket, 1: the next second
        clock.advance(step)
        instance.insert("incident", {"short_description": "T"})
    clock.advance(2)
    pending = list(churn)

    def people_work() -> None:
        if not pending:
            return
        action, pick = pending.pop(0)
        ids = sorted(instance.tables["incident"])
        if action == "tick":
            clock.advance(1)
        elif action == "insert" or not ids:
            instance.insert("incident", {"short_description": "new"})
        elif action == "update":
            instance.update("incident", ids[pick % len(ids)], {"urgency": str(pick % 3 + 1)})
        else:
            instance.delete("incident", ids[pick % len(ids)])

    first = run(api, clock, None, page_size, people_work)
    clock.advance(2)
    second = run(api, clock, first[-1][1] if first else None, page_size)
    read = [v for b, _ in first + second for v in b]
    assert len(read) == len(set(read)), "a ticket version was read twice"
    assert current(instance) <= set(read), "a ticket was skipped"
    assert run(api, clock, second[-1][1] if second else first[-1][1] if first else None, page_size) == []

    if first:  # resuming from any batch's cursor reads what came after it
        k = resume_at % len(first)
        resumed = run(api, clock, first[k][1], page_size)
        before = {v for b, _ in first[: k + 1] for v in b}
        assert current(instance) <= before | {v for b, _ in resumed for v in b}


def test_the_pass_budget_leaves_the_rest_for_the_next_run_without_skipping() -> None:
    instance, api, clock = emulator()
    rows = [instance.insert("incident", {"short_description": f"T{n}"}) for n in range(30)]
    clock.advance(2)
    rng = random.Random(7)

    def constant_churn() -> None:  # every page request sees another update
        instance.update("incident", rng.choice(rows)["sys_id"], {"urgency": str(rng.randint(1, 3))})

    first = run(api, clock, None, page_size=3, between=constant_churn)
    clock.advance(2)
    cursor = first[-1][1] if first else None
    read = [v for b, _ in first for v in b]
    for _ in range(5):
        batches = run(api, clock, cursor, page_size=3)
        read += [v for b, _ in batches for v in b]
        cursor = batches[-1][1] if batches else cursor
    assert current(instance) <= set(read)
    assert isinstance(clock(), datetime)


def test_a_clock_estimate_running_ahead_is_corrected_by_the_servers_date() -> None:
    instance, api, clock = emulator()
    rows = [instance.insert("incident", {"short_description": f"T{n}"}) for n in range(4)]
    clock.advance(2)
    fresh = []

    def a_ticket_changes_in_the_current_second() -> None:
        if not fresh:  # the first ticket of the first page (same second: ordered by sys_id)
            first = min(r["sys_id"] for r in rows)
            fresh.append(instance.update("incident", first, {"urgency": "1"}))

    batches = run(api, clock, None, page_size=2, between=a_ticket_changes_in_the_current_second, skew=30)
    read = [v for b, _ in batches for v in b]
    # With a window reaching 30 s into the future, offset paging would have skipped a ticket.
    assert {i for i, _ in read} == {r["sys_id"] for r in rows}
    assert len(read) == len(set(read))
