"""Predicted misses: speed of evaluating a desk's waiting tickets, and the backtest the issue asks for.

* Speed: 10,000 waiting tickets in 20 teams, a 4-week history: the CPU time to give every one of them
  its miss probability (classify + predict, as the daemon's re-evaluation does), median of 5 rounds
  with min and max. Goal: under 1 s on one core.
* Backtest on ServiceNow's incident event log (``../shared/research-data``; skipped where absent):
  pickup = the first event that assigns or activates the incident, targets from
  ``benchmarks/predict/servicenow-rules.yaml``, trained on weeks 1-4, replayed on weeks 5-11 every
  15 simulated minutes. Per lead time the prediction's precision and recall against the
  elapsed-share rule's, at the default threshold (0.9) and a sweep; then a seeded load spike (one
  group's arrivals x3 for 4 hours; the truth inside it simulated, see ``inject_spike``): how much
  earlier than the 50%-elapsed rule the misses were warned, and the precision there.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Row

from matrixcore import Ticket
from matrixcore._engine import Engine
from matrixcore._ruleset import load_ruleset
from matrixcore.predict import Predictor
from matrixcore.predict._backtest import Case, inject_spike, replay
from matrixcore.predict._eventlog import servicenow_cases

HERE = Path(__file__).resolve().parent
RULES = HERE / "predict" / "servicenow-rules.yaml"
GROUP = "custom.assignment_group"
LOG = "servicenow-incident-log/incident_event_log.kaggle-119998.csv.zip"
THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9)


def _ticket(n: int, created: datetime, picked: datetime | None, team: str) -> Ticket:
    priority = ("2 - High", "3 - Moderate", "3 - Moderate", "4 - Low")[n % 4]
    return Ticket(
        source="bench", id=f"T{n}", created=created, priority=priority, first_response=picked,
        custom={"assignment_group": team},
    )  # fmt: skip


def speed(open_tickets: int = 10_000, rounds: int = 5) -> dict[str, Any]:
    engine = Engine(load_ruleset(RULES))
    now = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    history = [
        _ticket(n, now - timedelta(weeks=4) + timedelta(minutes=3 * n), None, f"Team {n % 20}")
        for n in range(4 * 7 * 24 * 20)
    ]
    history = [t.evolve(first_response=t.created + timedelta(minutes=20 + t.created.minute)) for t in history]
    waiting = [
        _ticket(10**6 + n, now - timedelta(minutes=n % 900), None, f"Team {n % 20}")
        for n in range(open_tickets)
    ]
    started = time.process_time()
    predictor = Predictor.from_tickets(engine, [*history, *waiting], now, group_field=GROUP)
    build = time.process_time() - started
    times = []
    for _ in range(rounds):
        started = time.process_time()
        for ticket in waiting:
            decision = engine.classify(ticket, now)
            predictor.predict(ticket, decision)
        times.append(time.process_time() - started)
    return {
        "open_tickets": open_tickets,
        "history_tickets": len(history),
        "build_cpu_s": round(build, 3),
        "evaluate_cpu_s": {
            "median": round(statistics.median(times), 3),
            "min": round(min(times), 3),
            "max": round(max(times), 3),
        },
        "goal_s": 1.0,
    }


def capacity(cases: Sequence[Case], group: str, before: datetime) -> dict[int, float]:
    hours: dict[datetime, int] = {}
    for case in cases:
        picked = case.picked_up
        if picked is not None and picked < before and case.ticket.custom.get("assignment_group") == group:
            hour = picked.replace(minute=0, second=0, microsecond=0)
            hours[hour] = hours.get(hour, 0) + 1
    out: dict[int, float] = {}
    for hour, count in hours.items():
        slot = hour.weekday() * 24 + hour.hour
        out[slot] = max(out.get(slot, 0.0), float(count))
    return out


def backtest(path: Path) -> dict[str, Any]:
    engine = Engine(load_ruleset(RULES))
    cases = servicenow_cases(path)
    start = min(c.ticket.created for c in cases).replace(hour=0, minute=0)
    train_end, end = start + timedelta(weeks=4), start + timedelta(weeks=11)
    started = time.process_time()
    result = replay(engine, cases, train_end, end, group_field=GROUP)
    seconds = time.process_time() - started
    out: dict[str, Any] = {
        "incidents": len(cases),
        "replayed": len(result.outcomes),
        "steps": result.steps,
        "replay_cpu_s": round(seconds, 1),
        "by_threshold": {str(t): [s.as_dict() for s in result.scores(t)] for t in THRESHOLDS},
    }
    spike_at = (train_end + timedelta(weeks=1)).replace(hour=11)
    spiked, keys = inject_spike(
        cases, GROUP, "Group 70", spike_at, capacity=capacity(cases, "Group 70", train_end), seed=15
    )
    spiked_result = replay(engine, spiked, train_end, end, group_field=GROUP)
    out["spike"] = {
        "group": "Group 70",
        "start": spike_at.isoformat(),
        "by_threshold": {str(t): spiked_result.earliness(t, keys) for t in THRESHOLDS},
    }
    return out


def _table(result: dict[str, Any], threshold: str) -> None:
    print(f"  threshold {threshold}:  lead | waiting misses | elapsed P | predicted P    R | met")
    for row in result["by_threshold"][threshold]:
        e, p = row["elapsed"]["precision"], row["predicted"]
        met = (
            p["precision"] is not None
            and p["precision"] >= e - 0.02
            and p["recall"] is not None
            and p["recall"] >= 0.95
        )
        print(
            f"      {row['lead']:>16.0%} | {row['tickets']:>7} {row['misses']:>6} | {e:>9.3f} |"
            f" {p['precision'] or 0:>11.3f} {p['recall'] or 0:>5.3f} | {'yes' if met else 'no'}"
        )


def _data() -> Path:
    return Path(os.environ.get("MATRIXCORE_RESEARCH_DATA") or HERE.parent.parent / "shared" / "research-data")


def rows(quick: bool = False) -> list[Row]:
    """``benchmarks/run.py``'s rows: the speed goal, then (with the research data, not ``quick``) the
    backtest per lead time at the default threshold, and the load spike."""
    found = speed(rounds=2 if quick else 5)
    cpu = found["evaluate_cpu_s"]
    out = [
        Row(
            f"predicted misses: {found['open_tickets']:,} waiting tickets evaluated, CPU-s",
            f"{cpu['median']:.3f} s [{cpu['min']:.3f}-{cpu['max']:.3f}]",
            "",
            "",
            "< 1 s",
            cpu["median"] < 1.0,
        )
    ]
    path = _data() / LOG
    if quick or not path.exists():
        return out
    result = backtest(path)
    for row in result["by_threshold"]["0.9"]:
        e, p = row["elapsed"]["precision"], row["predicted"]
        out.append(
            Row(
                f"predicted miss (threshold 0.9) at {row['lead']:.0%} of the target left: precision, recall",
                f"{p['precision']:.3f}, {p['recall']:.3f}",
                f"{e:.3f}, 1.000 (elapsed-share rule)",
                "",
                ">= ref - 0.02, recall >= 0.95",
                p["precision"] >= e - 0.02 and p["recall"] >= 0.95,
            )
        )
    spike = result["spike"]["by_threshold"]["0.9"]
    out.append(
        Row(
            "load spike x3 for 4 h (threshold 0.9): minutes earlier than the 50% rule, precision",
            f"{spike['minutes_earlier_median']} min, {spike['precision']}",
            "",
            "",
            ">= 30 min, >= 0.7",
            (spike["minutes_earlier_median"] or 0) >= 30 and (spike["precision"] or 0) >= 0.7,
        )
    )
    return out


def main(argv: Sequence[str] = ()) -> None:
    found = speed()
    cpu = found["evaluate_cpu_s"]
    print(
        f"evaluate {found['open_tickets']:,} waiting tickets: {cpu['median']:.3f} s CPU median "
        f"(min {cpu['min']:.3f}, max {cpu['max']:.3f}; goal < 1 s); "
        f"building the history and queue: {found['build_cpu_s']:.3f} s"
    )
    path = _data() / LOG
    if not path.exists() or "--quick" in argv:
        print(f"backtest: skipped ({'--quick' if path.exists() else f'{path} not found'})")
        return
    result = backtest(path)
    print(
        f"backtest on {result['incidents']:,} ServiceNow incidents ({result['replayed']:,} replayed, "
        f"{result['steps']:,} steps of 15 simulated minutes, {result['replay_cpu_s']} s CPU):"
    )
    for threshold in ("0.9", "0.5"):
        _table(result, threshold)
    print("  load spike (Group 70 x3 for 4 h; truth simulated):")
    for threshold, spike in result["spike"]["by_threshold"].items():
        print(
            f"      threshold {threshold}: {spike['misses']} misses of {spike['tickets']}, "
            f"warned {spike['warned']} (precision {spike['precision']}, recall {spike['recall']}), "
            f"median {spike['minutes_earlier_median']} min earlier than the 50% rule "
            f"(min {spike['minutes_earlier_min']}, max {spike['minutes_earlier_max']})"
        )
    out = HERE / ".data" / "predict_backtest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"speed": found, "backtest": result}, indent=2) + "\n", encoding="utf-8")
    print(f"  written to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
