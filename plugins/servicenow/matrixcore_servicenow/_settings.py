"""A ServiceNow connection's settings: the JSON Schema users' configs are checked against, and the
typed, defaulted record the adapter and the mapping read.

The schema does the first line of checking (with line numbers, through ``matrixcore check``); this
module adds what a schema cannot say, such as a matrix level mapped to two ServiceNow values, which
would make writes ambiguous.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, Literal

from matrixcore import Secret, http_settings_schema

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_HOLD_REASONS",
    "DEFAULT_STATES",
    "TABLE_DEFAULTS",
    "TASK_STATES",
    "AuthSettings",
    "LevelMap",
    "Settings",
    "TableDefaults",
    "connection_schema",
    "parse_settings",
    "table_defaults",
]

#: Out-of-the-box incident states (sys_choice incident.state).
DEFAULT_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
)
#: Out-of-the-box task states (sys_choice task.state): sc_req_item and other task tables that have
#: no state model of their own. 3 is *Closed Complete* here, not On Hold.
TASK_STATES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "-5": "Pending",
        "1": "Open",
        "2": "Work in Progress",
        "3": "Closed Complete",
        "4": "Closed Incomplete",
        "7": "Closed Skipped",
    }
)
#: Out-of-the-box incident hold reasons (sys_choice incident.hold_reason).
DEFAULT_HOLD_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {"1": "Awaiting Caller", "3": "Awaiting Problem", "4": "Awaiting Vendor", "5": "Awaiting Change"}
)
#: Out-of-the-box contact_type values -> matrixcore channel names (others pass through).
DEFAULT_CHANNELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "email": "email",
        "phone": "phone",
        "self-service": "portal",
        "chat": "chat",
        "virtual_agent": "chat",
        "walk-in": "walk-in",
    }
)
_DEFAULT_IMPACT: Final = {"1": "high", "2": "medium", "3": "low"}
_DEFAULT_PRIORITY: Final = {str(n): f"P{n}" for n in range(1, 6)}
_REQUESTER_FIELDS: Final = ("name", "email", "preferred_language", "vip", "time_zone")


def _requester(reference: str) -> Mapping[str, str]:
    """The requester's details dot-walked through a sys_user reference field."""
    keys = ("name", "address", "language", "vip", "timezone")
    return MappingProxyType({k: f"{reference}.{f}" for k, f in zip(keys, _REQUESTER_FIELDS, strict=True)})


@dataclass(frozen=True, slots=True)
class TableDefaults:
    """What a table's out-of-the-box set-up means for the mapping: its states, which of them pause
    or count as picked up, where the requester is, and whether it has a hold reason."""

    states: Mapping[str, str]
    pause_states: frozenset[str]
    pickup_states: frozenset[str]
    requester: Mapping[str, str]
    hold_reason_field: str = ""


_INCIDENT_DEFAULTS: Final = TableDefaults(
    states=DEFAULT_STATES,
    pause_states=frozenset({"3"}),  # On Hold
    pickup_states=frozenset({"2", "3", "6", "7", "8"}),
    requester=_requester("caller_id"),
    hold_reason_field="hold_reason",
)
_TASK_DEFAULTS: Final = TableDefaults(
    states=TASK_STATES,
    pause_states=frozenset({"-5"}),  # Pending
    pickup_states=frozenset({"2", "3", "4", "7"}),
    requester=_requester("opened_by"),
)
#: Per table; any other table (a task table of its own, a u_ table) gets task's.
TABLE_DEFAULTS: Final[Mapping[str, TableDefaults]] = MappingProxyType(
    {
        "incident": _INCIDENT_DEFAULTS,
        "sc_req_item": dataclasses.replace(_TASK_DEFAULTS, requester=_requester("requested_for")),
    }
)


def table_defaults(table: str) -> TableDefaults:
    return TABLE_DEFAULTS.get(table, _TASK_DEFAULTS)


_DEFAULT_TICKET_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {"category": "category", "subcategory": "subcategory", "service": "business_service.name"}
)
_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


@cache
def connection_schema() -> Mapping[str, Any]:
    """The JSON Schema (Draft 2020-12) of a ServiceNow connection's settings: ServiceNow's own
    (``connection.schema.json``) over matrixcore's common HTTP settings (timeout, retry, rate_limit,
    ca_bundle), with ServiceNow's auth shapes instead of the generic ones."""
    text = resources.files(__package__).joinpath("connection.schema.json").read_text(encoding="utf-8")
    own: Mapping[str, Any] = json.loads(text)
    schema = http_settings_schema(
        own["properties"], tuple(own["required"]), title=own["title"], description=own["description"]
    )
    schema["$id"] = own["$id"]
    schema["$defs"] = own["$defs"]
    return schema


@dataclass(frozen=True, slots=True)
class LevelMap:
    """ServiceNow values <-> matrix level names for one dimension (impact, urgency or priority).

    Reading takes a value to its first listed level; writing takes any listed level to its value, so
    a 5-level matrix impact can sit on ServiceNow's three impacts without losing writes.
    """

    to_level: Mapping[str, str]
    to_value: Mapping[str, str]

    @classmethod
    def build(cls, dimension: str, raw: Mapping[str, str | Sequence[str]]) -> LevelMap:
        to_level: dict[str, str] = {}
        to_value: dict[str, str] = {}
        for value, levels in raw.items():
            names = [levels] if isinstance(levels, str) else list(levels)
            to_level[str(value)] = names[0]
            for name in names:
                if name in to_value and to_value[name] != str(value):
                    raise ValueError(
                        f"mapping.{dimension}: level {name!r} is mapped to both {to_value[name]!r} and "
                        f"{value!r}; a level must write one ServiceNow value"
                    )
                to_value[name] = str(value)
        return cls(MappingProxyType(to_level), MappingProxyType(to_value))

    def level(self, value: str | None) -> str | None:
        return None if value in (None, "") else self.to_level.get(str(value))

    def value(self, level: str) -> str:
        try:
            return self.to_value[level]
        except KeyError:
            known = ", ".join(sorted(self.to_value)) or "none"
            raise ValueError(f"no ServiceNow value is mapped to level {level!r} (mapped: {known})") from None


