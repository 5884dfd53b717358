"""matrixcore's adapter contract, run against the Zendesk adapter and its emulator."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from matrixcore_zendesk import plugin
from matrixcore_zendesk.testing import ZendeskServer
from matrixcore_zendesk.testing._records import encode_cursor
from zendesk_account import PRIORITIES, TOKEN, TOKEN_ENV, Account, open_account
from zendesk_research import follows_the_published_api

from matrixcore import PriorityChange
from matrixcore.testing import AdapterContractSuite, FakeClock


class AccountServer(ZendeskServer):
    """The emulator with its seeded account at hand for the suite's hooks."""

    account: Account


class TestZendeskContract(AdapterContractSuite[AccountServer]):
    adapter_spec = plugin.SPEC
    seed_count = 7
    priority_change = PriorityChange(impact="branch", urgency="high", priority="P1")

    @pytest.fixture
    def server(self, contract_clock: FakeClock) -> Iterator[AccountServer]:
        with AccountServer() as server:
            server.clock.follow(contract_clock.monotonic)
            server.account = open_account(server)
            yield server
            follows_the_published_api(server)

    def connection_settings(self, server: AccountServer) -> Mapping[str, Any]:
        return server.account.settings()

    def environment(self, server: AccountServer) -> Mapping[str, str]:
        return {TOKEN_ENV: TOKEN, "ZD_WRONG_TOKEN": "not-the-token"}

    def break_credentials(self, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**settings, "auth": {**settings["auth"], "password": {"env": "ZD_WRONG_TOKEN"}}}

    def seed_tickets(self, server: AccountServer, count: int) -> Sequence[str]:
        ids = [
            str(server.account.ticket("piet", f"Ticket {n}", minutes_ago=60 - n)["id"]) for n in range(count)
        ]
        server.advance()
        return ids

    def update_ticket(self, server: AccountServer, ticket_id: str) -> None:
        server.advance(5)
        server.account.agent_update(
            ticket_id, {"status": "open", "comment": {"body": "On it", "public": False}}
        )
        server.advance()

    def written_priority(self, server: AccountServer, ticket_id: str) -> PriorityChange:
        state, account = server.state, server.account
        zendesk = state.show_ticket(int(ticket_id))["priority"]
        matrix = next((p for p, z in PRIORITIES.items() if z == zendesk), None)
        return PriorityChange(
            impact=state.field_value(int(ticket_id), account.impact_field),
            urgency=state.field_value(int(ticket_id), account.urgency_field),
            priority=matrix,
        )

    def future_cursor(self, server: AccountServer) -> str:
        return encode_cursor((server.clock().timestamp() + 86_400 * 365, 0))
