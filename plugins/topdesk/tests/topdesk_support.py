"""Helpers of the TOPdesk plugin tests (named uniquely: several test folders run in one session)."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from matrixcore_topdesk import TOPDESK_ADAPTER, TopdeskAdapter, TopdeskSettings
from matrixcore_topdesk.testing import EmulatorResponse, TopdeskEmulator
from matrixcore_topdesk.testing.openapi import find_research_data
from matrixcore_topdesk.testing.server import TopdeskServer

from matrixcore import AdapterContext, Ticket
from matrixcore._config import parse_config
from matrixcore.testing import FakeClock

REPO = Path(__file__).resolve().parents[3]
QUICKSTART_RULES = REPO / "examples" / "quickstart" / "rules.yaml"

#: The quick-start ruleset's levels -> the emulator's (a Dutch desk's) TOPdesk names.
QUICKSTART_MAPPINGS: dict[str, Any] = {
    "impact": {
        "organisation": "Organisatie",
        "branch": "Vestiging",
        "department": "Afdeling",
        "group": "Groep",
        "person": "Persoon",
    },
    "urgency": {"high": "Hoog", "normal": "Normaal", "low": "Laag"},
    "priority": {
        "P1": "P1 Kritiek",
        "P2": "P2 Hoog",
        "P3": "P3 Normaal",
        "P4": "P4 Laag",
        "P5": "P5 Planning",
    },
    "pause_statuses": ["Wacht op klant"],
    "language_field": "optionalFields1.text1",
    "vip_field": "optionalFields1.boolean1",
    "fields": {"affected_users": "optionalFields1.number1"},
}
LOGIN, PASSWORD = "matrixcore", "app-password-1234"


def research_topdesk() -> Path | None:
    root = find_research_data()
    folder = root / "topdesk" if root else None
    return folder if folder is not None and folder.is_dir() else None


def recorded(name: str) -> Any:
    folder = research_topdesk()
    if folder is None:
        pytest.skip("TOPdesk research data not found beside the checkout nor in $MATRIXCORE_RESEARCH_DATA")
    return json.loads((folder / "recorded" / name).read_text(encoding="utf-8"))


def make_settings(**overrides: Any) -> TopdeskSettings:
    data: dict[str, Any] = {"mappings": QUICKSTART_MAPPINGS, **overrides}
    return TopdeskSettings.from_mapping(data, name="topdesk-test")


PASSWORD_ENV = "TOPDESK_TEST_PASSWORD"


def connection_settings(topdesk: TopdeskServer, **overrides: Any) -> dict[str, Any]:
    """A connection section as a config file holds it, for the emulator on ``topdesk``."""
    return {
        "base_url": topdesk.url,
        "auth": dict(topdesk.auth_settings(PASSWORD_ENV)),
        "page_size": 3,
        "mappings": QUICKSTART_MAPPINGS,
        **overrides,
    }


def open_adapter(
    settings: Mapping[str, Any], *, read_only: bool = False, clock: FakeClock | None = None, name: str = "td"
) -> TopdeskAdapter:
    """The adapter as matrixcore builds it: through the config loader (schema, secrets) and the spec."""
    document = {"rules": "rules.yaml", "connections": {name: {"adapter": "topdesk", **settings}}}
    config = parse_config(json.dumps(document), "matrixcore.yaml", {"topdesk": TOPDESK_ADAPTER.config_schema})
    context = AdapterContext(
        read_only=read_only,
        session=requests.Session(),
        retry=(clock or FakeClock()).retry_policy(max_attempts=3),
        user_agent="matrixcore-tests",
    )
    adapter = TOPDESK_ADAPTER.factory(config.connections[name], context)
    assert isinstance(adapter, TopdeskAdapter)
    return adapter


def fetch_all(adapter: TopdeskAdapter, cursor: str | None = None) -> tuple[list[Ticket], str | None]:
    """Every ticket a fetch from ``cursor`` delivers, and the cursor after the last batch."""
    tickets: list[Ticket] = []
    for batch in adapter.fetch(cursor):
        tickets += batch.tickets
        cursor = batch.cursor
    return tickets, cursor


def conformance_problems(
    topdesk: TopdeskServer, api: Any, beyond_description: Collection[int] = ()
) -> list[str]:
    """Every request received and every emulator answer, checked against TOPdesk's description
    (except answers with a status in ``beyond_description``, which a test provokes on purpose)."""
    problems = []
    for request in topdesk.requests:
        target = request.path + ("?" + urlencode(request.query, doseq=True) if request.query else "")
        found = api.request_problems(
            request.method, topdesk.url + target, request.headers, request.body or None
        )
        problems += [f"{request.method} {target}: {p}" for p in found]
    for exchange in topdesk.exchanges:
        if exchange.status in beyond_description:
            continue
        request = exchange.request
        found = api.response_problems(
            request.method,
            topdesk.url + exchange.target,
            request.headers,
            exchange.status,
            exchange.body,
            exchange.headers,
        )
        problems += [f"{request.method} {exchange.target} -> {exchange.status}: {p}" for p in found]
    return problems


def assert_conforms(topdesk: TopdeskServer, beyond_description: Collection[int] = ()) -> None:
    """Fail the test if any request it sent, or any answer the emulator gave, breaks TOPdesk's
    description (every server fixture calls this on teardown; nothing to check without the
    research data, where the dedicated conformance tests skip with the reason)."""
    from matrixcore_topdesk.testing.openapi import TopdeskOpenAPI, spec_path

    path = spec_path()
    if path is None or not (topdesk.requests or topdesk.exchanges):
        return
    problems = conformance_problems(topdesk, TopdeskOpenAPI.load(path), beyond_description)
    if problems:
        pytest.fail("not as TOPdesk's API description says:\n" + "\n".join(problems), pytrace=False)


AUTH = {"Authorization": "Basic " + base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()}


def call(
    emulator: TopdeskEmulator, method: str, target: str, body: Any = None, headers: Mapping[str, str] = AUTH
) -> EmulatorResponse:
    """One request to the emulator as an authenticated operator (JSON body)."""
    raw = None if body is None else json.dumps(body).encode()
    return emulator.handle(method, target, dict(headers), raw)
