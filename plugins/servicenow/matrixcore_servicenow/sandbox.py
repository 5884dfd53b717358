"""``matrixcore sandbox servicenow``: the test kit's emulated instance, seeded as a service desk.

The emulator the plugin's tests check against the Table API descriptions real instances publish,
served on 127.0.0.1, with an integration user whose password only this sandbox knows. The connection
maps the quick-start matrix (5 impacts x 3 urgencies) onto ServiceNow's 3 x 3, reads the caller's
language and VIP flag from ``sys_user``, and Twitter/X and Facebook from two ``contact_type`` values
of the desk's own (``u_twitter``, ``u_facebook``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Final

from matrixcore.sandbox import Sandbox, SandboxSpec, SandboxTicket

from .testing._server import ServiceNowEmulator

__all__ = ["SANDBOX", "ServiceNowSandbox"]

MAPPING: Final[dict[str, Any]] = {
    "impact": {"1": ["organisation", "branch"], "2": ["department", "group"], "3": "person"},
    "urgency": {"1": "high", "2": "normal", "3": "low"},
    "channels": {"u_twitter": "twitter", "u_facebook": "facebook"},
    "custom": {"affected_users": "u_affected_users"},
}
CONTACT_TYPES: Final = {
    "email": "email",
    "portal": "self-service",
    "phone": "phone",
    "chat": "chat",
    "twitter": "u_twitter",
    "facebook": "u_facebook",
}
#: An agent's choice of priority, as the impact and urgency ServiceNow derives it from.
AGENT_LEVELS: Final = {
    "P1": ("1", "1"),
    "P2": ("2", "1"),
    "P3": ("2", "2"),
    "P4": ("3", "2"),
    "P5": ("3", "3"),
}
_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


class ServiceNowSandbox(Sandbox):
    adapter = "servicenow"

    def __init__(self) -> None:
        super().__init__()
        self._password = secrets.token_urlsafe(18)
        self.server = ServiceNowEmulator()
        sn = self.server.instance
        sn.add_user("matrixcore", self._password, name="matrixcore Integration")
        sn.add_user("agent.anna", name="Anna Agent")
        sn.add_column("incident", "u_affected_users", "integer")
        self._callers: dict[str, str] = {}

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return str(self.server.url)

    def secret(self) -> str:
        return self._password

    def connection(self, secret_file: str) -> dict[str, Any]:
        return {
            "base_url": self.server.url,
            "auth": {"type": "basic", "username": "matrixcore", "password": {"file": secret_file}},
            "mapping": MAPPING,
        }

    def _caller(self, ticket: SandboxTicket) -> str:
        if ticket.requester not in self._callers:
            self._callers[ticket.requester] = self.server.instance.add_user(
                ticket.requester.lstrip("@").replace(" ", ".").lower(),
                name=ticket.requester,
                email=ticket.email,
                preferred_language=ticket.language,
                vip="true" if ticket.vip else "false",
            )
        return self._callers[ticket.requester]

    def add_ticket(self, ticket: SandboxTicket) -> tuple[str, str]:
        sn = self.server.instance
        opened = sn.now() - timedelta(minutes=ticket.minutes_ago)
        values: dict[str, Any] = {
            "short_description": ticket.subject,
            "caller_id": self._caller(ticket),
            "contact_type": CONTACT_TYPES.get(ticket.channel, "email"),
            "opened_at": opened.strftime(_FORMAT),
        }
        if ticket.category:
            values["category"] = ticket.category
        if ticket.affected_users is not None:
            values["u_affected_users"] = str(ticket.affected_users)
        with self.server.past(2):  # the adapter reads up to a second before now
            row = sn.insert("incident", values)
        return row["sys_id"], row["number"]

    def _agent(self, sys_id: str, values: dict[str, Any]) -> None:
        with self.server.past(2):
            self.server.instance.update("incident", sys_id, values, user="agent.anna")

    def pick_up(self, ticket_id: str) -> None:
        now = self.server.instance.now().strftime(_FORMAT)
        self._agent(ticket_id, {"state": "2", "work_start": now, "assigned_to": "agent.anna"})

    def set_priority(self, ticket_id: str, priority: str) -> None:
        impact, urgency = AGENT_LEVELS[priority]
        self._agent(ticket_id, {"impact": impact, "urgency": urgency})

    def resolve(self, ticket_id: str) -> None:
        now = self.server.instance.now().strftime(_FORMAT)
        self._agent(ticket_id, {"state": "6", "resolved_at": now, "close_code": "Solved (Permanently)"})


SANDBOX: Final = SandboxSpec(
    "servicenow",
    ServiceNowSandbox,
    "an emulated ServiceNow instance (Table API, incidents)",
)
