"""The whole engine on the rules benchmark's workload: ``Engine.evaluate`` and ``Engine.classify``.

``bench_rules`` measures the compiled rule function against the hand-written ceiling and PyPI
engines; this adds what a caller really pays: defaults, the matrix lookup and the ``Evaluation``
record (``evaluate``), and the pickup and resolve deadlines on business calendars (``classify``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rules

from matrixcore import Engine, parse_ruleset

__all__ = ["build_engine", "run"]


def build_engine() -> Engine:
    """The benchmark's 20 rules as a real ruleset: 4x4 matrix, office calendar with NL holidays."""
    import json

    impact, urgency = bench_rules.IMPACT, bench_rules.URGENCY
    cells = {
        i: {u: f"P{min(4, max(1, (a + b) // 2 + 1))}" for b, u in enumerate(urgency)}
        for a, i in enumerate(impact)
    }
    data = {
        "version": 1,
        "matrix": {"impact": impact, "urgency": urgency, "cells": cells},
        "priorities": {
            "P1": {
                "pickup": {"within": "15m", "calendar": "always"},
                "resolve": {"within": "4h", "calendar": "always"},
            },
            "P2": {"pickup": {"within": "1h"}, "resolve": {"within": "8h"}},
            "P3": {"pickup": {"within": "4h"}, "resolve": {"within": "24h"}},
            "P4": {"pickup": {"within": "8h"}, "resolve": {"within": "40h"}},
        },
        "default_calendar": "office",
        "calendars": {
            "office": {
                "timezone": "Europe/Amsterdam",
                "hours": {"mon-fri": ["08:30-12:30", "13:00-17:30"]},
                "holidays": {"country": "NL"},
            },
            "always": {"timezone": "Europe/Amsterdam", "hours": "24x7"},
        },
        "channels": {
            "twitter": {"class": "real-time", "pickup": {"within": "15m", "calendar": "always"}},
            "chat": {"class": "real-time", "pickup": {"within": "5m"}},
        },
        "rules": [{"name": name, "when": cond, "set": sets} for name, cond, sets, _ in bench_rules.RULES],
        "defaults": {"impact": "minor", "urgency": "medium"},
    }
    return Engine(parse_ruleset(json.dumps(data), "bench.json"))


def _rate(func: Any, items: Sequence[Any], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for item in items:
            func(item)
        best = min(best, time.perf_counter() - began)
    return len(items) / best


def run(n: int = 100_000) -> dict[str, Any]:
    engine = build_engine()
    tickets = bench_rules.workload(n)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    classify = engine.classify
    handwritten = _rate(bench_rules.handwritten, tickets, 5)
    evaluate = _rate(engine.evaluate, tickets, 5)
    classified = _rate(lambda t: classify(t, now), tickets, 2)
    return {
        "tickets": n,
        "hand-written": handwritten,
        "evaluate": evaluate,
        "classify": classified,
        "evaluate_vs_handwritten": evaluate / handwritten,
    }


def main(argv: Sequence[str] = ()) -> None:
    result = run(int(argv[0]) if argv else 100_000)
    print(f"{result['tickets']:,} tickets through the Engine")
    print(f"  hand-written rules   {result['hand-written']:>12,.0f} tickets/s")
    print(
        f"  Engine.evaluate      {result['evaluate']:>12,.0f} tickets/s   "
        f"({result['evaluate_vs_handwritten']:.2f}x hand-written; defaults, matrix and trace record)"
    )
    print(
        f"  Engine.classify      {result['classify']:>12,.0f} tickets/s   (plus pickup and resolve deadlines)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
