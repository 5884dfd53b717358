"""Fixtures of the TOPdesk plugin tests: settings mapped to the quick-start rules, an emulator
on a hand-moved clock, TOPdesk's API description and recorded payloads from the research data."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from matrixcore_topdesk import TopdeskSettings
from matrixcore_topdesk.testing import EmulatorResponse, ManualClock, TopdeskEmulator
from matrixcore_topdesk.testing.openapi import find_research_data

from matrixcore import Ruleset, load_ruleset
from matrixcore._config import Secret

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
    data: dict[str, Any] = {
        "url": "https://example.topdesk.net",
        "username": LOGIN,
        "password": Secret(PASSWORD, "env:TOPDESK_PASSWORD"),
        "mappings": QUICKSTART_MAPPINGS,
        **overrides,
    }
    return TopdeskSettings.from_mapping(data, name="topdesk-test")


@pytest.fixture
def settings() -> TopdeskSettings:
    return make_settings()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> TopdeskEmulator:
    return TopdeskEmulator(clock=clock)


@pytest.fixture(scope="session")
def quickstart() -> Ruleset:
    return load_ruleset(QUICKSTART_RULES)


AUTH = {"Authorization": "Basic " + base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()}


def call(
    emulator: TopdeskEmulator, method: str, target: str, body: Any = None, headers: Mapping[str, str] = AUTH
) -> EmulatorResponse:
    """One request to the emulator as an authenticated operator (JSON body)."""
    raw = None if body is None else json.dumps(body).encode()
    return emulator.handle(method, target, dict(headers), raw)


@pytest.fixture
def api() -> Any:
    from matrixcore_topdesk.testing.openapi import TopdeskOpenAPI, spec_path

    path = spec_path()
    if path is None:
        pytest.skip("TOPdesk API description not found in the research data")
    return TopdeskOpenAPI.load(path)
