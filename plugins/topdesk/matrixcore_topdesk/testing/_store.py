"""The emulated TOPdesk's data and rules, as plain Python (no HTTP): incidents, actions, lookups.

Behaviour follows TOPdesk's incident API 4.2.6 description and the recorded payloads, not the
adapter: full incident records with ``null`` lookups, whole-second ``modificationDate`` (the
recorded one reads ``.000``), lookups written by id *or* name, unknown update fields refused (400),
an id that does not exist answered 404, archived incidents read-only (403), the priority filled in
from TOPdesk's own matrix when impact or urgency change without one, the target date following the
priority's duration, actions with ``invisibleForCaller``. Ids sort the way SQL Server sorts a
``uniqueidentifier`` (last byte group first), so no client can get away with assuming string order.
"""

from __future__ import annotations

import copy
import html
import itertools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final

from ._catalog import (
    DEFAULT_DURATIONS,
    DEFAULT_ENTRY_TYPES,
    DEFAULT_IMPACTS,
    DEFAULT_MATRIX,
    DEFAULT_PRIORITIES,
    DEFAULT_STATUSES,
    DEFAULT_URGENCIES,
)
from ._fiql import FieldKind, parse_fiql

__all__ = [
    "IncidentStore",
    "ManualClock",
    "Operator",
    "StoreError",
    "incident_fields",
    "plain_text",
    "sqlserver_uuid_key",
]

Clock = Callable[[], datetime]

#: Search lists an update may set by ``{id}`` or ``{name}``, and the catalogue each draws from.
LOOKUP_FIELDS: Final = {
    "impact": "impacts",
    "urgency": "urgencies",
    "priority": "priorities",
    "entryType": "entry_types",
    "processingStatus": "statuses",
    "duration": "durations",
}
#: Fields of ``IncidentUpdateBody`` (4.2.6). Anything else is a 400, as TOPdesk documents.
UPDATE_FIELDS: Final = frozenset(
    [
        "action",
        "actionInvisibleForCaller",
        "branch",
        "branchExtraFieldA",
        "branchExtraFieldB",
        "briefDescription",
        "callDate",
        "callType",
        "caller",
        "callerLookup",
        "category",
        "closed",
        "closedDate",
        "closureCode",
        "completed",
        "completedDate",
        "costs",
        "duration",
        "entryType",
        "externalLink",
        "externalNumber",
        "feedbackMessage",
        "feedbackRating",
        "impact",
        "location",
        "majorCall",
        "majorCallObject",
        "object",
        "onHold",
        "operator",
        "operatorGroup",
        "optionalFields1",
        "optionalFields2",
        "priority",
        "processingStatus",
        "publishToSsd",
        "request",
        "responded",
        "responseDate",
        "sla",
        "subcategory",
        "supplier",
        "targetDate",
        "urgency",
    ]
)
#: What FIQL may filter on, by kind (the tutorial restricts operators per kind).
QUERY_FIELDS: Final[FieldKind] = {
    "id": "id",
    "number": "text",
    "status": "text",
    "briefDescription": "text",
    "request": "memo",
    "externalNumber": "text",
    **dict.fromkeys(
        (
            "callDate",
            "creationDate",
            "modificationDate",
            "targetDate",
            "closedDate",
            "completedDate",
            "responseDate",
            "onHoldDate",
        ),
        "date",
    ),
    **dict.fromkeys(("onHold", "closed", "completed", "responded", "majorCall"), "boolean"),
    **dict.fromkeys(("timeSpent", "onHoldDuration"), "number"),
    **{
        f"{lookup}.{part}": "id" if part == "id" else "text"
        for lookup in (
            "impact",
            "urgency",
            "priority",
            "entryType",
            "processingStatus",
            "category",
            "subcategory",
            "callType",
            "operator",
            "operatorGroup",
            "caller",
            "duration",
        )
        for part in ("id", "name")
    },
    "caller.dynamicName": "text",
    "caller.email": "text",
}
#: Fields ``sort`` refuses (4.2.6 description).
UNSORTABLE: Final = frozenset(
    {"externalLinks", "escalationStatus", "action", "attachments", "partialIncidents"}
)
_ARCHIVED: Final = ("firstLineArchived", "secondLineArchived", "partialArchived")
_VISIBLE_BY_DEFAULT: Final = ("firstLine", "secondLine")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


