"""The forecast as a table for people, CSV for planners' tools, and JSON for scripts.

* **table**: per channel, how far to trust it (the backtest), then per day the expected arrivals,
  each scenario's arrivals and the staff it needs (agent-hours and the peak of rostered heads);
* **csv**: one row per interval and channel: expected arrivals, and per scenario arrivals, agents
  and rostered heads, ready for a WFM tool or a spreadsheet;
* **json**: everything, per interval (``matrixcore schema forecast`` prints its JSON Schema).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from datetime import date
from typing import IO, Any, Final

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._plan import ChannelForecast, Forecast

__all__ = ["FORMATS", "SUFFIXES", "daily_rows", "forecast_dict", "render_csv", "render_json", "render_table"]


def _pct(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.0%}"


def _num(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.2f}"


def daily_rows(channel: ChannelForecast) -> Iterator[dict[str, Any]]:
    """Per day of the forecast: expected arrivals, and per scenario arrivals, agent-hours and peak heads."""
    hours = channel.minutes / 60
    days: dict[date, list[int]] = {}
    for i in range(len(channel.expected)):
        days.setdefault(channel.slot_time(i).date(), []).append(i)
    for day, slots in days.items():
        row: dict[str, Any] = {"date": day.isoformat(), "expected": sum(channel.expected[i] for i in slots)}
        for name, volumes in channel.volumes.items():
            row[name] = {
                "arrivals": round(sum(volumes[i] for i in slots), 2),
                "agent_hours": sum(channel.agents[name][i] for i in slots) * hours,
                "peak_rostered": max(channel.rostered[name][i] for i in slots),
            }
        yield row


def _days_table(channel: ChannelForecast, forecast: Forecast) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("day", no_wrap=True)
    table.add_column("expect", justify="right", no_wrap=True)
    for scenario in forecast.scenarios:
        table.add_column(f"{scenario.name}\ntkt agt-h heads", justify="right", no_wrap=True)
    for row in daily_rows(channel):
        cells = [f"{date.fromisoformat(row['date']):%a %d-%m}", f"{row['expected']:.0f}"]
        for scenario in forecast.scenarios:
            part = row[scenario.name]
            cells.append(f"{part['arrivals']:>3.0f} {part['agent_hours']:>5.0f} {part['peak_rostered']:>5}")
        table.add_row(*cells)
    return table


def render_table(forecast: Forecast, out: IO[str]) -> None:
    console = Console(file=out, highlight=False, soft_wrap=False)
    console.print(f"[bold]matrixcore forecast[/bold] · {escape(forecast.source)}")
    names = ", ".join(f"{s.name} P{round(s.quantile * 100)}" for s in forecast.scenarios)
    console.print(
        f"from {forecast.start:%Y-%m-%d %H:%M} · {forecast.weeks} week{'s' if forecast.weeks != 1 else ''} "
        f"· {forecast.minutes}-minute intervals · scenarios: {escape(names)}",
        style="dim",
    )
    for channel in forecast.channels:
        console.print()
        cs = channel.settings
        console.print(
            f"[bold]{escape(channel.channel)}[/bold] ({cs.kind}, calendar {escape(cs.calendar)}) · "
            f"{channel.history.weeks} weeks of history · handle time {channel.aht:.1f} min "
            f"({escape(channel.aht_source)}) · staffing: {channel.method}"
        )
        if channel.note:
            console.print(f"  [yellow]{escape(channel.note)}[/yellow]")
        if channel.selection is not None and channel.selection.scores:
            chosen = channel.selection.model.name
            parts = [
                f"{'[bold]' if s.model == chosen else ''}{escape(s.model)} MASE {_num(s.mase)}"
                f"{'[/bold]' if s.model == chosen else ''}"
                for s in channel.selection.scores
            ]
            console.print("  backtest: " + " · ".join(parts), style="dim")
            score = channel.selection.score
            if score is not None:
                console.print(
                    f"  {escape(chosen)}: WAPE {_pct(score.wape)} per interval, "
                    f"{_pct(score.daily_wape)} per day; "
                    f"P10-P90 held {_pct(score.coverage)} of the actual counts ({score.origins} weeks)",
                    style="dim",
                )
        for effect in channel.events:
            measured = f", measured {effect.measured:+.0%}" if effect.measured is not None else ""
            console.print(
                f"  event {escape(effect.name)} {effect.start}..{effect.end}: expected {effect.expected:+.0%}"
                f"{measured}{' (ahead)' if effect.ahead else ''}",
                style="dim",
            )
        if not channel.expected:
            continue
        console.print(_days_table(channel, forecast))
    for group in forecast.classes():
        console.print()
        console.print(
            f"[bold]all {group.channel} channels[/bold] ({escape(group.note)}), each staffed on its own"
        )
        console.print(_days_table(group, forecast))
    console.print(
        "expect: the expected tickets; per scenario tkt: the tickets it dresses for, agt-h: agent-hours "
        "working, heads: the day's peak of rostered heads (agents / (1 - shrinkage)). "
        "The first scenario is the base roster, the others the flexible extra on top of it.",
        style="dim",
    )


def render_csv(forecast: Forecast, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    header = ["channel", "class", "start", "end", "open", "expected", "p10", "p90"]
    base = forecast.scenarios[0].name if forecast.scenarios else ""
    for scenario in forecast.scenarios:
        key = scenario.name.replace(" ", "_")
        header += [f"{key}_arrivals", f"{key}_agents", f"{key}_rostered"]
        if scenario.name != base:  # the flexible heads on top of the base roster
            header.append(f"{key}_extra")
    writer.writerow(header)
    for channel in forecast.channels:
        for i, expected in enumerate(channel.expected):
            start = channel.slot_time(i).replace(tzinfo=forecast.zone)
            end = channel.slot_time(i + 1).replace(tzinfo=forecast.zone)
            row: list[Any] = [
                channel.channel,
                channel.settings.kind,
                start.isoformat(),
                end.isoformat(),
                int(channel.open[i]),
                f"{expected:.3f}",
                channel.band[0][i],
                channel.band[1][i],
            ]
            for scenario in forecast.scenarios:
                row += [
                    f"{channel.volumes[scenario.name][i]:.2f}",
                    channel.agents[scenario.name][i],
                    channel.rostered[scenario.name][i],
                ]
                if scenario.name != base:
                    row.append(max(0, channel.rostered[scenario.name][i] - channel.rostered[base][i]))
            writer.writerow(row)


def _channel_dict(channel: ChannelForecast, forecast: Forecast) -> dict[str, Any]:
    cs = channel.settings
    selection = channel.selection
    history = channel.history
    return {
        "channel": channel.channel,
        "class": cs.kind,
        "calendar": cs.calendar,
        "note": channel.note or None,
        "history": {
            "start": history.start.replace(tzinfo=forecast.zone).isoformat(),
            "weeks": history.weeks,
            "arrivals": round(sum(history.values)),
            "values": [round(v) for v in history.values],
        },
        "model": selection.model.name if selection else None,
        "dispersion": round(selection.dispersion, 5) if selection else None,
        "backtest": [s.as_dict() for s in selection.scores] if selection else [],
        "staffing": {
            "method": channel.method,
            "handle_minutes": round(channel.aht, 3),
            "handle_source": channel.aht_source,
            "service_level": cs.service_level if cs.kind == "real-time" else None,
            "answer_in_minutes": round(cs.answer_in, 4) if cs.kind == "real-time" else None,
            "response_minutes": cs.response if cs.kind != "real-time" else None,
            "target_source": cs.target_source,
            "max_occupancy": cs.max_occupancy,
            "shrinkage": cs.shrinkage,
            "patience_minutes": cs.patience,
        },
        "holiday_factor": None if channel.holiday_factor is None else round(channel.holiday_factor, 4),
        "events": [
            {
                "name": e.name,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "expected": e.expected,
                "measured": None if e.measured is None else round(e.measured, 4),
                "ahead": e.ahead,
            }
            for e in channel.events
        ],
        "days": list(daily_rows(channel)),
        "intervals": [
            {
                "start": channel.slot_time(i).replace(tzinfo=forecast.zone).isoformat(),
                "open": channel.open[i],
                "expected": round(channel.expected[i], 4),
                "p10": channel.band[0][i],
                "p90": channel.band[1][i],
                "scenarios": {
                    name: {
                        "arrivals": channel.volumes[name][i],
                        "agents": channel.agents[name][i],
                        "rostered": channel.rostered[name][i],
                    }
                    for name in channel.volumes
                },
            }
            for i in range(len(channel.expected))
        ],
    }


def forecast_dict(forecast: Forecast) -> dict[str, Any]:
    """The JSON document (``matrixcore schema forecast``)."""
    from matrixcore import __version__

    return {
        "version": __version__,
        "generated_at": forecast.generated_at.isoformat(),
        "source": forecast.source,
        "start": forecast.start.isoformat(),
        "interval_minutes": forecast.minutes,
        "weeks": forecast.weeks,
        "models": list(forecast.models),
        "scenarios": [{"name": s.name, "quantile": s.quantile} for s in forecast.scenarios],
        "channels": [_channel_dict(c, forecast) for c in forecast.channels],
        "classes": [
            {"class": group.channel, "channels": group.note.split(", "), "days": list(daily_rows(group))}
            for group in forecast.classes()
        ],
    }


def render_json(forecast: Forecast, out: IO[str]) -> None:
    json.dump(forecast_dict(forecast), out, indent=1)
    out.write("\n")


FORMATS: Final = {"table": render_table, "csv": render_csv, "json": render_json}
SUFFIXES: Final = {".csv": "csv", ".json": "json", ".html": "html", ".htm": "html", ".txt": "table"}
