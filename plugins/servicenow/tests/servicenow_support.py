"""Helpers of the ServiceNow plugin's tests: the shared research data (tests that need it skip,
with the reason, where it is absent), credentials, and the check of every request an emulator
received against the Table API descriptions real instances published."""

from __future__ import annotations

import base64
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

if TYPE_CHECKING:
    from matrixcore import AdapterContext
    from matrixcore_servicenow import ServiceNowAdapter
    from matrixcore_servicenow.testing import ServiceNowEmulator

REPO = Path(__file__).resolve().parents[3]
QUICKSTART = REPO / "examples" / "quickstart" / "rules.yaml"
#: The Table API descriptions exported by two real instances (research data).
DESCRIPTIONS = ("now-Table_API.2026-03.json", "now-Table_API.australia.json")


def research_dir() -> Path:
    env = os.environ.get("MATRIXCORE_RESEARCH_DATA")
    return (Path(env) if env else REPO.parent / "shared" / "research-data") / "servicenow"


def research_file(name: str) -> Path:
    """A file of the ServiceNow research data, or a skip saying it is not there."""
    path = research_dir() / name
    if not path.is_file():
        pytest.skip(f"research data not available: {path} (set MATRIXCORE_RESEARCH_DATA)")
    return path


def research_json(name: str) -> Any:
    return json.loads(research_file(name).read_text(encoding="utf-8"))


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@cache
def _description(name: str) -> Any:
    path = research_dir() / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def description_problems(server: ServiceNowEmulator) -> list[str]:
    """Every Table API request ``server`` received (faults included) and every successful answer it
    gave, checked against each published description present; empty where the research data is
    absent (the tests in test_servicenow_reference_data say so by skipping)."""
    from matrixcore_servicenow.testing import TableApiDescription

    base = server.url.rstrip("/")
    problems: list[str] = []
    for name in DESCRIPTIONS:
        spec = _description(name)
        if spec is None:
            continue
        api = TableApiDescription(spec, base)
        for request in server.requests:
            if not request.path.startswith("/api/"):
                continue  # /oauth_token.do is not part of the Table API
            pairs = [(k, v) for k, values in request.query.items() for v in values]
            url = f"{base}{request.path}?{urlencode(pairs)}" if pairs else base + request.path
            kind = request.header("Content-Type") or "application/json"
            problems += [
                f"{name}: {p}" for p in api.request_problems(request.method, url, request.body, kind)
            ]
        for exchange in server.exchanges:
            url = base + exchange.target
            answer = exchange.response
            # The exports declare a bare "200 ok" and no error answers: successes are checked.
            described = api.describes_responses(exchange.method, url) and answer.status < 400
            if exchange.target.startswith("/api/") and described:
                kind = answer.headers.get("Content-Type", "")
                problems += [
                    f"{name}: {p}"
                    for p in api.response_problems(exchange.method, url, answer.status, answer.body, kind)
                ]
    return problems


def open_adapter(
    server: ServiceNowEmulator, context: AdapterContext, name: str = "sn", **settings: Any
) -> ServiceNowAdapter:
    """A ServiceNow connection to ``server``, its settings checked by the adapter's JSON Schema as
    a config file's would be (secrets from the environment)."""
    from matrixcore._config import parse_config
    from matrixcore_servicenow import SPEC, ServiceNowAdapter

    connection = {"adapter": "servicenow", "base_url": server.url, **settings}
    document = {"rules": str(QUICKSTART), "connections": {name: connection}}
    config = parse_config(json.dumps(document), "matrixcore.yaml", {"servicenow": SPEC.config_schema})
    adapter = SPEC.factory(config.connections[name], context)
    assert isinstance(adapter, ServiceNowAdapter)
    return adapter
