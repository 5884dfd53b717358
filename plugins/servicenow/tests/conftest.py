"""Fixtures of the ServiceNow plugin's tests: an emulated instance on a hand-moved clock, and the
shared research data (tests that need it skip, with the reason, where it is absent)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from matrixcore_servicenow import Settings, parse_settings
from matrixcore_servicenow.testing import ManualClock, ServiceNowApi, ServiceNowInstance

REPO = Path(__file__).resolve().parents[3]


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


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def instance(clock: ManualClock) -> ServiceNowInstance:
    sn = ServiceNowInstance(clock=clock)
    sn.add_user("admin", "admin-pw", name="System Administrator")
    sn.add_user("integration", "s3cret", name="matrixcore Integration")
    return sn


@pytest.fixture
def api(instance: ServiceNowInstance) -> ServiceNowApi:
    return ServiceNowApi(instance)


@pytest.fixture
def admin() -> dict[str, str]:
    return basic("admin", "admin-pw")


@pytest.fixture
def settings() -> Settings:
    return parse_settings(
        {
            "base_url": "https://acme.service-now.com",
            "auth": {"type": "basic", "username": "integration", "password": "s3cret"},
        }
    )
