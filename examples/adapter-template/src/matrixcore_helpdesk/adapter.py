"""The Helpdesk adapter: matrixcore's view of a small JSON REST helpdesk.

Everything HTTP (timeouts, retries on 429/5xx honouring Retry-After, the request budget, auth,
redaction, dry-run refusal) comes from ``matrixcore.HttpAdapter``; this module only maps the
helpdesk's resources to matrixcore's records and back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from matrixcore import (
    AdapterContext,
    AdapterError,
    AdapterSpec,
    Batch,
    ConnectionConfig,
    HttpAdapter,
    HttpError,
    OutgoingMessage,
    PostedMessage,
    PriorityChange,
    Requester,
    Ticket,
    http_settings_schema,
    paginate_cursor,
    parse_instant,
)

from . import __version__

__all__ = ["CONFIG_SCHEMA", "SPEC", "HelpdeskAdapter"]

_MAP: Final = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}

#: The connection settings: the common HTTP ones plus page size and value maps.
CONFIG_SCHEMA: Final = http_settings_schema(
    {
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
        "impact_map": {**_MAP, "description": "Matrix impact level -> helpdesk impact (default: same name)."},
        "urgency_map": {
            **_MAP,
            "description": "Matrix urgency level -> helpdesk urgency (default: same name).",
        },
        "priority_map": {**_MAP, "description": "Matrix priority -> helpdesk priority (default: same name)."},
    },
    title="Helpdesk connection",
    description="A small generic JSON REST helpdesk (the matrixcore example adapter).",
)

_FIELDS: Final = ("impact", "urgency", "priority")


class HelpdeskAdapter(HttpAdapter):
    """One connection to a Helpdesk instance."""

    def __init__(self, config: ConnectionConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.page_size = int(self.settings.get("page_size", 50))
        #: matrix name -> helpdesk value, per field; and the way back.
        self.to_tool: dict[str, Mapping[str, str]] = {
            f: dict(self.settings.get(f"{f}_map", {})) for f in _FIELDS
        }
        self.from_tool = {f: {v: k for k, v in m.items()} for f, m in self.to_tool.items()}

    def check(self) -> None:
        try:
            self.http.get_json("api/v1/me")
        except HttpError as exc:
            if exc.status in (401, 403):
                raise AdapterError(
                    f"{self.name}: the helpdesk refused the credentials ({exc})", status=exc.status
                ) from None
            raise

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        pages = paginate_cursor(
            self.http,
            "api/v1/tickets",
            items="tickets",
            params={"limit": self.page_size},
            start=cursor,
            next_cursor="meta.after_cursor",
            has_more="meta.has_more",
        )
        for page in pages:
            if page.items:
                yield Batch([self._ticket(item) for item in page.items], str(page.next))

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        body = {f: self._tool_value(f, getattr(change, f)) for f in _FIELDS if getattr(change, f) is not None}
        if body:
            # PATCH with absolute values: repeating it changes nothing, so it may be retried.
            self.http.patch(f"api/v1/tickets/{ticket.id}", json=body, idempotent=True)

    def apply_update(self, ticket: Ticket, change: PriorityChange, message: OutgoingMessage) -> PostedMessage:
        """Optional (``CombinedWriter``): the change and a message in one PATCH, one request not two.

        The helpdesk applies both together and honours the ``Idempotency-Key``, so a lost answer may
        be retried without a second message.
        """
        body: dict[str, Any] = {
            f: self._tool_value(f, getattr(change, f)) for f in _FIELDS if getattr(change, f) is not None
        }
        body["message"] = {"body": message.text, "public": message.visible_to_requester}
        answer = self.http.write_json(
            "PATCH",
            f"api/v1/tickets/{ticket.id}",
            json=body,
            headers={"Idempotency-Key": uuid.uuid4().hex},
            idempotent=True,
            done=lambda data: isinstance(data, dict) and isinstance(data.get("message"), dict),
        )
        return self._message(answer["message"])

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        # One key per call: retries of this call cannot post twice; a later call is a new message.
        response = self.http.post(
            f"api/v1/tickets/{ticket.id}/messages",
            json={"body": text, "public": visible_to_requester},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            idempotent=True,
        )
        return self._message(self.http.json(response)["message"])

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        data = self.http.get_json(f"api/v1/tickets/{ticket.id}/messages")
        return [self._message(m) for m in data["messages"]]

    # -- mapping -------------------------------------------------------------------------------------

    def _tool_value(self, field: str, name: str) -> str:
        return self.to_tool[field].get(name, name)

    def _matrix_value(self, field: str, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return self.from_tool[field].get(str(value), str(value))

    def _ticket(self, item: Mapping[str, Any]) -> Ticket:
        requester = item.get("requester") or {}
        created = parse_instant(item.get("created_at"), "created_at")
        if created is None:
            raise AdapterError(f"{self.name}: ticket {item.get('id')} has no created_at")
        return Ticket(
            source=self.name,
            id=str(item["id"]),
            number=str(item.get("number") or ""),
            subject=str(item.get("subject") or ""),
            description=str(item.get("description") or ""),
            channel=str(item.get("channel") or ""),
            requester=Requester(
                name=str(requester.get("name") or ""),
                address=str(requester.get("email") or ""),
                language=str(requester.get("language") or ""),
                vip=bool(requester.get("vip", False)),
            ),
            category=str(item.get("category") or ""),
            impact=self._matrix_value("impact", item.get("impact")),
            urgency=self._matrix_value("urgency", item.get("urgency")),
            priority=self._matrix_value("priority", item.get("priority")),
            status=str(item.get("status") or ""),
            created=created,
            updated=parse_instant(item.get("updated_at"), "updated_at"),
            first_response=parse_instant(item.get("first_response_at"), "first_response_at"),
            custom=dict(item.get("custom_fields") or {}),
            raw=dict(item),
        )

    @staticmethod
    def _message(item: Mapping[str, Any]) -> PostedMessage:
        return PostedMessage(
            id=str(item["id"]),
            text=str(item["body"]),
            visible_to_requester=bool(item["public"]),
            created=parse_instant(item.get("created_at"), "created_at"),
            author=str(item.get("author") or ""),
        )


SPEC: Final = AdapterSpec(
    name="helpdesk",
    factory=HelpdeskAdapter,
    config_schema=CONFIG_SCHEMA,
    version=__version__,
    description="A small generic JSON REST helpdesk (the matrixcore example adapter)",
)
