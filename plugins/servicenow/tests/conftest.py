"""Fixtures of the ServiceNow plugin's tests: an emulated instance on a hand-moved clock, and one
served over HTTP whose every request is checked against the published Table API descriptions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from matrixcore_servicenow import Settings, parse_settings
from matrixcore_servicenow.testing import ManualClock, ServiceNowApi, ServiceNowEmulator, ServiceNowInstance

from servicenow_support import basic, description_problems


@pytest.fixture
def server() -> Iterator[ServiceNowEmulator]:
    """The emulator on 127.0.0.1, ordering tied rows arbitrarily; afterwards, every request it
    received must conform to ServiceNow's published Table API descriptions (where the research
    data is present)."""
    with ServiceNowEmulator() as emulator:
        # Rows an ORDERBY leaves tied come back in any order, as from a real database.
        emulator.instance.unstable_order = True
        yield emulator
        assert description_problems(emulator) == []


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
