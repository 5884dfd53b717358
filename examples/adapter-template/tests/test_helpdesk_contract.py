"""The adapter contract suite, pointed at the Helpdesk adapter and its emulator.

Every check matrixcore relies on (valid tickets, forward-only cursors, dry run sends no writes,
idempotent writes, retries on 429/5xx, messages that show up) runs from the base class; this file
only says how to reach the emulator, seed it and read it back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from matrixcore_helpdesk import SPEC
from matrixcore_helpdesk.emulator import HelpdeskEmulator

from matrixcore import PriorityChange
from matrixcore.testing import AdapterContractSuite

#: Matrix names -> helpdesk values, as a real config would map them.
PRIORITY_MAP = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}


class TestHelpdeskContract(AdapterContractSuite[HelpdeskEmulator]):
    adapter_spec = SPEC
    priority_change = PriorityChange(impact="high", urgency="high", priority="P1")

    @pytest.fixture
    def server(self) -> Iterator[HelpdeskEmulator]:
        with HelpdeskEmulator() as emulator:
            yield emulator

    def connection_settings(self, server: HelpdeskEmulator) -> Mapping[str, Any]:
        return {
            "base_url": server.url,
            "auth": {"type": "bearer", "token": {"env": "HELPDESK_TOKEN"}},
            "page_size": 3,  # seven seeded tickets make three batches
            "priority_map": PRIORITY_MAP,
        }

    def environment(self, server: HelpdeskEmulator) -> Mapping[str, str]:
        return {"HELPDESK_TOKEN": server.token, "HELPDESK_WRONG_PASSWORD": "tr0ub4dor&3"}

    def break_credentials(self, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        wrong = {
            "type": "basic",
            "username": "agent@example.com",
            "password": {"env": "HELPDESK_WRONG_PASSWORD"},
        }
        return {**settings, "auth": wrong}

    def seed_tickets(self, server: HelpdeskEmulator, count: int) -> Sequence[str]:
        return [str(server.add_ticket(subject=f"Seeded {n}")["id"]) for n in range(count)]

    def update_ticket(self, server: HelpdeskEmulator, ticket_id: str) -> None:
        server.update_ticket(int(ticket_id), status="pending")

    def written_priority(self, server: HelpdeskEmulator, ticket_id: str) -> PriorityChange:
        ticket = server.tickets[int(ticket_id)]
        back = {v: k for k, v in PRIORITY_MAP.items()}
        return PriorityChange(ticket["impact"], ticket["urgency"], back.get(ticket["priority"]))

    def future_cursor(self, server: HelpdeskEmulator) -> str:
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        return server.cursor_for(tomorrow.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
