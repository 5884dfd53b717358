"""The status page: one self-contained HTML page a desk lead reads without Grafana.

Rendered on the server from a ``StatusSnapshot``; every value is escaped, the styles are inline, there
is no script and no form: the page only reads. It refreshes itself every 30 seconds (a meta tag).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from html import escape
from typing import Final

from ._collect import DecisionRow, Promise, StatusSnapshot

__all__ = ["render_status"]

_STYLE: Final = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2327;background:#f6f7f7}
header{background:#00796b;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.9}
main{padding:8px 24px 32px;max-width:1400px}
section{background:#fff;border:1px solid #dcdcde;border-radius:6px;margin:16px 0;padding:8px 16px 12px}
h2{font-size:16px;margin:8px 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#50575e;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#e6f4ea;color:#1e6b34}.bad{background:#fce8e6;color:#a50e0e}.warn{background:#fef7e0;color:#8a5300}
.muted{color:#646970}.dry{background:#fff3cd;color:#5c4400;padding:8px 24px;font-weight:600}
.text{white-space:pre-wrap;color:#2c3338;font-size:13px}
"""
_STATE_CLASS: Final = {"missed": "bad", "at risk": "warn", "on track": "ok", "unknown": "muted"}


def _when(value: datetime | float | None, zone: datetime) -> str:
    """A moment in the daemon's local zone, with its offset: ``2026-11-23 09:05:00 +01:00``."""
    if value is None:
        return "-"
    moment = datetime.fromtimestamp(value, UTC) if isinstance(value, float | int) else value
    local = moment.astimezone(zone.tzinfo) if zone.tzinfo else moment
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _connections(snap: StatusSnapshot, now: datetime) -> str:
    if not snap.connections:
        return "<p class='muted'>No connections configured.</p>"
    rows = []
    for c in snap.connections:
        healthy = (
            "<span class='badge ok'>healthy</span>"
            if c["healthy"]
            else "<span class='badge bad'>failing</span>"
        )
        last = c.get("last_cycle") or {}
        cycle = (
            f"{last.get('tickets', 0)} tickets, {last.get('written', 0)} written, "
            f"{last.get('messages', 0)} messages in {last.get('seconds', 0):.2f} s"
            if last
            else "-"
        )
        error = escape(c["last_error"] or "") or "<span class='muted'>none</span>"
        rows.append(
            f"<tr><td><b>{escape(c['name'])}</b><br><span class='muted'>{escape(c['adapter'])}</span></td>"
            f"<td>{healthy}</td><td>{_ago(c['seconds_since_success'])}</td><td>{c['cycles']}</td>"
            f"<td>{escape(cycle)}</td><td>{c['consecutive_failures']}</td><td>{error}</td></tr>"
        )
    head = (
        "<tr><th>connection</th><th>health</th><th>last success</th><th>cycles</th>"
        "<th>last cycle</th><th>failures in a row</th><th>last error</th></tr>"
    )
    return f"<table id='connections'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _promises(promises: list[Promise], now: datetime) -> str:
    if not promises:
        return "<p class='muted'>No open promise has a timer in the next 24 hours.</p>"
    rows = "".join(
        f"<tr><td><span class='badge {_STATE_CLASS[p.state]}'>{escape(p.state)}</span></td>"
        f"<td>{escape(p.number)}</td><td>{escape(p.subject)}</td><td>{escape(p.priority)}</td>"
        f"<td>{_when(p.pickup_by, now)}</td><td>{_when(p.timer_due, now)}</td>"
        f"<td class='muted'>{escape(p.connection)}</td></tr>"
        for p in promises
    )
    head = (
        "<tr><th>promise</th><th>ticket</th><th>subject</th><th>priority</th><th>pickup promised by</th>"
        "<th>next warning due</th><th>connection</th></tr>"
    )
    return f"<table id='promises'><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _decisions(decisions: list[DecisionRow], now: datetime) -> str:
    if not decisions:
        return "<p class='muted'>No decision since the daemon started.</p>"
    rows = []
    for d in decisions:
        why = "<br>".join(escape(r) for r in d.reasons)
        if d.note:
            why = f"<span class='warn badge'>{escape(d.note)}</span><br>{why}"
        messages = "".join(
            f"<div><b>{escape(policy)}</b> <span class='muted'>({escape(state)}, "
            f"{'to the requester' if visible else 'internal note'})</span>"
            f"<div class='text'>{escape(text)}</div></div>"
            for policy, state, visible, text in d.messages
        )
        rows.append(
            f"<tr><td>{_when(d.at, now)}</td><td>{escape(d.number)}<br>"
            f"<span class='muted'>{escape(d.connection)}</span></td><td>{escape(d.subject)}</td>"
            f"<td><b>{escape(d.priority)}</b></td>"
            f"<td>{escape(d.changed) or '<span class=muted>nothing</span>'}</td>"
            f"<td>{why}</td><td>{messages or '<span class=muted>none</span>'}</td></tr>"
        )
    head = (
        "<tr><th>decided</th><th>ticket</th><th>subject</th><th>priority</th><th>written</th>"
        "<th>why</th><th>messages</th></tr>"
    )
    return f"<table id='decisions'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _rules(snap: StatusSnapshot, now: datetime) -> str:
    r = snap.rules
    reload = (
        f"<span class='badge bad'>last reload refused</span> {escape(str(r['last_reload_error']))}; "
        "the rules below stay in force"
        if r["last_reload_error"]
        else "<span class='badge ok'>last load succeeded</span>"
    )
    return (
        f"<p id='rules'><b>{escape(r['name'])}</b> from <code>{escape(r['path'])}</code>, loaded "
        f"{_when(float(r['loaded_at']), now)}: {r['rules']} rules, a {escape(r['matrix'])} matrix, "
        f"{r['priorities']} priorities, {r['policies']} message policies.</p><p>{reload}</p>"
    )


def render_status(snap: StatusSnapshot) -> str:
    now = snap.now.astimezone()
    mode = "<div class='dry'>DRY RUN: nothing is written to the tools and no message is sent</div>"
    at_risk = sum(p.state in ("missed", "at risk") for p in snap.promises)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta http-equiv='refresh' content='30'>"
        f"<title>matrixcore status</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>matrixcore status</h1><p>version {escape(snap.version)} · running since "
        f"{_when(snap.started, now)} · as of {_when(now, now)} · refreshes every 30 s · read-only</p>"
        "</header>"
        f"{mode if snap.dry_run else ''}<main>"
        f"<section><h2>Connections</h2>{_connections(snap, now)}</section>"
        f"<section><h2>Promises at risk and warnings due next ({at_risk} at risk or missed)</h2>"
        f"{_promises(snap.promises, now)}</section>"
        f"<section><h2>Recent decisions and messages</h2>{_decisions(snap.decisions, now)}</section>"
        f"<section><h2>Rules in force</h2>{_rules(snap, now)}</section>"
        f"<p class='muted'>Prometheus metrics: <a href='/metrics'>/metrics</a> · health: "
        f"<a href='/healthz'>/healthz</a> · generated {time.strftime('%H:%M:%S')}</p>"
        "</main></body></html>"
    )
