"""``matrixcore forecast --format html``: one self-contained page for the planners' meeting.

As the report's page: no script, font, stylesheet or image from anywhere, inline SVG charts and a
Content-Security-Policy that forbids fetching anything. Per channel: how far to trust it (the
backtest), a fan chart of the forecast (the expected line, the P10-P90 band and the scenarios) over
the last weeks of history, and a day x hour heatmap of the rostered heads the base scenario needs,
with each scenario's extra in the cell's tooltip.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape
from typing import IO, Final

from ._plan import ChannelForecast, Forecast
from ._render import daily_rows

__all__ = ["render_html"]

_TEAL: Final = (0, 121, 107)
_HISTORY: Final = "#59636e"
_BAND: Final = "#b2dfdb"
_SCENARIO_COLOURS: Final = ("#f9a825", "#5c6bc0", "#c62828", "#6d4c41", "#00838f")
_HISTORY_WEEKS: Final = 2
_HEATMAP_DAYS: Final = 14
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_CSS: Final = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header{padding:24px 32px 8px;border-bottom:1px solid var(--line);background:var(--bg)}
h1{margin:0 0 4px;font-size:26px}
h2{margin:32px 0 8px;font-size:20px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{margin:16px 0 6px;font-size:16px}
main{padding:0 32px 48px;max-width:1400px}
.sub{color:var(--muted);margin:0 0 12px}
.note{color:#8a6d00}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left}
th{background:var(--bg)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chosen{font-weight:600}
.chart{display:block;margin:8px 0;max-width:100%;height:auto}
.legend span{display:inline-block;margin-right:16px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
"""


def _mix(rgb: tuple[int, int, int], t: float) -> str:
    r, g, b = (round(255 + (c - 255) * t) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _svg(ident: str, label: str, width: float, height: float, font_size: int = 12) -> str:
    return (
        f'<svg class="chart" id="{escape(ident)}" role="img" aria-label="{escape(label)}" '
        f'width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui,sans-serif" font-size="{font_size}">'
    )


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.0%}"


def _num(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.2f}"


def render_html(forecast: Forecast, out: IO[str]) -> None:
    from matrixcore import __version__

    title = "matrixcore forecast"
    names = ", ".join(f"{s.name} (P{round(s.quantile * 100)})" for s in forecast.scenarios)
    out.write(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{title} · {escape(forecast.source)}</h1>\n"
        f'<p class="sub">{forecast.weeks} week{"s" if forecast.weeks != 1 else ""} ahead from '
        f"{forecast.start:%Y-%m-%d %H:%M} in {forecast.minutes}-minute intervals · scenarios: "
        f"{escape(names)} · generated {forecast.generated_at:%Y-%m-%d %H:%M} by matrixcore "
        f"{escape(__version__)}</p></header>\n<main>\n"
    )
    for channel in forecast.channels:
        out.write(_channel_section(channel, forecast))
    out.write("</main>\n</body>\n</html>\n")


