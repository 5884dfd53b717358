"""The emulated TOPdesk behaves like the API description says TOPdesk does."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from matrixcore_topdesk.testing import (
    ManualClock,
    Operator,
    RateLimit,
    TopdeskEmulator,
    fixed_id,
    plain_text,
    sqlserver_uuid_key,
    topdesk_time,
)
from topdesk_support import AUTH, call


def test_requests_need_basic_auth_with_the_application_password(emulator: TopdeskEmulator) -> None:
    assert call(emulator, "GET", "/tas/api/incidents", headers={}).status == 401
    wrong = {"Authorization": "Basic " + base64.b64encode(b"matrixcore:wrong").decode()}
    response = call(emulator, "GET", "/tas/api/incidents", headers=wrong)
    assert response.status == 401
    assert "Basic" in response.headers["WWW-Authenticate"]
    assert call(emulator, "GET", "/tas/api/incidents", headers={"Authorization": "Bearer x"}).status == 401
    assert call(emulator, "GET", "/tas/api/incidents").status == 204  # authenticated, nothing there


def test_unknown_paths_and_methods(emulator: TopdeskEmulator) -> None:
    assert call(emulator, "GET", "/tas/api/changes").status == 404
    response = call(emulator, "DELETE", "/tas/api/incidents")
    assert response.status == 405
    assert response.headers["Allow"] == "GET"


def test_list_pages_with_206_until_the_last_page(emulator: TopdeskEmulator, clock: ManualClock) -> None:
    for i in range(5):
        emulator.store.add_incident(f"incident {i}")
        clock.advance(seconds=1)
    first = call(emulator, "GET", "/tas/api/incidents?pageSize=2&sort=creationDate:asc")
    assert first.status == 206
    assert [i["briefDescription"] for i in first.body] == ["incident 0", "incident 1"]
    assert "pageStart=2" in first.headers["x-next-page-url"]
    last = call(emulator, "GET", "/tas/api/incidents?pageSize=2&pageStart=4&sort=creationDate:asc")
    assert last.status == 200
    assert len(last.body) == 1
    assert call(emulator, "GET", "/tas/api/incidents?pageSize=2&pageStart=6").status == 204
    assert len(call(emulator, "GET", "/tas/api/incidents").body) == 5  # default page size 10


@pytest.mark.parametrize("params", ["pageSize=0", "pageSize=10001", "pageStart=-1", "pageSize=ten"])
def test_out_of_range_paging_is_a_400(emulator: TopdeskEmulator, params: str) -> None:
    emulator.store.add_incident("x")
    response = call(emulator, "GET", f"/tas/api/incidents?{params}")
    assert response.status == 400
    assert response.body[0]["message"]


def test_fiql_query_sort_and_fields(emulator: TopdeskEmulator, clock: ManualClock) -> None:
    emulator.store.add_incident("old")
    clock.advance(minutes=10)
    emulator.store.add_incident("new", impact="Afdeling")
    response = call(
        emulator,
        "GET",
        "/tas/api/incidents?query=modificationDate%3Dge%3D2026-11-23T09:05:00Z&fields=briefDescription,impact",
    )
    assert response.status == 200
    assert response.body == [
        {
            "id": response.body[0]["id"],
            "briefDescription": "new",
            "impact": {"id": fixed_id("impact", "Afdeling"), "name": "Afdeling"},
        }
    ]
    assert (
        call(emulator, "GET", "/tas/api/incidents?query=impact.name%3D%3DAfdeling").body[0][
            "briefDescription"
        ]
        == "new"
    )
    assert call(emulator, "GET", "/tas/api/incidents?query=bogus%3D%3D1").status == 400
    assert call(emulator, "GET", "/tas/api/incidents?fields=nonsense").status == 400
    assert call(TopdeskEmulator(), "GET", "/tas/api/incidents?fields=nonsense").status == 400  # even empty
    assert call(emulator, "GET", "/tas/api/incidents?sort=action:asc").status == 400
    assert call(emulator, "GET", "/tas/api/incidents?sort=creationDate:sideways").status == 400


def test_ids_sort_like_sql_server_uniqueidentifiers() -> None:
    a = "00000000-0000-0000-0000-000000000002"
    b = "ff000000-0000-0000-0000-000000000001"
    assert sorted([a, b]) == [a, b]
    assert sorted([a, b], key=sqlserver_uuid_key) == [b, a]  # the last byte group decides first


def test_sort_by_modification_date_then_id(emulator: TopdeskEmulator) -> None:
    for i in range(6):
        emulator.store.add_incident(f"tie {i}")  # same clock second: a tie
    ids = [i["id"] for i in call(emulator, "GET", "/tas/api/incidents?sort=modificationDate:asc,id:asc").body]
    assert ids == sorted(ids, key=sqlserver_uuid_key)
    descending = call(emulator, "GET", "/tas/api/incidents?sort=modificationDate:asc,id:desc").body
    assert [i["id"] for i in descending] == list(reversed(ids))


def test_times_in_topdesk_format_or_iso8601(emulator: TopdeskEmulator, clock: ManualClock) -> None:
    clock.now = datetime(2026, 11, 23, 9, 0, 0, 303000, tzinfo=UTC)
    record = emulator.store.add_incident("x")
    default = call(emulator, "GET", f"/tas/api/incidents/id/{record['id']}").body
    assert default["callDate"] == "2026-11-23T09:00:00.303+0000"
    assert default["modificationDate"] == "2026-11-23T09:00:00.000+0000"  # whole seconds
    iso = call(emulator, "GET", f"/tas/api/incidents/id/{record['id']}?dateFormat=iso8601").body
    assert iso["callDate"] == "2026-11-23T09:00:00Z"
    assert (
        topdesk_time(datetime(2024, 1, 1, 11, tzinfo=UTC) + timedelta(hours=0))
        == "2024-01-01T11:00:00.000+0000"
    )


def test_archived_and_partial_incidents_only_with_all(emulator: TopdeskEmulator) -> None:
    kept = emulator.store.add_incident("kept")
    gone = emulator.store.add_incident("gone")
    emulator.store.archive(gone["id"])
    emulator.store.add_incident("part", status="Aangemeld")["status"] = "partial"
    assert [i["id"] for i in call(emulator, "GET", "/tas/api/incidents").body] == [kept["id"]]
    assert len(call(emulator, "GET", "/tas/api/incidents?all=true").body) == 3


def test_single_incident_by_id_and_number(emulator: TopdeskEmulator) -> None:
    record = emulator.store.add_incident("x")
    assert call(emulator, "GET", f"/tas/api/incidents/id/{record['id']}").body["number"] == record["number"]
    number = record["number"].replace(" ", "%20")
    assert call(emulator, "GET", f"/tas/api/incidents/number/{number}").body["id"] == record["id"]
    assert call(emulator, "GET", f"/tas/api/incidents/id/{uuid.uuid4()}").status == 404
    assert call(emulator, "GET", "/tas/api/incidents/id/not-a-uuid").status == 400


def test_partial_update_by_id_or_name_bumps_the_modification(
    emulator: TopdeskEmulator, clock: ManualClock
) -> None:
    record = emulator.store.add_incident("x", impact="Persoon", urgency="Laag")
    clock.advance(minutes=3)
    url = f"/tas/api/incidents/id/{record['id']}"
    response = call(emulator, "PUT", url, {"impact": {"id": fixed_id("impact", "Afdeling")}})
    assert response.status == 200
    assert response.body["impact"]["name"] == "Afdeling"
    assert response.body["urgency"]["name"] == "Laag"  # untouched
    assert response.body["modificationDate"] == "2026-11-23T09:03:00.000+0000"
    assert response.body["modifier"]["name"] == "matrixcore (API)"
    assert call(emulator, "PATCH", url, {"urgency": {"name": "hoog"}}).body["urgency"]["name"] == "Hoog"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"impact": {"id": str(uuid.uuid4())}}, 404),  # an id TOPdesk does not have
        ({"impact": {"id": "nope"}}, 400),
        ({"impact": {"name": "Heel de wereld"}}, 400),
        ({"impact": "Afdeling"}, 400),
        ({"colour": "red"}, 400),  # a field that does not exist
        ({"briefDescription": "x" * 81}, 400),
        ({"action": 5}, 400),
    ],
)
def test_refused_updates(emulator: TopdeskEmulator, body: object, status: int) -> None:
    record = emulator.store.add_incident("x")
    response = call(emulator, "PUT", f"/tas/api/incidents/id/{record['id']}", body)
    assert response.status == status
    assert emulator.store.get(record["id"])["impact"] is None


def test_bad_json_archived_and_read_only_operators(clock: ManualClock) -> None:
    reader = Operator("reader", "pw", "Reader", can_write=False)
    emulator = TopdeskEmulator(
        clock=clock, operators=[Operator("matrixcore", "app-password-1234", "m"), reader]
    )
    record = emulator.store.add_incident("x")
    url = f"/tas/api/incidents/id/{record['id']}"
    assert emulator.handle("PUT", url, AUTH, b"{not json").status == 400
    reader_auth = {"Authorization": "Basic " + base64.b64encode(b"reader:pw").decode()}
    assert call(emulator, "PUT", url, {"impact": {"name": "Groep"}}, headers=reader_auth).status == 403
    emulator.store.archive(record["id"])
    assert call(emulator, "PUT", url, {"impact": {"name": "Groep"}}).status == 403
    emulator.store.remove(record["id"])
    assert call(emulator, "PUT", url, {"impact": {"name": "Groep"}}).status == 404


def test_topdesk_fills_in_the_priority_from_its_matrix(emulator: TopdeskEmulator) -> None:
    record = emulator.store.add_incident("x", impact="Persoon", urgency="Normaal", priority="P4 Laag")
    url = f"/tas/api/incidents/id/{record['id']}"
    derived = call(emulator, "PUT", url, {"impact": {"name": "Organisatie"}}).body
    assert derived["priority"]["name"] == "P1 Kritiek"
    assert derived["duration"]["name"] == "4 uur"
    assert derived["targetDate"] == topdesk_time(record["callDate"] + timedelta(hours=4))
    explicit = call(
        emulator, "PUT", url, {"impact": {"name": "Persoon"}, "priority": {"name": "P2 Hoog"}}
    ).body
    assert explicit["priority"]["name"] == "P2 Hoog"  # a priority in the same request wins


def test_on_hold_and_response(emulator: TopdeskEmulator, clock: ManualClock) -> None:
    record = emulator.store.add_incident("x")
    url = f"/tas/api/incidents/id/{record['id']}"
    held = call(emulator, "PUT", url, {"onHold": True}).body
    assert held["onHold"] is True
    assert held["onHoldDate"] == "2026-11-23T09:00:00.000+0000"
    clock.advance(minutes=45)
    released = call(emulator, "PUT", url, {"onHold": False}).body
    assert released["onHold"] is False
    assert released["onHoldDate"] is None
    assert released["onHoldDuration"] == 45
    responded = call(emulator, "PUT", url, {"responded": True}).body
    assert responded["responseDate"] == "2026-11-23T09:45:00.000+0000"
    status = call(emulator, "PUT", url, {"processingStatus": {"name": "Wacht op klant"}}).body
    assert status["onHold"] is True  # that status is flagged "on hold"


def test_actions_visible_and_internal_newest_first_and_paged(
    emulator: TopdeskEmulator, clock: ManualClock
) -> None:
    record = emulator.store.add_incident("x")
    url = f"/tas/api/incidents/id/{record['id']}"
    assert call(emulator, "GET", f"{url}/actions").status == 204
    call(
        emulator,
        "PUT",
        url,
        {"action": "Bedankt &amp; tot <b>snel</b><br>Groet", "actionInvisibleForCaller": False},
    )
    clock.advance(seconds=1)
    call(emulator, "PUT", url, {"action": "internal", "actionInvisibleForCaller": True})
    actions = call(emulator, "GET", f"{url}/actions").body
    assert [a["invisibleForCaller"] for a in actions] == [True, False]
    assert actions[1]["plainText"] == "Bedankt & tot snel\nGroet"
    assert actions[1]["entryDate"] == "2026-11-23T09:00:00.000Z"
    assert actions[1]["operator"]["name"] == "matrixcore (API)"
    page = call(emulator, "GET", f"{url}/actions?page_size=1")
    assert page.status == 206
    assert page.body[0]["memoText"] == "internal"
    assert call(emulator, "GET", f"{url}/actions?page_size=101").status == 400
    assert call(emulator, "GET", f"{url}/actions?page_size=0").status == 200  # 0: the default size


def test_plain_text_of_html() -> None:
    assert plain_text("a &lt; b<br/>c <i>d</i>") == "a < b\nc d"


def test_search_lists(emulator: TopdeskEmulator) -> None:
    priorities = call(emulator, "GET", "/tas/api/incidents/priorities").body
    assert priorities[0]["firstLineDuration"]["name"] == "4 uur"
    durations = call(emulator, "GET", "/tas/api/incidents/durations").body
    assert {"basicPeriods", "timeSpanType"} <= set(durations[0])
    assert [i["name"] for i in call(emulator, "GET", "/tas/api/incidents/urgencies").body] == [
        "Hoog",
        "Normaal",
        "Laag",
    ]


def test_rate_limit_answers_429_with_retry_after(clock: ManualClock) -> None:
    emulator = TopdeskEmulator(clock=clock, rate_limit=RateLimit(limit=2, window=60))
    assert [call(emulator, "GET", "/tas/api/incidents").status for _ in range(2)] == [204, 204]
    clock.advance(seconds=15)
    limited = call(emulator, "GET", "/tas/api/incidents")
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "45"
    clock.advance(seconds=45)
    assert call(emulator, "GET", "/tas/api/incidents").status == 204
