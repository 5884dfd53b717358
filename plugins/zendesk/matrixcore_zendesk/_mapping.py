"""Zendesk payloads <-> matrixcore: tickets in, impact/urgency/priority writes and comments out.

Real payloads are messier than the published description: most fields the spec calls non-null
arrive as ``null`` (85 of 91 recorded tickets have ``priority: null``), ``status`` can be
``deleted`` (deletions appear in the incremental stream), ``via.channel`` may be a number, and
custom field values are strings, numbers, booleans, lists or ``null``. Every reader here treats a
missing or null value as "unset" and never raises for it; only a ticket without any usable time
is refused, because matrixcore cannot promise anything about it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from matrixcore import Requester, Ticket
from matrixcore._adapter import PostedMessage, PriorityChange
from matrixcore._ticket import EMPTY_MAPPING, parse_instant

from ._settings import LevelField, ZendeskSettings

__all__ = [
    "MappingError",
    "Sideloads",
    "custom_field_values",
    "message_from_comment",
    "requester_ids",
    "ticket_from_zendesk",
    "update_for",
]

#: Statuses after which nothing is promised any more (no messages, no pickup clock).
_DONE_STATUSES: Final = frozenset({"solved", "closed", "deleted"})
#: Zendesk metric that accumulates the time spent in each pausing status (completed periods).
_PAUSE_METRICS: Final[Mapping[str, str]] = MappingProxyType(
    {"pending": "agent_wait_time_in_minutes", "hold": "on_hold_time_in_minutes"}
)


class MappingError(ValueError):
    """The configuration cannot express a value matrixcore wants to write (names the setting to fix)."""


@dataclass(frozen=True, slots=True)
class Sideloads:
    """Records Zendesk side-loaded next to a page of tickets (``include=users,metric_sets``)."""

    users: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    #: Ticket id -> its metric set.
    metrics: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_page(cls, page: Mapping[str, Any]) -> Sideloads:
        return cls(
            users=_by_key(page.get("users"), "id"),
            metrics=_by_key(page.get("metric_sets"), "ticket_id"),
        )

    def with_users(self, users: Iterable[Mapping[str, Any]]) -> Sideloads:
        return Sideloads({**self.users, **_by_key(list(users), "id")}, self.metrics)


_NO_SIDELOADS: Final = Sideloads()


def _by_key(records: Any, key: str) -> Mapping[int, Mapping[str, Any]]:
    if not isinstance(records, list):
        return {}
    return {r[key]: r for r in records if isinstance(r, Mapping) and isinstance(r.get(key), int)}


def custom_field_values(payload: Mapping[str, Any]) -> dict[int, Any]:
    """A ticket's custom field values by field id (``custom_fields``, else the legacy ``fields``)."""
    entries = payload.get("custom_fields") or payload.get("fields") or ()
    return {
        e["id"]: e.get("value") for e in entries if isinstance(e, Mapping) and isinstance(e.get("id"), int)
    }


def _tags(payload: Mapping[str, Any]) -> list[str]:
    tags = payload.get("tags")
    return [str(t) for t in tags if t is not None] if isinstance(tags, list) else []


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _channel(payload: Mapping[str, Any], settings: ZendeskSettings) -> str:
    via = payload.get("via")
    channel = via.get("channel") if isinstance(via, Mapping) else None
    if channel is None or channel == "":
        return ""
    name = str(channel).casefold()
    return settings.channels.get(name, name)


def _requester(
    payload: Mapping[str, Any], settings: ZendeskSettings, sideloads: Sideloads, fields: Mapping[int, Any]
) -> Requester:
    user = sideloads.users.get(payload.get("requester_id"))  # type: ignore[arg-type]
    user = user if isinstance(user, Mapping) else EMPTY_MAPPING
    if settings.language == "requester.locale":
        language = _text(user.get("locale"))
    else:
        language = _text(fields.get(int(settings.language)))
    user_tags = {str(t).casefold() for t in (user.get("tags") or ()) if t is not None}
    ticket_tags = {t.casefold() for t in _tags(payload)}
    return Requester(
        name=_text(user.get("name")),
        address=_text(user.get("email") or user.get("phone")),
        language=language,
        vip=bool(settings.vip_tags & (user_tags | ticket_tags)),
        timezone=_text(user.get("iana_time_zone")),
    )


