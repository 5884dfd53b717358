"""An emulated Zendesk account over HTTP, and adapters built the way matrixcore builds them.

The account: an admin for matrixcore (API token), an agent, requesters from social channels and
e-mail in Dutch and English, and drop-down fields for impact and urgency whose options are the
quick-start matrix levels.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from matrixcore_zendesk import plugin
from matrixcore_zendesk.testing import ZendeskServer

from matrixcore import AdapterContext
from matrixcore._config import parse_config
from matrixcore.testing import FakeClock

ADMIN_EMAIL = "matrixcore@acme.example"
#: A connection's settings without a server (mapping and schema tests).
BASE_SETTINGS: dict[str, Any] = {
    "subdomain": "acme",
    "auth": {"type": "basic", "username": f"{ADMIN_EMAIL}/token", "password": {"env": "ZD_TOKEN"}},
}
TOKEN_ENV = "ZD_TEST_TOKEN"
TOKEN = "s3cr3t-zendesk-token"
IMPACT_LEVELS = ("organisation", "branch", "department", "group", "person")
URGENCY_LEVELS = ("high", "normal", "low")
PRIORITIES = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low", "P5": "low"}
#: Where the first export starts: well before every seeded ticket.
START = "2023-11-01T00:00:00Z"


@dataclass
class Account:
    server: ZendeskServer
    impact_field: int
    urgency_field: int
    admin: dict[str, Any]
    agent: dict[str, Any]
    requesters: dict[str, dict[str, Any]]

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The connection section as a config file holds it (the token from the environment)."""
        return {
            "base_url": self.server.url,
            "auth": {"type": "basic", "username": f"{ADMIN_EMAIL}/token", "password": {"env": TOKEN_ENV}},
            "start": START,
            "page_size": 3,
            "impact": {"field_id": self.impact_field},
            "urgency": {"field_id": self.urgency_field},
            "priority": {"values": PRIORITIES},
            "custom_fields": {"affected_users": self.affected_field},
            **overrides,
        }

    @property
    def affected_field(self) -> int:
        return next(f for f, d in self.server.state.ticket_fields.items() if d["title"] == "Affected users")

    def ticket(
        self,
        requester: str,
        subject: str,
        *,
        channel: str | int = "web",
        minutes_ago: float = 30,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A ticket created ``minutes_ago`` by one of the seeded requesters."""
        created = self.server.clock() - timedelta(minutes=minutes_ago)
        return self.server.state.create_ticket(
            subject=subject,
            description=subject,
            requester_id=self.requesters[requester]["id"],
            channel=channel,
            created_at=created,
            **kwargs,
        )

    def agent_update(self, ticket_id: int | str, changes: Mapping[str, Any]) -> None:
        """An agent changes a ticket in Zendesk's web interface."""
        self.server.state.update_ticket(int(ticket_id), changes, author_id=self.agent["id"], via="web")


def open_account(server: ZendeskServer) -> Account:
    state = server.state
    admin = state.add_user("matrixcore", ADMIN_EMAIL, role="admin")
    state.add_api_token(ADMIN_EMAIL, TOKEN)
    agent = state.add_user("Agent Anna", "anna@acme.example", role="agent")
    requesters = {
        "sanne": state.add_user("Sanne de Vries", None, locale="nl", tags=["twitter"]),
        "mark": state.add_user("Mark Jansen", None, locale="nl-NL"),
        "emma": state.add_user("Emma Clarke", "emma@example.co.uk", locale="en-GB", tags=["vip"]),
        "piet": state.add_user("Piet Bakker", "piet@example.nl", locale="nl"),
    }
    impact = state.add_ticket_field("Impact", options=list(IMPACT_LEVELS))
    urgency = state.add_ticket_field("Urgency", options=list(URGENCY_LEVELS))
    state.add_ticket_field("Affected users")
    return Account(server, impact, urgency, admin, agent, requesters)


def make_adapter(
    account: Account,
    clock: FakeClock,
    monkeypatch: Any,
    *,
    read_only: bool = False,
    name: str = "zd",
    **overrides: Any,
) -> Any:
    """The adapter as matrixcore makes it: config text validated by the plugin's schema, env secret."""
    return connect(account.settings(**overrides), clock, monkeypatch, read_only=read_only, name=name)


def connect(
    settings: Mapping[str, Any],
    clock: FakeClock,
    monkeypatch: Any,
    *,
    read_only: bool = False,
    name: str = "zd",
) -> Any:
    """An adapter for a connection section (any server), built through the config loader."""
    import yaml

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    text = yaml.safe_dump({"rules": "rules.yaml", "connections": {name: {"adapter": "zendesk", **settings}}})
    config = parse_config(text, adapter_schemas={"zendesk": plugin.SPEC.config_schema})
    context = AdapterContext(
        read_only=read_only,
        session=requests.Session(),
        logger=logging.getLogger(f"matrixcore.adapter.{name}"),
        retry=clock.retry_policy(max_attempts=4),
    )
    return plugin.SPEC.factory(config.connections[name], context)


def now_of(server: ZendeskServer) -> datetime:
    return server.clock().astimezone(UTC)
