"""The Zendesk emulator's state and endpoints, without HTTP: what the adapter may rely on."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from matrixcore_zendesk.testing import EmulatorResponse, ZendeskEmulator, ZendeskError, ZendeskState, stamp

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> ZendeskState:
    state = ZendeskState(now=clock, base_url="https://acme.zendesk.com")
    admin = state.add_user("Matrix Bot", "bot@acme.example", role="admin")
    state.add_user("Agent Anna", "anna@acme.example", role="agent")
    state.add_user("Sanne", "sanne@example.nl", locale="nl-NL", tags=["vip"])
    state.add_api_token("bot@acme.example", "t0ken")
    state.add_oauth_token("oauth-abc", admin["id"])
    return state


def user(state: ZendeskState, name: str) -> dict[str, Any]:
    return next(u for u in state.users.values() if u["name"] == name)


def new_ticket(state: ZendeskState, subject: str = "Help", **kwargs: Any) -> dict[str, Any]:
    return state.create_ticket(
        subject=subject, description=subject, requester_id=user(state, "Sanne")["id"], **kwargs
    )


BOT = "Basic " + base64.b64encode(b"bot@acme.example/token:t0ken").decode()


def call(
    emulator: ZendeskEmulator, method: str, target: str, body: Any = None, auth: str = BOT
) -> EmulatorResponse:
    raw = json.dumps(body).encode() if body is not None else None
    return emulator.handle(method, target, {"Authorization": auth}, raw)


# -- tickets and updates ---------------------------------------------------------------------


def test_a_new_ticket_serialises_like_the_real_api(state: ZendeskState) -> None:
    ticket = new_ticket(state, channel="twitter")

    assert ticket["priority"] is None  # nulls where the spec says none, as recorded
    assert ticket["assignee_id"] is None
    assert ticket["via"] == {"channel": "twitter", "source": {"from": {}, "to": {}, "rel": None}}
    assert ticket["created_at"] == "2024-03-04T09:00:00Z"
    assert state.comments(ticket["id"])[0]["public"] is True


def test_updates_are_partial_and_bump_updated_at(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state, tags=["social"])
    clock.advance(minutes=5)

    result = state.update_ticket(
        ticket["id"], {"priority": "high"}, author_id=user(state, "Matrix Bot")["id"]
    )

    assert result["ticket"]["priority"] == "high"
    assert result["ticket"]["tags"] == ["social"]
    assert result["ticket"]["subject"] == "Help"
    assert result["ticket"]["updated_at"] == "2024-03-04T09:05:00Z"
    assert [e["field_name"] for e in result["audit"]["events"]] == ["priority"]


def test_an_update_that_changes_nothing_keeps_updated_at(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state, priority="high")
    clock.advance(minutes=5)

    result = state.update_ticket(ticket["id"], {"priority": "high"}, author_id=1)

    assert result["ticket"]["updated_at"] == ticket["updated_at"]


def test_safe_update_refuses_a_stale_stamp_with_409(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state)
    read_stamp = ticket["updated_at"]
    clock.advance(minutes=1)
    state.update_ticket(ticket["id"], {"priority": "low"}, author_id=user(state, "Agent Anna")["id"])

    with pytest.raises(ZendeskError) as caught:
        state.update_ticket(
            ticket["id"],
            {"priority": "urgent", "safe_update": True, "updated_stamp": read_stamp},
            author_id=1,
        )

    assert caught.value.status == 409
    assert caught.value.body["error"] == "UpdateConflict"
    assert state.show_ticket(ticket["id"])["priority"] == "low"  # the agent's change survives


def test_safe_update_with_the_current_stamp_succeeds(state: ZendeskState) -> None:
    ticket = new_ticket(state)

    changes = {"priority": "urgent", "safe_update": True, "updated_stamp": ticket["updated_at"]}

    assert state.update_ticket(ticket["id"], changes, author_id=1)["ticket"]["priority"] == "urgent"


def test_a_stamp_without_safe_update_is_not_checked(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state)
    clock.advance(minutes=1)
    state.update_ticket(ticket["id"], {"subject": "changed"}, author_id=1)

    result = state.update_ticket(
        ticket["id"], {"priority": "low", "updated_stamp": ticket["updated_at"]}, author_id=1
    )

    assert result["ticket"]["priority"] == "low"


@pytest.mark.parametrize(
    ("changes", "status"),
    [({"priority": "critical"}, 422), ({"status": "archived"}, 422), ({"safe_update": True}, 422)],
)
def test_invalid_updates_are_refused(state: ZendeskState, changes: dict[str, Any], status: int) -> None:
    ticket = new_ticket(state)

    with pytest.raises(ZendeskError) as caught:
        state.update_ticket(ticket["id"], changes, author_id=1)

    assert caught.value.status == status


def test_closed_tickets_cannot_be_updated_and_deleted_ones_are_gone(state: ZendeskState) -> None:
    closed = new_ticket(state, status="closed")
    deleted = new_ticket(state)
    state.delete_ticket(deleted["id"])

    with pytest.raises(ZendeskError) as closed_error:
        state.update_ticket(closed["id"], {"priority": "low"}, author_id=1)
    with pytest.raises(ZendeskError) as deleted_error:
        state.update_ticket(deleted["id"], {"priority": "low"}, author_id=1)

    assert closed_error.value.status == 422
    assert deleted_error.value.status == 404


def test_a_drop_down_value_is_also_a_ticket_tag(state: ZendeskState) -> None:
    impact = state.add_ticket_field("Impact", options=["person", "branch"])
    ticket = new_ticket(state, tags=["social"])

    state.update_ticket(ticket["id"], {"custom_fields": [{"id": impact, "value": "person"}]}, author_id=1)
    state.update_ticket(ticket["id"], {"custom_fields": [{"id": impact, "value": "branch"}]}, author_id=1)

    assert state.field_value(ticket["id"], impact) == "branch"
    assert state.show_ticket(ticket["id"])["tags"] == ["social", "branch"]
    with pytest.raises(ZendeskError) as caught:
        state.update_ticket(ticket["id"], {"custom_fields": [{"id": impact, "value": "galaxy"}]}, author_id=1)
    assert "galaxy is not a valid option" in str(caught.value.body["details"])


def test_a_drop_down_follows_its_option_tag(state: ZendeskState) -> None:
    impact = state.add_ticket_field("Impact", options=["person", "branch"])
    ticket = new_ticket(state, tags=["social"], custom_fields={impact: "person"})

    state.update_ticket(ticket["id"], {"tags": ["social", "branch"]}, author_id=1)
    assert state.field_value(ticket["id"], impact) == "branch"
    state.update_ticket(ticket["id"], {"tags": ["social"]}, author_id=1)
    assert state.field_value(ticket["id"], impact) is None


@pytest.mark.parametrize(("tags_last", "value"), [(False, "branch"), (True, "person")])
def test_tags_and_drop_downs_in_one_update_apply_in_the_order_chosen(
    state: ZendeskState, tags_last: bool, value: str
) -> None:
    """Undocumented in Zendesk: the emulator offers both orders, so tests can hold the adapter to both."""
    impact = state.add_ticket_field("Impact", options=["person", "branch"])
    ticket = new_ticket(state, custom_fields={impact: "person"})
    state.tags_applied_last = tags_last

    changes = {"tags": ["person", "x"], "custom_fields": [{"id": impact, "value": "branch"}]}
    state.update_ticket(ticket["id"], changes, author_id=1)

    assert state.field_value(ticket["id"], impact) == value
    assert value in state.show_ticket(ticket["id"])["tags"]


def test_a_ticket_field_lists_a_drop_downs_options(state: ZendeskState) -> None:
    impact = state.add_ticket_field("Impact", options=["person", "branch"])
    note = state.add_ticket_field("Note")
    emulator = ZendeskEmulator(state)

    shown = call(emulator, "GET", f"/api/v2/ticket_fields/{impact}.json").body["ticket_field"]
    text = call(emulator, "GET", f"/api/v2/ticket_fields/{note}").body["ticket_field"]

    assert (shown["type"], [o["value"] for o in shown["custom_field_options"]]) == (
        "tagger",
        ["person", "branch"],
    )
    assert text["type"] == "text"
    assert "custom_field_options" not in text
    assert call(emulator, "GET", "/api/v2/ticket_fields/1").status == 404


def test_comments_are_public_or_internal_and_count_agent_replies(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state)
    anna = user(state, "Agent Anna")["id"]
    clock.advance(minutes=10)
    state.update_ticket(ticket["id"], {"comment": {"body": "note", "public": False}}, author_id=anna)
    clock.advance(minutes=15)
    state.update_ticket(ticket["id"], {"comment": {"body": "Hallo Sanne", "public": True}}, author_id=anna)

    comments = state.comments(ticket["id"])
    metrics = state.metric_set(ticket["id"])

    assert [(c["body"], c["public"]) for c in comments] == [
        ("Help", True),
        ("note", False),
        ("Hallo Sanne", True),
    ]
    assert metrics["replies"] == 1
    assert metrics["reply_time_in_minutes"] == {"calendar": 25, "business": 25}


def test_pause_metrics_count_completed_pauses(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state)
    clock.advance(minutes=5)
    state.update_ticket(ticket["id"], {"status": "pending"}, author_id=1)
    clock.advance(minutes=30)
    state.update_ticket(ticket["id"], {"status": "open"}, author_id=1)
    clock.advance(minutes=10)
    state.update_ticket(ticket["id"], {"status": "hold"}, author_id=1)
    clock.advance(minutes=20)

    metrics = state.metric_set(ticket["id"])

    assert metrics["agent_wait_time_in_minutes"]["calendar"] == 30
    assert metrics["on_hold_time_in_minutes"]["calendar"] == 0  # the current pause is not counted yet
    assert metrics["status_updated_at"] == "2024-03-04T09:45:00Z"


def test_comment_pages_follow_the_cursor(state: ZendeskState) -> None:
    ticket = new_ticket(state)
    for n in range(4):
        state.update_ticket(ticket["id"], {"comment": {"body": f"c{n}"}}, author_id=1)

    first = state.list_comments(ticket["id"], page_size=2)
    second = state.list_comments(ticket["id"], page_size=2, after=first["meta"]["after_cursor"])
    third = state.list_comments(ticket["id"], page_size=2, after=second["meta"]["after_cursor"])

    bodies = [c["body"] for page in (first, second, third) for c in page["comments"]]
    assert bodies == ["Help", "c0", "c1", "c2", "c3"]
    assert (first["meta"]["has_more"], third["meta"]["has_more"]) == (True, False)


# -- incremental export ----------------------------------------------------------------------


def test_the_export_orders_changes_and_holds_back_the_last_minute(state: ZendeskState, clock: Clock) -> None:
    first = new_ticket(state, "first")
    clock.advance(minutes=2)
    second = new_ticket(state, "second")
    clock.advance(seconds=30)  # "second" changed 30 s ago: held back

    page = state.incremental_export(start_time=int(START.timestamp()) - 60)

    assert [t["id"] for t in page["tickets"]] == [first["id"]]
    assert page["end_of_stream"] is True
    clock.advance(seconds=31)
    later = state.incremental_export(cursor=page["after_cursor"])
    assert [t["id"] for t in later["tickets"]] == [second["id"]]


def test_the_export_pages_and_resumes_from_any_cursor(state: ZendeskState, clock: Clock) -> None:
    ids = [new_ticket(state, f"t{n}")["id"] for n in range(5)]
    clock.advance(minutes=2)

    seen: list[int] = []
    page = state.incremental_export(start_time=int(START.timestamp()), per_page=2)
    cursors = [page["after_cursor"]]
    seen += [t["id"] for t in page["tickets"]]
    while not page["end_of_stream"]:
        page = state.incremental_export(cursor=page["after_cursor"], per_page=2)
        cursors.append(page["after_cursor"])
        seen += [t["id"] for t in page["tickets"]]

    assert seen == ids
    assert [t["id"] for t in state.incremental_export(cursor=cursors[0], per_page=10)["tickets"]] == ids[2:]
    assert state.incremental_export(cursor=cursors[-1])["tickets"] == []


def test_an_updated_ticket_comes_again_and_deleted_ones_stay_in_the_stream(
    state: ZendeskState, clock: Clock
) -> None:
    one, two = new_ticket(state, "one"), new_ticket(state, "two")
    clock.advance(minutes=2)
    cursor = state.incremental_export(start_time=int(START.timestamp()))["after_cursor"]
    state.update_ticket(one["id"], {"priority": "high"}, author_id=1)
    state.delete_ticket(two["id"])
    clock.advance(minutes=2)

    page = state.incremental_export(cursor=cursor)
    live = state.incremental_export(cursor=cursor, exclude_deleted=True)

    assert [(t["id"], t["status"]) for t in page["tickets"]] == [(one["id"], "new"), (two["id"], "deleted")]
    assert [t["id"] for t in live["tickets"]] == [one["id"]]


def test_the_export_side_loads_users_and_metric_sets(state: ZendeskState, clock: Clock) -> None:
    new_ticket(state)
    clock.advance(minutes=2)

    page = state.incremental_export(start_time=int(START.timestamp()), include=["users", "metric_sets"])

    assert [u["name"] for u in page["users"]] == ["Sanne"]
    assert page["users"][0]["locale"] == "nl-NL"
    assert page["metric_sets"][0]["ticket_id"] == page["tickets"][0]["id"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_time": int(START.timestamp())},  # not a minute old
        {"cursor": "not-a-cursor"},
        {},
        {"start_time": 0, "per_page": 1001},
    ],
)
def test_bad_export_requests_answer_400(state: ZendeskState, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ZendeskError) as caught:
        state.incremental_export(**kwargs)

    assert caught.value.status == 400


# -- update_many jobs ------------------------------------------------------------------------


def test_a_batch_job_runs_when_polled_and_reports_each_ticket(state: ZendeskState, clock: Clock) -> None:
    one, two = new_ticket(state, "one"), new_ticket(state, "two")
    clock.advance(minutes=1)
    state.update_ticket(two["id"], {"priority": "low"}, author_id=user(state, "Agent Anna")["id"])
    items = [
        {"id": one["id"], "priority": "high", "safe_update": True, "updated_stamp": one["updated_at"]},
        {"id": two["id"], "priority": "high", "safe_update": True, "updated_stamp": two["updated_at"]},
        {"id": 999, "priority": "high"},
    ]

    queued = state.update_many({"tickets": items}, author_id=1)
    working = state.job_status(queued["id"])
    done = state.job_status(queued["id"])

    assert (queued["status"], working["status"], done["status"]) == ("queued", "working", "completed")
    assert [(r["id"], r["success"], r.get("error")) for r in done["results"]] == [
        (one["id"], True, None),
        (two["id"], False, "UpdateConflict"),
        (999, False, "RecordNotFound"),
    ]
    assert state.show_ticket(one["id"])["priority"] == "high"
    assert state.show_ticket(two["id"])["priority"] == "low"


def test_jobs_without_a_stamp_are_safe_against_the_queue_time(state: ZendeskState, clock: Clock) -> None:
    ticket = new_ticket(state)
    job = state.update_many({"ticket": {"priority": "urgent"}}, ids=[ticket["id"]], author_id=1)
    clock.advance(seconds=5)
    state.update_ticket(ticket["id"], {"subject": "agent edit"}, author_id=1)

    state.job_status(job["id"])
    results = state.job_status(job["id"])["results"]

    assert results[0]["error"] == "UpdateConflict"


def test_more_than_100_items_answer_too_many_values(state: ZendeskState) -> None:
    with pytest.raises(ZendeskError) as caught:
        state.update_many({"tickets": [{"id": n} for n in range(101)]}, author_id=1)

    assert (caught.value.status, caught.value.body["error"]) == (400, "TooManyValues")


# -- endpoints, auth and rate limits ---------------------------------------------------------


def test_api_token_and_oauth_sign_in_and_anything_else_is_401(state: ZendeskState) -> None:
    emulator = ZendeskEmulator(state)
    wrong = "Basic " + base64.b64encode(b"bot@acme.example/token:nope").decode()
    password = "Basic " + base64.b64encode(b"bot@acme.example:t0ken").decode()

    assert call(emulator, "GET", "/api/v2/users/me.json").body["user"]["name"] == "Matrix Bot"
    assert call(emulator, "GET", "/api/v2/users/me", auth="Bearer oauth-abc").status == 200
    assert call(emulator, "GET", "/api/v2/users/me", auth=wrong).status == 401
    assert call(emulator, "GET", "/api/v2/users/me", auth=password).body == {
        "error": "Couldn't authenticate you"
    }
    assert call(emulator, "GET", "/api/v2/users/me", auth="").status == 401


def test_the_export_is_for_admins_only(state: ZendeskState) -> None:
    emulator = ZendeskEmulator(state)
    state.add_api_token("anna@acme.example", "anna")
    anna = "Basic " + base64.b64encode(b"anna@acme.example/token:anna").decode()

    response = call(emulator, "GET", "/api/v2/incremental/tickets/cursor?start_time=0", auth=anna)

    assert response.status == 403


def test_endpoints_route_with_and_without_json_suffix(state: ZendeskState, clock: Clock) -> None:
    emulator = ZendeskEmulator(state)
    ticket = new_ticket(state)
    clock.advance(minutes=2)

    export = call(
        emulator, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0&include=users&per_page=1"
    )
    shown = call(emulator, "GET", f"/api/v2/tickets/{ticket['id']}.json")
    put = call(emulator, "PUT", f"/api/v2/tickets/{ticket['id']}", {"ticket": {"comment": {"body": "hi"}}})
    comments = call(emulator, "GET", f"/api/v2/tickets/{ticket['id']}/comments.json?page[size]=1")
    users = call(emulator, "GET", f"/api/v2/users/show_many?ids={ticket['requester_id']},12345")

    assert shown.body["ticket"]["id"] == ticket["id"]
    assert put.status == 200
    assert put.body["audit"]["events"][0]["type"] == "Comment"
    assert comments.body["meta"]["has_more"] is True
    assert export.body["users"][0]["id"] == ticket["requester_id"]
    assert [u["id"] for u in users.body["users"]] == [ticket["requester_id"]]
    assert call(emulator, "GET", "/api/v2/nothing").status == 404
    assert call(emulator, "DELETE", f"/api/v2/tickets/{ticket['id']}").status == 405


def test_the_update_many_endpoint_and_job_polling(state: ZendeskState) -> None:
    emulator = ZendeskEmulator(state)
    ticket = new_ticket(state)

    queued = call(
        emulator,
        "PUT",
        "/api/v2/tickets/update_many.json",
        {"tickets": [{"id": ticket["id"], "priority": "low"}]},
    )
    polls = [
        call(emulator, "GET", f"/api/v2/job_statuses/{queued.body['job_status']['id']}.json")
        for _ in range(2)
    ]

    assert [p.body["job_status"]["status"] for p in polls] == ["working", "completed"]
    assert state.show_ticket(ticket["id"])["priority"] == "low"


def test_errors_come_with_zendesk_bodies(state: ZendeskState) -> None:
    emulator = ZendeskEmulator(state)

    missing = call(emulator, "PUT", "/api/v2/tickets/9223372036854775807.json", {"ticket": {"subject": "x"}})
    malformed = emulator.handle("PUT", "/api/v2/tickets/1", {"Authorization": BOT}, b"{not json")

    assert (missing.status, missing.body) == (404, {"error": "RecordNotFound", "description": "Not found"})
    assert malformed.status == 400


def test_the_account_limit_answers_429_with_retry_after(state: ZendeskState, clock: Clock) -> None:
    emulator = ZendeskEmulator(state, plan="team")

    answers = [call(emulator, "GET", "/api/v2/users/me") for _ in range(201)]
    clock.advance(seconds=45)
    late = call(emulator, "GET", "/api/v2/users/me")
    clock.advance(seconds=16)
    fresh = call(emulator, "GET", "/api/v2/users/me")

    assert answers[0].headers["X-Rate-Limit"] == "200"
    assert answers[0].headers["X-Rate-Limit-Remaining"] == "199"
    assert answers[199].status == 200
    assert (answers[200].status, answers[200].headers["Retry-After"]) == (429, "60")
    assert (late.status, late.headers["Retry-After"]) == (429, "15")
    assert fresh.status == 200


def test_the_export_has_its_own_limit_of_ten_a_minute(state: ZendeskState) -> None:
    emulator = ZendeskEmulator(state)
    target = "/api/v2/incremental/tickets/cursor?start_time=0"

    statuses = [call(emulator, "GET", target).status for _ in range(11)]

    assert statuses == [200] * 10 + [429]
    assert call(emulator, "GET", "/api/v2/users/me").status == 200  # other endpoints still answer


def test_ticket_updates_report_their_own_limit(state: ZendeskState) -> None:
    emulator = ZendeskEmulator(state, ticket_update_limit=2)
    ticket = new_ticket(state)
    target = f"/api/v2/tickets/{ticket['id']}"

    answers = [call(emulator, "PUT", target, {"ticket": {"priority": p}}) for p in ("low", "high", "normal")]

    assert answers[0].headers["Zendesk-RateLimit-tickets-update"] == "total=100; remaining=99; resets=60"
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "600"


def test_stamp_is_zendesk_time_format() -> None:
    assert stamp(datetime(2024, 3, 4, 10, 0, 0, 999_999, tzinfo=UTC)) == "2024-03-04T10:00:00Z"
