"""A Zendesk connection's settings: the validated config section turned into typed values.

The config loader validates the section against ``connection.schema.json`` and resolves secrets
before the adapter sees it; this module applies the documented defaults and builds the lookup
tables the mapping uses (level values both ways, priorities both ways, channels), so the per-ticket
mapping does dictionary look-ups only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, Literal

from matrixcore import http_settings_schema, parse_duration
from matrixcore._ticket import parse_instant

__all__ = [
    "DEFAULT_CHANNELS",
    "PLAN_LIMITS",
    "ZENDESK_PRIORITIES",
    "LevelField",
    "PriorityMap",
    "ZendeskSettings",
    "connection_schema",
    "level_slug",
]

#: Requests a minute an account may send to the Support API, by plan (Zendesk's rate-limits
#: reference: Suite and Support plan limits; the High Volume API add-on raises it to 2,500).
PLAN_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {"team": 200, "growth": 400, "professional": 400, "enterprise": 700, "high_volume": 2500}
)

#: Zendesk's priority values, most urgent first.
ZENDESK_PRIORITIES: Final = ("urgent", "high", "normal", "low")

#: Zendesk ``via.channel`` (the "ticket created by" value, or a via id) -> matrixcore channel.
#: Source: developer.zendesk.com via-types reference. Unknown channels pass through unchanged.
DEFAULT_CHANNELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "twitter": "twitter",
        "twitter_dm": "twitter",
        "twitter_favorite": "twitter",
        "x": "twitter",
        "facebook": "facebook",
        "facebook_post": "facebook",
        "facebook_message": "facebook",
        "chat": "chat",
        "native_messaging": "chat",
        "voice": "phone",
        "voicemail": "phone",
        "phone_call_inbound": "phone",
        "phone_call_outbound": "phone",
        "email": "email",
        "mail": "email",
        "web": "portal",
        "web_form": "portal",
        "help_center": "portal",
        "web_widget": "portal",
        "sms": "sms",
        "text_message": "sms",
        "web_service": "api",
        # Numeric via ids (the API may send the id instead of the type).
        "0": "portal",
        "4": "email",
        "5": "api",
        "17": "portal",
        "23": "twitter",
        "26": "twitter",
        "29": "chat",
        "30": "twitter",
        "33": "phone",
        "34": "phone",
        "35": "phone",
        "37": "sms",
        "38": "facebook",
    }
)

_SLUG: Final = re.compile(r"[^a-z0-9]+")


def level_slug(level: str) -> str:
    """The default Zendesk value of a matrix level: ``"Whole branch"`` -> ``"whole_branch"``.

    Drop-down option values and tags cannot hold spaces or capitals, so the name is folded.
    """
    return _SLUG.sub("_", level.casefold()).strip("_")


@cache
def _schema_text() -> str:
    return resources.files(__package__).joinpath("connection.schema.json").read_text(encoding="utf-8")


def connection_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of a Zendesk connection's settings (a fresh copy).

    matrixcore's common HTTP settings (``base_url``, ``auth``, ``timeout``, ``retry``, ``rate_limit``,
    ``ca_bundle``) plus Zendesk's own from ``connection.schema.json``.
    """
    own: dict[str, Any] = json.loads(_schema_text())
    schema = http_settings_schema(
        own["properties"], required=("auth",), title=own["title"], description=own["description"]
    )
    schema["properties"]["base_url"] = {
        **schema["properties"]["base_url"],
        "description": "The account's URL if not https://<subdomain>.zendesk.com (a host-mapped domain).",
    }
    schema.update({"$id": own["$id"], "allOf": own["allOf"], "$defs": own["$defs"]})
    return schema


@dataclass(frozen=True, slots=True)
class LevelField:
    """Where one matrix dimension (impact or urgency) lives in Zendesk: a ticket field or tags."""

    kind: Literal["field", "tags"]
    field_id: int = 0
    tag_prefix: str = ""
    #: Explicit matrix level -> Zendesk value; levels not listed use ``level_slug``.
    values: Mapping[str, str] = field(default_factory=dict)
    _levels: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_levels", {v: k for k, v in reversed(list(self.values.items()))})

    @classmethod
    def from_settings(cls, data: Mapping[str, Any] | None) -> LevelField | None:
        if not data:
            return None
        values = dict(data.get("values") or {})
        if "field_id" in data:
            return cls("field", field_id=int(data["field_id"]), values=values)
        return cls("tags", tag_prefix=str(data["tag_prefix"]), values=values)

    def vendor_value(self, level: str) -> str:
        """The value Zendesk stores for ``level`` (the drop-down option tag, or the tag after the prefix)."""
        return self.values.get(level) or level_slug(level)

    def tag(self, level: str) -> str:
        return self.tag_prefix + self.vendor_value(level)

    def level_of(self, value: str) -> str:
        """The matrix level a stored value stands for; a value not in ``values`` reads as itself."""
        return self._levels.get(value, value)

    def read(self, fields: Mapping[int, Any], tags: Sequence[str]) -> str | None:
        """The level a ticket holds now, from its custom field values or its tags (``None``: unset)."""
        if self.kind == "field":
            value = fields.get(self.field_id)
            return self.level_of(str(value)) if value not in (None, "", False) else None
        for tag in tags:
            if tag.startswith(self.tag_prefix) and len(tag) > len(self.tag_prefix):
                return self.level_of(tag[len(self.tag_prefix) :])
        return None