def _channel_section(channel: ChannelForecast, forecast: Forecast) -> str:
    cs = channel.settings
    ident = "".join(c if c.isalnum() else "-" for c in channel.channel)
    parts = [
        f'<section id="channel-{escape(ident)}"><h2>{escape(channel.channel)}</h2>\n'
        f'<p class="sub">{escape(cs.kind)} · calendar {escape(cs.calendar)} · {channel.history.weeks} weeks '
        f"of history · handle time {channel.aht:.1f} min ({escape(channel.aht_source)}) · staffing by "
        f"{escape(channel.method)}, shrinkage {cs.shrinkage:.0%}</p>\n"
    ]
    if channel.note:
        parts.append(f'<p class="note">{escape(channel.note)}</p>\n')
    selection = channel.selection
    if selection is not None and selection.scores:
        parts.append(
            "<h3>Backtest: how the models did on this history</h3>\n<table><thead><tr><th>model</th>"
            '<th class="n">weeks</th><th class="n">MASE</th><th class="n">WAPE per interval</th>'
            '<th class="n">WAPE per day</th><th class="n">P10-P90 held</th></tr></thead><tbody>\n'
        )
        for score in selection.scores:
            chosen = ' class="chosen"' if score.model == selection.model.name else ""
            parts.append(
                f"<tr{chosen}><td>{escape(score.model)}</td><td class='n'>{score.origins}</td>"
                f"<td class='n'>{_num(score.mase)}</td><td class='n'>{_pct(score.wape)}</td>"
                f"<td class='n'>{_pct(score.daily_wape)}</td><td class='n'>{_pct(score.coverage)}</td></tr>\n"
            )
        parts.append("</tbody></table>\n")
    for effect in channel.events:
        measured = f", measured {effect.measured:+.0%}" if effect.measured is not None else ""
        parts.append(
            f'<p class="sub">event {escape(effect.name)} {effect.start}..{effect.end}: expected '
            f"{effect.expected:+.0%}{measured}{' (ahead)' if effect.ahead else ''}</p>\n"
        )
    if channel.expected:
        parts.append(f"<h3>Forecast of {escape(channel.channel)}</h3>\n")
        parts.append(_fan_chart(channel, forecast, ident))
        parts.append(f"<h3>Rostered heads per hour, {escape(forecast.scenarios[0].name)}</h3>\n")
        parts.append(_heatmap(channel, forecast, ident))
        parts.append(_days_table(channel, forecast))
    parts.append("</section>\n")
    return "".join(parts)