def _minutes(metric: Any) -> float | None:
    """The calendar-time figure of a Zendesk ``{calendar, business}`` metric, in minutes."""
    if isinstance(metric, Mapping):
        value = metric.get("calendar")
        return float(value) if isinstance(value, int | float) else None
    return None


def _first_response(created: datetime, metrics: Mapping[str, Any]) -> datetime | None:
    """When an agent first replied publicly: Zendesk's reply-time metric counted from creation."""
    seconds = metrics.get("reply_time_in_seconds")  # messaging tickets: exact seconds
    if isinstance(seconds, Mapping) and isinstance(seconds.get("calendar"), int | float):
        return created + timedelta(seconds=float(seconds["calendar"]))
    minutes = _minutes(metrics.get("reply_time_in_minutes"))
    return created + timedelta(minutes=minutes) if minutes is not None else None


def _instant(value: Any, name: str) -> datetime | None:
    """An aware time, or ``None`` for null and for values that are no time at all (tolerated)."""
    try:
        return parse_instant(value, name)
    except ValueError:
        return None


def ticket_from_zendesk(
    payload: Mapping[str, Any],
    settings: ZendeskSettings,
    source: str = "zendesk",
    sideloads: Sideloads = _NO_SIDELOADS,
) -> Ticket:
    """A ``Ticket`` from one Zendesk ticket object and the records side-loaded with its page.

    Raises ``ValueError`` only when the ticket has no id or no usable creation/update time.
    """
    ticket_id = payload.get("id")
    if ticket_id is None:
        raise ValueError("Zendesk ticket without an id")
    updated = _instant(payload.get("updated_at"), "updated_at")
    created = _instant(payload.get("created_at"), "created_at") or updated
    if created is None:
        raise ValueError(f"Zendesk ticket {ticket_id}: no created_at or updated_at")
    fields = custom_field_values(payload)
    tags = _tags(payload)
    via = payload.get("via")
    status = _text(payload.get("status"))
    metrics = sideloads.metrics.get(ticket_id) or EMPTY_MAPPING

    paused_since = None
    if status in settings.pause_statuses:
        paused_since = _instant(metrics.get("status_updated_at"), "status_updated_at") or updated
    paused_minutes = sum(
        _minutes(metrics.get(_PAUSE_METRICS[s])) or 0.0
        for s in settings.pause_statuses
        if s in _PAUSE_METRICS
    )
    resolved = None
    if status in _DONE_STATUSES:
        resolved = (
            _instant(metrics.get("solved_at"), "solved_at") if status != "deleted" else None
        ) or updated

    if settings.category_field == "type":
        category = _text(payload.get("type"))
    else:
        category = _text(fields.get(int(settings.category_field)))
    custom: dict[str, Any] = {
        "tags": tags,
        "type": payload.get("type"),
        "group_id": payload.get("group_id"),
        "assignee_id": payload.get("assignee_id"),
        "organization_id": payload.get("organization_id"),
        "brand_id": payload.get("brand_id"),
        "via_channel": via.get("channel") if isinstance(via, Mapping) else None,
    }
    custom.update({name: fields.get(field_id) for name, field_id in settings.custom_fields.items()})
    return Ticket(
        source=source,
        id=str(ticket_id),
        number=str(ticket_id),
        created=created,
        updated=updated,
        subject=_text(payload.get("subject") or payload.get("raw_subject")),
        description=_text(payload.get("description")),
        channel=_channel(payload, settings),
        requester=_requester(payload, settings, sideloads, fields),
        category=category,
        service=_text(fields.get(settings.service_field)) if settings.service_field else "",
        impact=settings.impact.read(fields, tags) if settings.impact else None,
        urgency=settings.urgency.read(fields, tags) if settings.urgency else None,
        priority=settings.priority.matrix(payload.get("priority") or None, tags),
        status=status,
        first_response=_first_response(created, metrics),
        resolved=resolved,
        paused_since=paused_since,
        paused_seconds=paused_minutes * 60.0,
        custom=MappingProxyType(custom),
        raw=MappingProxyType(dict(payload)),
    )


