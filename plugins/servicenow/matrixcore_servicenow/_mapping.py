"""ServiceNow records <-> matrixcore tickets, driven by a connection's mapping settings.

The adapter asks the Table API for *actual* values (``sysparm_display_value=false``): date-times
come as UTC ``yyyy-MM-dd HH:mm:ss``, choices as their stable values ("2", "self-service") rather
than labels translated into the integration user's language, and the requester's details are
dot-walked (``caller_id.email``) into the same row. Records that arrive in other shapes (a
``{value, link}`` reference, ``{display_value, value}`` from ``sysparm_display_value=all``, ``null``
where ServiceNow usually sends ``""``) are read too, so exported payloads replay as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from matrixcore import Requester, Ticket
from matrixcore._adapter import PostedMessage, PriorityChange

from ._settings import Settings

__all__ = [
    "GLIDE_TIME_FORMAT",
    "format_glide_time",
    "journal_message",
    "parse_glide_time",
    "requested_fields",
    "to_ticket",
    "value_of",
    "write_payload",
]

#: ServiceNow's internal date-time format; the Table API gives and takes it in UTC.
GLIDE_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"

#: Fields every fetch reads besides the mapped ones: identity, the watermark, pause and pickup.
_CORE_FIELDS: Final = (
    "sys_id",
    "number",
    "short_description",
    "description",
    "contact_type",
    "impact",
    "urgency",
    "priority",
    "state",
    "opened_at",
    "sys_created_on",
    "sys_updated_on",
    "sys_mod_count",
    "resolved_at",
    "closed_at",
    "work_start",
    "assigned_to",
    "assignment_group",
)
_TRUE: Final = frozenset({"true", "1", "yes"})


def value_of(record: Mapping[str, Any], name: str) -> str:
    """The actual value of ``name`` as text, whatever shape the record gives it in ("" when absent)."""
    value = record.get(name)
    if isinstance(value, Mapping):
        value = value.get("value", value.get("display_value"))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_glide_time(value: Any, name: str = "time") -> datetime | None:
    """A UTC datetime from ``2016-12-14 02:46:44`` (or ISO 8601 text); ``None`` for empty values."""
    if isinstance(value, Mapping):
        value = value.get("value", value.get("display_value"))
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    try:
        return datetime.strptime(text, GLIDE_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"field {name!r}: not a ServiceNow date-time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_glide_time(instant: datetime) -> str:
    """``instant`` in the form an encoded query compares with stored values (UTC, whole seconds)."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    return instant.strftime(GLIDE_TIME_FORMAT)


def requested_fields(settings: Settings) -> list[str]:
    """The ``sysparm_fields`` a fetch asks for: only what the mapping reads, in a stable order."""
    # The requester's reference itself (caller_id, requested_for) keeps its sys_id in the raw record.
    reference = settings.requester_fields["name"].partition(".")[0]
    wanted = [
        *_CORE_FIELDS,
        *([settings.hold_reason_field] if settings.hold_reason_field else []),
        reference,
        *settings.requester_fields.values(),
        *settings.ticket_fields.values(),
        *settings.custom_fields.values(),
    ]
    for optional in (settings.pause_since_field, settings.pickup_time_field):
        if optional:
            wanted.append(optional)
    return list(dict.fromkeys(wanted))


def _time(record: Mapping[str, Any], name: str) -> datetime | None:
    return parse_glide_time(record.get(name), name) if name else None


def _requester(record: Mapping[str, Any], settings: Settings) -> Requester:
    fields = settings.requester_fields
    language = value_of(record, fields["language"])
    return Requester(
        name=value_of(record, fields["name"]),
        address=value_of(record, fields["address"]),
        language=settings.languages.get(language, language),
        vip=value_of(record, fields["vip"]).lower() in _TRUE,
        timezone=value_of(record, fields["timezone"]),
    )


def _paused_since(record: Mapping[str, Any], settings: Settings, updated: datetime | None) -> datetime | None:
    if value_of(record, "state") not in settings.pause_states:
        return None
    reasons = settings.pause_hold_reasons
    if reasons is not None and value_of(record, settings.hold_reason_field) not in reasons:
        return None
    return _time(record, settings.pause_since_field) or updated


