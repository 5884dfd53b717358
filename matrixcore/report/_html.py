"""``matrixcore report --format html``: one self-contained page to mail round or open from disk.

No script, no font, no stylesheet or image from anywhere: the charts are inline SVG, the styles
inline CSS, and a Content-Security-Policy forbids the page from fetching anything at all. Every
value from a ticket is HTML-escaped (subjects come from anyone on the internet).

The summary (charts first, as a person reads) comes before the ticket rows, but the rows stream:
they are written to a temporary file while the summary is built, then copied after it, so memory
stays flat however many tickets there are.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from html import escape
from typing import IO, TYPE_CHECKING, Final

from matrixcore.predict._report import prediction_section

from ._summary import PREMISE, WEEKDAYS, met_share, percent, reading_notice

if TYPE_CHECKING:
    from matrixcore._ruleset import Ruleset

    from ._report import Report, ReportRow
    from ._summary import Summary

__all__ = ["render_html"]

_MET: Final = "#2e7d32"
_MISSED: Final = "#c62828"
_PENDING: Final = "#9e9e9e"
_SAME: Final = (0, 121, 107)
_SHIFTED: Final = (230, 81, 0)
_AUDIT_TOP: Final = 25

_CSS: Final = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--met:#2e7d32;--missed:#c62828}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header{padding:24px 32px 8px;border-bottom:1px solid var(--line);background:var(--bg)}
h1{margin:0 0 4px;font-size:26px}
h2{margin:32px 0 8px;font-size:20px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{margin:16px 0 6px;font-size:16px}
main{padding:0 32px 48px;max-width:1400px}
.sub{color:var(--muted);margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:20px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:150px;background:#fff}
.card .n{font-size:26px;font-weight:600}
.card .l{color:var(--muted);font-size:13px}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
th{background:var(--bg)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.met{color:var(--met)}.missed{color:var(--missed)}.muted{color:var(--muted)}
.chart{display:block;margin:8px 0;max-width:100%;height:auto}
.legend span{display:inline-block;margin-right:16px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
details summary{cursor:pointer;color:var(--muted)}
ol.trace{margin:4px 0;padding-left:20px}
.msg{margin:4px 0;padding:4px 8px;border-left:3px solid var(--line);background:var(--bg)}
.changed{font-weight:600}
.warn{border:1px solid var(--missed);border-radius:8px;padding:8px 14px;color:var(--missed);
  background:#fff5f5}
code{font-size:13px}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
"""


