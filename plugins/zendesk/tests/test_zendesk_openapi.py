"""Zendesk's published OpenAPI description: the recordings, the emulator and the write payloads.

The recorded real exchanges must validate against the description once the documented deviations
are applied, and each deviation marked as recorded must be needed: without it, some recording fails.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from matrixcore_zendesk import ZendeskSettings, ticket_from_zendesk, update_for
from matrixcore_zendesk.testing import (
    DEVIATIONS,
    EmulatorResponse,
    OpenApiValidator,
    SpecViolation,
    ZendeskEmulator,
    ZendeskState,
)
from zendesk_research import Exchange, exchanges, recorded_tickets, validator

from matrixcore._adapter import PriorityChange

pytest.importorskip("openapi_core", reason="openapi-core is in the plugin's [test] extra")

#: The endpoints the adapter uses, as the recordings spell them.
ADAPTER_PATHS = (
    "/api/v2/incremental/tickets/cursor",
    "/api/v2/tickets/update_many",
    "/api/v2/job_statuses/",
    "/api/v2/tickets/",
)


def adapter_exchanges() -> Iterator[Exchange]:
    for exchange in exchanges():
        path = exchange.uri.split("zendesk.com", 1)[1].split("?", 1)[0].removesuffix(".json")
        if any(path.startswith(p) for p in ADAPTER_PATHS) and exchange.method in ("GET", "PUT"):
            yield exchange


def check(exchange: Exchange, checker: OpenApiValidator) -> None:
    checker.validate_request(
        exchange.method, exchange.uri, exchange.request_headers, exchange.request_body or None
    )
    checker.validate_response(
        exchange.method,
        exchange.uri,
        exchange.status,
        exchange.response_headers,
        exchange.response_body,
        exchange.request_headers,
    )


def test_every_recorded_exchange_of_the_adapters_endpoints_validates() -> None:
    checked = 0
    for exchange in adapter_exchanges():
        check(exchange, validator())
        checked += 1

    assert checked > 100


@pytest.mark.parametrize("deviation", [d.name for d in DEVIATIONS if d.recorded])
def test_each_recorded_deviation_is_needed(deviation: str) -> None:
    without = validator(skip=deviation)

    failures = 0
    for exchange in adapter_exchanges():
        try:
            check(exchange, without)
        except SpecViolation:
            failures += 1
            break

    assert failures, f"no recording needs {deviation!r}: remove it"


def recorded_audits() -> list[dict[str, Any]]:
    return [
        audit
        for exchange in exchanges()
        if "/ticket_audits" in exchange.uri and exchange.status == 200
        for audit in exchange.response_json()["audits"]
    ]


def test_recorded_audits_fit_an_update_answer_only_with_the_audit_deviation() -> None:
    """The audits Zendesk lists are the audits an update answers with; the description's
    AuditObject refuses their tag lists and null values."""
    ticket = next(t for _, t in recorded_tickets() if t["status"] != "deleted")
    url = f"https://acme.zendesk.com/api/v2/tickets/{ticket['id']}.json"
    audits = recorded_audits()
    assert any(isinstance(e.get("value"), list) for a in audits for e in a["events"])
    assert any(e.get("value") is None for a in audits for e in a["events"] if "value" in e)

    refused = 0
    for audit in audits:
        body = json.dumps({"ticket": ticket, "audit": audit})
        validator().validate_response("PUT", url, 200, {}, body)
        try:
            validator(skip="audit-event-values").validate_response("PUT", url, 200, {}, body)
        except SpecViolation:
            refused += 1

    assert refused > 0


def test_the_unpatched_description_rejects_a_real_null_priority() -> None:
    strict = validator(skip="ticket-nulls")
    page = next(e for e in adapter_exchanges() if "cursor" in e.uri and '"priority":null' in e.response_body)

    with pytest.raises(SpecViolation, match=r"tickets/0/priority"):
        strict.validate_response("GET", page.uri, 200, {}, page.response_body)


def test_an_undocumented_error_status_must_carry_zendesks_error_envelope() -> None:
    checker = validator()
    url = "https://acme.zendesk.com/api/v2/tickets/1.json"

    checker.validate_response("PUT", url, 409, {}, '{"error": "UpdateConflict", "description": "x"}')
    with pytest.raises(SpecViolation, match="error"):
        checker.validate_response("PUT", url, 409, {}, '{"message": "conflict"}')


# -- the emulator's answers ------------------------------------------------------------------

TOKEN = "Basic " + base64.b64encode(b"bot@acme.example/token:t0ken").decode()


def emulator_with_data() -> tuple[ZendeskEmulator, ZendeskState]:
    from datetime import UTC, datetime, timedelta

    moments = iter(datetime(2024, 3, 4, 9, tzinfo=UTC) + timedelta(minutes=n) for n in range(10_000))
    now = [next(moments)]
    state = ZendeskState(now=lambda: now[0], base_url="https://acme.zendesk.com")
    state.add_user("Matrix Bot", "bot@acme.example", role="admin")
    state.add_api_token("bot@acme.example", "t0ken")
    social = state.add_user("@sanne", None, locale="nl")
    impact = state.add_ticket_field("Impact", options=["person", "branch"])
    for channel in ("twitter", "facebook", "chat", 29):
        state.create_ticket(subject="Hulp", description="Hulp", requester_id=social["id"], channel=channel)
        now[0] = next(moments)
    state.update_ticket(1, {"comment": {"body": "Bedankt", "public": True}, "status": "pending"}, author_id=1)
    state.update_ticket(
        2, {"custom_fields": [{"id": impact, "value": "branch"}], "priority": "high"}, author_id=1
    )
    state.delete_ticket(3)
    now[0] += timedelta(minutes=5)
    return ZendeskEmulator(state), state


def exercise(emulator: ZendeskEmulator) -> Iterator[tuple[str, str, Any, EmulatorResponse]]:
    """One request to every route the adapter uses, successes and errors."""
    requests: list[tuple[str, str, Any]] = [
        ("GET", "/api/v2/users/me.json", None),
        (
            "GET",
            "/api/v2/incremental/tickets/cursor.json?start_time=0&include=users,metric_sets&per_page=2",
            None,
        ),
        ("GET", "/api/v2/tickets/1.json", None),
        ("GET", "/api/v2/tickets/1/comments.json?page[size]=1", None),
        ("GET", "/api/v2/users/show_many.json?ids=2,3", None),
        (
            "PUT",
            "/api/v2/tickets/2.json",
            {"ticket": {"priority": "low", "comment": {"body": "x", "public": False}}},
        ),
        (
            "PUT",
            "/api/v2/tickets/2.json",
            {"ticket": {"priority": "low", "safe_update": True, "updated_stamp": "2020-01-01T00:00:00Z"}},
        ),
        ("PUT", "/api/v2/tickets/3.json", {"ticket": {"priority": "low"}}),
        (
            "PUT",
            "/api/v2/tickets/update_many.json",
            {"tickets": [{"id": 1, "priority": "urgent"}, {"id": 99}]},
        ),
    ]
    for method, target, body in requests:
        raw = json.dumps(body).encode() if body is not None else None
        yield method, target, body, emulator.handle(method, target, {"Authorization": TOKEN}, raw)
    queued = emulator.state.jobs
    for job_id in list(queued):
        for _ in range(2):
            yield (
                "GET",
                f"/api/v2/job_statuses/{job_id}.json",
                None,
                emulator.handle("GET", f"/api/v2/job_statuses/{job_id}.json", {"Authorization": TOKEN}),
            )
    page = emulator.handle(
        "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0", {"Authorization": TOKEN}
    )
    cursor = page.body["after_cursor"]
    yield (
        "GET",
        f"/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
        None,
        emulator.handle(
            "GET", f"/api/v2/incremental/tickets/cursor.json?cursor={cursor}", {"Authorization": TOKEN}
        ),
    )


def test_every_emulator_answer_validates() -> None:
    emulator, _ = emulator_with_data()
    statuses = set()
    for method, target, body, response in exercise(emulator):
        url = "https://acme.zendesk.com" + target
        headers = {"Authorization": TOKEN}
        validator().validate_request(method, url, headers, json.dumps(body) if body is not None else None)
        validator().validate_response(
            method, url, response.status, response.headers, response.content(), headers
        )
        statuses.add(response.status)

    assert statuses == {200, 404, 409}


def test_the_update_payloads_the_mapping_builds_are_allowed(settings: ZendeskSettings) -> None:
    _, state = emulator_with_data()
    payload = state.show_ticket(2)
    ticket = ticket_from_zendesk(payload, settings)
    update = update_for(ticket, PriorityChange(impact="person", urgency="high", priority="P1"), settings)
    body = {"ticket": {**update, "safe_update": True, "updated_stamp": payload["updated_at"]}}
    batch = {"tickets": [{"id": 2, **body["ticket"]}]}
    headers = {"Authorization": TOKEN}

    validator().validate_request(
        "PUT", "https://acme.zendesk.com/api/v2/tickets/2.json", headers, json.dumps(body)
    )
    validator().validate_request(
        "PUT", "https://acme.zendesk.com/api/v2/tickets/update_many", headers, json.dumps(batch)
    )
    bad = json.dumps({"ticket": {"priority": "P1"}})
    with pytest.raises(SpecViolation, match="priority"):
        validator().validate_request("PUT", "https://acme.zendesk.com/api/v2/tickets/2", headers, bad)


# -- facts the adapter assumes, held to the description -------------------------------------------


def test_zendesk_has_four_priorities_and_no_impact_or_urgency_of_its_own() -> None:
    """Why impact and urgency live in custom fields or tags, and priority maps onto four values."""
    from matrixcore_zendesk._settings import ZENDESK_PRIORITIES

    properties = validator().spec["components"]["schemas"]["TicketObject"]["properties"]

    assert properties["priority"]["enum"][: len(ZENDESK_PRIORITIES)] == list(ZENDESK_PRIORITIES)
    assert not {name for name in properties if "impact" in name or "urgency" in name}


def test_the_export_is_for_admins_and_side_loads_like_the_tickets_api() -> None:
    operation = validator().spec["paths"]["/api/v2/incremental/tickets/cursor"]["get"]

    assert "Admins" in operation["description"]
    assert "Sideloading" in operation["description"]


def test_start_time_must_be_a_minute_old() -> None:
    parameter = validator().spec["components"]["parameters"]["IncrementalUnixTime"]

    assert "at least one minute in the past" in parameter["description"]