def _level_update(
    level: str | None,
    where: LevelField | None,
    fields: Mapping[int, Any],
    tags: list[str],
    out_fields: list[dict[str, Any]],
) -> list[str]:
    """Add the write for one level to ``out_fields`` or return the new tag list."""
    if level is None or where is None:
        return tags
    value = where.vendor_value(level)
    if where.kind == "field":
        if _text(fields.get(where.field_id)) != value:
            out_fields.append({"id": where.field_id, "value": value})
        return tags
    wanted = where.tag(level)
    kept = [t for t in tags if not t.startswith(where.tag_prefix)]
    return [*kept, wanted]


def update_for(
    ticket: Ticket,
    change: PriorityChange,
    settings: ZendeskSettings,
    drop_downs: Collection[int] = (),
) -> dict[str, Any]:
    """The ``ticket`` object of a ``PUT /api/v2/tickets/{id}`` that applies ``change``.

    Only what differs from the ticket as read is included; an empty result means there is nothing
    to write (idempotent writes: seeing our own change again causes no request).
    Tag-based levels send the complete new tag list, which is safe because every write carries
    ``safe_update``: an agent's tag change made meanwhile turns the write into a conflict.

    A drop-down's value is also a tag, so a tag list sent with new drop-down values must carry
    their new option tags instead of the old ones, or whichever Zendesk applies last would undo
    the other; ``drop_downs`` names the level fields that are drop-downs (``tagger``).
    """
    raw = ticket.raw
    out: dict[str, Any] = {}
    current_tags = _tags(raw)
    tags = current_tags
    priorities = settings.priority
    if change.priority is not None and priorities.write:
        vendor = priorities.vendor(change.priority)
        if vendor is None:
            raise MappingError(
                f"matrix priority {change.priority!r} has no Zendesk priority: "
                f"add it under priority.values (urgent, high, normal or low)"
            )
        if raw.get("priority") != vendor:
            out["priority"] = vendor
        if priorities.shared:
            tags = [
                *(t for t in tags if not t.startswith(priorities.tag_prefix)),
                priorities.tag(change.priority),
            ]
    fields = custom_field_values(raw)
    new_fields: list[dict[str, Any]] = []
    tags = _level_update(change.impact, settings.impact, fields, tags, new_fields)
    tags = _level_update(change.urgency, settings.urgency, fields, tags, new_fields)
    if new_fields:
        out["custom_fields"] = new_fields
    if sorted(tags) != sorted(current_tags):
        out["tags"] = _with_option_tags(tags, new_fields, fields, drop_downs)
    return out


def _with_option_tags(
    tags: list[str],
    new_fields: Sequence[Mapping[str, Any]],
    fields: Mapping[int, Any],
    drop_downs: Collection[int],
) -> list[str]:
    """``tags`` with each written drop-down's old option tag replaced by its new one."""
    tags = list(tags)
    for entry in new_fields:
        if entry["id"] not in drop_downs:
            continue
        old, new = fields.get(entry["id"]), entry["value"]
        if old not in (None, ""):
            tags = [t for t in tags if t != str(old)]
        if new and new not in tags:
            tags.append(new)
    return tags


def message_from_comment(comment: Mapping[str, Any]) -> PostedMessage:
    """A Zendesk comment as matrixcore's ``PostedMessage`` (plain text preferred over markup)."""
    return PostedMessage(
        id=_text(comment.get("id")),
        text=_text(comment.get("plain_body") or comment.get("body")),
        visible_to_requester=bool(comment.get("public", True)),
        created=_instant(comment.get("created_at"), "created_at"),
        author=_text(comment.get("author_id")),
    )


def requester_ids(tickets: Sequence[Mapping[str, Any]]) -> set[int]:
    """The requester ids of a page of tickets (to fetch users the side-load did not include)."""
    return {t["requester_id"] for t in tickets if isinstance(t.get("requester_id"), int)}
