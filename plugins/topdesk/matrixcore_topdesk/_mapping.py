"""TOPdesk incident JSON -> ``Ticket``, and matrix levels -> the partial JSON TOPdesk accepts.

Written against real payloads, not the specification's promises: the recorded incident has
``null`` for most lookups the specification types as objects, ``caller.id`` null for unregistered
callers, empty strings for unset text, and times like ``2024-01-01T10:00:00.000+0000`` (not RFC
3339; ``dateFormat=iso8601`` gives ``...Z`` instead). Every field is read defensively: a missing or
malformed value becomes "unknown", never an exception, except for the few a ticket cannot exist
without (an id, some time it was logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from types import MappingProxyType
from typing import Any, Final

from matrixcore import AdapterError, PriorityChange, Requester, Ticket, parse_instant

from ._settings import DIMENSIONS, TopdeskSettings

__all__ = [
    "FETCH_FIELDS",
    "IncidentMappingError",
    "fetch_fields",
    "get_path",
    "incident_to_ticket",
    "language_tag",
    "lookup_name",
    "parse_time",
    "write_payload",
]

log = logging.getLogger("matrixcore.topdesk")

#: The incident fields the mapping reads; requested with ``fields=`` because TOPdesk documents
#: returning all fields as slow.
FETCH_FIELDS: Final = (
    "id",
    "number",
    "status",
    "briefDescription",
    "request",
    "caller",
    "callerBranch",
    "entryType",
    "callType",
    "category",
    "subcategory",
    "impact",
    "urgency",
    "priority",
    "processingStatus",
    "operator",
    "operatorGroup",
    "onHold",
    "onHoldDate",
    "onHoldDuration",
    "responded",
    "responseDate",
    "completed",
    "completedDate",
    "closed",
    "closedDate",
    "majorCall",
    "targetDate",
    "callDate",
    "creationDate",
    "modificationDate",
)

_TRUE_WORDS: Final = frozenset({"1", "true", "yes", "y", "ja", "j", "vip", "on"})


class IncidentMappingError(ValueError):
    """An incident lacks what every ticket needs (an id, a time it was logged)."""


def fetch_fields(settings: TopdeskSettings) -> tuple[str, ...]:
    """``FETCH_FIELDS`` plus the top-level fields the configured paths read (``optionalFields1``…)."""
    extra = [settings.language_field, settings.vip_field, *settings.fields.values()]
    roots = [path.split(".", 1)[0] for path in extra if path]
    return tuple(dict.fromkeys([*FETCH_FIELDS, *roots]))


def get_path(payload: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``optionalFields1.text1``); ``None`` where any step is missing."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def lookup_name(value: Any) -> str | None:
    """The name of a TOPdesk lookup (``{id, name}``), tolerating ``null``, bare strings and blanks."""
    if isinstance(value, Mapping):
        value = value.get("name")
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_time(value: Any) -> datetime | None:
    """A TOPdesk time (``...+0000``, ``...Z`` or ``...+01:00``) as an aware datetime; ``None`` if unusable."""
    try:
        return parse_instant(value)
    except (ValueError, TypeError, OverflowError):
        log.debug("ignoring unparseable TOPdesk time %r", value)
        return None


def _text(value: Any) -> str:
    """Plain text from a scalar; ``""`` for null and for structures (a lookup is not text)."""
    if value is None or isinstance(value, Mapping | list):
        return ""
    return str(value).strip()


def _truthy(value: Any) -> bool:
    if isinstance(value, Mapping):
        value = value.get("name")
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().casefold() in _TRUE_WORDS


@cache
def _language_names() -> Mapping[str, str]:
    """Language names as people type them ("Nederlands", "Dutch", "english") -> BCP 47 tags."""
    from babel import Locale, localedata

    names: dict[str, str] = {}
    for identifier in localedata.locale_identifiers():
        if "_" in identifier:
            continue
        try:
            locale = Locale.parse(identifier)
        except (ValueError, TypeError):  # pragma: no cover - babel ships only parseable ids
            continue
        for name in (locale.get_language_name(identifier), locale.get_language_name("en")):
            if name:
                names.setdefault(name.casefold(), identifier)
    return MappingProxyType(names)


def language_tag(value: Any) -> str:
    """A BCP 47 tag from a language field: tags pass through (``nl``, ``en-GB``, ``nl_NL``), names are
    looked up in CLDR (``Nederlands`` -> ``nl``, ``English`` -> ``en``); anything else gives ``""``."""
    text = lookup_name(value) if isinstance(value, Mapping) else _text(value)
    if not text:
        return ""
    head = text.replace("_", "-").split("-")
    if 2 <= len(head[0]) <= 3 and head[0].isalpha() and all(p.isalnum() and len(p) <= 8 for p in head):
        return text
    return _language_names().get(text.casefold(), "")


def _paused_since(payload: Mapping[str, Any], settings: TopdeskSettings, status: str) -> datetime | None:
    on_hold = payload.get("onHold") is True
    if not on_hold and status.casefold() not in settings.pause_statuses:
        return None
    # onHoldDate is null in real payloads more often than not; the last change is the closest bound.
    return parse_time(payload.get("onHoldDate")) or parse_time(payload.get("modificationDate"))


def _custom(payload: Mapping[str, Any], settings: TopdeskSettings) -> dict[str, Any]:
    custom: dict[str, Any] = {
        "call_type": lookup_name(payload.get("callType")),
        "operator_group": lookup_name(payload.get("operatorGroup")),
        "operator": lookup_name(payload.get("operator")),
        "branch": lookup_name(get_path(payload, "caller.branch")) or lookup_name(payload.get("callerBranch")),
        "major_call": payload.get("majorCall") is True,
        "line": payload.get("status"),
        "target_date": (t.isoformat() if (t := parse_time(payload.get("targetDate"))) else None),
        "topdesk_impact": lookup_name(payload.get("impact")),
        "topdesk_urgency": lookup_name(payload.get("urgency")),
        "topdesk_priority": lookup_name(payload.get("priority")),
    }
    for name, path in settings.fields.items():
        value = get_path(payload, path)
        custom[name] = lookup_name(value) if isinstance(value, Mapping) else value
    return custom


def incident_to_ticket(payload: Mapping[str, Any], settings: TopdeskSettings) -> Ticket:
    """Map one incident as TOPdesk returns it (any subset of fields) to a ``Ticket``.

    Raises ``IncidentMappingError`` only when there is no id or no usable time at all.
    """
    incident_id = _text(payload.get("id"))
    if not incident_id:
        raise IncidentMappingError("incident without an id")
    updated = parse_time(payload.get("modificationDate"))
    created = parse_time(payload.get("callDate")) or parse_time(payload.get("creationDate")) or updated
    if created is None:
        raise IncidentMappingError(f"incident {incident_id}: no callDate, creationDate or modificationDate")
    status = lookup_name(payload.get("processingStatus")) or ""
    raw_caller = payload.get("caller")
    caller: Mapping[str, Any] = raw_caller if isinstance(raw_caller, Mapping) else {}
    language = language_tag(get_path(payload, settings.language_field)) if settings.language_field else ""
    responded = payload.get("responded") is True
    first_response = parse_time(payload.get("responseDate"))
    if responded and first_response is None:
        first_response = updated or created
    resolved = None
    if payload.get("completed") is True or payload.get("closed") is True:
        resolved = (
            parse_time(payload.get("completedDate")) or parse_time(payload.get("closedDate")) or updated
        )
    on_hold_minutes = payload.get("onHoldDuration")
    levels = {d: settings.level_map(d).level(lookup_name(payload.get(d))) for d in DIMENSIONS}
    channel_name = lookup_name(payload.get("entryType")) or ""
    custom = _custom(payload, settings)
    return Ticket(
        source=settings.name,
        id=incident_id,
        created=created,
        number=_text(payload.get("number")),
        subject=_text(payload.get("briefDescription")),
        description=_text(payload.get("request")),
        channel=settings.channels.get(channel_name.casefold(), channel_name.casefold()),
        requester=Requester(
            name=_text(caller.get("dynamicName")),
            address=_text(caller.get("email")),
            language=language or settings.default_language,
            vip=_truthy(get_path(payload, settings.vip_field)) if settings.vip_field else False,
        ),
        category=lookup_name(payload.get("category")) or "",
        subcategory=lookup_name(payload.get("subcategory")) or "",
        impact=levels["impact"],
        urgency=levels["urgency"],
        priority=levels["priority"],
        status=status,
        updated=updated,
        first_response=first_response,
        resolved=resolved,
        paused_since=_paused_since(payload, settings, status),
        # The specification gives every other duration on an incident in minutes.
        paused_seconds=(
            float(on_hold_minutes) * 60.0
            if isinstance(on_hold_minutes, int | float) and not isinstance(on_hold_minutes, bool)
            else 0.0
        ),
        custom=MappingProxyType(custom),
        raw=MappingProxyType(dict(payload)),
    )


#: Resolves a TOPdesk lookup name to its id: ``resolve("impact", "Afdeling") -> "<uuid>"``.
Resolver = Callable[[str, str], str]


def write_payload(
    ticket: Ticket, change: PriorityChange, settings: TopdeskSettings, resolve: Resolver
) -> dict[str, Any]:
    """The partial update for ``PUT /incidents/id/{id}``: only values that differ from the ticket's.

    Lookups are written by id (resolved by name through ``resolve``), which TOPdesk accepts as well
    as by name and which turns a mapping naming a value TOPdesk lacks into a clear error here
    instead of a bare 404 there. TOPdesk fills in the priority from its own matrix whenever impact or
    urgency change and the same request carries no priority, so when matrixcore owns the priority
    it is sent along with any impact or urgency change, changed or not.
    """
    body: dict[str, Any] = {}
    for dimension in ("impact", "urgency"):
        level = getattr(change, dimension)
        if level is not None and dimension in settings.write and level != getattr(ticket, dimension):
            body[dimension] = {"id": resolve(dimension, _vendor_name(settings, dimension, level))}
    # The sync sends only what changed, so "priority unchanged" arrives as None: pin the current one.
    priority = change.priority if change.priority is not None else (ticket.priority if body else None)
    if priority is not None and "priority" in settings.write and (body or priority != ticket.priority):
        body["priority"] = {"id": resolve("priority", _vendor_name(settings, "priority", priority))}
    return body


def _vendor_name(settings: TopdeskSettings, dimension: str, level: str) -> str:
    name = settings.level_map(dimension).vendor(level)
    if name is None:
        raise AdapterError(
            f"{settings.name}: no TOPdesk {dimension} is mapped for {level!r}; "
            f"add it under mappings.{dimension} in the connection's config"
        )
    return name
