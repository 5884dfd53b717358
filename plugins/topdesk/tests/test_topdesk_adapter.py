"""The TOPdesk adapter over real HTTP against the emulator: reads, writes, messages, faults, checks."""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from matrixcore_topdesk import TopdeskAdapter
from matrixcore_topdesk.testing import RateLimit, fixed_id
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import (
    PASSWORD,
    PASSWORD_ENV,
    assert_conforms,
    conformance_problems,
    connection_settings,
    fetch_all,
    open_adapter,
)

from matrixcore import AdapterError, PriorityChange, ReadOnlyError, Ruleset
from matrixcore.testing import FakeClock, Fault


@pytest.fixture
def adapter(topdesk: TopdeskServer) -> Any:
    adapter = open_adapter(connection_settings(topdesk))
    yield adapter
    adapter.close()


def test_fetch_maps_incidents_and_asks_only_for_the_fields_it_reads(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    topdesk.store.add_incident(
        "VPN valt steeds weg",
        caller="Piet",
        email="piet@example.nl",
        entry_type="Telefoon",
        impact="Afdeling",
        urgency="Hoog",
        optionalFields1={"text1": "nl", "number1": 4.0},
    )
    tickets, cursor = fetch_all(adapter)
    assert cursor is not None
    (ticket,) = tickets
    assert ticket.source == "td"
    assert (ticket.subject, ticket.channel, ticket.impact, ticket.urgency) == (
        "VPN valt steeds weg",
        "phone",
        "department",
        "high",
    )
    assert ticket.requester.language == "nl"
    assert ticket.custom["affected_users"] == 4.0
    (listing,) = topdesk.requests_to("/tas/api/incidents", "GET")
    assert listing.arg("sort") == "modificationDate:asc,id:asc"
    assert "optionalFields1" in (listing.arg("fields") or "").split(",")
    assert listing.basic_auth == ("matrixcore", "app-password-1234")


def test_fetch_resumes_and_sees_changes_including_its_own_once(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    for i in range(5):
        topdesk.store.add_incident(f"incident {i}")
    first, cursor = fetch_all(adapter)
    assert len(first) == 5
    assert fetch_all(adapter, cursor)[0] == []
    adapter.set_priority(first[0], PriorityChange(impact="person", urgency="low", priority="P5"))
    again, cursor = fetch_all(adapter, cursor)
    assert [t.id for t in again] == [first[0].id]  # our own write comes back once...
    assert (again[0].impact, again[0].priority) == ("person", "P5")
    adapter.set_priority(again[0], PriorityChange(impact="person", urgency="low", priority="P5"))
    assert not topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")[1:]  # ...and causes no write
    assert fetch_all(adapter, cursor)[0] == []


def test_a_bad_cursor_is_a_clear_error(adapter: TopdeskAdapter) -> None:
    with pytest.raises(AdapterError, match="not a TOPdesk cursor"):
        list(adapter.fetch('{"v": 7}'))


def test_set_priority_writes_only_changes_by_lookup_id(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    record = topdesk.store.add_incident("x", impact="Persoon", urgency="Normaal", priority="P4 Laag")
    (ticket,), _ = fetch_all(adapter)
    adapter.set_priority(ticket, PriorityChange(impact="department", urgency="normal", priority="P3"))
    (put,) = topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")
    assert put.json() == {
        "impact": {"id": fixed_id("impact", "Afdeling")},
        "priority": {"id": fixed_id("priority", "P3 Normaal")},
    }
    stored = topdesk.store.get(record["id"])
    assert (stored["impact"]["name"], stored["urgency"]["name"], stored["priority"]["name"]) == (
        "Afdeling",
        "Normaal",
        "P3 Normaal",
    )
    adapter.set_priority(ticket.evolve(impact="department", priority="P3"), PriorityChange(priority="P3"))
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 1  # nothing differed


def test_priority_is_kept_when_topdesks_matrix_disagrees(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    topdesk.store.matrix[("Organisatie", "Hoog")] = "P3 Normaal"  # TOPdesk's own matrix says otherwise
    record = topdesk.store.add_incident("storing", impact="Persoon", urgency="Normaal", priority="P4 Laag")
    (ticket,), _ = fetch_all(adapter)
    adapter.set_priority(ticket, PriorityChange(impact="organisation", urgency="high", priority="P1"))
    assert topdesk.store.get(record["id"])["priority"]["name"] == "P1 Kritiek"
    # As the sync writes: only what changed, here the impact; TOPdesk's matrix says P5 for it.
    topdesk.store.matrix[("Groep", "Hoog")] = "P5 Planning"
    (ticket,), _ = fetch_all(adapter, None)
    adapter.set_priority(ticket, PriorityChange(impact="group"))
    stored = topdesk.store.get(record["id"])
    assert (stored["impact"]["name"], stored["priority"]["name"]) == ("Groep", "P1 Kritiek")


def test_lookups_are_cached_and_reread_when_a_name_is_missing(topdesk: TopdeskServer) -> None:
    topdesk.store.add_incident("a")
    topdesk.store.add_incident("b")
    adapter = open_adapter(
        connection_settings(topdesk, mappings={"impact": {"group": "Groep", "person": "Keten"}})
    )
    tickets, _ = fetch_all(adapter)
    adapter.set_priority(tickets[0], PriorityChange(impact="group"))
    adapter.set_priority(tickets[1], PriorityChange(impact="group"))
    assert len(topdesk.requests_to("/tas/api/incidents/impacts")) == 1  # read once, then cached
    topdesk.store.catalog["impacts"].append({"id": fixed_id("impact", "Keten"), "name": "Keten"})
    adapter.set_priority(tickets[0], PriorityChange(impact="person"))  # not cached: read again, found
    assert topdesk.store.get(tickets[0].id)["impact"]["name"] == "Keten"
    assert len(topdesk.requests_to("/tas/api/incidents/impacts")) == 2
    unknown = open_adapter(connection_settings(topdesk, mappings={"impact": {"person": "Niemand"}}))
    with pytest.raises(AdapterError, match="TOPdesk has no impact named 'Niemand'"):
        unknown.set_priority(tickets[1], PriorityChange(impact="person"))
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 3  # none for it
    adapter.close()
    unknown.close()


def test_messages_visible_and_internal_round_trip(topdesk: TopdeskServer, adapter: TopdeskAdapter) -> None:
    topdesk.store.add_incident("x")
    (ticket,), _ = fetch_all(adapter)
    reply = adapter.post_message(ticket, "Beste Piet,\nwe pakken dit op <vandaag> & morgen.", True)
    note = adapter.post_message(ticket, "Waarom: regel 'cannot-work' zette urgency high", False)
    bodies = [r.json() for r in topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")]
    assert bodies[0] == {
        "action": "Beste Piet,<br>we pakken dit op &lt;vandaag&gt; &amp; morgen.",
        "actionInvisibleForCaller": False,
    }
    assert bodies[1]["actionInvisibleForCaller"] is True
    listed = adapter.list_messages(ticket)
    assert [m.id for m in listed] == [reply.id, note.id]
    assert listed[0].text == "Beste Piet,\nwe pakken dit op <vandaag> & morgen."
    assert (listed[0].visible_to_requester, listed[1].visible_to_requester) == (True, False)
    assert listed[0].author == "matrixcore (API)"
    assert reply.id
    topdesk.store.clock = lambda: datetime(2030, 1, 1, tzinfo=UTC)
    again = adapter.post_message(ticket, "Beste Piet,\nwe pakken dit op <vandaag> & morgen.", True)
    assert again.id not in (reply.id, note.id)  # the same text twice: each action its own id
    assert again.id == topdesk.store.actions[ticket.id][-1]["id"]


def test_list_messages_pages_through_more_than_a_hundred(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    record = topdesk.store.add_incident("x")
    for i in range(105):
        topdesk.store.add_action(record["id"], f"note {i}", invisible=True, operator=topdesk.store.agent)
    (ticket,), _ = fetch_all(adapter)
    messages = adapter.list_messages(ticket)
    assert [m.text for m in messages] == [f"note {i}" for i in range(105)]
    pages = topdesk.requests_to("/tas/api/incidents/id/{id}/actions")
    assert [p.arg("start") for p in pages] == ["0", "100"]


def test_a_message_is_not_posted_twice_when_the_connection_drops(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    record = topdesk.store.add_incident("x")
    (ticket,), _ = fetch_all(adapter)
    topdesk.inject(Fault.drop_connection(), path="/tas/api/incidents/id/{id}", method="PUT")
    with pytest.raises(AdapterError):
        adapter.post_message(ticket, "hello", True)
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 1
    topdesk.inject(Fault.server_error(503), path="/tas/api/incidents/id/{id}", method="PUT")
    adapter.post_message(ticket, "hello", True)  # 503: TOPdesk did not act, so it is sent again
    assert [a["plainText"] for a in topdesk.store.actions[record["id"]]] == ["hello"]


def test_a_slow_topdesk_times_out_reads_are_retried_an_action_is_not_resent(topdesk: TopdeskServer) -> None:
    record = topdesk.store.add_incident("x")
    adapter = open_adapter(connection_settings(topdesk, timeout={"connect": 1, "read": 0.1}))
    topdesk.inject(Fault.slow(0.3), path="/tas/api/incidents", method="GET")
    (ticket,), _ = fetch_all(adapter)  # the slow read timed out and was asked again
    assert len(topdesk.requests_to("/tas/api/incidents")) == 2
    topdesk.inject(Fault.slow(0.3), path="/tas/api/incidents/id/{id}", method="PUT")
    with pytest.raises(AdapterError, match="timed out"):
        adapter.post_message(ticket, "Bedankt", True)
    # TOPdesk goes on and adds the action after we stopped waiting: sending it again would post it
    # twice, so the adapter does not; the sync finds it through list_messages before any resend.
    deadline = time.monotonic() + 5
    while not topdesk.store.actions[record["id"]] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 1
    assert [m.text for m in adapter.list_messages(ticket)] == ["Bedankt"]
    adapter.close()


def test_writes_to_gone_or_archived_incidents_fail_clearly(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    gone = topdesk.store.add_incident("gone")
    archived = topdesk.store.add_incident("archived")
    tickets, _ = fetch_all(adapter)
    by_id = {t.id: t for t in tickets}
    topdesk.store.remove(gone["id"])
    topdesk.store.archive(archived["id"])
    with pytest.raises(AdapterError, match="no longer exists in TOPdesk") as missing:
        adapter.set_priority(by_id[gone["id"]], PriorityChange(impact="group"))
    assert missing.value.status == 404  # gone: matrixcore stops its timers
    assert not missing.value.retryable
    with pytest.raises(AdapterError, match="no longer exists"):
        adapter.list_messages(by_id[gone["id"]])
    with pytest.raises(AdapterError, match="is archived in TOPdesk") as refused:
        adapter.post_message(by_id[archived["id"]], "hi", True)
    assert refused.value.status == 410  # TOPdesk said 403; for matrixcore the incident is gone
    assert topdesk.store.actions[archived["id"]] == []


def test_a_forbidden_write_is_a_permission_problem_not_a_gone_incident(topdesk: TopdeskServer) -> None:
    topdesk.emulator.operators["matrixcore"].can_write = False
    topdesk.store.add_incident("x")
    adapter = open_adapter(connection_settings(topdesk))
    (ticket,), _ = fetch_all(adapter)
    with pytest.raises(AdapterError, match="may not do this to incident") as refused:
        adapter.set_priority(ticket, PriorityChange(impact="group"))
    assert refused.value.status == 403
    adapter.close()


def test_a_lookup_replaced_in_topdesk_is_reread_and_the_write_repeated(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    record = topdesk.store.add_incident("x", impact="Persoon", urgency="Laag", priority="P5 Planning")
    (ticket,), _ = fetch_all(adapter)
    adapter.set_priority(ticket, PriorityChange(impact="group", priority="P4"))  # lists now cached
    # An administrator replaces the "Afdeling" entry: same name, new id.
    afdeling = next(i for i in topdesk.store.catalog["impacts"] if i["name"] == "Afdeling")
    afdeling["id"] = "6f1c1d3e-0000-4000-8000-000000000001"
    adapter.set_priority(ticket, PriorityChange(impact="department", priority="P3"))
    assert topdesk.store.get(record["id"])["impact"] == {"id": afdeling["id"], "name": "Afdeling"}
    puts = topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")
    assert [p.json()["impact"]["id"] for p in puts[1:]] == [fixed_id("impact", "Afdeling"), afdeling["id"]]
    assert len(topdesk.requests_to("/tas/api/incidents/impacts")) == 2  # read again once


def test_check_explains_bad_credentials(topdesk: TopdeskServer, monkeypatch: pytest.MonkeyPatch) -> None:
    open_adapter(connection_settings(topdesk)).check()
    monkeypatch.setenv("TOPDESK_TEST_PASSWORD", "wrong-password")
    with pytest.raises(AdapterError, match="refused the login name or application password") as caught:
        open_adapter(connection_settings(topdesk)).check()
    assert "wrong-password" not in str(caught.value)
    assert caught.value.status == 401


def test_the_application_password_never_reaches_a_log(
    topdesk: TopdeskServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    topdesk.store.add_incident("x")
    adapter = open_adapter(connection_settings(topdesk))
    (ticket,), _ = fetch_all(adapter)
    adapter.set_priority(ticket, PriorityChange(impact="group", urgency="high", priority="P2"))
    adapter.post_message(ticket, "hallo", True)
    topdesk.inject(Fault.server_error(500), path="/tas/api/incidents", method="GET")
    fetch_all(adapter)
    monkeypatch.setenv(PASSWORD_ENV, "wrong-" + PASSWORD)
    with pytest.raises(AdapterError) as refused:
        open_adapter(connection_settings(topdesk)).check()
    token = base64.b64encode(f"matrixcore:{PASSWORD}".encode()).decode()
    assert caplog.records  # requests, the retry and the refusal were logged...
    for secret in (PASSWORD, token):
        assert secret not in caplog.text  # ...without the password
        assert secret not in str(refused.value)
    adapter.close()


def test_the_configured_request_budget_paces_every_request(topdesk: TopdeskServer) -> None:
    """TOPdesk publishes no limit, so the connection's own ``rate_limit`` is what keeps it polite."""
    for i in range(7):
        topdesk.store.add_incident(f"incident {i}")
    clock = FakeClock()
    adapter = open_adapter(
        connection_settings(topdesk, rate_limit={"per_minute": 6, "burst": 1}), clock=clock
    )
    tickets, _ = fetch_all(adapter)
    assert len(tickets) == 7
    requests = len(topdesk.requests)
    assert requests >= 3
    assert clock.slept >= (requests - 1) * 10 - 0.01  # one request every 10 s
    adapter.close()


def test_rate_limited_topdesk_is_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's own budget (2 requests a minute) on the clock the adapter sleeps on."""
    clock = FakeClock()
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with TopdeskServer(
        clock=lambda: datetime.fromtimestamp(clock.time(), UTC), rate_limit=RateLimit(limit=2, window=60)
    ) as topdesk:
        for i in range(7):
            topdesk.store.add_incident(f"incident {i}")
        adapter = open_adapter(connection_settings(topdesk), clock=clock)
        tickets, _ = fetch_all(adapter)
        assert len(tickets) == 7
        limited = [e for e in topdesk.exchanges if e.status == 429]
        assert limited
        assert {e.headers["Retry-After"] for e in limited} <= {str(s) for s in range(1, 61)}
        assert sum(clock.sleeps) >= 60  # waited out the window, as told
        adapter.close()
        # TOPdesk documents no 429 (nor any limit): the emulator's budget goes beyond its description.
        assert_conforms(topdesk, beyond_description={429})


def test_read_only_sends_nothing_but_gets(topdesk: TopdeskServer) -> None:
    topdesk.store.add_incident("x")
    adapter = open_adapter(connection_settings(topdesk), read_only=True)
    (ticket,), _ = fetch_all(adapter)
    with pytest.raises(ReadOnlyError):
        adapter.set_priority(ticket, PriorityChange(impact="organisation"))
    with pytest.raises(ReadOnlyError):
        adapter.post_message(ticket, "x", False)
    assert {r.method for r in topdesk.requests} == {"GET"}


def test_live_ruleset_problems(topdesk: TopdeskServer, adapter: TopdeskAdapter, quickstart: Ruleset) -> None:
    assert adapter.ruleset_problems(quickstart) == []
    next(d for d in topdesk.store.catalog["durations"] if d["name"] == "4 uur")["basicPeriods"] = 0.1
    problems = adapter.ruleset_problems(quickstart)
    assert [p.dotted_path for p in problems] == [
        "priorities.P1.pickup.within",
        "priorities.P1.resolve.within",
    ]


def test_every_request_and_answer_conforms_to_topdesks_description(
    topdesk: TopdeskServer, adapter: TopdeskAdapter, api: Any, quickstart: Ruleset
) -> None:
    for i in range(4):
        topdesk.store.add_incident(f"incident {i}", caller="Jan", request="tekst")
    tickets, cursor = fetch_all(adapter)
    adapter.check()
    adapter.set_priority(tickets[0], PriorityChange(impact="branch", urgency="high", priority="P1"))
    adapter.post_message(tickets[0], "Bedankt voor je melding", True)
    adapter.post_message(tickets[0], "intern", False)
    adapter.list_messages(tickets[1])  # none: 204
    adapter.list_messages(tickets[0])
    fetch_all(adapter, cursor)
    adapter.ruleset_problems(quickstart)
    topdesk.store.remove(tickets[2].id)
    with pytest.raises(AdapterError):
        adapter.set_priority(tickets[2], PriorityChange(impact="group"))
    methods = {(r.method, r.path.rsplit("/", 1)[-1]) for r in topdesk.requests}
    assert len(topdesk.requests) >= 12
    assert ("PUT", tickets[0].id) in methods
    problems = conformance_problems(topdesk, api)
    assert problems == [], json.dumps(problems, indent=1)


def test_a_posted_action_whose_follow_up_read_fails_is_still_posted(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    """Issue 13 item 8: TOPdesk took the action (its answer shows the incident), then the read of
    the actions list failed (a 406 was seen): the post is what counts, the read is best effort."""
    record = topdesk.store.add_incident("x")
    (ticket,), _ = fetch_all(adapter)
    topdesk.inject(
        Fault.status_code(406, {"message": "Not Acceptable"}), path="/tas/api/incidents/id/{id}/actions"
    )
    posted = adapter.post_message(ticket, "Bedankt", True)
    assert (posted.text, posted.visible_to_requester) == ("Bedankt", True)
    assert [a["plainText"] for a in topdesk.store.actions[record["id"]]] == ["Bedankt"]
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 1


MAINTENANCE = Fault.status_code(200, "<html>Maintenance</html>", {"Content-Type": "text/html"})


def test_an_action_answered_200_unreadably_counts_only_when_a_read_shows_it(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    """Issue 13 item 5: a proxy's 200 page is no proof. Not carried out: an error the sync retries
    (nothing resent here: a POST-like write is never repeated blindly); carried out: the actions list
    shows it, and that is the proof."""
    record = topdesk.store.add_incident("x")
    (ticket,), _ = fetch_all(adapter)
    topdesk.inject(MAINTENANCE, path="/tas/api/incidents/id/{id}", method="PUT")
    with pytest.raises(AdapterError, match="not done") as caught:
        adapter.post_message(ticket, "Bedankt", True)
    assert caught.value.retryable
    assert topdesk.store.actions[record["id"]] == []
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 1
    topdesk.inject(MAINTENANCE.after_applying(), path="/tas/api/incidents/id/{id}", method="PUT")
    posted = adapter.post_message(ticket, "Bedankt", True)
    assert posted.id == topdesk.store.actions[record["id"]][0]["id"]


def test_a_priority_answered_200_unreadably_is_written_again(
    topdesk: TopdeskServer, adapter: TopdeskAdapter
) -> None:
    """An idempotent write is simply sent again until an answer shows the incident."""
    record = topdesk.store.add_incident("x")
    (ticket,), _ = fetch_all(adapter)
    topdesk.inject(MAINTENANCE, path="/tas/api/incidents/id/{id}", method="PUT")
    adapter.set_priority(ticket, PriorityChange(priority="P1"))
    assert len(topdesk.requests_to("/tas/api/incidents/id/{id}", "PUT")) == 2
    assert topdesk.store.get(record["id"])["priority"]["name"].startswith("P1")
