"""matrixcore's adapter contract suite, run against the ServiceNow adapter and its emulator, once
with Basic auth and once with OAuth (password grant)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from matrixcore import PriorityChange
from matrixcore.testing import AdapterContractSuite
from matrixcore_servicenow import SPEC, Watermark, format_glide_time
from matrixcore_servicenow.testing import ServiceNowEmulator

from servicenow_support import description_problems

LEVELS = {"1": "high", "2": "medium", "3": "low"}


class TestServiceNowContract(AdapterContractSuite[ServiceNowEmulator]):
    adapter_spec = SPEC
    priority_change = PriorityChange(impact="high", urgency="high", priority="P1")
    auth_paths: ClassVar[tuple[str, ...]] = ("/oauth_token.do",)

    @pytest.fixture
    def server(self) -> Iterator[ServiceNowEmulator]:
        with ServiceNowEmulator() as emulator:
            emulator.instance.unstable_order = True  # tied rows in any order, as from a database
            yield emulator
            assert description_problems(emulator) == []

    def connection_settings(self, server: ServiceNowEmulator) -> Mapping[str, Any]:
        return {
            "base_url": server.url,
            "auth": {"type": "basic", "username": "integration", "password": {"env": "SN_PASSWORD"}},
            "page_size": 3,
        }

    def environment(self, server: ServiceNowEmulator) -> Mapping[str, str]:
        return {
            "SN_PASSWORD": "integration",
            "SN_WRONG_PASSWORD": "hunter2",
            "SN_CLIENT_SECRET": "matrixcore-secret",
        }

    def break_credentials(self, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        wrong = {"type": "basic", "username": "integration", "password": {"env": "SN_WRONG_PASSWORD"}}
        return {**settings, "auth": wrong}

    def seed_tickets(self, server: ServiceNowEmulator, count: int) -> Sequence[str]:
        # Created a moment ago: a scan reads up to a second before the server's clock.
        with server.past(2):
            return [
                server.instance.insert("incident", {"short_description": f"Seeded {n}"})["sys_id"]
                for n in range(count)
            ]

    def update_ticket(self, server: ServiceNowEmulator, ticket_id: str) -> None:
        with server.past(2):
            server.instance.update("incident", ticket_id, {"state": "2"}, user="admin")

    def written_priority(self, server: ServiceNowEmulator, ticket_id: str) -> PriorityChange:
        row = server.instance.tables["incident"][ticket_id]
        return PriorityChange(LEVELS.get(row["impact"]), LEVELS.get(row["urgency"]), f"P{row['priority']}")

    def future_cursor(self, server: ServiceNowEmulator) -> str:
        return Watermark(format_glide_time(datetime.now(UTC) + timedelta(days=1))).encode()


class TestServiceNowContractOAuth(TestServiceNowContract):
    def connection_settings(self, server: ServiceNowEmulator) -> Mapping[str, Any]:
        oauth = {
            "type": "oauth",
            "grant": "password",
            "client_id": "matrixcore",
            "client_secret": {"env": "SN_CLIENT_SECRET"},
            "username": "integration",
            "password": {"env": "SN_PASSWORD"},
        }
        return {**super().connection_settings(server), "auth": oauth}

    def break_credentials(self, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**settings, "auth": {**settings["auth"], "password": {"env": "SN_WRONG_PASSWORD"}}}
