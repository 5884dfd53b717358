"""The config's ``forecast`` section, read once into typed settings with every default said.

Per channel: the handle time (configured, else measured from the tickets where the export has it,
else a default, and the output says which), the service promise (real-time: X% answered within T,
the channel's pickup target as T; right-time: the response target), occupancy, shrinkage, an
optional mean patience (Erlang A) and the opening backlog of right-time work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from matrixcore._durations import parse_duration
from matrixcore._ruleset import Ruleset

from ._history import INTERVALS
from ._scenarios import Scenario, scenarios_from_config

__all__ = ["ChannelSettings", "Event", "ForecastSettings", "channel_settings", "read_settings"]

DEFAULT_AHT_MINUTES: Final = 10.0
DEFAULT_ANSWER_IN_MINUTES: Final = 20 / 60
DEFAULT_RESPONSE_MINUTES: Final = 8 * 60.0


def _minutes(value: Any) -> float:
    return parse_duration(value).total_seconds() / 60


def _effect(value: Any) -> float:
    """``0.3``, ``"+30%"`` or ``"-10%"`` -> a relative change."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text)


@dataclass(frozen=True, slots=True)
class Event:
    """A known event (a release, a campaign, an outage) and its expected effect on arrivals."""

    name: str
    start: date
    end: date
    #: Lower-cased channel names it touches; empty: every channel.
    channels: frozenset[str]
    effect: float

    def touches(self, channel: str, day: date) -> bool:
        return self.start <= day <= self.end and (not self.channels or channel.lower() in self.channels)


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    kind: str
    calendar: str
    aht: float | None
    service_level: float
    answer_in: float
    max_occupancy: float
    shrinkage: float
    patience: float | None
    response: float
    backlog: float
    #: Where ``answer_in``/``response`` came from, said in the output.
    target_source: str


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    minutes: int = 60
    weeks: int = 4
    history_weeks: int = 52
    scenarios: tuple[Scenario, ...] = ()
    events: tuple[Event, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def read_settings(
    section: Mapping[str, Any], weeks: int | None = None, interval: str | None = None
) -> ForecastSettings:
    """Settings from the config's ``forecast`` section (already schema-checked), options winning."""
    minutes = INTERVALS[interval or str(section.get("interval", "60m"))]
    events = tuple(
        Event(
            str(e.get("name", "event")),
            date.fromisoformat(str(e["start"])),
            date.fromisoformat(str(e.get("end", e["start"]))),
            frozenset(str(c).lower() for c in e.get("channels", ())),
            _effect(e.get("effect", 0)),
        )
        for e in section.get("events", ())
    )
    return ForecastSettings(
        minutes=minutes,
        weeks=int(weeks or section.get("weeks", 4)),
        history_weeks=int(section.get("history_weeks", 52)),
        scenarios=scenarios_from_config(section.get("scenarios")),
        events=events,
        defaults=dict(section.get("defaults") or {}),
        channels={str(k).lower(): dict(v) for k, v in (section.get("channels") or {}).items()},
    )


def default_calendar(ruleset: Ruleset) -> str:
    data = ruleset.document.data if ruleset.document is not None else None
    named = data.get("default_calendar") if isinstance(data, Mapping) else None
    if isinstance(named, str) and named in ruleset.calendars:
        return named
    return next(iter(ruleset.calendars))


def channel_settings(ruleset: Ruleset, settings: ForecastSettings, name: str) -> ChannelSettings:
    """One channel's staffing settings: its own section over ``defaults`` over the ruleset's channel."""
    channel = ruleset.channel(name)
    own = {**settings.defaults, **settings.channels.get(name.lower(), {})}
    kind = str(own.get("class") or (channel.kind if channel else "right-time"))
    pickup = channel.pickup if channel else None
    calendar = str(own.get("calendar") or (pickup.calendar if pickup else default_calendar(ruleset)))
    if kind == "real-time":
        key, default = "answer_in", DEFAULT_ANSWER_IN_MINUTES
    else:
        key, default = "response", DEFAULT_RESPONSE_MINUTES
    if key in own:
        target, source = _minutes(own[key]), "configured"
    elif pickup is not None:
        target, source = pickup.within.total_seconds() / 60, "the channel's pickup target"
    else:
        target, source = default, "default"
    return ChannelSettings(
        kind=kind,
        calendar=calendar,
        aht=_minutes(own["aht"]) if "aht" in own else None,
        service_level=float(own.get("service_level", 0.8)),
        answer_in=target if kind == "real-time" else DEFAULT_ANSWER_IN_MINUTES,
        max_occupancy=float(own.get("max_occupancy", 0.85)),
        shrinkage=float(own.get("shrinkage", 0.3)),
        patience=_minutes(own["patience"]) if "patience" in own else None,
        response=target if kind != "real-time" else DEFAULT_RESPONSE_MINUTES,
        backlog=float(own.get("backlog", 0)),
        target_source=source,
    )
