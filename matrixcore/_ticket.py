"""The normalised ticket every adapter produces and every rule reads.

Adapters map vendor fields in and out of this shape; the engine never sees a vendor payload except
through ``raw``. The record is frozen so a decision can never be computed from a ticket that changed
half-way, and slotted so rule evaluation reads attributes at C speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "CORE_FIELDS",
    "EMPTY_MAPPING",
    "REQUESTER_FIELDS",
    "Requester",
    "Ticket",
    "field_type",
    "parse_instant",
]

#: A shared read-only empty mapping, so default ``custom``/``raw`` cost nothing per ticket.
EMPTY_MAPPING: Final[Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked: the person every promise and message is addressed to."""

    name: str = ""
    #: E-mail address or social handle.
    address: str = ""
    #: BCP 47 language tag as the tool has it ("nl", "en-GB", "nl_NL"); empty when unknown.
    language: str = ""
    vip: bool = False
    #: IANA time zone for dates in messages; empty means the calendar's zone.
    timezone: str = ""


_NO_REQUESTER: Final = Requester()


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as matrixcore sees it, whatever tool it came from.

    ``impact``, ``urgency`` and ``priority`` are the values the tool has *now*, already mapped by the
    adapter to the ruleset's level and priority names (``None`` when unset or unmappable).
    ``first_response`` is when an agent picked the ticket up (TOPdesk ``responseDate``, the first
    public agent comment in Zendesk); ``None`` while nobody has.
    ``paused_seconds`` is wall-clock time the ticket already spent paused (on hold) before its current
    state; the current pause, if any, is read from ``status`` and ``paused_since``.
    """

    source: str
    id: str
    created: datetime
    number: str = ""
    subject: str = ""
    description: str = ""
    channel: str = ""
    requester: Requester = _NO_REQUESTER
    category: str = ""
    subcategory: str = ""
    service: str = ""
    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    status: str = ""
    updated: datetime | None = None
    first_response: datetime | None = None
    resolved: datetime | None = None
    paused_since: datetime | None = None
    paused_seconds: float = 0.0
    custom: Mapping[str, Any] = field(default_factory=lambda: EMPTY_MAPPING)
    raw: Mapping[str, Any] = field(default_factory=lambda: EMPTY_MAPPING, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.created.tzinfo is None:
            raise ValueError(f"ticket {self.id}: 'created' must be timezone-aware, got {self.created!r}")

    @property
    def key(self) -> str:
        """A ticket's identity across adapters: ``source:id``."""
        return f"{self.source}:{self.id}"

    def evolve(self, **changes: Any) -> Ticket:
        """A copy with some fields changed (tickets are frozen).

        ``dataclasses.replace`` re-runs ``__init__`` for every field (the report evolves every
        ticket it replays, so a few times slower per call adds up); only a new ``created`` needs
        the check, so other changes copy the slots directly.
        """
        if "created" in changes or not changes.keys() <= _FIELD_NAMES:
            return replace(self, **changes)  # checked (and unknown names refused) as at creation
        copy = object.__new__(type(self))
        for name in _FIELD_NAMES_IN_ORDER:
            object.__setattr__(copy, name, changes[name] if name in changes else getattr(self, name))
        return copy

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "", default_tz: tzinfo = UTC) -> Ticket:
        """Build a ticket from plain data (JSON, YAML, an export row): ISO dates, nested requester.

        Naive times are taken in ``default_tz``. Unknown keys go to ``custom`` so nothing is lost.
        Raises ``ValueError`` naming the field when a value cannot be used.
        """
        values: dict[str, Any] = {"source": str(data.get("source") or source or "file")}
        custom: dict[str, Any] = dict(data.get("custom") or {})
        for key, value in data.items():
            if key in ("source", "custom", "raw"):
                continue
            if key == "requester":
                values["requester"] = _requester(value)
            elif key in _DATETIME_FIELDS:
                values[key] = parse_instant(value, key, default_tz)
            elif key == "paused_seconds":
                values[key] = float(value or 0)
            elif key in ("impact", "urgency", "priority"):
                values[key] = None if value in (None, "") else str(value)
            elif key in CORE_FIELDS:
                values[key] = "" if value is None else str(value)
            else:
                custom[key] = value
        if "id" not in values or not values["id"]:
            raise ValueError("field 'id': missing")
        if values.get("created") is None:
            raise ValueError("field 'created': missing")
        return cls(
            **values,
            custom=MappingProxyType(custom) if custom else EMPTY_MAPPING,
            raw=MappingProxyType(dict(data.get("raw") or {})) if data.get("raw") else EMPTY_MAPPING,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``Ticket.from_dict(t.to_dict()) == t``."""
        out: dict[str, Any] = {}
        for name in CORE_FIELDS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        out["requester"] = {f: getattr(self.requester, f) for f in REQUESTER_FIELDS}
        out["custom"] = dict(self.custom)
        return out

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted field path, as rules address it.

        ``subject``, ``requester.language``, ``custom.affected_users``; a bare name that is not a core
        field is looked up in ``custom`` (so rules may say ``affected_users``).
        """
        head, _, rest = path.partition(".")
        if head in CORE_FIELDS:
            value: Any = getattr(self, head)
        elif head == "requester" and rest:
            return getattr(self.requester, rest, default) if rest in REQUESTER_FIELDS else default
        else:
            value = self.custom.get(path if head != "custom" else rest, _MISSING)
            return default if value is _MISSING else value
        if not rest:
            return value
        if isinstance(value, Mapping):
            return value.get(rest, default)
        return default


_MISSING: Final = object()
_DATETIME_FIELDS: Final = frozenset({"created", "updated", "first_response", "resolved", "paused_since"})


def parse_instant(value: Any, name: str = "time", default_tz: tzinfo = UTC) -> datetime | None:
    """An aware datetime from ISO text (``Z``, ``+0000`` and ``+00:00`` all accepted) or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    else:
        try:
            instant = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"field {name!r}: not an ISO 8601 time: {value!r}") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=default_tz)


def _requester(value: Any) -> Requester:
    if isinstance(value, Requester):
        return value
    if isinstance(value, str):
        return Requester(name=value)
    if not isinstance(value, Mapping):
        return _NO_REQUESTER
    vip = value.get("vip", False)
    if isinstance(vip, str):
        vip = vip.strip().lower() in ("1", "true", "yes", "y", "ja", "j")
    return Requester(
        name=str(value.get("name") or ""),
        address=str(value.get("address") or value.get("email") or ""),
        language=str(value.get("language") or ""),
        vip=bool(vip),
        timezone=str(value.get("timezone") or ""),
    )


#: Ticket fields a rule can name directly, with their declared type names (used by the compiler to
#: specialise comparisons and by ``matrixcore check`` to reject unknown fields).
CORE_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {f.name: str(f.type) for f in fields(Ticket) if f.name not in ("requester", "custom", "raw")}
)
REQUESTER_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {f.name: str(f.type) for f in fields(Requester)}
)


def field_type(path: str) -> str | None:
    """Declared type of a core field path (``"str"``, ``"datetime | None"``…), ``None`` for custom fields."""
    head, _, rest = path.partition(".")
    if head == "requester":
        return REQUESTER_FIELDS.get(rest)
    if rest:
        return None
    return CORE_FIELDS.get(head)


#: The ticket's fields, for ``Ticket.evolve``.
_FIELD_NAMES_IN_ORDER: Final = tuple(f.name for f in fields(Ticket))
_FIELD_NAMES: Final = frozenset(_FIELD_NAMES_IN_ORDER)
