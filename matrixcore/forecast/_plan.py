"""From arrival counts to a forecast and a staffing plan per channel: the pieces put together.

Per channel: its whole weeks of history; holidays and marked events in it replaced by a normal
week's value (and their measured effect kept); every model backtested and the best one used; the
expected arrivals for the weeks ahead, with holidays and known events applied; the scenarios'
counts from the calibrated spread; and per scenario the agents each interval needs (Erlang C or A
for real-time channels, the deadline model for right-time ones), on the channel's business hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from matrixcore._calendar import BusinessCalendar
from matrixcore._ruleset import Ruleset

from ._backtest import Selection, backtest
from ._history import ArrivalCounter, ArrivalSeries, slot_of, slot_start
from ._models import ForecastModel
from ._scenarios import INTERVAL, Scenario, nb_quantile
from ._settings import DEFAULT_AHT_MINUTES, ChannelSettings, Event, ForecastSettings, channel_settings
from ._staffing import deadline_plan, erlang_a_agents, erlang_c_agents, rostered

__all__ = ["ChannelForecast", "EventEffect", "Forecast", "build_forecast"]


@dataclass(frozen=True, slots=True)
class EventEffect:
    """A configured event: its expected effect and, where it lies in the history, the measured one."""

    name: str
    start: date
    end: date
    expected: float
    measured: float | None
    ahead: bool


@dataclass(frozen=True, slots=True)
class ChannelForecast:
    channel: str
    settings: ChannelSettings
    history: ArrivalSeries
    selection: Selection | None
    start_slot: int
    minutes: int
    expected: tuple[float, ...]
    #: P10 and P90 of each interval's arrivals (the fan chart's band; 80% of counts fall inside).
    band: tuple[tuple[int, ...], tuple[int, ...]]
    #: Per scenario name: the arrivals per interval it dresses for (a day at the scenario's quantile).
    volumes: dict[str, tuple[float, ...]]
    #: Per scenario name: agents working per interval, and the rostered heads (shrinkage added).
    agents: dict[str, tuple[int, ...]]
    rostered: dict[str, tuple[int, ...]]
    open: tuple[bool, ...]
    aht: float
    aht_source: str
    method: str
    holiday_factor: float | None
    events: tuple[EventEffect, ...]
    note: str = ""

    def slot_time(self, i: int) -> datetime:
        """The naive local start of forecast interval ``i``."""
        return slot_start(self.start_slot + i, self.minutes)


@dataclass(frozen=True, slots=True)
class Forecast:
    """The whole forecast: per channel the expected arrivals, the scenarios and the staffing plan."""

    generated_at: datetime
    #: Where the history ends and the forecast begins.
    start: datetime
    zone: tzinfo
    minutes: int
    weeks: int
    scenarios: tuple[Scenario, ...]
    source: str
    models: tuple[str, ...]
    channels: tuple[ChannelForecast, ...]

    def channel(self, name: str) -> ChannelForecast | None:
        return next((c for c in self.channels if c.channel.lower() == name.lower()), None)

    def classes(self) -> list[ChannelForecast]:
        """Per channel class (real-time, right-time) the channels with a forecast added up, interval by
        interval: arrivals, each scenario's volumes, agents and rostered heads (each channel staffed on
        its own, as its queue or backlog is its own). ``note`` names the channels."""
        out = []
        for kind in ("real-time", "right-time"):
            members = [c for c in self.channels if c.expected and c.settings.kind == kind]
            if not members:
                continue

            def total(rows: list[Sequence[float]]) -> tuple[float, ...]:
                return tuple(sum(column) for column in zip(*rows, strict=True))

            def heads(rows: list[Sequence[int]]) -> tuple[int, ...]:
                return tuple(sum(column) for column in zip(*rows, strict=True))

            first = members[0]
            names = [s.name for s in self.scenarios]
            out.append(
                replace(
                    first,
                    channel=kind,
                    selection=None,
                    expected=total([c.expected for c in members]),
                    band=((), ()),
                    volumes={n: total([c.volumes[n] for c in members]) for n in names},
                    agents={n: heads([c.agents[n] for c in members]) for n in names},
                    rostered={n: heads([c.rostered[n] for c in members]) for n in names},
                    open=tuple(any(column) for column in zip(*(c.open for c in members), strict=True)),
                    events=(),
                    note=", ".join(c.channel for c in members),
                )
            )
        return out

    def expected_arrivals(
        self, channel: str, t0: datetime, t1: datetime
    ) -> list[tuple[datetime, datetime, float]]:
        """Expected arrivals per interval for ``channel`` (or a class: ``real-time``, ``right-time``,
        or ``all``) between ``t0`` and ``t1`` (aware), as ``(start, end, expected)``; an interval only
        partly inside counts pro rata. Intervals outside the forecast are left out."""
        if t0.tzinfo is None or t1.tzinfo is None:
            raise ValueError("t0 and t1 must be timezone-aware")
        wanted = channel.lower()
        members = [
            c
            for c in self.channels
            if c.expected and (c.channel.lower() == wanted or wanted in ("all", c.settings.kind))
        ]
        if not members:
            return []
        first = members[0].start_slot
        size = timedelta(minutes=self.minutes)
        out: list[tuple[datetime, datetime, float]] = []
        lo = slot_of(t0, self.minutes, self.zone) - first
        hi = slot_of(t1 - timedelta(microseconds=1), self.minutes, self.zone) - first
        for i in range(max(0, lo), min(len(members[0].expected), hi + 1)):
            start = slot_start(first + i, self.minutes).replace(tzinfo=self.zone)
            end = start + size
            share = (min(end, t1) - max(start, t0)) / size
            out.append((start, end, share * sum(c.expected[i] for c in members)))
        return out


def _clean(
    series: ArrivalSeries, calendar: BusinessCalendar, events: Sequence[Event]
) -> tuple[ArrivalSeries, float | None, list[EventEffect]]:
    """Holidays and marked events replaced by the same slot's mean over the other weeks."""
    per_week = series.per_week
    days = series.days()
    values = list(series.values)
    holiday = [calendar.is_closed_day(d) for d in days]
    marked = [any(e.touches(series.channel, d) for e in events) for d in days]
    expected = list(values)
    for i, value in enumerate(values):
        if holiday[i] or marked[i]:
            others = [
                values[j] for j in range(i % per_week, len(values), per_week) if not (holiday[j] or marked[j])
            ]
            expected[i] = sum(others) / len(others) if others else value
    factor = None
    hol_actual = sum(v for v, h in zip(values, holiday, strict=True) if h)
    hol_normal = sum(e for e, h in zip(expected, holiday, strict=True) if h)
    if any(holiday) and hol_normal > 0:
        factor = hol_actual / hol_normal
    effects: list[EventEffect] = []
    for event in events:
        inside = [i for i, d in enumerate(days) if event.touches(series.channel, d)]
        normal = sum(expected[i] for i in inside)
        measured = sum(values[i] for i in inside) / normal - 1 if inside and normal > 0 else None
        if inside:
            effects.append(EventEffect(event.name, event.start, event.end, event.effect, measured, False))
    cleaned = ArrivalSeries(series.channel, series.minutes, series.first_slot, tuple(expected))
    return cleaned, factor, effects


