"""``matrixcore sandbox topdesk``: the test kit's emulated TOPdesk, seeded as a Dutch service desk.

The same emulator the plugin's tests check against TOPdesk's published API description, served on
127.0.0.1 with an operator whose application password only this sandbox knows. The connection uses
the quick-start mappings: TOPdesk's Dutch impact, urgency and priority names, the requester's language
in ``optionalFields1.text1``, VIP in ``boolean1``, the number of affected users in ``number1``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Final

from matrixcore.sandbox import Sandbox, SandboxSpec, SandboxTicket

from .testing import Operator, fixed_id
from .testing.server import TopdeskServer

__all__ = ["SANDBOX", "TopdeskSandbox"]

#: The quick-start levels -> the emulated desk's TOPdesk names.
MAPPINGS: Final[dict[str, Any]] = {
    "impact": {
        "organisation": "Organisatie",
        "branch": "Vestiging",
        "department": "Afdeling",
        "group": "Groep",
        "person": "Persoon",
    },
    "urgency": {"high": "Hoog", "normal": "Normaal", "low": "Laag"},
    "priority": {
        "P1": "P1 Kritiek",
        "P2": "P2 Hoog",
        "P3": "P3 Normaal",
        "P4": "P4 Laag",
        "P5": "P5 Planning",
    },
    "pause_statuses": ["Wacht op klant"],
    "language_field": "optionalFields1.text1",
    "vip_field": "optionalFields1.boolean1",
    "fields": {"affected_users": "optionalFields1.number1"},
}
#: matrixcore's channels -> TOPdesk's entry types ("Aanmeldingswijze").
ENTRY_TYPES: Final = {
    "email": "E-mail",
    "portal": "Self-Service Portal",
    "phone": "Telefoon",
    "chat": "Chat",
    "twitter": "Twitter",
    "facebook": "Facebook",
}


class TopdeskSandbox(Sandbox):
    adapter = "topdesk"

    def __init__(self) -> None:
        super().__init__()
        self._password = secrets.token_urlsafe(18)
        self.server = TopdeskServer(operators=[Operator("matrixcore", self._password, "matrixcore (API)")])

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def secret(self) -> str:
        return self._password

    def connection(self, secret_file: str) -> dict[str, Any]:
        return {
            "base_url": self.server.url,
            "auth": {"type": "basic", "username": "matrixcore", "password": {"file": secret_file}},
            "mappings": MAPPINGS,
        }

    def add_ticket(self, ticket: SandboxTicket) -> tuple[str, str]:
        optional: dict[str, Any] = {"text1": ticket.language, "boolean1": ticket.vip}
        if ticket.affected_users is not None:
            optional["number1"] = ticket.affected_users
        fields: dict[str, Any] = {"optionalFields1": optional}
        if ticket.category:
            fields["category"] = {"id": fixed_id("category", ticket.category), "name": ticket.category}
        with self.server._emulator_lock:  # the server answers on its own threads
            store = self.server.store
            record = store.add_incident(
                ticket.subject[:80],
                caller=ticket.requester,
                email=ticket.email,
                entry_type=ENTRY_TYPES.get(ticket.channel, "E-mail"),
                call_date=store.clock() - timedelta(minutes=ticket.minutes_ago),
                **fields,
            )
        return str(record["id"]), str(record["number"])

    def _agent(self, ticket_id: str, **changes: Any) -> None:
        with self.server._emulator_lock:
            self.server.store.agent_update(ticket_id, **changes)

    def pick_up(self, ticket_id: str) -> None:
        self._agent(ticket_id, responded=True, processingStatus="In behandeling")

    def set_priority(self, ticket_id: str, priority: str) -> None:
        self._agent(ticket_id, priority=MAPPINGS["priority"][priority])

    def resolve(self, ticket_id: str) -> None:
        self._agent(ticket_id, completed=True, processingStatus="Gereed")


SANDBOX: Final = SandboxSpec(
    "topdesk",
    TopdeskSandbox,
    "an emulated TOPdesk (incident API 4.2.6) of a Dutch service desk",
)
