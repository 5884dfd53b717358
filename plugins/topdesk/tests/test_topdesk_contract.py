"""The TOPdesk adapter passes matrixcore's adapter contract against the emulated TOPdesk."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import pytest
from matrixcore_topdesk import TOPDESK_ADAPTER
from matrixcore_topdesk.testing.server import TopdeskServer
from topdesk_support import PASSWORD, PASSWORD_ENV, assert_conforms, connection_settings, make_settings

from matrixcore import PriorityChange
from matrixcore.testing import AdapterContractSuite

MAPPED = make_settings()


class TestTopdeskContract(AdapterContractSuite[TopdeskServer]):
    adapter_spec = TOPDESK_ADAPTER
    priority_change: ClassVar[PriorityChange] = PriorityChange(
        impact="department", urgency="high", priority="P2"
    )

    @pytest.fixture
    def server(self) -> Iterator[TopdeskServer]:
        with TopdeskServer() as topdesk:
            yield topdesk
            assert_conforms(topdesk)

    def connection_settings(self, server: TopdeskServer) -> Mapping[str, Any]:
        return connection_settings(server)

    def environment(self, server: TopdeskServer) -> Mapping[str, str]:
        return {PASSWORD_ENV: PASSWORD}

    def seed_tickets(self, server: TopdeskServer, count: int) -> Sequence[str]:
        store = server.store
        return [store.add_incident(f"contract {i}", caller="Contract Suite")["id"] for i in range(count)]

    def update_ticket(self, server: TopdeskServer, ticket_id: str) -> None:
        server.store.agent_update(ticket_id, briefDescription="changed by an agent")

    def written_priority(self, server: TopdeskServer, ticket_id: str) -> PriorityChange:
        record = server.store.get(ticket_id)
        levels = {
            d: MAPPED.level_map(d).level((record.get(d) or {}).get("name"))
            for d in ("impact", "urgency", "priority")
        }
        return PriorityChange(**levels)

    def future_cursor(self, server: TopdeskServer) -> str | None:
        return "2999-01-01T00:00:00Z"

    def break_credentials(self, settings: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return {**settings, "auth": {**settings["auth"], "username": "somebody-else"}}