@dataclass(frozen=True, slots=True)
class PriorityMap:
    """Matrix priority names <-> Zendesk's ``urgent/high/normal/low``.

    A matrix with more than four priorities shares Zendesk values (P4 and P5 both ``low``). Read
    back, ``low`` would then always be P4, and matrixcore would take its own P5 for an agent's
    change. So when values are shared, each write also tags the ticket with the exact matrix
    priority (``matrix_priority_p5``), and reading prefers that tag while Zendesk's value still
    matches it; once an agent changes Zendesk's priority the tag no longer matches and is ignored.
    """

    values: Mapping[str, str] = field(default_factory=dict)
    write: bool = True
    tag_prefix: str = "matrix_priority_"
    _reverse: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _by_tag: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reverse: dict[str, str] = {}
        for matrix, vendor in self.values.items():
            reverse.setdefault(vendor, matrix)
        object.__setattr__(self, "_reverse", reverse)
        object.__setattr__(self, "_by_tag", {self.tag_prefix + level_slug(m): m for m in self.values})

    @property
    def shared(self) -> bool:
        """Whether several matrix priorities share a Zendesk value (then writes also tag)."""
        return len(self._reverse) < len(self.values)

    def tag(self, priority: str) -> str:
        return self.tag_prefix + level_slug(priority)

    def vendor(self, priority: str) -> str | None:
        """Zendesk's value for a matrix priority; ``None`` when it has none (a configuration gap)."""
        found = self.values.get(priority)
        if found is None and priority.casefold() in ZENDESK_PRIORITIES:
            return priority.casefold()
        return found

    def matrix(self, vendor: str | None, tags: Sequence[str] = ()) -> str | None:
        """The matrix priority for Zendesk's value: the tagged one if it still matches, else the first
        one mapped to the value, else (no mapping configured) the value itself."""
        if vendor is None:
            return None
        if self.shared:
            tagged = next((self._by_tag[t] for t in tags if t in self._by_tag), None)
            if tagged is not None and self.values[tagged] == vendor:
                return tagged
        return self._reverse.get(vendor, None if self.values else vendor)


@dataclass(frozen=True, slots=True)
class ZendeskSettings:
    """Everything the adapter and the mapping need from one connection's config section."""

    base_url: str
    start: datetime | timedelta = timedelta(days=30)
    page_size: int = 1000
    impact: LevelField | None = None
    urgency: LevelField | None = None
    priority: PriorityMap = field(default_factory=PriorityMap)
    channels: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CHANNELS)
    pause_statuses: frozenset[str] = frozenset({"pending", "hold"})
    #: ``"requester.locale"`` or a ticket field id.
    language: str | int = "requester.locale"
    vip_tags: frozenset[str] = frozenset({"vip"})
    #: ``"type"`` or a ticket field id.
    category_field: str | int = "type"
    service_field: int | None = None
    custom_fields: Mapping[str, int] = field(default_factory=dict)
    bulk_threshold: int = 3
    job_timeout: float = 120.0
    #: The account's plan (``PLAN_LIMITS``), if configured: the request budget when ``rate_limit``
    #: sets none.
    plan: str | None = None

    @classmethod
    def from_settings(cls, data: Mapping[str, Any]) -> ZendeskSettings:
        """Build from a schema-valid settings mapping (HTTP settings are the base client's business)."""
        base = (
            str(data["base_url"]).rstrip("/")
            if data.get("base_url")
            else f"https://{data['subdomain']}.zendesk.com"
        )
        priority: Mapping[str, Any] = data.get("priority") or {}
        return cls(
            base_url=base,
            start=parse_start(str(data.get("start", "30d"))),
            page_size=int(data.get("page_size", 1000)),
            impact=LevelField.from_settings(data.get("impact")),
            urgency=LevelField.from_settings(data.get("urgency")),
            priority=PriorityMap(
                dict(priority.get("values") or {}),
                bool(priority.get("write", True)),
                str(priority.get("tag_prefix", "matrix_priority_")),
            ),
            channels=MappingProxyType({**DEFAULT_CHANNELS, **dict(data.get("channels") or {})}),
            pause_statuses=frozenset(data.get("pause_statuses", ("pending", "hold"))),
            language=data.get("language", "requester.locale"),
            vip_tags=frozenset(str(t).casefold() for t in data.get("vip_tags", ("vip",))),
            category_field=data.get("category_field", "type"),
            service_field=data.get("service_field"),
            custom_fields=dict(data.get("custom_fields") or {}),
            bulk_threshold=int(data.get("bulk_threshold", 3)),
            job_timeout=float(data.get("job_timeout", 120)),
            plan=data.get("plan"),
        )

    def http_settings(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The settings the HTTP base reads: the resolved base URL, and the plan's request budget
        unless ``rate_limit.per_minute`` sets one."""
        settings = {**data, "base_url": self.base_url}
        rate = dict(data.get("rate_limit") or {})
        if self.plan is not None and "per_minute" not in rate:
            settings["rate_limit"] = {**rate, "per_minute": PLAN_LIMITS[self.plan]}
        return settings

    def start_time(self, now: datetime) -> int:
        """The Unix time the first export starts at: a fixed instant, or ``now`` minus the duration.

        Never later than a minute before ``now``: Zendesk refuses a more recent ``start_time``.
        """
        start = self.start if isinstance(self.start, datetime) else now - self.start
        return int(min(start, now - timedelta(minutes=1)).timestamp())


def parse_start(text: str) -> datetime | timedelta:
    """``"30d"``/``"P7D"`` (a duration back from now) or an ISO 8601 time; ``ValueError`` otherwise."""
    try:
        return parse_duration(text)
    except ValueError:
        pass
    instant = parse_instant(text, "start", UTC)
    if instant is None:
        raise ValueError("field 'start': empty")
    return instant