def _first_response(
    record: Mapping[str, Any], settings: Settings, updated: datetime | None
) -> datetime | None:
    picked_up = value_of(record, "state") in settings.pickup_states or (
        settings.pickup_when_assigned and bool(value_of(record, "assigned_to"))
    )
    if not picked_up:
        return None
    return _time(record, settings.pickup_time_field) or _time(record, "work_start") or updated


def to_ticket(record: Mapping[str, Any], settings: Settings, source: str) -> Ticket:
    """A ``Ticket`` from one Table API record; ``ValueError`` naming the field if it cannot be one."""
    sys_id = value_of(record, "sys_id")
    if not sys_id:
        raise ValueError("record has no sys_id")
    updated = _time(record, "sys_updated_on")
    created = _time(record, "opened_at") or _time(record, "sys_created_on") or updated
    if created is None:
        raise ValueError(f"record {sys_id}: neither opened_at, sys_created_on nor sys_updated_on is set")
    state = value_of(record, "state")
    hold_reason = value_of(record, settings.hold_reason_field) if settings.hold_reason_field else ""
    contact_type = value_of(record, "contact_type")
    custom: dict[str, Any] = {
        "state": state,
        "hold_reason": settings.hold_reasons.get(hold_reason, hold_reason),
        "contact_type": contact_type,
        "assignment_group": value_of(record, "assignment_group"),
        "assigned_to": value_of(record, "assigned_to"),
        "sys_mod_count": value_of(record, "sys_mod_count"),
    }
    for name, path in settings.custom_fields.items():
        raw = record.get(path)
        custom[name] = value_of(record, path) if isinstance(raw, Mapping) or raw is None else raw
    fields = settings.ticket_fields
    return Ticket(
        source=source,
        id=sys_id,
        created=created,
        number=value_of(record, "number"),
        subject=value_of(record, "short_description"),
        description=value_of(record, "description"),
        channel=settings.channels.get(contact_type, contact_type),
        requester=_requester(record, settings),
        category=value_of(record, fields["category"]),
        subcategory=value_of(record, fields["subcategory"]),
        service=value_of(record, fields["service"]),
        impact=settings.impact.level(value_of(record, "impact")),
        urgency=settings.urgency.level(value_of(record, "urgency")),
        priority=settings.priority.level(value_of(record, "priority")),
        status=settings.states.get(state, state),
        updated=updated,
        first_response=_first_response(record, settings, updated),
        resolved=_time(record, "resolved_at") or _time(record, "closed_at"),
        paused_since=_paused_since(record, settings, updated),
        custom=MappingProxyType(custom),
        raw=MappingProxyType(dict(record)),
    )


def write_payload(current: Mapping[str, Any], change: PriorityChange, settings: Settings) -> dict[str, str]:
    """The PATCH body that applies ``change``; only fields whose ServiceNow value differs from
    ``current`` (the ticket's raw record), so re-applying a decision sends nothing."""
    wanted: dict[str, str] = {}
    if settings.writes_levels:
        if change.impact is not None:
            wanted["impact"] = settings.impact.value(change.impact)
        if change.urgency is not None:
            wanted["urgency"] = settings.urgency.value(change.urgency)
    if settings.writes_priority and change.priority is not None:
        wanted["priority"] = settings.priority.value(change.priority)
    return {name: value for name, value in wanted.items() if value_of(current, name) != value}


def journal_message(entry: Mapping[str, Any]) -> PostedMessage:
    """A ``sys_journal_field`` row as a message: ``comments`` reach the caller, ``work_notes`` do not."""
    return PostedMessage(
        id=value_of(entry, "sys_id"),
        text=value_of(entry, "value"),
        visible_to_requester=value_of(entry, "element") == "comments",
        created=parse_glide_time(entry.get("sys_created_on"), "sys_created_on"),
        author=value_of(entry, "sys_created_by"),
    )