def _handle_time(counter: ArrivalCounter, channel: str, configured: float | None) -> tuple[float, str]:
    if configured is not None:
        return configured, "configured"
    total, n = counter.handle.get(channel, (0.0, 0))
    if n:
        return total / n, f"measured from {n:,} tickets"
    return DEFAULT_AHT_MINUTES, "default (not configured; the source has no handle times)"


def _band(expected: Sequence[float], dispersion: float) -> tuple[tuple[int, ...], tuple[int, ...]]:
    cache: dict[float, tuple[int, int]] = {}
    low, high = [], []
    for mu in expected:
        key = round(mu, 9)
        if key not in cache:
            cache[key] = (nb_quantile(mu, dispersion, INTERVAL[0]), nb_quantile(mu, dispersion, INTERVAL[1]))
        low.append(cache[key][0])
        high.append(cache[key][1])
    return tuple(low), tuple(high)


def _weather(
    expected: Sequence[float], first_slot: int, minutes: int, day_dispersion: float, quantile: float
) -> list[float]:
    """Each interval's arrivals on a day whose total lands at ``quantile``: the expected arrivals
    scaled by that day's quantile over its mean. A scenario is a day's weather, not every hour's
    worst case at once (which would add up to a week no desk ever sees)."""
    per_day = 24 * 60 // minutes
    out = [round(x, 2) for x in expected]
    start = 0
    while start < len(out):
        stop = min(len(out), start + per_day - (first_slot + start) % per_day)
        total = sum(expected[start:stop])
        if total > 0:
            factor = nb_quantile(total, day_dispersion, quantile) / total
            for i in range(start, stop):
                out[i] = round(expected[i] * factor, 2)
        start = stop
    return out


def _staff(
    volumes: Sequence[float], is_open: Sequence[bool], cs: ChannelSettings, aht: float, minutes: int
) -> tuple[list[int], str]:
    """Agents per interval for one scenario's volumes; closed intervals' work goes to the next open one."""
    n = len(volumes)
    plan = [0] * n
    carried = 0.0
    opened: list[int] = []
    load: list[float] = []
    for i in range(n):
        if is_open[i]:
            opened.append(i)
            load.append(volumes[i] + carried)
            carried = 0.0
        else:
            carried += volumes[i]
    if cs.kind == "real-time":
        cache: dict[float, int] = {}
        for i, volume in zip(opened, load, strict=True):
            if volume not in cache:
                if cs.patience is not None:
                    result = erlang_a_agents(
                        volume, minutes, aht, cs.answer_in, cs.service_level, cs.patience, cs.max_occupancy
                    )
                else:
                    result = erlang_c_agents(
                        volume, minutes, aht, cs.answer_in, cs.service_level, cs.max_occupancy
                    )
                cache[volume] = result.agents
            plan[i] = cache[volume]
        return plan, "erlang-a" if cs.patience is not None else "erlang-c"
    work = [v * aht for v in load]
    agents = deadline_plan(work, minutes, cs.response, cs.max_occupancy, cs.backlog * aht)
    for i, count in zip(opened, agents, strict=True):
        plan[i] = count
    return plan, "deadline"