def _fan_chart(channel: ChannelForecast, forecast: Forecast, ident: str) -> str:
    history = channel.history.values[-_HISTORY_WEEKS * channel.history.per_week :]
    ahead = channel.expected
    low, high = channel.band
    n_hist, n = len(history), len(history) + len(ahead)
    width, height, left, top, bottom = 1100.0, 260.0, 44.0, 12.0, 28.0
    top_value = max([*history, *high, *(max(v) for v in channel.volumes.values())], default=1.0) or 1.0
    tick_step = max(1, math.ceil(top_value / 4))
    peak = float(tick_step * 4)
    step = (width - left - 8) / max(1, n - 1)

    def x(i: float) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / peak)

    parts = [_svg(f"fan-{ident}", f"forecast of {channel.channel} with its scenarios", width, height)]
    for tick in range(5):
        value = tick * tick_step
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#eaeef2"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'fill="{_HISTORY}">{value:.0f}</text>'
        )
    band = [f"{x(n_hist + i):.1f},{y(v):.1f}" for i, v in enumerate(high)]
    band += [f"{x(n_hist + i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(low)))]
    parts.append(f'<polygon class="band" points="{" ".join(band)}" fill="{_BAND}" stroke="none"/>')
    parts.append(_line([(x(i), y(v)) for i, v in enumerate(history)], _HISTORY, "history", 1.0))
    for k, (name, volumes) in enumerate(channel.volumes.items()):
        colour = _SCENARIO_COLOURS[k % len(_SCENARIO_COLOURS)]
        parts.append(_line([(x(n_hist + i), y(v)) for i, v in enumerate(volumes)], colour, name, 1.2))
    parts.append(
        _line([(x(n_hist + i), y(v)) for i, v in enumerate(ahead)], _mix(_TEAL, 1.0), "expected", 2.0)
    )
    parts.append(
        f'<line x1="{x(n_hist):.1f}" x2="{x(n_hist):.1f}" y1="{top}" y2="{height - bottom}" '
        f'stroke="{_HISTORY}" stroke-dasharray="4 3"/>'
    )
    per_day = channel.history.per_day
    first = channel.start_slot - n_hist
    for i in range(0, n, per_day):
        if (first + i) % (7 * per_day) == 0:  # Mondays
            day = (channel.slot_time(i - n_hist)).date()
            parts.append(f'<text x="{x(i):.1f}" y="{height - 10}" fill="{_HISTORY}">{day:%d %b}</text>')
    parts.append("</svg>\n")
    legend = [("history", _HISTORY), ("expected", _mix(_TEAL, 1.0)), ("P10-P90", _BAND)]
    legend += [
        (name, _SCENARIO_COLOURS[k % len(_SCENARIO_COLOURS)]) for k, name in enumerate(channel.volumes)
    ]
    parts.append(
        '<p class="legend">'
        + "".join(f'<span><i class="swatch" style="background:{c}"></i>{escape(t)}</span>' for t, c in legend)
        + "</p>\n"
    )
    return "".join(parts)


def _line(points: list[tuple[float, float]], colour: str, name: str, width: float) -> str:
    if not points:
        return ""
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return (
        f'<polyline class="series" data-series="{escape(name)}" points="{path}" fill="none" '
        f'stroke="{colour}" stroke-width="{width}"/>'
    )


def _heatmap(channel: ChannelForecast, forecast: Forecast, ident: str) -> str:
    """Rows: the first two weeks' days; columns: hours; the cell: the base scenario's peak rostered
    heads in that hour, the other scenarios' extra in its tooltip."""
    base = forecast.scenarios[0].name
    cells: dict[date, list[dict[str, int]]] = {}
    for i in range(len(channel.expected)):
        start = channel.slot_time(i)
        if start.date() not in cells:
            if len(cells) == _HEATMAP_DAYS:
                break
            cells[start.date()] = [{} for _ in range(24)]
        hour = cells[start.date()][start.hour]
        for name in channel.rostered:
            hour[name] = max(hour.get(name, 0), channel.rostered[name][i])
    peak = max((h.get(base, 0) for row in cells.values() for h in row), default=0) or 1
    cell, left, top = 32, 86, 20
    width, height = left + 24 * cell + 4, top + len(cells) * cell + 4
    parts = [_svg(f"heatmap-{ident}", f"rostered heads per hour for {channel.channel}", width, height, 11)]
    for h in range(0, 24, 2):
        parts.append(f'<text x="{left + h * cell + 4}" y="{top - 6}" fill="{_HISTORY}">{h:02d}</text>')
    for row, (day, hours) in enumerate(cells.items()):
        y = top + row * cell
        parts.append(
            f'<text x="0" y="{y + 20}" fill="{_HISTORY}">{_WEEKDAYS[day.weekday()]} {day:%d %b}</text>'
        )
        for h, heads in enumerate(hours):
            if not heads:
                continue
            n = heads.get(base, 0)
            extra = ", ".join(
                f"{escape(name)} +{heads[name] - n}" for name in channel.rostered if name != base
            )
            fill = _mix(_TEAL, 0.12 + 0.88 * n / peak) if n else "#f6f8fa"
            ink = "#ffffff" if n / peak > 0.55 else "#1f2328"
            parts.append(
                f'<g class="cell" data-day="{day.isoformat()}" data-hour="{h}" data-heads="{n}">'
                f'<rect x="{left + h * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>{day:%a %d %b} {h:02d}:00: {n} rostered ({escape(base)}); {extra}</title></rect>"
                + (
                    f'<text x="{left + h * cell + (cell - 2) / 2}" y="{y + 20}" text-anchor="middle" '
                    f'fill="{ink}">{n}</text>'
                    if n
                    else ""
                )
                + "</g>"
            )
    parts.append("</svg>\n")
    return "".join(parts)


def _days_table(channel: ChannelForecast, forecast: Forecast) -> str:
    head = "".join(
        f'<th class="n">{escape(s.name)}: tickets</th><th class="n">agent-hours</th>'
        '<th class="n">peak heads</th>'
        for s in forecast.scenarios
    )
    rows = []
    for row in daily_rows(channel):
        cells = "".join(
            f"<td class='n'>{row[s.name]['arrivals']:.0f}</td>"
            f"<td class='n'>{row[s.name]['agent_hours']:.0f}</td>"
            f"<td class='n'>{row[s.name]['peak_rostered']}</td>"
            for s in forecast.scenarios
        )
        rows.append(f"<tr><td>{row['date']}</td><td class='n'>{row['expected']:.0f}</td>{cells}</tr>\n")
    return (
        f'<details><summary>per day</summary><table><thead><tr><th>day</th><th class="n">expected</th>{head}'
        f"</tr></thead><tbody>\n{''.join(rows)}</tbody></table></details>\n"
    )
