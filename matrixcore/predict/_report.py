"""The report's predicted-miss backtest: the export replayed as the daemon would have lived it.

The first half of the export's weeks (at least two) trains the history; the rest is replayed every
15 simulated minutes (``_backtest``). Per lead time the prediction's precision and recall stand
beside the elapsed-share rule's, as a curve in the HTML report and as numbers in its JSON. Only
rulesets with a ``predicted_miss`` policy pay for it; it keeps the arrived tickets in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any, Final

from ._backtest import Case, replay

if TYPE_CHECKING:
    from matrixcore._engine import Engine

__all__ = ["MAX_CASES", "prediction_backtest", "prediction_section"]

#: Tickets the report keeps for the replay; beyond that the backtest says it was not run.
MAX_CASES: Final = 200_000
_MIN_WEEKS: Final = 3


def prediction_backtest(engine: Engine, cases: Sequence[Case], as_of: datetime) -> dict[str, Any]:
    """The backtest's figures, or why there are none (``note``)."""
    policies = [p for p in engine.ruleset.messages.policies if p.event == "predicted_miss"]
    threshold = min((p.threshold for p in policies), default=0.9)
    if len(cases) > MAX_CASES:
        return {"threshold": threshold, "note": f"more than {MAX_CASES:,} tickets: not replayed"}
    if not cases:
        return {"threshold": threshold, "note": "no tickets"}
    start = min(c.ticket.created for c in cases)
    end = min(max(c.ticket.created for c in cases), as_of)
    weeks = (end - start) / timedelta(weeks=1)
    if weeks < _MIN_WEEKS:
        return {
            "threshold": threshold,
            "note": f"{weeks:.1f} weeks of tickets: the backtest needs {_MIN_WEEKS} "
            "(2 to learn, 1 to replay)",
        }
    train_end = start + max(timedelta(weeks=2), (end - start) / 2)
    settings = engine.ruleset.prediction
    result = replay(engine, cases, train_end, end, group_field=settings.group, dispersion=settings.dispersion)
    return {
        "threshold": threshold,
        "trained_until": train_end.isoformat(),
        "replayed_until": end.isoformat(),
        "tickets": len(result.outcomes),
        "leads": [score.as_dict() for score in result.scores(threshold)],
    }


def _chart(leads: Sequence[dict[str, Any]]) -> str:
    """Precision of both rules and the prediction's recall, per lead time, as an SVG line chart."""
    width, height, left, top, bottom = 560, 240, 44, 12, 36
    inner_w, inner_h = width - left - 16, height - top - bottom
    xs = [left + inner_w * i / max(len(leads) - 1, 1) for i in range(len(leads))]

    def y(value: float) -> float:
        return top + inner_h * (1 - value)

    series = (
        ("elapsed-share rule: precision", "#9e9e9e", [r["elapsed"]["precision"] for r in leads], "6 4"),
        ("prediction: precision", "#1565c0", [r["predicted"]["precision"] for r in leads], ""),
        ("prediction: recall", "#ef6c00", [r["predicted"]["recall"] for r in leads], ""),
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="precision and recall per lead time" width="{width}" height="{height}">'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + inner_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#e0e0e0"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{tick:.0%}</text>'
        )
    for x, row in zip(xs, leads, strict=True):
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11">'
            f"{row['lead']:.0%}</text>"
        )
    parts.append(
        f'<text x="{left + inner_w / 2:.1f}" y="{height - 4}" text-anchor="middle" font-size="11">'
        "share of the pickup target left when warned</text>"
    )
    for name, color, values, dash in series:
        points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if not points:
            continue
        path = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in points)
        parts.append(
            f'<polyline class="series" data-series="{escape(name)}" points="{path}" fill="none" '
            f'stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>'
        )
        for x, v in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" fill="{color}"><title>{escape(name)}: '
                f"{v:.1%}</title></circle>"
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i class="swatch" style="background:{color}"></i>{escape(name)}</span>'
        for name, color, _, _ in series
    )
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def prediction_section(figures: dict[str, Any] | None) -> str:
    """The HTML report's section (empty without a ``predicted_miss`` policy)."""
    if figures is None:
        return ""
    body = [
        '<section id="predicted-misses"><h2>Backtest: predicted misses against the elapsed-share rule</h2>',
        f"<p>At each lead time, of the tickets still waiting then: the elapsed-share rule warns all of "
        f"them; the prediction those whose miss probability had reached {figures['threshold']:.0%}. "
        "Precision: the share of warned tickets that missed their pickup target; recall: the share "
        "of the misses that were warned.</p>",
    ]
    if "note" in figures:
        body.append(f'<p class="muted">Not replayed: {escape(figures["note"])}.</p>')
    else:
        leads = figures["leads"]
        body.append(
            f"<p>Trained on the tickets until {escape(figures['trained_until'][:10])}, replayed until "
            f"{escape(figures['replayed_until'][:10])} every 15 simulated minutes "
            f"({figures['tickets']:,} tickets).</p>"
        )
        body.append(_chart(leads))
        rows = "".join(
            f'<tr><td>{r["lead"]:.0%}</td><td class="n">{r["tickets"]:,}</td>'
            f'<td class="n">{r["misses"]:,}</td><td class="n">{_pct(r["elapsed"]["precision"])}</td>'
            f'<td class="n">{r["predicted"]["warned"]:,}</td>'
            f'<td class="n">{_pct(r["predicted"]["precision"])}</td>'
            f'<td class="n">{_pct(r["predicted"]["recall"])}</td></tr>'
            for r in leads
        )
        body.append(
            '<table><thead><tr><th>target left</th><th class="n">waiting</th><th class="n">missed</th>'
            '<th class="n">elapsed rule precision</th><th class="n">predicted warned</th>'
            '<th class="n">precision</th><th class="n">recall</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    body.append("</section>\n")
    return "\n".join(body)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
