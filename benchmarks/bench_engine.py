"""The whole engine on the rules benchmark's workload: ``Engine.evaluate`` and ``Engine.classify``.

Contenders, all over the same tickets the same number of times (CPU time, order rotated per repeat,
ratios per repeat): the hand-written if/elif classifier (the reference: the CPython ceiling), the 20
rules compiled alone, ``Engine.evaluate`` (defaults, the matrix and the trace: which rule set what),
and the PyPI engines ``panzi-json-logic`` and ``rule-engine`` on the same tickets as dicts. Every
engine's answer for every ticket is checked before a figure is printed. ``Engine.classify`` adds the
pickup and resolve deadlines on business calendars. ``python benchmarks/bench_engine.py [n]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rules
from _measure import Comparison, Row, Spread, compare, print_table, spread

from matrixcore import Engine, parse_ruleset

try:
    from matrixcore._engine import compile_evaluation
except ImportError:  # an engine from before it could compile without the trace: no trace row
    compile_evaluation = None  # type: ignore[assignment]
from matrixcore._operators import CompileContext

__all__ = ["build_engine", "rows", "run"]


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


def run(n: int = 20_000, repeats: int = 5) -> tuple[Comparison, Spread]:
    """Every contender over the same ``n`` tickets ``repeats`` times; then ``Engine.classify``'s rate."""
    engine = build_engine()
    tickets = bench_rules.workload(n)
    dicts = [bench_rules.as_dict(t) for t in tickets]
    contenders: dict[str, Any] = {
        "hand-written": bench_rules.handwritten,
        "compiled rules": bench_rules.compiled_rules(),
        "Engine.evaluate": engine.evaluate,
    }
    if compile_evaluation is not None:
        context = CompileContext(calendars=engine.calendars, operators=engine.ruleset.operators)
        aliases = engine._aliases  # the same channel spellings the engine maps
        untraced = compile_evaluation(engine.ruleset, context, aliases, trace=False)
        contenders["Engine.evaluate, no trace"] = untraced
    pypi = bench_rules.pypi_engines()
    contenders.update(pypi)
    items = {name: dicts if name in pypi else tickets for name in contenders}
    result = compare(contenders, items, "hand-written", repeats)
    expected = result.results["hand-written"]
    answers = {name: result.results[name] for name in pypi}
    answers["compiled rules"] = [(r[0], r[2], r[4]) for r in result.results["compiled rules"]]
    defaults = engine.ruleset.defaults
    with_defaults = []
    for impact, urgency, priority in expected:
        impact = impact or defaults["impact"]
        urgency = urgency or defaults["urgency"]
        with_defaults.append((impact, urgency, priority or engine.ruleset.cells[impact, urgency]))
    bench_rules.check_answers(tickets, expected, answers)
    evaluated = {
        "Engine.evaluate": [(e.impact, e.urgency, e.priority) for e in result.results["Engine.evaluate"]]
    }
    if "Engine.evaluate, no trace" in contenders:
        evaluated["Engine.evaluate, no trace"] = [
            tuple(e[:3]) for e in result.results["Engine.evaluate, no trace"]
        ]
    bench_rules.check_answers(tickets, with_defaults, evaluated)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    classify = engine.classify
    classified = compare({"Engine.classify": lambda t: classify(t, now)}, tickets, "Engine.classify", repeats)
    return result, classified.rate("Engine.classify")


def rows(n: int = 20_000, repeats: int = 5) -> list[Row]:
    result, classified = run(n, repeats)
    hand = result.rate("hand-written").text()
    out = [
        Row(
            f"compiled 20 rules, tickets/CPU-s ({n:,} tickets x {repeats})",
            result.rate("compiled rules").text(),
            f"hand-written {hand}",
            result.ratio("compiled rules").text(".2f", "x"),
        )
    ]
    vs_hand = result.ratio("Engine.evaluate")
    out.append(
        Row(
            "Engine.evaluate, trace on, vs hand-written if/elif",
            result.rate("Engine.evaluate").text(),
            f"hand-written {hand}",
            vs_hand.text(".2f", "x"),
            ">= 0.70x",
            vs_hand.median >= 0.70,
        )
    )
    if "Engine.evaluate, no trace" in result.rates:
        traced, untraced = result.rates["Engine.evaluate"], result.rates["Engine.evaluate, no trace"]
        cost = spread([1 - a / b for a, b in zip(traced, untraced, strict=True)])
        out.append(
            Row(
                "what the trace costs (Engine.evaluate vs the same without rule indices)",
                result.rate("Engine.evaluate").text(),
                f"no trace {result.rate('Engine.evaluate, no trace').text()}",
                cost.text(".1%") + " slower",
                "kept on",
            )
        )
    for engine in ("panzi-json-logic", "rule-engine"):
        if engine in result.rates:
            ratio = result.ratio("Engine.evaluate", engine)
            goal = engine == "panzi-json-logic"
            out.append(
                Row(
                    f"Engine.evaluate vs {engine} (same rounds)",
                    result.rate("Engine.evaluate").text(),
                    f"{engine} {result.rate(engine).text()}",
                    ratio.text(".1f", "x"),
                    ">= 40x" if goal else "",
                    ratio.median >= 40 if goal else None,
                )
            )
    out.append(Row("Engine.classify (with pickup and resolve deadlines), tickets/CPU-s", classified.text()))
    return out


def main(argv: Sequence[str] = ()) -> None:
    print_table(rows(int(argv[0]) if argv else 20_000))


if __name__ == "__main__":
    main(sys.argv[1:])
