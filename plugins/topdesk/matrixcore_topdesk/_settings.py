"""A TOPdesk connection's settings: the schema, and the mapping part as typed values.

The connection section is matrixcore's common HTTP settings (``base_url``, ``auth``, ``timeout``,
``retry``, ``rate_limit``, ``ca_bundle``: read by the HTTP base) plus TOPdesk's own (``page_size``,
``write``, ``mappings``: read here). The JSON Schema has already rejected wrong shapes with file and
line; this module turns the plain data into records the mapping and the adapter use without
re-checking, and supplies the defaults the schema documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from matrixcore import EXPORT_PRESETS, SECRET_SCHEMA, ConnectionConfig, http_settings_schema

__all__ = ["DEFAULT_CHANNELS", "LevelMap", "TopdeskSettings", "api_root", "connection_schema"]

DIMENSIONS: Final = ("impact", "urgency", "priority")

#: TOPdesk's usual entry types ("Aanmeldingswijze") in Dutch and English -> matrixcore channels.
#: Entry types are a search list each desk names itself, so the config's ``mappings.channels`` wins.
#: The same table reads TOPdesk exports in ``matrixcore report`` (its ``topdesk`` preset).
DEFAULT_CHANNELS: Final[Mapping[str, str]] = EXPORT_PRESETS["topdesk"].channels


@cache
def connection_schema() -> dict[str, Any]:
    """The JSON Schema of a TOPdesk connection section: the common HTTP settings, Basic auth only,
    and TOPdesk's own (``connection.schema.json`` beside this module)."""
    text = resources.files(__package__).joinpath("connection.schema.json").read_text(encoding="utf-8")
    own = json.loads(text)
    schema = http_settings_schema(
        own["properties"],
        title="TOPdesk connection",
        description="Where TOPdesk is, as whom to log in, how fast to go, how its values map to the rules.",
    )
    password = schema["properties"]["auth"]["properties"]["password"]
    password.update({**SECRET_SCHEMA, "description": password["description"]})
    schema["properties"]["base_url"] = {
        "type": "string",
        "pattern": "^https?://[^/?#]+(/[^?#]*)?$",
        "description": "The TOPdesk address, e.g. https://yourcompany.topdesk.net (API under /tas/api).",
    }
    schema["$defs"] = own["$defs"]
    return schema


def api_root(base_url: str) -> str:
    """``https://host/tas/api/`` from the TOPdesk address, with or without the API path given."""
    root = base_url.rstrip("/")
    if not root.endswith("/tas/api"):
        root += "/tas/api"
    return root + "/"


@dataclass(frozen=True, slots=True)
class LevelMap:
    """Ruleset level names <-> TOPdesk lookup names for one dimension, matched without regard to case.

    A level may have several TOPdesk names: the first is written, all are read as that level, so a
    desk that renamed "Persoon" to "Eén persoon" can map both while old incidents still carry the old.
    """

    #: level -> TOPdesk name written for it.
    to_vendor: Mapping[str, str] = field(default_factory=dict)
    #: casefolded TOPdesk name -> level.
    from_vendor: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> LevelMap:
        to_vendor: dict[str, str] = {}
        from_vendor: dict[str, str] = {}
        for level, names in (raw or {}).items():
            listed = [names] if isinstance(names, str) else list(names)
            to_vendor[str(level)] = str(listed[0])
            for name in listed:
                from_vendor.setdefault(str(name).casefold(), str(level))
        return cls(MappingProxyType(to_vendor), MappingProxyType(from_vendor))

    def level(self, vendor_name: str | None) -> str | None:
        """The ruleset level for a TOPdesk name; ``None`` when unset or not mapped."""
        return self.from_vendor.get(vendor_name.casefold()) if vendor_name else None

    def vendor(self, level: str) -> str | None:
        return self.to_vendor.get(level)

    def __bool__(self) -> bool:
        return bool(self.to_vendor)


def _casefolded(items: Iterable[tuple[str, str]]) -> Mapping[str, str]:
    return MappingProxyType({k.casefold(): v for k, v in items})


@dataclass(frozen=True, slots=True)
class TopdeskSettings:
    """Everything the TOPdesk adapter reads from its config section."""

    name: str
    page_size: int = 200
    write: frozenset[str] = frozenset(DIMENSIONS)
    levels: Mapping[str, LevelMap] = field(default_factory=dict)
    #: casefolded entry type name -> channel.
    channels: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CHANNELS)
    #: casefolded processing status names that pause the clock.
    pause_statuses: frozenset[str] = frozenset()
    language_field: str | None = None
    default_language: str = ""
    vip_field: str | None = None
    #: custom ticket field name -> dotted incident path.
    fields: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_connection(cls, connection: ConnectionConfig) -> TopdeskSettings:
        return cls.from_mapping(connection.settings, name=connection.name)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, name: str = "topdesk") -> TopdeskSettings:
        """The TOPdesk part of a schema-valid section (the HTTP settings are the base's)."""
        mappings: Mapping[str, Any] = data.get("mappings") or {}
        return cls(
            name=name,
            page_size=int(data.get("page_size", 200)),
            write=frozenset(data.get("write", DIMENSIONS)),
            levels=MappingProxyType({d: LevelMap.from_config(mappings.get(d)) for d in DIMENSIONS}),
            channels=_casefolded(
                [
                    *DEFAULT_CHANNELS.items(),
                    *((k, str(v)) for k, v in (mappings.get("channels") or {}).items()),
                ]
            ),
            pause_statuses=frozenset(str(s).casefold() for s in mappings.get("pause_statuses") or ()),
            language_field=mappings.get("language_field"),
            default_language=str(mappings.get("default_language") or ""),
            vip_field=mappings.get("vip_field"),
            fields=MappingProxyType({str(k): str(v) for k, v in (mappings.get("fields") or {}).items()}),
        )

    def level_map(self, dimension: str) -> LevelMap:
        return self.levels.get(dimension) or LevelMap()