def _mix(rgb: tuple[int, int, int], t: float) -> str:
    r, g, b = (round(255 + (c - 255) * t) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _n(value: int) -> str:
    return f"{value:,}"


def _local(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "–"


def _svg(ident: str, label: str, width: float, height: float, font_size: int = 13) -> str:
    """The opening tag of an inline chart: sized, labelled for screen readers, in the page's font."""
    return (
        f'<svg class="chart" id="{ident}" role="img" aria-label="{escape(label)}" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui,sans-serif" font-size="{font_size}">'
    )


def render_html(report: Report, out: IO[str]) -> None:
    meta, zone = report.meta, report.zone
    with tempfile.TemporaryFile("w+", encoding="utf-8") as rows:
        shown = 0
        for row in report.rows:
            rows.write(_ticket_row(row, report.ruleset, zone))
            shown += 1
        summary = report.summary
        title = f"matrixcore report · {report.ruleset.name or meta.rules}"
        out.write(
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        )
        out.write(
            f'<header><h1>{escape(title)}</h1>\n<p class="sub">{escape(meta.source)} · as of '
            f"{_local(meta.as_of, zone)} · generated {_local(meta.generated_at, zone)} by matrixcore "
            f"{escape(meta.version)}. A dry run: nothing was written to any tool.</p></header>\n<main>\n"
        )
        notice = reading_notice(summary)
        if notice:
            out.write(f'<p class="warn" id="skipped">{escape(notice)} <a href="#source">Source</a></p>\n')
        out.write(_cards(summary))
        out.write(_shift_section(summary))
        out.write(_backtest_section(summary))
        out.write(prediction_section(summary.prediction))
        out.write(_channels_section(summary))
        out.write(_messages_section(summary))
        out.write(_audit_section(summary))
        out.write(_source_section(summary))
        label = {
            "all": "All tickets",
            "changed": "Tickets that change",
            "missed": "Tickets with a missed promise",
        }
        if meta.tickets != "none":
            out.write(
                f'<section id="tickets"><h2>{label.get(meta.tickets, "Tickets")} ({_n(shown)})</h2>\n'
                "<table><thead><tr><th>ticket</th><th>created</th><th>channel</th><th>subject</th>"
                "<th>now → proposed</th><th>pickup by</th><th>picked up</th><th>resolve by</th>"
                "<th>resolved</th><th>why and messages</th></tr></thead><tbody>\n"
            )
            rows.seek(0)
            shutil.copyfileobj(rows, out)
            out.write("</tbody></table></section>\n")
        out.write("</main>\n</body>\n</html>\n")


def _rate_card(summary: Summary, measure: str, label: str) -> tuple[str, str]:
    """A met share only where it was measured and could have come out lower; else "unknown"."""
    counts = summary.outcome_total(measure)
    met, decided = met_share(counts)
    basis = summary.measured_from()[measure]
    if basis is None or not decided:
        why = "no first-response times in the source" if measure == "pickup" else "no resolution times"
        return "unknown", f"promised {label} met: {why}"
    unknown = f"; {_n(counts['unknown'])} unknown" if counts["unknown"] else ""
    return percent(met, decided), f"promised {label} met ({_n(met)} of {_n(decided)}{unknown})"


def _cards(summary: Summary) -> str:
    changes = summary.changes
    cards = [
        (_n(summary.tickets), "tickets"),
        (
            _n(changes["priority"]),
            f"would get another priority ({percent(changes['priority'], summary.tickets)})",
        ),
        _rate_card(summary, "pickup", "pickups"),
        _rate_card(summary, "resolution", "resolutions"),
        (_n(summary.message_total), "messages would have gone out"),
        (_n(summary.delay_total), "of them delay messages"),
    ]
    body = "".join(
        f'<div class="card"><div class="n">{n}</div><div class="l">{escape(label)}</div></div>'
        for n, label in cards
    )
    return f'<section class="cards" id="totals">{body}</section>\n'


def _shift_section(summary: Summary) -> str:
    rows, cols = summary.current_priorities, summary.priorities
    rows = tuple(r for r in rows if any(summary.shift.get((r, c), 0) for c in cols))
    cell_w, cell_h, left, top = 72, 40, 90, 44
    width, height = left + cell_w * len(cols) + 16, top + cell_h * len(rows) + 4
    peak = max(summary.shift.values(), default=1)
    parts = [
        _svg("heatmap", "priority shift: current priority in rows, proposed in columns", width, height, 14),
        f'<text x="{left + cell_w * len(cols) / 2}" y="16" text-anchor="middle" fill="#59636e">'
        "proposed</text>",
        f'<text x="12" y="{top - 8}" fill="#59636e">now</text>',
    ]
    for j, col in enumerate(cols):
        x = left + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x}" y="{top - 8}" text-anchor="middle" font-weight="600">{escape(col)}</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        parts.append(
            f'<text x="{left - 10}" y="{y + cell_h / 2 + 5}" text-anchor="end" font-weight="600">'
            f"{escape(row)}</text>"
        )
        for j, col in enumerate(cols):
            n = summary.shift.get((row, col), 0)
            t = (n / peak) ** 0.5 if n else 0.0
            fill = _mix(_SAME if row == col else _SHIFTED, 0.12 + 0.88 * t) if n else "#ffffff"
            x = left + j * cell_w
            ink = "#ffffff" if t > 0.55 else "#1f2328"
            kind = "same" if row == col else "shift"
            parts.append(
                f'<g class="cell {kind}" data-current="{escape(row)}" data-proposed="{escape(col)}">'
                f"<title>now {escape(row)} → {escape(col)}: {_n(n)} tickets</title>"
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" rx="3" fill="{fill}" '
                f'stroke="{"#00796b" if row == col else "#d1d9e0"}"/>'
                f'<text x="{x + cell_w / 2 - 1}" y="{y + cell_h / 2 + 4}" text-anchor="middle" '
                f'fill="{ink}">{_n(n) if n else "·"}</text></g>'
            )
    parts.append("</svg>")
    parts.append(
        '<p class="legend muted">'
        '<span><i class="swatch" style="background:#00796b"></i>the priority stays</span>'
        '<span><i class="swatch" style="background:#e65100"></i>matrixcore would change it</span>'
        "<span>darker: more tickets</span></p>"
    )
    changes = summary.changes
    text = (
        f"<p>{_n(changes['priority'])} of {_n(summary.tickets)} tickets would get another priority: "
        f"{_n(changes['raised'])} a higher one, {_n(changes['lowered'])} a lower one, "
        f"{_n(changes['set'])} one where the source had none. {_n(changes['any'])} change impact, "
        "urgency or priority.</p>"
    )
    return f'<section id="shift"><h2>Priority shift</h2>\n{text}\n{"".join(parts)}\n</section>\n'


