"""The emulator and the adapter's requests checked against what real instances published: the
exported Table API descriptions and the live column list."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from matrixcore_servicenow import requested_fields, window_query
from matrixcore_servicenow.testing import TABLES, ManualClock, ServiceNowApi, ServiceNowInstance

from servicenow_support import research_file, research_json

DESCRIPTIONS = ["now-Table_API.2026-03.json", "now-Table_API.australia.json"]
BASE = "http://127.0.0.1:8080"
_KIND_CODES = {"integer": ":l", "boolean": ":b", "choice": ":c", "sys_id": ":id", "journal": ":j"}


def table_api(name: str):  # type: ignore[no-untyped-def]
    from matrixcore_servicenow.testing import TableApiDescription

    return TableApiDescription.load(research_file(name), BASE)


@pytest.mark.parametrize(
    ("table", "live_table"),
    [
        ("incident", "incident"),
        ("problem", "task"),  # the emulator's problem has task's columns, which every task table has
        ("sys_user", "sys_user"),
        ("sys_user_group", "sys_user_group"),
        ("sys_choice", "sys_choice"),
    ],
)
def test_emulator_columns_exist_on_a_live_instance_with_the_same_types(table: str, live_table: str) -> None:
    live = research_json("table-columns.json")["tables"][live_table]
    by_name = {entry.partition(":")[0]: entry for entry in live}
    for column, kind in TABLES[table].items():
        assert column in by_name, f"{table}.{column} is not a column of a live instance's {live_table}"
        entry = by_name[column]
        if kind.startswith("reference:"):
            assert entry.startswith(f"{column}:r="), entry
        elif kind in _KIND_CODES and column != "comments":  # a live instance lists comments untyped
            assert entry == column + _KIND_CODES[kind], entry
        elif kind == "glide_date_time":
            assert entry == column, entry


@pytest.mark.parametrize("name", DESCRIPTIONS)
def test_the_validator_catches_what_a_real_instance_would_not_take(name: str) -> None:
    api = table_api(name)
    assert (
        api.request_problems("GET", f"{BASE}/api/now/table/incident?sysparm_limit=10&sysparm_offset=20") == []
    )
    assert "sysparm_limt" in " ".join(
        api.request_problems("GET", f"{BASE}/api/now/table/incident?sysparm_limt=1")
    )
    assert api.request_problems("GET", f"{BASE}/api/now/table/incident?sysparm_limit=1&sysparm_limit=2")
    assert "OperationNotFound" in " ".join(api.request_problems("POST", f"{BASE}/api/now/table/incident/abc"))
    assert "PathNotFound" in " ".join(api.request_problems("GET", f"{BASE}/api/now/table/incident/a/b"))
    patch = api.request_problems(
        "PATCH",
        f"{BASE}/api/now/table/incident/abc?sysparm_fields=impact",
        b'{"impact":"1"}',
        "application/json",
    )
    assert patch == []
    assert api.request_problems("PATCH", f"{BASE}/api/now/table/incident/abc", b"x", "text/plain")
    url = f"{BASE}/api/now/table/incident"
    if api.describes_responses("GET", url):
        assert api.response_problems("GET", url, 200, b'{"result": []}', "application/json") == []
        assert api.response_problems("GET", url, 201, b'{"result": []}', "application/json")
        assert api.response_problems("GET", url, 200, b"<html/>", "text/html")


@pytest.mark.parametrize("name", DESCRIPTIONS)
def test_the_adapters_requests_and_the_emulators_answers_conform(name: str, settings) -> None:  # type: ignore[no-untyped-def]
    description = table_api(name)
    clock = ManualClock()
    instance = ServiceNowInstance(clock=clock, base_url=BASE)
    instance.add_user("admin", "pw")
    api = ServiceNowApi(instance)
    row = instance.insert("incident", {"short_description": "VPN down"})
    clock.advance(5)
    auth = {"Authorization": "Basic YWRtaW46cHc="}
    fetch = {
        "sysparm_query": window_query("", "2026-11-23 08:00:04", settings.filter),
        "sysparm_fields": ",".join(requested_fields(settings)),
        "sysparm_limit": str(settings.page_size),
        "sysparm_display_value": "false",
        "sysparm_exclude_reference_link": "true",
    }
    journal = {
        "sysparm_query": (
            f"element_id={row['sys_id']}^name=incident^elementINcomments,work_notes^ORDERBYsys_created_on"
        ),
        "sysparm_fields": "sys_id,element,value,sys_created_on,sys_created_by",
    }
    body = json.dumps({"impact": "1", "urgency": "1"}).encode()
    exchanges = [
        ("GET", f"/api/now/table/incident?{urlencode(fetch)}", b""),
        ("PATCH", f"/api/now/table/incident/{row['sys_id']}?sysparm_fields=impact,urgency,priority", body),
        ("GET", f"/api/now/table/sys_journal_field?{urlencode(journal)}", b""),
    ]
    for method, target, payload in exchanges:
        url = BASE + target
        assert description.request_problems(method, url, payload, "application/json") == []
        answer = api.handle(method, target, {**auth, "Content-Type": "application/json"}, payload)
        assert answer.status == 200
        if description.describes_responses(method, url):
            problems = description.response_problems(
                method, url, answer.status, answer.body, answer.headers["Content-Type"]
            )
            assert problems == []


def test_one_real_export_is_not_valid_openapi_and_requests_are_still_checked() -> None:
    assert table_api("now-Table_API.2026-03.json").spec_problems == []
    australia = table_api("now-Table_API.australia.json")
    assert australia.spec_problems == [
        "paths//api/now/table/{tableName}/get/responses: {} should be non-empty"
    ]
    assert not australia.describes_responses("GET", f"{BASE}/api/now/table/incident")
