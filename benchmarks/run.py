"""Every matrixcore benchmark in one table: ``python benchmarks/run.py [--quick] [--only NAME]``.

Columns: figure, matrixcore, reference, ratio, goal. Rates are per CPU second (``time.process_time``,
or the measured child's own ``getrusage``), as the median of the repeats with [min-max]; every
contender gets the same items the same number of times, in an order rotated per repeat, and ratios are
taken per repeat. Memory is the measured process's own peak (``VmHWM``), never the runner's. The
references: a hand-written if/elif classifier and the PyPI engines ``panzi-json-logic`` and
``rule-engine`` (``pip install -e ".[bench]"``) for the engine, a day-by-day walk for the calendar,
the bare parse of the export for the report; the forecast has its goal (under 2 CPU seconds for a
year of six channels' hourly history, 12 weeks ahead, backtest and staffing); predicted misses
theirs (10,000 waiting tickets in under 1 CPU second; on ServiceNow's event log, per lead time a
precision at least the elapsed-share rule's minus 0.02 with recall 0.95, and a load spike warned 30
minutes before the 50%-elapsed rule with precision 0.7). Exports are generated
once into ``benchmarks/.data/``.
Speed is measured here, never in timed tests.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Row, print_table


def _part(module: str, call: Callable[[Any], list[Row]]) -> Callable[[], list[Row]]:
    """A part of the table, its module imported only when it runs (``--only`` needs no other's)."""
    return lambda: call(importlib.import_module(module))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small workloads: a smoke run, not figures")
    parser.add_argument(
        "--only",
        action="append",
        choices=("rules", "engine", "calendar", "report", "daemon", "forecast", "predict"),
    )
    parser.add_argument("--report-repeats", type=int, default=3, help="runs per report export (default 3)")
    parser.add_argument(
        "--report-sizes",
        type=int,
        nargs=2,
        metavar=("SMALL", "LARGE"),
        help="export sizes for the report (default 100000 1000000; memory compares the two)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = args.report_sizes or ((10_000, 100_000) if quick else (100_000, 1_000_000))
    parts: dict[str, Callable[[], list[Row]]] = {
        "rules": _part("bench_rules", lambda m: m.rows()),
        "engine": _part("bench_engine", lambda m: m.rows(2_000 if quick else 20_000, 3 if quick else 5)),
        "calendar": _part("bench_calendar", lambda m: m.rows(5_000 if quick else 50_000, 3 if quick else 5)),
        "report": _part("bench_report", lambda m: m.rows(sizes, 1 if quick else args.report_repeats)),
        "daemon": _part("bench_daemon", lambda m: m.rows(500 if quick else 3_000)),
        "forecast": _part("bench_forecast", lambda m: m.rows(2 if quick else 5)),
        "predict": _part("bench_predict", lambda m: m.rows(quick)),
    }
    table: list[Row] = []
    for name, part in parts.items():
        if args.only is None or name in args.only:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            table += part()
    print_table(table, "matrixcore benchmarks (rates per CPU second: median [min-max])")


if __name__ == "__main__":
    main(sys.argv[1:])
