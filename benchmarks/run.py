"""Every matrixcore benchmark in one command: ``python benchmarks/run.py [--quick]``.

Prints tickets (or computations) per second and the ratios against the reference implementations
each issue names: a hand-written if/elif function of the same rules (the CPython ceiling), the PyPI
engines ``rule-engine`` and ``panzi-json-logic`` (``pip install -e ".[bench]"``), the calendar's
own goal, predicted misses (speed and the backtest on ServiceNow's event log), and the dry-run
report end to end over 100,000 and 1,000,000 generated tickets (peak RSS and
throughput against the engine alone; the exports are generated once into ``benchmarks/.data/``).
Speed is measured here, never in timed tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_calendar
import bench_daemon
import bench_engine
import bench_predict
import bench_report
import bench_rules


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    n = 10_000 if quick else 100_000
    print("== rules: compiled conditions vs hand-written and PyPI engines ==")
    bench_rules.main([str(n)])
    print("\n== engine: evaluate and classify ==")
    bench_engine.main([str(n)])
    print("\n== calendar: business-time arithmetic ==")
    bench_calendar.main([str(n * 2)]) if hasattr(bench_calendar, "main") else print(bench_calendar.run(n * 2))
    print("\n== report: matrixcore report end to end over JSON Lines exports ==")
    bench_report.main([str(n // 10), str(n)] if quick else [str(n), str(n * 10)])
    print("\n== daemon: a sync cycle against a local helpdesk over HTTP ==")
    bench_daemon.main(["2000" if quick else "10000"])
    print("\n== predicted misses: 10,000 waiting tickets, and the backtest on ServiceNow's event log ==")
    bench_predict.main(["--quick"] if quick else [])


if __name__ == "__main__":
    main(sys.argv[1:])
