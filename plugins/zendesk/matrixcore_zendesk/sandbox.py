"""``matrixcore sandbox zendesk``: the test kit's emulated Zendesk account, seeded as a service desk.

The emulator the plugin's tests check against Zendesk's published API description, served on
127.0.0.1: an admin for matrixcore with an API token only this sandbox knows, an agent, drop-down
fields for impact and urgency with the quick-start levels, and requesters in Dutch, English, German
and French. Like Zendesk, its incremental export holds back the last minute: an agent's change shows
up a minute after it is made.
"""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from typing import Any, Final

from matrixcore.sandbox import Sandbox, SandboxSpec, SandboxTicket
from matrixcore.testing import RecordedRequest, Reply

from .testing import ZendeskServer

__all__ = ["SANDBOX", "ZendeskSandbox"]

ADMIN: Final = "matrixcore@sandbox.example"
IMPACT: Final = ("organisation", "branch", "department", "group", "person")
URGENCY: Final = ("high", "normal", "low")
PRIORITIES: Final = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low", "P5": "low"}
#: matrixcore's channels -> Zendesk's ``via.channel``.
CHANNELS: Final = {
    "email": "email",
    "portal": "web",
    "phone": "voice",
    "chat": "chat",
    "twitter": "twitter",
    "facebook": "facebook",
}
#: Where the first export starts: before every seeded ticket.
START: Final = "2020-01-01T00:00:00Z"


class _Server(ZendeskServer):
    """The emulator with its account behind one lock: the sandbox files tickets while it serves."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()

    def _serve(self, request: RecordedRequest) -> Reply:
        with self.lock:
            return super()._serve(request)


class ZendeskSandbox(Sandbox):
    adapter = "zendesk"

    def __init__(self) -> None:
        super().__init__()
        self._token = secrets.token_urlsafe(18)
        self.server = _Server()
        state = self.server.state
        state.add_user("matrixcore", ADMIN, role="admin")
        state.add_api_token(ADMIN, self._token)
        self.agent = state.add_user("Agent Anna", "anna@sandbox.example", role="agent")
        self.impact_field = state.add_ticket_field("Impact", options=list(IMPACT))
        self.urgency_field = state.add_ticket_field("Urgency", options=list(URGENCY))
        self.affected_field = state.add_ticket_field("Affected users")
        self._requesters: dict[str, int] = {}

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def secret(self) -> str:
        return self._token

    def connection(self, secret_file: str) -> dict[str, Any]:
        return {
            "base_url": self.server.url,
            "auth": {"type": "basic", "username": f"{ADMIN}/token", "password": {"file": secret_file}},
            "start": START,
            "impact": {"field_id": self.impact_field},
            "urgency": {"field_id": self.urgency_field},
            "priority": {"values": PRIORITIES},
            "custom_fields": {"affected_users": self.affected_field},
        }

    def _requester(self, ticket: SandboxTicket) -> int:
        if ticket.requester not in self._requesters:
            user = self.server.state.add_user(
                ticket.requester,
                ticket.email or None,
                locale=ticket.language,
                tags=["vip"] if ticket.vip else [],
            )
            self._requesters[ticket.requester] = int(user["id"])
        return self._requesters[ticket.requester]

    def add_ticket(self, ticket: SandboxTicket) -> tuple[str, str]:
        with self.server.lock:
            # Filed a minute ago at the latest: the export shows it at once, past its hold-back.
            created = self.server.clock() - timedelta(minutes=max(ticket.minutes_ago, 1.1))
            custom = (
                {self.affected_field: ticket.affected_users} if ticket.affected_users is not None else None
            )
            record = self.server.state.create_ticket(
                subject=ticket.subject,
                description=ticket.subject,
                requester_id=self._requester(ticket),
                channel=CHANNELS.get(ticket.channel, "web"),
                created_at=created,
                tags=[ticket.category.lower()] if ticket.category else [],
                custom_fields=custom,
            )
        return str(record["id"]), str(record["id"])

    def _agent(self, ticket_id: str, changes: dict[str, Any]) -> None:
        with self.server.lock:
            self.server.state.update_ticket(
                int(ticket_id), changes, author_id=int(self.agent["id"]), via="web"
            )

    def pick_up(self, ticket_id: str) -> None:
        reply = {"body": "Ik ga hiermee aan de slag. / I am on it.", "public": True}
        self._agent(ticket_id, {"status": "open", "comment": reply})

    def set_priority(self, ticket_id: str, priority: str) -> None:
        self._agent(ticket_id, {"priority": PRIORITIES[priority]})

    def resolve(self, ticket_id: str) -> None:
        self._agent(ticket_id, {"status": "solved"})

    def settle(self) -> None:
        with self.server.lock:
            self.server.advance()  # past the export's one-minute hold-back


SANDBOX: Final = SandboxSpec(
    "zendesk",
    ZendeskSandbox,
    "an emulated Zendesk account (incremental export, ticket fields, comments)",
    notes=(
        "Zendesk's export holds back the last minute: an agent's change reaches the daemon a minute later.",
    ),
)
