"""Fixtures of the TOPdesk plugin tests: settings mapped to the quick-start rules, an emulator
on a hand-moved clock, TOPdesk's API description and recorded payloads from the research data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matrixcore_topdesk import TopdeskSettings
from matrixcore_topdesk.testing import ManualClock, TopdeskEmulator
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import PASSWORD, PASSWORD_ENV, QUICKSTART_RULES, assert_conforms, make_settings

from matrixcore import Ruleset, load_ruleset


@pytest.fixture
def topdesk(monkeypatch: pytest.MonkeyPatch) -> Iterator[TopdeskServer]:
    """The emulator on a real loopback HTTP server; the test fails if the emulator raised, or if
    a request or an answer does not conform to TOPdesk's API description."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with TopdeskServer() as server:
        yield server
        if server.errors:
            pytest.fail("the emulator raised:\n" + "\n".join(server.errors), pytrace=False)
        assert_conforms(server)


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


@pytest.fixture
def description() -> Path:
    """TOPdesk's incident API description in the research data (the test skips where it is absent)."""
    from matrixcore_topdesk.testing.openapi import spec_path

    path = spec_path()
    if path is None:
        pytest.skip("TOPdesk API description not found in the research data")
    return path


@pytest.fixture
def api(description: Path) -> Any:
    from matrixcore_topdesk.testing.openapi import TopdeskOpenAPI

    return TopdeskOpenAPI.load(description)