@dataclass(frozen=True, slots=True)
class AuthSettings:
    type: Literal["basic", "oauth"]
    username: str = ""
    password: Secret | None = None
    grant: Literal["password", "client_credentials", ""] = ""
    client_id: str = ""
    client_secret: Secret | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """One connection's settings with every default applied."""

    base_url: str
    auth: AuthSettings
    table: str = "incident"
    filter: str = ""
    page_size: int = 100
    write: Literal["impact_urgency", "priority", "all"] = "impact_urgency"
    impact: LevelMap = field(default_factory=lambda: LevelMap.build("impact", _DEFAULT_IMPACT))
    urgency: LevelMap = field(default_factory=lambda: LevelMap.build("urgency", _DEFAULT_IMPACT))
    priority: LevelMap = field(default_factory=lambda: LevelMap.build("priority", _DEFAULT_PRIORITY))
    channels: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CHANNELS)
    states: Mapping[str, str] = field(default_factory=lambda: DEFAULT_STATES)
    hold_reasons: Mapping[str, str] = field(default_factory=lambda: DEFAULT_HOLD_REASONS)
    pause_states: frozenset[str] = frozenset({"3"})
    #: ``None``: every hold reason pauses.
    pause_hold_reasons: frozenset[str] | None = None
    pause_since_field: str = "sys_updated_on"
    #: The table's hold-reason field ("" where it has none: only incident has one out of the box).
    hold_reason_field: str = "hold_reason"
    pickup_states: frozenset[str] = frozenset({"2", "3", "6", "7", "8"})
    pickup_when_assigned: bool = False
    pickup_time_field: str = ""
    requester_fields: Mapping[str, str] = field(default_factory=lambda: _INCIDENT_DEFAULTS.requester)
    languages: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    ticket_fields: Mapping[str, str] = field(default_factory=lambda: _DEFAULT_TICKET_FIELDS)
    custom_fields: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @property
    def writes_levels(self) -> bool:
        return self.write in ("impact_urgency", "all")

    @property
    def writes_priority(self) -> bool:
        return self.write in ("priority", "all")


def _secret(value: Any) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    return Secret(str(value))  # tests and code that build settings by hand


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Typed settings from a connection's (schema-valid, secrets-resolved) settings mapping.

    Raises ``ValueError`` for what the schema cannot catch (ambiguous level mappings).
    """
    auth_raw: Mapping[str, Any] = raw["auth"]
    auth = AuthSettings(
        type=auth_raw["type"],
        username=str(auth_raw.get("username", "")),
        password=_secret(auth_raw.get("password")),
        grant=auth_raw.get("grant", ""),
        client_id=str(auth_raw.get("client_id", "")),
        client_secret=_secret(auth_raw.get("client_secret")),
    )
    mapping: Mapping[str, Any] = raw.get("mapping", {})
    pause: Mapping[str, Any] = mapping.get("pause", {})
    pickup: Mapping[str, Any] = mapping.get("pickup", {})
    defaults = Settings(base_url="", auth=auth)
    table = str(raw.get("table", "incident"))
    own = table_defaults(table)
    reasons = pause.get("hold_reasons")
    if reasons is not None and not own.hold_reason_field:
        raise ValueError(
            f"mapping.pause.hold_reasons: {table} has no hold reason (only incident has one out of the box); "
            "pause by state instead"
        )
    return Settings(
        base_url=str(raw["base_url"]).rstrip("/"),
        auth=auth,
        table=table,
        filter=raw.get("filter", ""),
        page_size=int(raw.get("page_size", 100)),
        write=raw.get("write", "impact_urgency"),
        impact=LevelMap.build("impact", mapping.get("impact", _DEFAULT_IMPACT)),
        urgency=LevelMap.build("urgency", mapping.get("urgency", _DEFAULT_IMPACT)),
        priority=LevelMap.build("priority", mapping.get("priority", _DEFAULT_PRIORITY)),
        channels=MappingProxyType({**DEFAULT_CHANNELS, **mapping.get("channels", {})}),
        states=MappingProxyType({**own.states, **mapping.get("states", {})}),
        hold_reasons=MappingProxyType({**DEFAULT_HOLD_REASONS, **mapping.get("hold_reasons", {})}),
        pause_states=frozenset(pause.get("states", own.pause_states)),
        pause_hold_reasons=None if reasons is None else frozenset(reasons),
        pause_since_field=pause.get("since_field", defaults.pause_since_field),
        hold_reason_field=own.hold_reason_field,
        pickup_states=frozenset(pickup.get("states", own.pickup_states)),
        pickup_when_assigned=bool(pickup.get("when_assigned", False)),
        pickup_time_field=pickup.get("time_field", ""),
        requester_fields=MappingProxyType({**own.requester, **mapping.get("requester", {})}),
        languages=MappingProxyType(dict(mapping.get("languages", {}))),
        ticket_fields=MappingProxyType({**defaults.ticket_fields, **mapping.get("fields", {})}),
        custom_fields=MappingProxyType(dict(mapping.get("custom", {}))),
    )
