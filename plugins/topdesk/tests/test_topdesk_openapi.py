"""The emulator's answers conform to TOPdesk's published description, and the checker catches misfits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from matrixcore_topdesk import FETCH_FIELDS, Cursor, PageWalker
from matrixcore_topdesk.testing import ManualClock, TopdeskEmulator, fixed_id
from matrixcore_topdesk.testing.openapi import TopdeskOpenAPI
from topdesk_support import AUTH, recorded

BASE = "http://127.0.0.1:8080"


def exchange(
    api: TopdeskOpenAPI, emulator: TopdeskEmulator, method: str, target: str, body: Any = None
) -> list[str]:
    """Send through the emulator; return every problem with the request or its response."""
    raw = None if body is None else json.dumps(body).encode()
    headers = {**AUTH, "Content-Type": "application/json"} if raw else dict(AUTH)
    problems = api.request_problems(method, BASE + target, headers, raw)
    response = emulator.handle(method, target, headers, raw)
    problems += api.response_problems(
        method, BASE + target, headers, response.status, response.content(), dict(response.headers)
    )
    return problems


@pytest.fixture
def seeded(emulator: TopdeskEmulator, clock: ManualClock) -> TopdeskEmulator:
    for i in range(3):
        emulator.store.add_incident(
            f"incident {i}",
            caller="Jan",
            impact="Groep",
            urgency="Laag",
            priority="P4 Laag",
            request="Beschrijving",
        )
        clock.advance(seconds=1)
    emulator.store.add_incident("bare", entry_type=None)  # lookups null, as in the recorded payload
    return emulator


def test_list_pages_conform(api: Any, seeded: TopdeskEmulator) -> None:
    walker = PageWalker(Cursor(), 2)
    params = {**walker.params(), "fields": ",".join(FETCH_FIELDS)}
    assert exchange(api, seeded, "GET", "/tas/api/incidents?" + urlencode(params)) == []
    walker = PageWalker(Cursor.decode("2026-11-23T09:00:01Z"), 100)
    assert exchange(api, seeded, "GET", "/tas/api/incidents?" + urlencode(walker.params())) == []
    assert exchange(api, seeded, "GET", "/tas/api/incidents?pageStart=50") == []  # 204
    assert exchange(api, seeded, "GET", "/tas/api/incidents?dateFormat=iso8601&all=true") == []


def test_single_update_and_actions_conform(api: Any, seeded: TopdeskEmulator) -> None:
    incident = next(iter(seeded.store.incidents))
    url = f"/tas/api/incidents/id/{incident}"
    assert exchange(api, seeded, "GET", url) == []
    body = {
        "impact": {"id": fixed_id("impact", "Afdeling")},
        "priority": {"id": fixed_id("priority", "P3 Normaal")},
    }
    assert exchange(api, seeded, "PUT", url, body) == []
    note = {"action": "Prioriteit aangepast", "actionInvisibleForCaller": True}
    assert exchange(api, seeded, "PUT", url, note) == []
    assert exchange(api, seeded, "GET", f"{url}/actions?start=0&page_size=100") == []
    assert (
        exchange(api, seeded, "PUT", url, {"impact": {"name": "Heel de wereld"}}) == []
    )  # a 400 is declared


@pytest.mark.parametrize(
    "path", ["impacts", "urgencies", "priorities", "durations", "entry_types", "statuses"]
)
def test_search_lists_conform(api: Any, emulator: TopdeskEmulator, path: str) -> None:
    assert exchange(api, emulator, "GET", f"/tas/api/incidents/{path}") == []


def test_the_recorded_incident_conforms_with_nulls_allowed(api: Any) -> None:
    payload = recorded("topdesk_incident.json")
    payload["id"] = "f197bb75-8822-45e9-82ce-02983504020b"
    url = BASE + f"/tas/api/incidents/id/{payload['id']}"
    assert api.response_problems("GET", url, AUTH, 200, json.dumps(payload).encode()) == []
    payload["onHold"] = "no"
    assert any(
        "onHold" in p for p in api.response_problems("GET", url, AUTH, 200, json.dumps(payload).encode())
    )


def test_the_recorded_actions_conform(api: Any) -> None:
    actions = recorded("topdesk_actions.json")
    for n, action in enumerate(actions):  # the recording anonymised its ids; the format is a UUID
        action["id"] = f"00000000-0000-4000-8000-{n:012d}"
        for who in ("operator", "person"):
            action[who]["id"] = f"00000000-0000-4000-9000-{n:012d}"
    url = BASE + "/tas/api/incidents/id/f197bb75-8822-45e9-82ce-02983504020b/actions"
    assert api.response_problems("GET", url, AUTH, 200, json.dumps(actions).encode()) == []
    actions[0]["invisibleForCaller"] = "yes"
    assert api.response_problems("GET", url, AUTH, 200, json.dumps(actions).encode())


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "expected"),
    [
        ("GET", "/tas/api/incidents", {}, None, "Security"),
        ("GET", "/tas/api/incidents?pageSize=20000", AUTH, None, "pageSize"),
        ("GET", "/tas/api/incidents?page_size=20", AUTH, None, "not in the description: page_size"),
        ("GET", "/tas/api/incidents/id/not-a-uuid", AUTH, None, "uuid"),
        (
            "PUT",
            "/tas/api/incidents/id/f197bb75-8822-45e9-82ce-02983504020b",
            AUTH,
            {"colour": "red"},
            "colour",
        ),
        (
            "PUT",
            "/tas/api/incidents/id/f197bb75-8822-45e9-82ce-02983504020b",
            AUTH,
            {"impact": {"id": "not-a-uuid"}},
            "uuid",
        ),
        ("POST", "/tas/api/incidents/id/f197bb75-8822-45e9-82ce-02983504020b", AUTH, {}, "Operation"),
        ("GET", "/tas/api/nonsense", AUTH, None, "Path"),
    ],
)
def test_nonconforming_requests_are_caught(
    api: Any, method: str, target: str, headers: dict[str, str], body: Any, expected: str
) -> None:
    raw = None if body is None else json.dumps(body).encode()
    problems = api.request_problems(
        method, BASE + target, {**headers, "Content-Type": "application/json"}, raw
    )
    assert any(expected.lower() in p.lower() for p in problems), problems


def test_undeclared_status_is_caught(api: Any) -> None:
    problems = api.response_problems("GET", BASE + "/tas/api/incidents/impacts", AUTH, 418, b"")
    assert problems


def _schema(description: Path, name: str) -> dict[str, Any]:
    document = json.loads(description.read_text(encoding="utf-8"))
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def test_the_emulated_incident_has_exactly_the_fields_the_description_lists(
    description: Path, emulator: TopdeskEmulator
) -> None:
    record = emulator.store.add_incident("x")
    assert set(record) == set(_schema(description, "Incident")["properties"])
    action = emulator.store.add_action(record["id"], "memo", invisible=True, operator=emulator.store.agent)
    assert set(action) == set(_schema(description, "Action")["properties"])
    assert set(emulator.store.catalog["priorities"][0]) == set(_schema(description, "Priority")["properties"])
    assert set(emulator.store.catalog["durations"][0]) == set(_schema(description, "Duration")["properties"])
    statuses = set(_schema(description, "ProcessingStatus")["properties"])
    assert set(emulator.store.catalog["statuses"][0]) == statuses


def test_the_emulator_takes_exactly_the_update_fields_the_description_lists(description: Path) -> None:
    from matrixcore_topdesk.testing._store import UPDATE_FIELDS

    assert set(_schema(description, "IncidentUpdateBody")["properties"]) == UPDATE_FIELDS


def test_every_route_the_emulator_answers_is_in_the_description(description: Path) -> None:
    from matrixcore_topdesk.testing._emulator import API, ROUTES

    paths = json.loads(description.read_text(encoding="utf-8"))["paths"]
    for method, template, _ in ROUTES:
        operations = paths.get(template.removeprefix(API), {})
        assert method.lower() in operations, f"{method} {template} is not in the description"