class StoreError(Exception):
    """A request TOPdesk refuses: ``status`` is the HTTP status it answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sqlserver_uuid_key(value: str) -> tuple[bytes, ...]:
    """SQL Server's ``uniqueidentifier`` order: bytes 10-15, then 8-9, 6-7, 4-5, 0-3."""
    try:
        raw = uuid.UUID(value).bytes
    except ValueError:
        return (value.encode(),)
    return (raw[10:16], raw[8:10], raw[6:8], raw[4:6], raw[0:4])


def plain_text(memo: str) -> str:
    """The ``plainText`` TOPdesk derives from an action's HTML."""
    return html.unescape(_TAG.sub("", _BR.sub("\n", memo)))


def _second(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(microsecond=0)


def _span(duration: Mapping[str, Any]) -> timedelta:
    unit = str(duration.get("timeSpanType") or "hours")
    size = {
        "minutes": timedelta(minutes=1),
        "hours": timedelta(hours=1),
        "days": timedelta(days=1),
        "weeks": timedelta(weeks=1),
    }.get(unit, timedelta(hours=1))
    return size * float(duration.get("basicPeriods") or 0)


class ManualClock:
    """A clock tests move by hand: ``clock.advance(seconds=5)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Operator:
    """An API user: an operator with a login name, an application password and rights."""

    login: str
    password: str
    name: str
    can_write: bool = True
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


class IncidentStore:
    """Incidents, their actions and TOPdesk's search lists, with TOPdesk's update rules."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.catalog: dict[str, list[dict[str, Any]]] = {
            "impacts": copy.deepcopy(DEFAULT_IMPACTS),
            "urgencies": copy.deepcopy(DEFAULT_URGENCIES),
            "priorities": copy.deepcopy(DEFAULT_PRIORITIES),
            "durations": copy.deepcopy(DEFAULT_DURATIONS),
            "entry_types": copy.deepcopy(DEFAULT_ENTRY_TYPES),
            "statuses": copy.deepcopy(DEFAULT_STATUSES),
        }
        #: (impact name, urgency name) -> priority name: TOPdesk's own matrix.
        self.matrix: dict[tuple[str, str], str] = dict(DEFAULT_MATRIX)
        self.incidents: dict[str, dict[str, Any]] = {}
        #: incident id -> actions, oldest first.
        self.actions: dict[str, list[dict[str, Any]]] = {}
        self.agent = Operator("agent", "", "Servicedesk Medewerker")
        self._numbers = itertools.count(1)

    # -- lookups --------------------------------------------------------------------------------------
    def find(self, catalog: str, ref: Any, field_name: str) -> dict[str, Any]:
        """A catalogue entry by ``{"id": ...}`` or ``{"name": ...}`` (404 / 400 when unknown)."""
        if not isinstance(ref, Mapping) or not ({"id", "name"} & set(ref)):
            raise StoreError(400, f"{field_name}: give an object with 'id' or 'name'")
        entries = self.catalog[catalog]
        if ref.get("id") is not None:
            try:
                uuid.UUID(str(ref["id"]))
            except ValueError:
                raise StoreError(400, f"{field_name}.id: {ref['id']!r} is not a UUID") from None
            for entry in entries:
                if entry["id"] == ref["id"]:
                    return entry
            raise StoreError(404, f"{field_name}: no entry with id {ref['id']}")
        for entry in entries:
            if str(entry["name"]).casefold() == str(ref["name"]).casefold():
                return entry
        raise StoreError(400, f"{field_name}: no entry named {ref['name']!r}")

    def _by_name(self, catalog: str, name: str | None) -> dict[str, str] | None:
        if name is None:
            return None
        entry = self.find(catalog, {"name": name}, catalog)
        return {"id": entry["id"], "name": entry["name"]}

    # -- incidents ----------------------------------------------------------------------------------
    def add_incident(
        self,
        brief_description: str = "",
        *,
        caller: str = "",
        email: str = "",
        entry_type: str | None = "E-mail",
        impact: str | None = None,
        urgency: str | None = None,
        priority: str | None = None,
        status: str = "Aangemeld",
        request: str | None = None,
        call_date: datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Log an incident the way an agent would (lookups by name); returns the stored record."""
        now = self.clock()
        incident_id = str(uuid.uuid4())
        number = f"I {now:%y%m} {next(self._numbers):03d}"
        record: dict[str, Any] = {
            "id": incident_id,
            "status": "firstLine",
            "number": number,
            "request": request,
            "requests": f"/tas/api/incidents/id/{incident_id}/requests",
            "action": f"/tas/api/incidents/id/{incident_id}/actions",
            "attachments": f"/tas/api/incidents/id/{incident_id}/attachments",
            "caller": {"id": None, "dynamicName": caller, "email": email or None, "branch": None},
            "callerBranch": None,
            "callerLocation": None,
            "branchExtraFieldA": None,
            "branchExtraFieldB": None,
            "briefDescription": brief_description,
            "externalNumber": "",
            "category": None,
            "subcategory": None,
            "callType": None,
            "entryType": self._by_name("entry_types", entry_type),
            "object": None,
            "asset": None,
            "branch": None,
            "location": None,
            "impact": self._by_name("impacts", impact),
            "urgency": self._by_name("urgencies", urgency),
            "priority": self._by_name("priorities", priority),
            "duration": None,
            "actualDuration": 0,
            "targetDate": None,
            "sla": None,
            "onHold": False,
            "onHoldDate": None,
            "onHoldDuration": 0,
            "feedbackMessage": None,
            "feedbackRating": None,
            "operator": None,
            "operatorGroup": None,
            "supplier": None,
            "processingStatus": self._by_name("statuses", status),
            "responded": False,
            "responseDate": None,
            "completed": False,
            "completedDate": None,
            "closed": False,
            "closedDate": None,
            "closureCode": None,
            "timeSpent": 0,
            "timeSpentFirstLine": 0,
            "timeSpentSecondLine": 0,
            "timeSpentPartial": 0,
            "timeSpentLinkedPartials": 0,
            "timeSpentSecondLineAndPartials": 0,
            "itemCosts": 0.0,
            "objectCosts": 0.0,
            "costs": 0.0,
            "escalationStatus": None,
            "escalationReason": None,
            "escalationOperator": None,
            "callDate": call_date or now,
            "creator": self.agent.ref(),
            "creationDate": now,
            "modifier": self.agent.ref(),
            "modificationDate": _second(now),
            "majorCall": False,
            "majorCallObject": None,
            "publishToSsd": False,
            "monitored": False,
            "expectedTimeSpent": 0,
            "archivingReason": None,
            "mainIncident": None,
            "partialIncidents": [],
            "optionalFields1": _optional_fields(),
            "optionalFields2": _optional_fields(),
            "externalLinks": [],
            "bookmarked": False,
        }
        for key, value in fields.items():
            if isinstance(value, Mapping) and isinstance(record.get(key), Mapping):
                record[key] = {**record[key], **value}
            else:
                record[key] = value
        if record["priority"] is not None:
            self._apply_duration(record)
        self.incidents[incident_id] = record
        self.actions[incident_id] = []
        return record

    def get(self, incident_id: str) -> dict[str, Any]:
        try:
            uuid.UUID(incident_id)
        except ValueError:
            raise StoreError(400, f"the incident id {incident_id!r} is invalid") from None
        record = self.incidents.get(incident_id)
        if record is None:
            raise StoreError(404, f"incident {incident_id} does not exist")
        return record

    def by_number(self, number: str) -> dict[str, Any]:
        for record in self.incidents.values():
            if record["number"] == number:
                return record
        raise StoreError(404, f"incident {number} does not exist")

    def remove(self, incident_id: str) -> None:
        """Delete outright (an administrator's clean-up); the API then answers 404 for it."""
        self.incidents.pop(incident_id, None)
        self.actions.pop(incident_id, None)

    def archive(self, incident_id: str) -> None:
        record = self.get(incident_id)
        record["status"] = "secondLineArchived" if record["status"] == "secondLine" else "firstLineArchived"
        self._touch(record, self.agent)

    # -- listing ------------------------------------------------------------------------------------
    def select(self, query: str | None, sort: str | None, include_all: bool = False) -> list[dict[str, Any]]:
        """Incidents matching a FIQL ``query`` in ``sort`` order (400 on a bad query or sort)."""
        records: Iterable[dict[str, Any]] = self.incidents.values()
        if not include_all:
            records = [r for r in records if r["status"] in _VISIBLE_BY_DEFAULT]
        if query:
            try:
                predicate = parse_fiql(query, QUERY_FIELDS)
            except ValueError as exc:
                raise StoreError(400, str(exc)) from None
            records = [r for r in records if predicate(r)]
        out = list(records)
        for name, descending in reversed(_sort_keys(sort)):
            present = [r for r in out if _path(r, name) is not None]
            missing = [r for r in out if _path(r, name) is None]
            present.sort(key=_sort_key(name), reverse=descending)
            out = present + missing  # unset values last, either direction
        return out

    # -- updates ------------------------------------------------------------------------------------
    def update(self, incident_id: str, body: Any, operator: Operator) -> dict[str, Any]:
        """Apply a partial update as ``PUT/PATCH /incidents/id/{id}`` does; returns the record."""
        record = self.get(incident_id)
        if not isinstance(body, Mapping):
            raise StoreError(400, "the request body must be a JSON object")
        unknown = sorted(set(body) - UPDATE_FIELDS)
        if unknown:
            raise StoreError(400, f"the request contains fields that do not exist: {', '.join(unknown)}")
        if not operator.can_write:
            raise StoreError(403, "the operator does not have the rights to execute this operation")
        if record["status"] in _ARCHIVED:
            raise StoreError(403, "the incident is archived")
        if record["status"] == "partial" and {"impact", "urgency", "priority"} & set(body):
            raise StoreError(400, "impact, urgency and priority are copied from the main incident")
        changes: dict[str, Any] = {}
        for key, catalog in LOOKUP_FIELDS.items():
            if key in body:
                entry = None if body[key] is None else self.find(catalog, body[key], key)
                changes[key] = None if entry is None else {"id": entry["id"], "name": entry["name"]}
        if "briefDescription" in body:
            text = str(body["briefDescription"] or "")
            if len(text) > 80:
                raise StoreError(400, "briefDescription can only be 80 characters long")
            changes["briefDescription"] = text
        now = self.clock()
        for flag, date_key in (
            ("responded", "responseDate"),
            ("completed", "completedDate"),
            ("closed", "closedDate"),
        ):
            if flag in body:
                changes[flag] = bool(body[flag])
                changes[date_key] = (_parse(body.get(date_key)) or now) if body[flag] else None
            elif date_key in body:
                changes[date_key] = _parse(body[date_key])
        action = body.get("action")
        if action is not None and not isinstance(action, str):
            raise StoreError(400, "action must be text")
        record.update(changes)
        if "onHold" in body:
            self._set_on_hold(record, bool(body["onHold"]), now)
        elif changes.get("processingStatus"):
            # A status flagged "on hold" in TOPdesk's status list puts the incident on hold.
            status = self.find("statuses", changes["processingStatus"], "processingStatus")
            self._set_on_hold(record, str(status.get("onHold")).lower() == "true", now)
        if ("impact" in body or "urgency" in body) and "priority" not in body:
            self._derive_priority(record)
        if "priority" in changes or ("impact" in body or "urgency" in body):
            self._apply_duration(record)
        if action:
            self.add_action(
                record["id"], action, invisible=bool(body.get("actionInvisibleForCaller")), operator=operator
            )
        self._touch(record, operator)
        return record

    def agent_update(self, incident_id: str, **changes: Any) -> dict[str, Any]:
        """A change made by a person in TOPdesk, lookups by name: ``agent_update(id, priority="P2 Hoog")``."""
        body = {
            k: {"name": v} if k in LOOKUP_FIELDS and isinstance(v, str) else v for k, v in changes.items()
        }
        return self.update(incident_id, body, self.agent)

    def _derive_priority(self, record: dict[str, Any]) -> None:
        impact, urgency = record.get("impact"), record.get("urgency")
        if not impact or not urgency:
            return
        name = self.matrix.get((impact["name"], urgency["name"]))
        if name is not None:
            record["priority"] = self._by_name("priorities", name)

    def _apply_duration(self, record: dict[str, Any]) -> None:
        """The priority decides the duration, the duration the target date (wall-clock here)."""
        priority = record.get("priority")
        if not priority:
            return
        entry = self.find("priorities", {"id": priority["id"]}, "priority")
        line = "secondLineDuration" if record["status"].startswith("secondLine") else "firstLineDuration"
        ref = entry.get(line)
        if not ref:
            return
        duration = self.find("durations", {"id": ref["id"]}, "duration")
        record["duration"] = {"id": duration["id"], "name": duration["name"]}
        record["targetDate"] = record["callDate"] + _span(duration)

    def _set_on_hold(self, record: dict[str, Any], on_hold: bool, now: datetime) -> None:
        if on_hold and not record["onHold"]:
            record["onHold"], record["onHoldDate"] = True, now
        elif not on_hold and record["onHold"]:
            since = record["onHoldDate"] or now
            record["onHoldDuration"] = int(record["onHoldDuration"] or 0) + int(
                (now - since).total_seconds() // 60
            )
            record["onHold"], record["onHoldDate"] = False, None

    def _touch(self, record: dict[str, Any], operator: Operator) -> None:
        record["modificationDate"] = _second(self.clock())
        record["modifier"] = operator.ref()

    # -- actions ------------------------------------------------------------------------------------
    def add_action(
        self, incident_id: str, memo: str, *, invisible: bool, operator: Operator
    ) -> dict[str, Any]:
        now = self.clock()
        action = {
            "id": str(uuid.uuid4()),
            "memoText": memo,
            "plainText": plain_text(memo),
            "flag": 0,
            "invisibleForCaller": invisible,
            "entryDate": now,
            "creationDate": now,
            "operator": operator.ref(),
            "person": None,
        }
        self.actions[incident_id].append(action)
        return action

    def list_actions(self, incident_id: str) -> list[dict[str, Any]]:
        """Actions newest first, as TOPdesk's progress trail shows them."""
        self.get(incident_id)
        return list(reversed(self.actions.get(incident_id, [])))


@cache
def incident_fields() -> frozenset[str]:
    """The fields of every emulated incident (what ``fields=`` may name)."""
    return frozenset(IncidentStore().add_incident())


def _optional_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for i in range(1, 6):
        fields[f"boolean{i}"] = False
        fields[f"number{i}"] = 0.0
        fields[f"date{i}"] = None
        fields[f"text{i}"] = ""
        fields[f"memo{i}"] = None
        fields[f"searchlist{i}"] = None
    return fields


def _parse(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise StoreError(400, f"{value!r} is not a date") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _path(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _sort_value(value: Any, name: str) -> Any:
    if name == "id" or name.endswith(".id"):
        return sqlserver_uuid_key(str(value))
    if isinstance(value, str):
        return value.casefold()
    return value


def _sort_key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda record: _sort_value(_path(record, name), name)


def _sort_keys(sort: str | None) -> Sequence[tuple[str, bool]]:
    if not sort:
        return [("creationDate", True)]
    keys: list[tuple[str, bool]] = []
    for part in sort.split(","):
        name, _, direction = part.strip().partition(":")
        direction = direction or "asc"
        if not name or direction not in ("asc", "desc") or name.split(".")[0] in UNSORTABLE:
            raise StoreError(400, f"cannot sort by {part!r}")
        keys.append((name, direction == "desc"))
    return keys
