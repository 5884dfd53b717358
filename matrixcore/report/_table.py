"""``matrixcore report`` (``--format table``, the default): the report for a person at a terminal.

A line per ticket (wrapped within its last column, never across the others), then the summary at
the end, where the eye lands when the run is over (as pytest does). The ticket lines are spooled to
a temporary file until the export is read, so the first lines can say how reading it went (rows
skipped) and nothing is written while a progress bar is on the terminal. Every table fits an
80-column terminal; colour only where the output is a terminal (rich decides).
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from datetime import datetime, tzinfo
from typing import IO, TYPE_CHECKING, Final

from rich import box
from rich.cells import set_cell_size
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._summary import PREMISE, met_share, percent, reading_notice

if TYPE_CHECKING:
    from collections import Counter

    from matrixcore._ruleset import Ruleset

    from ._report import Report, ReportRow
    from ._summary import Summary

__all__ = ["render_table"]

#: Under the ticket rows: what the two mark columns say (the rows' header has room only for letters).
_LEGEND: Final = (
    "P, R: the promised pickup and resolution, met ✓, missed ✗, not yet due ·, unknown blank; "
    "what changed: impact or urgency now→proposed; why: the rules that decided (json and html give "
    "each ticket's full trace)"
)
#: Cell widths of the ticket line's columns before "what changed · why" (with their spaces).
_NUMBER, _CHANNEL, _PRIORITY = 14, 8, 4
_FIXED: Final = _NUMBER + 1 + _CHANNEL + 1 + (_PRIORITY + 3 + _PRIORITY) + 1 + 16 + 1 + 3 + 2
_MARK: Final = {"met": "[green]✓[/green]", "missed": "[red]✗[/red]", "pending": "·", "unknown": " "}
_AUDIT_TOP: Final = 10
_PROBLEMS_SHOWN: Final = 5


def _local(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "–"


def render_table(report: Report, out: IO[str]) -> None:
    console = Console(file=out, highlight=False, soft_wrap=False)
    zone = report.zone
    meta = report.meta
    width = console.width
    shown = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        # Rendered as ``out`` would render them (colour on a terminal, its width), kept until the end.
        lines = Console(
            file=spool,
            highlight=False,
            soft_wrap=True,
            width=width,
            force_terminal=console.is_terminal,
            color_system=console.color_system,  # type: ignore[arg-type]
        )
        for row in report.rows:
            for line in _row_lines(row, report.ruleset, zone, width):
                lines.print(line)
            shown += 1
        summary = report.summary
        title = report.ruleset.name or meta.rules
        console.print(f"[bold]matrixcore report[/bold] · {escape(title)}")
        console.print(f"{escape(meta.source)} · as of {_local(meta.as_of, zone)}", style="dim")
        notice = reading_notice(summary)
        if notice:
            console.print(escape(notice), style="bold red")
        if shown:
            console.print()
            console.print(_row_header(width), style="bold", soft_wrap=True)
            out.flush()
            spool.seek(0)
            shutil.copyfileobj(spool, out)
            console.print(_LEGEND, style="dim")
    if not shown and meta.tickets != "none":
        console.print(f"\nno {'' if meta.tickets == 'all' else meta.tickets + ' '}tickets", style="dim")
    _print_summary(console, summary, report)


def _row_header(width: int) -> str:
    head = (
        f"{'ticket':<{_NUMBER}} {'channel':<{_CHANNEL}} {'now':>{_PRIORITY}} → {'new':<{_PRIORITY}} "
        f"{'pickup by':<16} P R  what changed · why"
    )
    return head[: max(width, _FIXED + 8)]


def _fit(text: str, width: int, right: bool = False) -> str:
    """``text`` in exactly ``width`` terminal cells: cut with … or padded (wide characters count
    twice), escaped for rich's markup after measuring."""
    if len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    fitted = set_cell_size(text, width)
    if right:
        fitted = fitted.rstrip()
        fitted = " " * (width - len(fitted)) + fitted
    return escape(fitted)


def _row_lines(row: ReportRow, ruleset: Ruleset, zone: tzinfo, width: int) -> list[str]:
    """``I 2504 0012     email      P4 → P2   2025-04-01 10:13 ✓ ✗  urgency normal→high · outage``,
    the last column wrapped onto lines of its own, so a long "why" is never cut off and never
    pushes the columns out of line."""
    ticket, decision = row.ticket, row.decision
    shift = f"{_fit(ticket.priority or '–', _PRIORITY, right=True)} → {_fit(decision.priority, _PRIORITY)}"
    if "priority" in row.changed:
        shift = f"[bold]{shift}[/bold]"
    marks = f"{_MARK[row.pickup]} {_MARK[row.resolution]}"
    fixed = f"{_fit(row.number, _NUMBER)} {_fit(ticket.channel, _CHANNEL)} {shift} "
    fixed += f"{_local(decision.pickup_by, zone):<16} {marks}  "
    current = {"impact": ticket.impact, "urgency": ticket.urgency}
    proposed = {"impact": decision.impact, "urgency": decision.urgency}
    changes = [f"{dim} {current[dim] or '–'}→{proposed[dim]}" for dim in row.changed if dim in current]
    text = " · ".join([*changes, row.reasons(ruleset)])
    room = max(width - _FIXED, 8)
    wrapped = textwrap.wrap(text, room, break_on_hyphens=False) or [""]
    return [fixed + escape(wrapped[0]), *(" " * _FIXED + escape(part) for part in wrapped[1:])]


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
    _print_backtest(console, summary)
    _print_messages(console, summary)
    _print_audit(console, summary)
    _print_source(console, summary)