def build_forecast(
    counter: ArrivalCounter,
    ruleset: Ruleset,
    settings: ForecastSettings,
    models: Sequence[ForecastModel],
    *,
    end: datetime | None = None,
    source: str = "",
    generated_at: datetime | None = None,
) -> Forecast:
    """Forecast every channel of ``counter`` from its history up to ``end`` (default: the end of the
    interval of the last arrival), ``settings.weeks`` weeks ahead, with staffing per scenario."""
    minutes, zone = counter.minutes, counter.zone
    last = counter.last_slot()
    end_slot = slot_of(end, minutes, zone) if end is not None else (last + 1 if last is not None else 0)
    all_series = counter.series(end_slot, settings.history_weeks)
    per_week = 7 * 24 * 60 // minutes
    horizon = settings.weeks * per_week
    channels = []
    for name, series in all_series.items():
        cs = channel_settings(ruleset, settings, name)
        calendar = ruleset.calendars[cs.calendar]
        aht, aht_source = _handle_time(counter, name, cs.aht)
        if series.weeks == 0:
            channels.append(
                ChannelForecast(
                    name,
                    cs,
                    series,
                    None,
                    end_slot,
                    minutes,
                    (),
                    ((), ()),
                    {},
                    {},
                    {},
                    (),
                    aht,
                    aht_source,
                    "none",
                    None,
                    (),
                    "no whole week of history yet: no forecast",
                )
            )
            continue
        cleaned, factor, effects = _clean(series, calendar, settings.events)
        selection = backtest(cleaned, models)
        expected = [max(0.0, float(x)) for x in selection.model.predict(cleaned, horizon)]
        days = [slot_start(end_slot + i, minutes).date() for i in range(horizon)]
        _holidays_ahead(expected, end_slot, minutes, calendar, factor)
        for event in settings.events:
            touched = [i for i, d in enumerate(days) if event.touches(name, d)]
            for i in touched:
                expected[i] *= 1 + event.effect
            if touched:
                effects.append(EventEffect(event.name, event.start, event.end, event.effect, None, True))
        is_open = tuple(
            calendar.is_open(
                slot_start(end_slot + i, minutes).replace(tzinfo=zone) + timedelta(minutes=minutes / 2)
            )
            for i in range(horizon)
        )
        volumes: dict[str, tuple[float, ...]] = {}
        agents: dict[str, tuple[int, ...]] = {}
        heads: dict[str, tuple[int, ...]] = {}
        method = "none"
        band = _band(expected, selection.dispersion)
        for scenario in settings.scenarios:
            counts = _weather(expected, end_slot, minutes, selection.day_dispersion, scenario.quantile)
            plan, method = _staff(counts, is_open, cs, aht, minutes)
            volumes[scenario.name] = tuple(counts)
            agents[scenario.name] = tuple(plan)
            heads[scenario.name] = tuple(rostered(a, cs.shrinkage) for a in plan)
        channels.append(
            ChannelForecast(
                name,
                cs,
                series,
                selection,
                end_slot,
                minutes,
                tuple(expected),
                band,
                volumes,
                agents,
                heads,
                is_open,
                aht,
                aht_source,
                method,
                factor,
                tuple(effects),
                selection.note,
            )
        )
    return Forecast(
        generated_at=generated_at or datetime.now(zone),
        start=slot_start(end_slot, minutes).replace(tzinfo=zone),
        zone=zone,
        minutes=minutes,
        weeks=settings.weeks,
        scenarios=settings.scenarios,
        source=source,
        models=tuple(m.name for m in models),
        channels=tuple(channels),
    )


def _holidays_ahead(
    expected: list[float], first_slot: int, minutes: int, calendar: BusinessCalendar, factor: float | None
) -> None:
    """Scale the forecast on holidays ahead: by the history's measured holiday effect, else like the
    quietest day of the week."""
    per_day = 24 * 60 // minutes
    per_week = 7 * per_day
    totals = [0.0] * 7
    for i, value in enumerate(expected[:per_week]):
        totals[((first_slot + i) % per_week) // per_day] += value
    quietest = min(totals)
    closed: dict[date, bool] = {}
    for i in range(len(expected)):
        day = slot_start(first_slot + i, minutes).date()
        if day not in closed:
            closed[day] = calendar.is_closed_day(day)
        if closed[day]:
            if factor is not None:
                expected[i] *= factor
            else:
                total = totals[((first_slot + i) % per_week) // per_day]
                expected[i] *= quietest / total if total else 1.0
    if not math.isfinite(sum(expected)):
        raise ValueError("a forecast model returned a value that is not a number")
