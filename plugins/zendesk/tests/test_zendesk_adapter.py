"""The Zendesk adapter over real HTTP against the emulator on 127.0.0.1, faults included."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from matrixcore_zendesk.testing import ZendeskServer
from zendesk_account import ADMIN_EMAIL, TOKEN, Account, make_adapter, open_account
from zendesk_research import follows_the_published_api

from matrixcore import AdapterError, ConflictError, PriorityChange, ReadOnlyError, Ticket
from matrixcore.testing import FakeClock, Fault


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[ZendeskServer]:
    with ZendeskServer() as server:
        server.clock.follow(clock.monotonic)
        yield server
        assert not server.errors, server.errors
        follows_the_published_api(server)


@pytest.fixture
def account(server: ZendeskServer) -> Account:
    return open_account(server)


@pytest.fixture
def adapter(account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    made = make_adapter(account, clock, monkeypatch)
    yield made
    made.close()


def fetch_all(adapter: Any, cursor: str | None = None) -> tuple[list[Ticket], str | None]:
    tickets: list[Ticket] = []
    for batch in adapter.fetch(cursor):
        tickets += batch.tickets
        cursor = batch.cursor
    return tickets, cursor


def exports(server: ZendeskServer) -> list[Any]:
    return server.requests_to("/api/v2/incremental/tickets/cursor", "GET")


def puts(server: ZendeskServer) -> list[Any]:
    return [r for r in server.requests if r.method == "PUT"]


# -- check -----------------------------------------------------------------------------------


def test_check_accepts_an_admin_token(adapter: Any) -> None:
    adapter.check()


def test_check_explains_a_refused_token(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual mistake: the e-mail address without '/token' as the user name."""
    auth = {"type": "basic", "username": "matrixcore@acme.example", "password": {"env": "ZD_TEST_TOKEN"}}
    wrong = make_adapter(account, clock, monkeypatch, auth=auth)

    with pytest.raises(AdapterError) as caught:
        wrong.check()

    assert caught.value.status == 401
    assert "'{email}/token'" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_check_refuses_an_agent(account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    account.server.state.add_api_token("anna@acme.example", "anna-token")
    monkeypatch.setenv("ANNA", "anna-token")
    agent = make_adapter(
        account,
        clock,
        monkeypatch,
        auth={"type": "basic", "username": "anna@acme.example/token", "password": {"env": "ANNA"}},
    )

    with pytest.raises(AdapterError, match="needs an admin"):
        agent.check()


def test_oauth_bearer_tokens_work(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.server.state.add_oauth_token("oauth-xyz", account.admin["id"])
    monkeypatch.setenv("ZD_OAUTH", "oauth-xyz")

    make_adapter(account, clock, monkeypatch, auth={"type": "bearer", "token": {"env": "ZD_OAUTH"}}).check()

    assert account.server.requests[-1].bearer_token == "oauth-xyz"


@pytest.mark.parametrize(
    ("settings", "per_minute"),
    [
        ({"plan": "team"}, 200),
        ({"plan": "professional"}, 400),
        ({"plan": "high_volume"}, 2500),
        ({"plan": "enterprise", "rate_limit": {"per_minute": 300}}, 300),  # leave room for others
        ({"plan": "growth", "rate_limit": {"burst": 10}}, 400),
        ({}, None),  # no budget of our own: Zendesk's rate-limit headers alone
    ],
)
def test_the_plan_sets_the_request_budget(
    account: Account,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, Any],
    per_minute: int | None,
) -> None:
    adapter = make_adapter(account, clock, monkeypatch, **settings)

    assert adapter.http.budget.per_minute == per_minute


def test_a_plan_budget_never_exceeds_what_the_emulated_plan_allows() -> None:
    """The adapter's plan table against the emulator's (both from Zendesk's rate-limits page)."""
    from matrixcore_zendesk._settings import PLAN_LIMITS as ASSUMED
    from matrixcore_zendesk.testing import PLAN_LIMITS as EMULATED

    assert dict(ASSUMED) == EMULATED


def test_x_rate_limit_remaining_is_obeyed_before_zendesk_refuses(
    account: Account, adapter: Any, server: ZendeskServer, clock: FakeClock
) -> None:
    """On the team plan (200 a minute) 230 reads: when Zendesk says none remain, the adapter
    waits for the window instead of drawing 429s."""
    server.emulator.plan = "team"
    ticket = fetched(adapter, account, "Chatty")
    server.advance(61)  # a fresh account window
    slept = clock.slept

    for _ in range(230):
        adapter.list_messages(ticket)

    assert server.emulator.refused == []
    assert clock.slept - slept >= 30  # the rest of the minute


def test_the_token_never_reaches_the_log(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    account.ticket("piet", "one")
    account.server.advance()
    account.server.inject(Fault.server_error(503, retry_after=1), path="/api/v2/incremental/tickets/cursor")
    account.server.inject(
        Fault.status_code(401, {"error": "Couldn't authenticate you"}), path="/api/v2/users/me"
    )
    adapter = make_adapter(account, clock, monkeypatch)
    caplog.set_level(logging.DEBUG)

    fetch_all(adapter)
    with pytest.raises(AdapterError):
        adapter.check()

    encoded = base64.b64encode(f"{ADMIN_EMAIL}/token:{TOKEN}".encode()).decode()
    assert "retrying" in caplog.text  # the log did tell the story
    assert TOKEN not in caplog.text
    assert encoded not in caplog.text


# -- fetch -----------------------------------------------------------------------------------


def test_fetch_reads_every_ticket_with_requesters_and_channels(account: Account, adapter: Any) -> None:
    account.ticket("sanne", "Outlook ligt eruit", channel="twitter")
    account.ticket("mark", "Vraag over facturen", channel="facebook", minutes_ago=20)
    account.ticket("emma", "Cannot log in", channel="chat", minutes_ago=10)
    account.ticket("piet", "Printer", channel=4, minutes_ago=5)

    tickets, cursor = fetch_all(adapter)

    assert [(t.subject, t.channel, t.requester.language) for t in tickets] == [
        ("Outlook ligt eruit", "twitter", "nl"),
        ("Vraag over facturen", "facebook", "nl-NL"),
        ("Cannot log in", "chat", "en-GB"),
        ("Printer", "email", "nl"),
    ]
    assert tickets[2].requester.vip is True
    assert tickets[3].requester.address == "piet@example.nl"
    assert cursor is not None
    assert len(exports(account.server)) == 2  # page size 3: two pages, users side-loaded, no extra requests
    assert {r.arg("include") for r in exports(account.server)} == {"users,metric_sets"}
    assert exports(account.server)[0].arg("start_time") is not None
    assert exports(account.server)[1].arg("start_time") is None


def test_resuming_from_the_cursor_returns_only_changes(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    first = account.ticket("sanne", "one")
    account.ticket("mark", "two")
    _, cursor = fetch_all(adapter)

    nothing, same = fetch_all(adapter, cursor)
    account.agent_update(first["id"], {"status": "open"})
    server.advance()
    changed, later = fetch_all(adapter, cursor)

    assert (nothing, same) == ([], cursor)
    assert [t.id for t in changed] == [str(first["id"])]
    assert later != cursor


def test_changes_of_the_last_minute_wait_for_the_next_run(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    _, cursor = fetch_all(adapter)
    account.ticket("sanne", "just now", minutes_ago=0.2)

    early, cursor = fetch_all(adapter, cursor)
    server.advance()
    late, _ = fetch_all(adapter, cursor)

    assert early == []
    assert [t.subject for t in late] == ["just now"]


def test_deleted_tickets_come_as_resolved(account: Account, adapter: Any, server: ZendeskServer) -> None:
    ticket = account.ticket("sanne", "spam")
    _, cursor = fetch_all(adapter)
    server.state.delete_ticket(ticket["id"])
    server.advance()

    tickets, _ = fetch_all(adapter, cursor)

    assert [(t.status, t.resolved is not None) for t in tickets] == [("deleted", True)]


def test_metrics_give_pickup_and_pauses(account: Account, adapter: Any, server: ZendeskServer) -> None:
    ticket = account.ticket("emma", "Cannot log in", channel="chat", minutes_ago=40)
    account.agent_update(
        ticket["id"], {"comment": {"body": "Looking into it", "public": True}, "status": "pending"}
    )
    server.advance()

    (fetched,), _ = fetch_all(adapter)

    assert fetched.first_response is not None
    assert fetched.status == "pending"
    assert fetched.paused_since is not None


def test_users_left_out_of_the_side_load_come_in_one_request_per_page(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    server.emulator.ignored_includes = {"users"}
    for n in range(3):
        account.ticket("sanne" if n % 2 else "mark", f"t{n}")

    tickets, _ = fetch_all(adapter)

    assert {t.requester.name for t in tickets} == {"Sanne de Vries", "Mark Jansen"}
    assert len(server.requests_to("/api/v2/users/show_many", "GET")) == 1


def test_the_export_keeps_to_ten_requests_a_minute(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, server: ZendeskServer
) -> None:
    for n in range(14):
        account.ticket("piet", f"t{n}", minutes_ago=60 - n)
    adapter = make_adapter(account, clock, monkeypatch, page_size=1)

    tickets, _ = fetch_all(adapter)

    assert len(tickets) == 14
    assert len(exports(server)) == 14
    assert server.emulator.refused == []  # never a 429: the export budget waited instead
    assert clock.slept >= 13 * 6  # one request every 6 s: never more than 10 in a minute


def test_an_export_limit_spent_by_another_integration_is_waited_out(
    account: Account, adapter: Any, server: ZendeskServer, clock: FakeClock
) -> None:
    """The 10 a minute are the account's: another client may have used them. Zendesk's 429 and
    Retry-After are obeyed, and the fetch goes on from where it was."""
    account.ticket("piet", "one")
    server.advance()
    other = "Basic " + base64.b64encode(f"{ADMIN_EMAIL}/token:{TOKEN}".encode()).decode()
    for _ in range(10):
        server.emulator.handle(
            "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0", {"Authorization": other}
        )
    slept = clock.slept

    tickets, cursor = fetch_all(adapter)

    assert [t.subject for t in tickets] == ["one"]
    assert cursor is not None
    assert server.emulator.refused == ["GET /api/v2/incremental/tickets/cursor"]
    assert clock.slept - slept >= 50  # Retry-After: until the minute's window resets


def test_a_failing_export_page_is_retried(
    account: Account, adapter: Any, server: ZendeskServer, clock: FakeClock
) -> None:
    account.ticket("piet", "one")
    server.inject(Fault.server_error(503, retry_after=7), path="/api/v2/incremental/tickets/cursor")

    tickets, _ = fetch_all(adapter)

    assert [t.subject for t in tickets] == ["one"]
    assert clock.slept >= 7


def test_a_broken_page_loses_no_progress(account: Account, adapter: Any, server: ZendeskServer) -> None:
    for n in range(5):
        account.ticket("piet", f"t{n}", minutes_ago=30 - n)
    server.advance()
    batches = adapter.fetch(None)
    first = next(batches)
    server.inject(Fault.malformed(), path="/api/v2/incremental/tickets/cursor")

    with pytest.raises(AdapterError, match="not valid JSON"):
        next(batches)
    rest, _ = fetch_all(adapter, first.cursor)

    assert [t.subject for t in [*first.tickets, *rest]] == [f"t{n}" for n in range(5)]


# -- writes ----------------------------------------------------------------------------------


def fetched(adapter: Any, account: Account, subject: str, **kwargs: Any) -> Ticket:
    account.ticket("sanne", subject, **kwargs)
    account.server.advance()
    tickets, _ = fetch_all(adapter)
    return next(t for t in tickets if t.subject == subject)


CHANGE = PriorityChange(impact="branch", urgency="high", priority="P1")


def test_set_priority_writes_fields_and_priority_safely(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    ticket = fetched(adapter, account, "Outage")

    adapter.set_priority(ticket, CHANGE)

    state = server.state
    assert state.show_ticket(int(ticket.id))["priority"] == "urgent"
    assert state.field_value(int(ticket.id), account.impact_field) == "branch"
    assert state.field_value(int(ticket.id), account.urgency_field) == "high"
    (put,) = puts(server)
    assert put.json()["ticket"]["safe_update"] is True
    assert put.json()["ticket"]["updated_stamp"] == ticket.raw["updated_at"]


def test_writing_the_same_again_sends_nothing(account: Account, adapter: Any, server: ZendeskServer) -> None:
    ticket = fetched(adapter, account, "Outage")
    adapter.set_priority(ticket, CHANGE)

    adapter.set_priority(ticket, CHANGE)  # the same stale read again
    server.advance()
    (again,), _ = fetch_all(adapter, None)
    adapter.set_priority(again, CHANGE)  # a fresh read that shows our values

    assert len(puts(server)) == 1


def test_an_agents_change_meanwhile_is_a_conflict(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    ticket = fetched(adapter, account, "Outage")
    server.advance(5)
    account.agent_update(ticket.id, {"priority": "low"})

    with pytest.raises(ConflictError) as caught:
        adapter.set_priority(ticket, CHANGE)

    assert caught.value.ticket_id == ticket.id
    assert caught.value.retryable is False
    assert "re-read" in str(caught.value)
    assert server.state.show_ticket(int(ticket.id))["priority"] == "low"  # the agent's value stands


def test_our_own_writes_do_not_conflict_with_each_other(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    ticket = fetched(adapter, account, "Outage")

    server.advance(5)
    adapter.post_message(ticket, "We kijken ernaar", visible_to_requester=True)
    server.advance(5)
    adapter.set_priority(ticket, CHANGE)  # same read, after our own comment moved updated_at

    assert server.state.show_ticket(int(ticket.id))["priority"] == "urgent"


@pytest.mark.parametrize("tags_applied_last", [False, True])
@pytest.mark.parametrize("before", [None, "branch"])
def test_a_write_with_tags_and_drop_downs_lands_whichever_zendesk_applies_last(
    account: Account, adapter: Any, server: ZendeskServer, tags_applied_last: bool, before: str | None
) -> None:
    """A shared priority (P5 is low, like P4) needs a tag, so the write sets tags and drop-downs at
    once. Zendesk keeps a drop-down and its option tag together; the tag list sent must agree with
    the drop-down values sent, or one would undo the other."""
    server.state.tags_applied_last = tags_applied_last
    fields = {account.impact_field: before} if before else {}
    ticket = fetched(adapter, account, "Outage", custom_fields=fields, tags=["social"])
    change = PriorityChange(impact="organisation", urgency="low", priority="P5")

    adapter.set_priority(ticket, change)

    state, ticket_id = server.state, int(ticket.id)
    assert state.field_value(ticket_id, account.impact_field) == "organisation"
    assert state.field_value(ticket_id, account.urgency_field) == "low"
    tags = state.show_ticket(ticket_id)["tags"]
    assert sorted(tags) == ["low", "matrix_priority_p5", "organisation", "social"]
    server.advance()
    (again,), _ = fetch_all(adapter)
    assert (again.impact, again.urgency, again.priority) == ("organisation", "low", "P5")
    adapter.set_priority(again, change)
    assert len(puts(server)) == 1  # it reads back as written: no second write


def test_a_configured_field_the_account_lacks_does_not_stop_the_write(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, server: ZendeskServer
) -> None:
    """Field 999 does not exist: Zendesk ignores its value, the priority and its tag still go."""
    adapter = make_adapter(account, clock, monkeypatch, impact={"field_id": 999})
    ticket = fetched(adapter, account, "Outage")

    adapter.set_priority(ticket, PriorityChange(impact="branch", priority="P5"))

    shown = server.state.show_ticket(int(ticket.id))
    assert shown["priority"] == "low"
    assert "matrix_priority_p5" in shown["tags"]
    other = fetched(adapter, account, "Outage 2")
    adapter.set_priority(other, PriorityChange(impact="branch", urgency="low", priority="P5"))
    asked = [r.path for r in server.requests_to("/api/v2/ticket_fields/{id}", "GET")]
    assert sorted(asked) == sorted(
        f"/api/v2/ticket_fields/{f}" for f in (999, account.urgency_field)
    )  # once each


@pytest.mark.parametrize("status", ["closed", "deleted"])
def test_closed_and_deleted_tickets_are_not_written(
    account: Account, adapter: Any, server: ZendeskServer, status: str
) -> None:
    ticket = fetched(adapter, account, "Old", status=status if status == "closed" else "new")
    if status == "deleted":
        ticket = ticket.evolve(status="deleted")

    adapter.set_priority(ticket, CHANGE)

    assert puts(server) == []


def test_an_unmapped_priority_is_a_configuration_error(account: Account, adapter: Any) -> None:
    ticket = fetched(adapter, account, "Outage")

    with pytest.raises(AdapterError, match=r"priority\.values"):
        adapter.set_priority(ticket, PriorityChange(priority="P9"))


def test_a_429_on_a_write_waits_as_told(
    account: Account, adapter: Any, server: ZendeskServer, clock: FakeClock
) -> None:
    ticket = fetched(adapter, account, "Outage")
    server.inject(Fault.too_many_requests(retry_after=30), path="/api/v2/tickets/{id}", method="PUT")
    slept = clock.slept

    adapter.set_priority(ticket, CHANGE)

    assert clock.slept - slept >= 30
    assert len(puts(server)) == 2
    assert server.state.show_ticket(int(ticket.id))["priority"] == "urgent"


def test_writes_wait_for_the_ticket_update_limit_instead_of_running_into_429s(
    account: Account, adapter: Any, server: ZendeskServer, clock: FakeClock
) -> None:
    """Zendesk allows 100 ticket updates a minute (here 3) and says how many are left."""
    server.emulator.update_limit = 3
    for n in range(5):
        account.ticket("piet", f"t{n}", minutes_ago=30 - n)
    server.advance()
    tickets, _ = fetch_all(adapter)
    slept = clock.slept

    for ticket in tickets:
        adapter.set_priority(ticket, CHANGE)

    assert server.emulator.refused == []
    assert len(puts(server)) == 5  # each write sent once
    assert clock.slept - slept >= 50  # waited for the update window, not for a 429's Retry-After
    assert [server.state.show_ticket(int(t.id))["priority"] for t in tickets] == ["urgent"] * 5


@pytest.mark.parametrize(
    ("headers", "limit"),
    [
        ({"Zendesk-RateLimit-tickets-update": "total=100; remaining=7; resets=41"}, ("7", "41")),
        ({"zendesk-rate-limit-tickets-update": "total=20; remaining=19; resets=59"}, ("19", "59")),  # 2023
        ({"zendesk-ratelimit-tickets-update": "total=100; remaining=0"}, ("0", None)),
        ({"x-rate-limit-remaining": "699"}, None),  # the account's, not the endpoint's
        ({"Zendesk-RateLimit-tickets-update": "garbled"}, None),
    ],
)
def test_the_ticket_update_limit_header_is_read_in_both_spellings(
    headers: dict[str, str], limit: tuple[str, str | None] | None
) -> None:
    from matrixcore_zendesk._adapter import endpoint_limit

    read = endpoint_limit(headers)

    if limit is None:
        assert read == {}
    else:
        assert (read["ratelimit-remaining"], read.get("ratelimit-reset")) == limit


# -- messages --------------------------------------------------------------------------------


def test_public_replies_and_internal_notes(account: Account, adapter: Any, server: ZendeskServer) -> None:
    ticket = fetched(adapter, account, "Outage")

    reply = adapter.post_message(ticket, "We pakken je melding op", visible_to_requester=True)
    note = adapter.post_message(ticket, "Priority P1 set by rule major-outage", visible_to_requester=False)
    listed = adapter.list_messages(ticket)

    assert (reply.visible_to_requester, note.visible_to_requester) == (True, False)
    assert [(m.text, m.visible_to_requester) for m in listed][-2:] == [
        ("We pakken je melding op", True),
        ("Priority P1 set by rule major-outage", False),
    ]
    assert listed[-1].id == note.id
    assert listed[-1].author == str(account.admin["id"])


def test_no_message_goes_to_a_deleted_ticket(account: Account, adapter: Any, server: ZendeskServer) -> None:
    ticket = fetched(adapter, account, "Spam").evolve(status="deleted")

    with pytest.raises(AdapterError, match="deleted") as caught:
        adapter.post_message(ticket, "Hallo", visible_to_requester=True)

    assert caught.value.status == 404
    assert puts(server) == []


def test_list_messages_pages_through_every_comment(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    ticket = fetched(adapter, account, "Chatty")
    for n in range(120):
        server.state.update_ticket(
            int(ticket.id), {"comment": {"body": f"c{n}"}}, author_id=account.agent["id"]
        )

    messages = adapter.list_messages(ticket)

    assert len(messages) == 121
    assert len(server.requests_to("/api/v2/tickets/{id}/comments", "GET")) == 2


def test_a_message_is_never_resent_after_zendesk_may_have_acted(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    ticket = fetched(adapter, account, "Outage")
    server.inject(Fault.server_error(500), path="/api/v2/tickets/{id}", method="PUT")

    with pytest.raises(AdapterError):
        adapter.post_message(ticket, "Hallo", visible_to_requester=True)

    assert len(puts(server)) == 1


def test_a_message_refused_with_429_is_sent_once_later(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    ticket = fetched(adapter, account, "Outage")
    server.inject(Fault.too_many_requests(retry_after=2), path="/api/v2/tickets/{id}", method="PUT")

    adapter.post_message(ticket, "Hallo", visible_to_requester=True)

    assert [c["body"] for c in server.state.comments(int(ticket.id))].count("Hallo") == 1


# -- dry run ---------------------------------------------------------------------------------


def test_dry_run_reads_but_never_writes(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, server: ZendeskServer
) -> None:
    account.ticket("sanne", "Outage")
    server.advance()
    dry = make_adapter(account, clock, monkeypatch, read_only=True)

    (ticket,), _ = fetch_all(dry)
    with pytest.raises(ReadOnlyError):
        dry.set_priority(ticket, CHANGE)
    with pytest.raises(ReadOnlyError):
        dry.post_message(ticket, "x", visible_to_requester=False)
    with pytest.raises(ReadOnlyError):
        dry.set_priorities([(ticket, CHANGE)] * 1)

    assert {r.method for r in server.requests} == {"GET"}


# -- update_many -----------------------------------------------------------------------------


def test_many_writes_go_as_one_job_and_report_each_ticket(
    account: Account, adapter: Any, server: ZendeskServer, clock: FakeClock
) -> None:
    for n in range(5):
        account.ticket("piet", f"t{n}", minutes_ago=30 - n)
    server.advance()
    tickets, _ = fetch_all(adapter)
    server.advance(5)
    account.agent_update(tickets[2].id, {"priority": "low"})
    slept = clock.slept

    outcome = adapter.set_priorities([(t, CHANGE) for t in tickets])

    assert [r.path for r in puts(server)] == ["/api/v2/tickets/update_many"]
    assert len(server.requests_to("/api/v2/job_statuses/{id}", "GET")) == 2
    assert clock.slept - slept >= 1  # polled, not hammered
    assert isinstance(outcome[tickets[2].id], ConflictError)
    assert [outcome[t.id] for t in tickets if t is not tickets[2]] == [None] * 4
    assert [server.state.show_ticket(int(t.id))["priority"] for t in tickets] == ["urgent"] * 2 + ["low"] + [
        "urgent"
    ] * 2


def test_few_writes_go_one_by_one(account: Account, adapter: Any, server: ZendeskServer) -> None:
    for n in range(2):
        account.ticket("piet", f"t{n}")
    server.advance()
    tickets, _ = fetch_all(adapter)

    outcome = adapter.set_priorities([(t, CHANGE) for t in tickets])

    assert outcome == {t.id: None for t in tickets}
    assert [r.path for r in puts(server)] == [f"/api/v2/tickets/{t.id}" for t in tickets]


def test_few_writes_report_each_tickets_own_outcome(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    """One ticket's conflict or configuration gap does not stop the others' writes."""
    for n in range(2):
        account.ticket("piet", f"t{n}", minutes_ago=30 - n)
    server.advance()
    first, second = fetch_all(adapter)[0]
    server.advance(5)
    account.agent_update(first.id, {"priority": "low"})

    outcome = adapter.set_priorities([(first, CHANGE), (second, CHANGE)])
    unmapped = adapter.set_priorities([(second, PriorityChange(priority="P9"))])

    assert isinstance(outcome[first.id], ConflictError)
    assert outcome[second.id] is None
    assert server.state.show_ticket(int(second.id))["priority"] == "urgent"
    assert server.state.show_ticket(int(first.id))["priority"] == "low"  # the agent's
    assert isinstance(unmapped[second.id], AdapterError)
    assert "priority.values" in str(unmapped[second.id])


def test_a_ticket_deleted_before_its_job_ran_is_reported_not_found(
    account: Account, adapter: Any, server: ZendeskServer
) -> None:
    for n in range(3):
        account.ticket("piet", f"t{n}", minutes_ago=30 - n)
    server.advance()
    tickets, _ = fetch_all(adapter)
    server.state.delete_ticket(int(tickets[1].id))

    outcome = adapter.set_priorities([(t, CHANGE) for t in tickets])

    assert [r.path for r in puts(server)] == ["/api/v2/tickets/update_many"]
    error = outcome[tickets[1].id]
    assert isinstance(error, AdapterError)
    assert error.status == 404
    assert (outcome[tickets[0].id], outcome[tickets[2].id]) == (None, None)


def test_a_job_that_does_not_finish_is_a_retryable_error(
    account: Account, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, server: ZendeskServer
) -> None:
    server.state.job_polls = 10_000
    for n in range(3):
        account.ticket("piet", f"t{n}")
    server.advance()
    adapter = make_adapter(account, clock, monkeypatch, job_timeout=30)
    tickets, _ = fetch_all(adapter)

    with pytest.raises(AdapterError, match="still") as caught:
        adapter.set_priorities([(t, CHANGE) for t in tickets])

    assert caught.value.retryable is True


@pytest.mark.parametrize("applied", [False, True], ids=["not-carried-out", "carried-out"])
def test_a_comment_answered_200_unreadably_counts_only_when_the_comments_show_it(
    account: Account, adapter: Any, server: ZendeskServer, applied: bool
) -> None:
    """Issue 13 item 5: a proxy's 200 page is no proof; a later read of the comments is."""
    ticket = fetched(adapter, account, "Outage")
    page = Fault.status_code(200, "<html>Maintenance</html>", {"Content-Type": "text/html"})
    server.inject(page.after_applying() if applied else page, path="/api/v2/tickets/{id}", method="PUT")
    if applied:
        posted = adapter.post_message(ticket, "We are on it", visible_to_requester=True)
        assert posted.text == "We are on it"
    else:
        with pytest.raises(AdapterError, match="not done") as caught:
            adapter.post_message(ticket, "We are on it", visible_to_requester=True)
        assert caught.value.retryable
    bodies = [m.text for m in adapter.list_messages(ticket)]
    assert bodies.count("We are on it") == (1 if applied else 0)
    assert len(puts(server)) == 1