def _print_backtest(console: Console, summary: Summary) -> None:
    basis = summary.measured_from()
    _heading(console, "Backtest: would matrixcore's promises have been kept?")
    console.print(PREMISE, style="dim")
    for label, key in (("pickup", "pickup"), ("resolve", "resolution"), ("source SLA", "source_sla")):
        if basis[key]:
            console.print(f"{label}: measured from {escape(str(basis[key]))}.")
        elif key == "pickup":
            console.print(
                "pickup: not measured: the source has no first-response times, so every pickup is "
                "unknown (a resolution time says nothing about when a ticket was picked up).",
                style="yellow",
            )
        elif key == "resolution":
            console.print("resolve: not measured: the source has no resolution times.", style="yellow")
    closed = summary.closed_without_resolution
    if closed:
        console.print(_closed_note(closed), style="yellow")
    for by in ("priority", "channel"):
        _heading(console, f"Backtest per {by}: promised pickup and resolution met (✓) or missed (✗)")
        console.print(_backtest_table(summary, by, basis["pickup"] is not None))


def _closed_note(closed: Counter[str]) -> str:
    total = sum(closed.values())
    note = (
        f"{total:,} tickets are done without a resolution time: their resolution is unknown, not missed. "
        f"By their closing time, which comes at or after the resolution, {closed['within']:,} closed "
        f"within matrixcore's promise (so resolved in time) and {closed['after']:,} after it (not known)"
    )
    if closed["no_time"]:
        note += f"; {closed['no_time']:,} have no closing time either"
    return note + "."


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


def _backtest_table(summary: Summary, by: str, pickups_measured: bool = True) -> Table:
    """Met, missed and the met share per priority or channel; where pickups cannot be measured
    their columns say so ("–") instead of counts that could only ever come out "met"."""
    table = _table()
    table.add_column(by)
    for label in ("pickup ✓", "✗", "met", "resolve ✓", "✗", "met", "source SLA"):
        table.add_column(label, justify="right")
    pickup = dict(summary.outcome_counts("pickup", by))
    resolution = dict(summary.outcome_counts("resolution", by))
    source = dict(summary.outcome_counts("source_sla", by))
    total = summary.outcome_total

    def cells(counts: Counter[str] | None, measured: bool = True) -> list[str]:
        if counts is None:
            return ["", "", ""]
        if not measured:
            return ["–", "–", "–"]
        missed = f"[red]{counts['missed']:,}[/red]" if counts["missed"] else "0"
        return [f"{counts['met']:,}", missed, _share(counts)]

    for key in pickup:
        s = source.get(key)
        table.add_row(
            escape(key),
            *cells(pickup[key], pickups_measured),
            *cells(resolution.get(key)),
            _share(s) if s else "–",
        )
    sla = total("source_sla")
    table.add_row(
        "[bold]all[/bold]",
        *cells(total("pickup"), pickups_measured),
        *cells(total("resolution")),
        _share(sla) if sla else "–",
        style="bold",
    )
    notes = []
    for measure, label in (("pickup", "pickups"), ("resolution", "resolutions")):
        counts = total(measure)
        if counts["pending"]:
            notes.append(f"{counts['pending']:,} {label} still open and not yet due")
        if counts["unknown"]:
            notes.append(f"{counts['unknown']:,} {label} unknown (no time to judge)")
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
    if stats.date_formats:
        how = (
            "set in source.date_format"
            if stats.date_formats_how == "configured"
            else "inferred from the first rows"
        )
        console.print(f"  times read as {escape(', '.join(stats.date_formats))} besides ISO 8601 ({how})")
    if stats.missing:
        absent = ", ".join(f"{target} ({' / '.join(names)})" for target, names in stats.missing.items())
        console.print(f"  not in the export: {escape(absent)}", style="yellow")
    for dim, values in stats.values.items():
        guessed = [v for v in values.values() if v.how in ("position", "unmapped")]
        for value in guessed[:_PROBLEMS_SHOWN]:
            target = f"read as {value.level}, by position" if value.level else "not a level of the rules"
            console.print(
                f"  {dim} {escape(repr(value.value))} ({value.count:,} rows): {target}; "
                f"set source.values.{dim} to decide",
                style="yellow",
            )
