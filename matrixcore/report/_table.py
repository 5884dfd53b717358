"""``matrixcore report`` (``--format table``, the default): the report for a person at a terminal.

Tickets scroll past as they are classified, one line each, and the summary follows at the end, where
the eye lands when the run is over (as pytest does). Every table fits an 80-column terminal; colour
only where the output is a terminal (rich decides).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import IO, TYPE_CHECKING, Final

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._summary import met_share, percent

if TYPE_CHECKING:
    from collections import Counter

    from matrixcore._ruleset import Ruleset

    from ._report import Report, ReportRow
    from ._summary import Summary

__all__ = ["render_table"]

#: Under the ticket rows: what the two mark columns say (the rows' header has room only for letters).
_LEGEND: Final = (
    "P, R: the promised pickup and resolution, met ✓, missed ✗, not yet due ·; "
    "why: the rules that decided (json and html give each ticket's full trace)"
)
_MARK: Final = {"met": "[green]✓[/green]", "missed": "[red]✗[/red]", "pending": "·", "unknown": " "}
_AUDIT_TOP: Final = 10
_PROBLEMS_SHOWN: Final = 5


def _local(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "–"


def render_table(report: Report, out: IO[str]) -> None:
    console = Console(file=out, highlight=False, soft_wrap=False)
    zone = report.zone
    meta = report.meta
    title = report.ruleset.name or meta.rules
    console.print(f"[bold]matrixcore report[/bold] · {escape(title)}")
    console.print(f"{escape(meta.source)} · as of {_local(meta.as_of, zone)}", style="dim")
    header_shown = False
    for row in report.rows:
        if not header_shown:
            console.print()
            console.print(_row_header(console.width), style="bold")
            header_shown = True
        console.print(_row_line(row, report.ruleset, zone, console.width))
    if header_shown:
        console.print(_LEGEND, style="dim")
    summary = report.summary
    if not header_shown and meta.tickets != "none":
        console.print(f"\nno {'' if meta.tickets == 'all' else meta.tickets + ' '}tickets", style="dim")
    _print_summary(console, summary, report)


def _row_header(width: int) -> str:
    head = f"{'ticket':<14} {'channel':<8} {'now':>4} → {'new':<4} {'pickup by':<16} P R  why"
    return head[:width]


def _row_line(row: ReportRow, ruleset: Ruleset, zone: tzinfo, width: int) -> str:
    """``I 2504 0012     email      P4 → P2   2025-04-01 10:13 ✓ ✗  major-outage``."""
    ticket, decision = row.ticket, row.decision
    shift = f"{ticket.priority or '–':>4} → {decision.priority:<4}"
    if "priority" in row.changed:
        shift = f"[bold]{escape(shift)}[/bold]"
    marks = f"{_MARK[row.pickup]} {_MARK[row.resolution]}"
    fixed = f"{escape(row.number[:14]):<14} {escape(ticket.channel[:8]):<8} {shift} "
    fixed += f"{_local(decision.pickup_by, zone):<16} {marks}  "
    room = max(width - 58, 8)
    why = row.reasons(ruleset)
    return fixed + escape(why if len(why) <= room else why[: room - 1] + "…")


def _print_summary(console: Console, summary: Summary, report: Report) -> None:
    console.print()
    changes = summary.changes
    console.rule("[bold]summary[/bold]")
    console.print(
        f"{summary.tickets:,} tickets: {changes['priority']:,} would get another priority "
        f"({percent(changes['priority'], summary.tickets)}; {changes['raised']:,} higher, "
        f"{changes['lowered']:,} lower, {changes['set']:,} had none), "
        f"{changes['any']:,} change impact, urgency or priority."
    )
    _heading(console, "Priority shift: now (rows) → proposed (columns)")
    console.print(_shift_table(summary))
    _heading(console, "Tickets per channel and proposed priority")
    console.print(_channel_table(summary))
    for by in ("priority", "channel"):
        _heading(console, f"Backtest per {by}: promised pickup and resolution met (✓) or missed (✗)")
        console.print(_backtest_table(summary, by))
    _print_messages(console, summary)
    _print_audit(console, summary)
    _print_source(console, summary)


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)


def _heading(console: Console, text: str) -> None:
    console.print(f"\n[bold]{escape(text)}[/bold]")


def _shift_table(summary: Summary) -> Table:
    table = _table()
    table.add_column("now")
    for name in summary.priorities:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right", style="bold")
    for current in summary.current_priorities:
        cells = []
        total = 0
        for proposed in summary.priorities:
            n = summary.shift.get((current, proposed), 0)
            total += n
            text = f"{n:,}" if n else "·"
            if n and current == proposed:
                text = f"[green]{text}[/green]"
            elif n:
                text = f"[yellow]{text}[/yellow]"
            cells.append(text)
        if total:
            table.add_row(escape(current), *cells, f"{total:,}")
    return table


def _channel_table(summary: Summary) -> Table:
    table = _table()
    table.add_column("channel")
    for name in summary.priorities:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right", style="bold")
    for channel in summary.channel_names():
        counts = [summary.channels.get((channel, p), 0) for p in summary.priorities]
        table.add_row(escape(channel), *(f"{n:,}" if n else "·" for n in counts), f"{sum(counts):,}")
    return table


def _share(counts: Counter[str]) -> str:
    met, decided = met_share(counts)
    return percent(met, decided)


def _backtest_table(summary: Summary, by: str) -> Table:
    table = _table()
    table.add_column(by)
    for label in ("pickup ✓", "✗", "met", "resolve ✓", "✗", "met", "source SLA"):
        table.add_column(label, justify="right")
    pickup = dict(summary.outcome_counts("pickup", by))
    resolution = dict(summary.outcome_counts("resolution", by))
    source = dict(summary.outcome_counts("source_sla", by))
    for key in pickup:
        p, r = pickup[key], resolution.get(key)
        s = source.get(key)
        table.add_row(
            escape(key),
            f"{p['met']:,}",
            f"[red]{p['missed']:,}[/red]" if p["missed"] else "0",
            _share(p),
            f"{r['met']:,}" if r else "",
            (f"[red]{r['missed']:,}[/red]" if r["missed"] else "0") if r else "",
            _share(r) if r else "",
            _share(s) if s else "–",
        )
    total_p, total_r = summary.outcome_total("pickup"), summary.outcome_total("resolution")
    table.add_row(
        "[bold]all[/bold]",
        f"{total_p['met']:,}",
        f"{total_p['missed']:,}",
        _share(total_p),
        f"{total_r['met']:,}",
        f"{total_r['missed']:,}",
        _share(total_r),
        _share(summary.outcome_total("source_sla")) if summary.outcome_total("source_sla") else "–",
        style="bold",
    )
    pending = total_p["pending"] + total_r["pending"]
    unknown = total_p["unknown"] + total_r["unknown"]
    notes = []
    if pending:
        notes.append(f"{pending:,} still open and not yet due")
    if unknown:
        notes.append(f"{unknown:,} without the times to judge")
    if notes:
        table.caption = "; ".join(notes)
        table.caption_justify = "left"
    return table


def _print_messages(console: Console, summary: Summary) -> None:
    _heading(
        console,
        f"Messages that would have gone out: {summary.message_total:,} to "
        f"{summary.tickets_with_messages:,} tickets",
    )
    table = _table()
    table.add_column("policy")
    table.add_column("event")
    table.add_column("to")
    table.add_column("messages", justify="right")
    for policy, event, visible, n in summary.message_kinds():
        table.add_row(escape(policy), escape(event), "requester" if visible else "agents", f"{n:,}")
    console.print(table)
    if summary.delay_total:
        hours = ", ".join(f"{day} {hour:02d}:00 ({n:,})" for day, hour, n in summary.busiest_hours(3))
        days = sorted(summary.delays_by_day.items(), key=lambda kv: -kv[1])[:3]
        busiest = ", ".join(f"{day} ({n:,})" for day, n in days)
        console.print(
            f"Delay messages to requesters: {summary.delay_total:,}. Busiest hours: {hours}. "
            f"Busiest days: {busiest}."
        )


def _print_audit(console: Console, summary: Summary) -> None:
    groups = summary.audit.inconsistent()
    _heading(console, "Consistency audit")
    console.print(
        f"{len(summary.audit.groups):,} kinds of ticket the rules treat alike; in {len(groups):,} of them "
        "the source gave different priorities or lead times. Largest first:"
    )
    if not groups:
        return
    table = _table()
    table.add_column("the rules treat alike", ratio=1)
    table.add_column("tickets", justify="right")
    table.add_column("the source gave", ratio=1)
    for group in groups[:_AUDIT_TOP]:
        gave = ", ".join(f"{escape(p)} ×{n:,}" for p, n in group.source_priorities.most_common(4))
        if len(group.source_lead_times) > 1:
            leads = ", ".join(f"{escape(t)} ×{n:,}" for t, n in group.source_lead_times.most_common(3))
            gave += f"; lead {leads}"
        table.add_row(escape(group.describe()), f"{group.tickets:,}", gave)
    console.print(table)
    if len(groups) > _AUDIT_TOP:
        console.print(
            f"… and {len(groups) - _AUDIT_TOP:,} more groups (--format json lists them all)", style="dim"
        )


def _print_source(console: Console, summary: Summary) -> None:
    stats = summary.source
    if stats is None:
        return
    console.print()
    console.print(
        f"Source: {stats.rows:,} rows read, {stats.tickets:,} tickets, {stats.skipped:,} skipped"
        + (
            f", {stats.merged:,} rows folded into the ticket of the row before (one ticket's history)."
            if stats.merged
            else "."
        ),
        style="red" if stats.skipped else None,
    )
    for problem in stats.problems[:_PROBLEMS_SHOWN]:
        console.print(f"  line {problem.line}: {escape(problem.message)}", style="red")
    if stats.skipped > _PROBLEMS_SHOWN:
        console.print(f"  … and {stats.skipped - _PROBLEMS_SHOWN:,} more", style="red")
    for dim, values in stats.values.items():
        guessed = [v for v in values.values() if v.how in ("position", "unmapped")]
        for value in guessed[:_PROBLEMS_SHOWN]:
            target = f"read as {value.level}, by position" if value.level else "not a level of the rules"
            console.print(
                f"  {dim} {escape(repr(value.value))} ({value.count:,} rows): {target}; "
                f"set source.values.{dim} to decide",
                style="yellow",
            )