def _bars(title: str, items: Sequence[tuple[str, Counter[str]]], ident: str) -> str:
    """Horizontal stacked bars: met, missed and pending per item, with the met share beside them."""
    bar_w, label_w, row_h = 420, 110, 26
    height = 28 + row_h * max(len(items), 1)
    width = label_w + bar_w + 240  # room for "70% met (12,724 ✓ 5,502 ✗)"
    parts = [
        _svg(ident, title, width, height),
        f'<text x="0" y="16" font-weight="600">{escape(title)}</text>',
    ]
    peak = max((sum(c[o] for o in ("met", "missed", "pending")) for _, c in items), default=1) or 1
    for i, (name, counts) in enumerate(items):
        y = 26 + i * row_h
        x = float(label_w)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>')
        for outcome, color in (("met", _MET), ("missed", _MISSED), ("pending", _PENDING)):
            n = counts.get(outcome, 0)
            if not n:
                continue
            w = bar_w * n / peak
            parts.append(
                f'<rect class="bar {outcome}" data-item="{escape(name)}" x="{x:.1f}" y="{y + 2}" '
                f'width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{color}">'
                f"<title>{escape(name)}: {_n(n)} {outcome}</title></rect>"
            )
            x += w
        met, decided = met_share(counts)
        parts.append(
            f'<text class="share" x="{label_w + bar_w + 8}" y="{y + 15}">{percent(met, decided)} met '
            f'<tspan fill="#59636e">({_n(met)} ✓ {_n(counts.get("missed", 0))} ✗)</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _backtest_section(summary: Summary) -> str:
    legend = (
        '<p class="legend"><span><i class="swatch" style="background:#2e7d32"></i>met</span>'
        '<span><i class="swatch" style="background:#c62828"></i>missed</span>'
        '<span><i class="swatch" style="background:#9e9e9e"></i>still open, not yet due</span></p>'
    )
    basis = summary.measured_from()
    measured = [m for m in ("pickup", "resolution") if basis[m] is not None]
    items = "".join(
        f"<li><b>{label}</b>: "
        + (f"measured from {escape(str(basis[key]))}." if basis[key] else escape(missing))
        + "</li>"
        for label, key, missing in (
            (
                "Pickup",
                "pickup",
                "not measured: the source has no first-response times, so every pickup is unknown (a "
                "resolution time says nothing about when a ticket was picked up).",
            ),
            ("Resolution", "resolution", "not measured: the source has no resolution times."),
            ("Source SLA", "source_sla", "the source carries no SLA outcome of its own."),
        )
    )
    body = [
        '<section id="backtest"><h2>Backtest: would the promises have been kept?</h2>',
        f'<p id="premise">{escape(PREMISE)}</p>',
        f'<ul id="measured-from">{items}</ul>',
    ]
    closed = summary.closed_without_resolution
    if closed:
        body.append(
            f'<p id="closed-without-resolution">{_n(sum(closed.values()))} tickets are done without a '
            "resolution time: their resolution is unknown, not missed. By their closing time, which comes "
            f"at or after the resolution, {_n(closed['within'])} closed within matrixcore's promise (so "
            f"resolved in time) and {_n(closed['after'])} after it (not known)"
            + (f"; {_n(closed['no_time'])} have no closing time either" if closed["no_time"] else "")
            + ".</p>"
        )
    body.append(legend)
    for by in ("priority", "channel"):
        for measure in measured:
            label = measure.capitalize()
            body.append(_bars(f"{label} per {by}", summary.outcome_counts(measure, by), f"{measure}-{by}"))
    source = summary.outcome_total("source_sla")
    if source:
        met, decided = met_share(source)
        body.append(
            f"<p>The source system's own SLA ({escape(str(basis['source_sla']))}): {percent(met, decided)} "
            f"met ({_n(met)} of {_n(decided)}).</p>"
        )
        agreement = summary.agreement
        if agreement:
            cells = "".join(
                f'<tr><td>{s}</td><td>{r}</td><td class="n">{_n(agreement[s, r])}</td></tr>'
                for s in ("met", "missed")
                for r in ("met", "missed")
                if agreement.get((s, r))
            )
            body.append(
                "<table><thead><tr><th>source SLA (its own targets)</th>"
                "<th>matrixcore's resolution target</th>"
                f'<th class="n">tickets</th></tr></thead><tbody>{cells}</tbody></table>'
            )
        body.append(
            _bars("Source SLA per priority", summary.outcome_counts("source_sla", "priority"), "sla-priority")
        )
    for measure, label in (("pickup", "pickup"), ("resolution", "resolution")):
        unknown = summary.outcome_total(measure)["unknown"]
        if unknown:
            body.append(f'<p class="muted">{_n(unknown)} tickets had no {label} time to judge (unknown).</p>')
    body.append("</section>\n")
    return "\n".join(body)


def _channels_section(summary: Summary) -> str:
    head = "".join(f'<th class="n">{escape(p)}</th>' for p in summary.priorities)
    rows = []
    for channel in summary.channel_names():
        counts = [summary.channels.get((channel, p), 0) for p in summary.priorities]
        cells = "".join(f'<td class="n">{_n(n) if n else "·"}</td>' for n in counts)
        rows.append(f'<tr><td>{escape(channel)}</td>{cells}<td class="n"><b>{_n(sum(counts))}</b></td></tr>')
    return (
        '<section id="channels"><h2>Tickets per channel and proposed priority</h2>'
        f'<table><thead><tr><th>channel</th>{head}<th class="n">total</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>\n"
    )


def _messages_section(summary: Summary) -> str:
    rows = "".join(
        f"<tr><td>{escape(p)}</td><td>{escape(e)}</td><td>{'requester' if v else 'agents'}</td>"
        f'<td class="n">{_n(n)}</td></tr>'
        for p, e, v, n in summary.message_kinds()
    )
    parts = [
        '<section id="messages"><h2>Messages that would have gone out</h2>',
        f"<p>{_n(summary.message_total)} messages to {_n(summary.tickets_with_messages)} tickets, "
        "each in the requester's language.</p>",
        '<table><thead><tr><th>policy</th><th>event</th><th>to</th><th class="n">messages</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>",
    ]
    if summary.delay_total:
        parts.append(f"<h3>Delay messages to requesters ({_n(summary.delay_total)}), and when</h3>")
        parts.append(_timeline(summary))
        parts.append(_week_grid(summary))
    parts.append("</section>\n")
    return "\n".join(parts)


def _timeline(summary: Summary) -> str:
    days = {date.fromisoformat(d): n for d, n in summary.delays_by_day.items()}
    first, last = min(days), max(days)
    span = (last - first).days + 1
    step = 7 if span > 180 else 1
    buckets: Counter[date] = Counter()
    for day, n in days.items():
        buckets[first + timedelta(days=(day - first).days // step * step)] += n
    count = (span + step - 1) // step
    bar_w = max(2.0, min(14.0, 900 / count))
    height, base = 160, 130
    width = 40 + bar_w * count + 10
    peak = max(buckets.values())
    unit = "week" if step == 7 else "day"
    parts = [
        _svg("delay-timeline", f"delay messages per {unit}", width, height, 12),
        f'<text x="40" y="12" fill="#59636e">delay messages per {unit} (peak {_n(peak)})</text>',
    ]
    for i in range(count):
        start = first + timedelta(days=i * step)
        n = buckets.get(start, 0)
        if n:
            h = 100 * n / peak
            parts.append(
                f'<rect x="{40 + i * bar_w:.1f}" y="{base - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="#e65100"><title>{start.isoformat()}: {_n(n)}</title></rect>'
            )
    parts.append(f'<line x1="40" y1="{base}" x2="{width - 10:.0f}" y2="{base}" stroke="#d1d9e0"/>')
    parts.append(f'<text x="40" y="{base + 18}" fill="#59636e">{first.isoformat()}</text>')
    parts.append(
        f'<text x="{width - 10:.0f}" y="{base + 18}" text-anchor="end" fill="#59636e">'
        f"{last.isoformat()}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _week_grid(summary: Summary) -> str:
    grid = summary.delays_by_hour
    peak = max((n for row in grid for n in row), default=0) or 1
    cell, left, top = 22, 40, 22
    width, height = left + 24 * cell + 4, top + 7 * cell + 6
    parts = [
        _svg("delay-week", "delay messages per hour of the week", width, height, 11),
    ]
    for hour in range(0, 24, 3):
        parts.append(f'<text x="{left + hour * cell + 2}" y="{top - 6}" fill="#59636e">{hour:02d}</text>')
    for day, hours in enumerate(grid):
        y = top + day * cell
        parts.append(f'<text x="0" y="{y + 15}" fill="#59636e">{WEEKDAYS[day]}</text>')
        for hour, n in enumerate(hours):
            fill = _mix(_SHIFTED, 0.1 + 0.9 * (n / peak) ** 0.5) if n else "#f6f8fa"
            parts.append(
                f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{fill}">'
                f"<title>{WEEKDAYS[day]} {hour:02d}:00: {_n(n)}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _audit_section(summary: Summary) -> str:
    audit = summary.audit
    groups = audit.inconsistent()
    parts = [
        '<section id="audit"><h2>Consistency audit</h2>',
        f"<p>{_n(len(audit.groups))} kinds of ticket the rules treat alike. In {_n(len(groups))} of them the "
        f"source gave different priorities or lead times ({_n(sum(g.tickets for g in groups))} tickets, "
        f"{_n(sum(g.deviating for g in groups))} of them off their group's most common priority). "
        "Largest groups first.</p>",
    ]
    if groups:
        rows = []
        for group in groups:
            gave = ", ".join(f"{escape(p)} ×{_n(n)}" for p, n in group.source_priorities.most_common())
            leads = ", ".join(f"{escape(t)} ×{_n(n)}" for t, n in group.source_lead_times.most_common(6))
            examples = "; ".join(f"{escape(p)}: {escape(', '.join(e))}" for p, e in group.examples.items())
            rows.append(
                f'<tr><td>{escape(group.describe())}</td><td class="n">{_n(group.tickets)}</td>'
                f'<td>{gave}</td><td>{leads or "–"}</td><td class="muted">{examples}</td></tr>'
            )
        head = (
            '<table><thead><tr><th>the rules treat alike</th><th class="n">tickets</th>'
            "<th>source priorities</th><th>source lead times</th><th>examples</th></tr></thead>"
        )
        parts.append(f"{head}<tbody>{''.join(rows[:_AUDIT_TOP])}</tbody></table>")
        if len(rows) > _AUDIT_TOP:
            parts.append(
                f'<details id="audit-more"><summary>{_n(len(rows) - _AUDIT_TOP)} more groups</summary>'
                f"{head}<tbody>{''.join(rows[_AUDIT_TOP:])}</tbody></table></details>"
            )
    parts.append("</section>\n")
    return "\n".join(parts)


def _source_section(summary: Summary) -> str:
    stats = summary.source
    if stats is None:
        return ""
    parts = [
        '<section id="source"><h2>Source</h2>',
        f"<p>{escape(stats.file)}: {_n(stats.rows)} rows read, {_n(stats.tickets)} tickets, "
        f"{_n(stats.skipped)} skipped"
        + (f", {_n(stats.merged)} rows folded into the ticket of the row before" if stats.merged else "")
        + ".</p>",
    ]
    if stats.date_formats:
        how = (
            "set in source.date_format"
            if stats.date_formats_how == "configured"
            else "inferred from the first rows"
        )
        parts.append(
            f'<p id="date-formats">Times read as <code>{escape(", ".join(stats.date_formats))}</code> '
            f"besides ISO 8601 ({how}).</p>"
        )
    if stats.missing:
        absent = "".join(
            f"<li>{escape(target)}: {escape(' / '.join(names))}</li>"
            for target, names in stats.missing.items()
        )
        parts.append(f'<h3>Not in the export</h3><ul id="missing-columns">{absent}</ul>')
    if stats.problems:
        items = "".join(f"<li>line {p.line}: {escape(p.message)}</li>" for p in stats.problems)
        more = stats.skipped - len(stats.problems)
        parts.append(
            f"<h3>Skipped rows</h3><ul>{items}</ul>" + (f"<p>… and {_n(more)} more</p>" if more > 0 else "")
        )
    mapped = [(dim, v) for dim, values in stats.values.items() for v in values.values()]
    if mapped:
        rows = "".join(
            f"<tr><td>{escape(dim)}</td><td>{escape(v.value)}</td><td>{escape(v.level or '–')}</td>"
            f'<td>{escape(v.how)}</td><td class="n">{_n(v.count)}</td></tr>'
            for dim, v in mapped
        )
        parts.append(
            "<h3>How the export's values were read</h3><table><thead><tr><th>field</th><th>export value</th>"
            '<th>read as</th><th>how</th><th class="n">rows</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    parts.append("</section>\n")
    return "\n".join(parts)


def _outcome(outcome: str | None) -> str:
    if outcome in ("met", "missed"):
        return f' <span class="{outcome}">{"✓" if outcome == "met" else "✗"}</span>'
    return ""


def _ticket_row(row: ReportRow, ruleset: Ruleset, zone: tzinfo) -> str:
    ticket, decision = row.ticket, row.decision
    shift = f"{escape(ticket.priority or '–')} → {escape(decision.priority)}"
    if "priority" in row.changed:
        shift = f'<span class="changed">{shift}</span>'
    trace = "".join(f"<li>{escape(str(step))}</li>" for step in row.trace(ruleset))
    messages = "".join(
        f'<div class="msg"><b>{escape(m.policy)}</b> {_local(m.due_at, zone)} '
        f"({escape(m.language)}{'' if m.visible_to_requester else ', internal note'}): {escape(m.text)}</div>"
        for m in row.messages
    )
    return (
        f'<tr><td class="t">{escape(row.number)}</td><td class="t">{_local(ticket.created, zone)}</td>'
        f'<td>{escape(ticket.channel)}</td><td>{escape(ticket.subject)}</td><td class="t">{shift}</td>'
        f'<td class="t">{_local(decision.pickup_by, zone)}</td>'
        f'<td class="t">{_local(row.picked_up_at, zone)}{_outcome(row.pickup)}</td>'
        f'<td class="t">{_local(decision.resolve_by, zone)}</td>'
        f'<td class="t">{_local(ticket.resolved, zone)}{_outcome(row.resolution)}</td>'
        f'<td><details><summary>{escape(row.reasons(ruleset))}</summary><ol class="trace">{trace}</ol>'
        f"{messages}</details></td></tr>\n"
    )
