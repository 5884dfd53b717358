"""Measuring that cannot flatter: the same rounds for every contender, CPU time, medians with the range.

* ``compare`` runs every contender over the same items the same number of times, interleaved in
  small chunks in an order rotated per chunk (load from the other engineers on the machine hits
  every contender alike), times each with ``time.process_time`` (CPU time of this process, not wall
  time), and reports per contender
  the median rate with its min and max, and per repeat the ratio of each contender to the reference
  measured in the same repeat (a ratio of medians would hide how much the repeats disagree).
* ``run_child`` measures a command in a fresh process whose own peak memory is read by the operating
  system for that process alone: ``_child.py`` runs the command in-process and, on the way out, reads
  ``VmHWM`` from ``/proc/self/status`` (the high-water mark of the memory map built at exec; a fork's
  inherited pages are gone with the old map) and ``getrusage(RUSAGE_SELF)`` for its CPU time.
  ``wait4``'s ``ru_maxrss`` is not used: Linux carries the pre-exec peak over exec, so a fork of a
  300 MiB runner reports 300 MiB for an empty command (``tests/test_benchmarks.py`` checks ours does not).
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

__all__ = [
    "ChildRun",
    "Comparison",
    "Row",
    "Spread",
    "compare",
    "own_peak_bytes",
    "print_table",
    "run_child",
    "spread",
]


@dataclass(frozen=True)
class Spread:
    """The median of repeated measurements, with their min and max."""

    median: float
    low: float
    high: float
    n: int

    def text(self, fmt: str = ",.0f", suffix: str = "") -> str:
        if self.n == 1:
            return f"{self.median:{fmt}}{suffix}"
        return f"{self.median:{fmt}}{suffix} [{self.low:{fmt}}-{self.high:{fmt}}]"


def spread(values: Sequence[float]) -> Spread:
    return Spread(statistics.median(values), min(values), max(values), len(values))


@dataclass
class Comparison:
    """Rates (items per CPU second) per contender and ratios to the reference, one per repeat."""

    reference: str
    rates: dict[str, list[float]] = field(default_factory=dict)
    ratios: dict[str, list[float]] = field(default_factory=dict)
    results: dict[str, list[Any]] = field(default_factory=dict)

    def rate(self, name: str) -> Spread:
        return spread(self.rates[name])

    def ratio(self, name: str, other: str | None = None) -> Spread:
        """``name``'s rate over ``other``'s (the reference by default), computed per repeat."""
        if other is None or other == self.reference:
            return spread(self.ratios[name])
        return spread([a / b for a, b in zip(self.rates[name], self.rates[other], strict=True)])


def compare(
    contenders: dict[str, Callable[[Any], Any]],
    items: Sequence[Any] | dict[str, Sequence[Any]],
    reference: str,
    repeats: int = 5,
    chunk: int = 500,
) -> Comparison:
    """Every contender over its items once per repeat, interleaved in chunks; CPU time per contender.

    ``items`` is one sequence for all, or one per contender (the same tickets as dicts for engines
    that read dicts). Each repeat walks the items in chunks of ``chunk``; every chunk runs through
    all contenders, in an order rotated per chunk, so a burst of load from elsewhere on the machine
    lands on every contender alike. Every contender gets exactly ``repeats`` passes over the same
    items; the results of the last pass are kept for checking answers.
    """
    names = list(contenders)
    data = {name: items[name] if isinstance(items, dict) else items for name in names}
    size = min(len(d) for d in data.values())
    out = Comparison(reference, {n: [] for n in names}, {n: [] for n in names})
    clock = time.process_time
    collecting = gc.isenabled()
    gc.disable()  # as timeit does: a collection would bill one contender for everyone's garbage
    try:
        for _ in range(repeats):
            gc.collect()
            _repeat(contenders, data, names, size, chunk, clock, out)
    finally:
        if collecting:
            gc.enable()
    return out


def _repeat(
    contenders: dict[str, Callable[[Any], Any]],
    data: dict[str, Sequence[Any]],
    names: list[str],
    size: int,
    chunk: int,
    clock: Callable[[], float],
    out: Comparison,
) -> None:
    """One pass of every contender over the items, interleaved in chunks; appends rates and ratios."""
    seconds = dict.fromkeys(names, 0.0)
    results: dict[str, list[Any]] = {name: [] for name in names}
    for k, lo in enumerate(range(0, size, chunk)):
        r = k % len(names)
        for name in names[r:] + names[:r]:
            function, part = contenders[name], data[name][lo : lo + chunk]
            began = clock()
            done = [function(item) for item in part]
            seconds[name] += clock() - began
            results[name] += done
    for name in names:
        out.rates[name].append(size / seconds[name])
        out.results[name] = results[name]
    for name in names:
        out.ratios[name].append(out.rates[name][-1] / out.rates[out.reference][-1])


@dataclass(frozen=True)
class ChildRun:
    """A command run in a fresh process: its CPU seconds, wall seconds and own peak memory."""

    cpu: float
    wall: float
    peak_bytes: int
    exit_code: int
    stderr: str


def run_child(target: str, args: Sequence[str], stdout: Any = subprocess.DEVNULL) -> ChildRun:
    """Run ``module:function`` with ``args`` as ``sys.argv[1:]`` in a fresh Python, measured by itself."""
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "usage.json"
        command = [sys.executable, str(HERE / "_child.py"), str(result), target, *args]
        began = time.perf_counter()
        process = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - began
        if not result.exists():
            raise RuntimeError(
                f"{target} {' '.join(args)} died ({process.returncode}):\n{process.stderr.decode()}"
            )
        usage = json.loads(result.read_text())
    return ChildRun(usage["cpu"], wall, usage["peak_bytes"], usage["exit_code"], process.stderr.decode())


def own_peak_bytes() -> int:
    """This process's own peak resident memory (VmHWM), as the kernel counts it."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


@dataclass(frozen=True)
class Row:
    """One line of ``benchmarks/run.py``'s table."""

    figure: str
    matrixcore: str
    reference: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None


def print_table(rows: Sequence[Row], title: str = "") -> None:
    """One plain-text table: figure, matrixcore, reference, ratio, goal (and whether it is met)."""
    header = Row("figure", "matrixcore", "reference", "ratio", "goal")
    cells = [
        (
            r.figure,
            r.matrixcore,
            r.reference,
            r.ratio,
            r.goal,
            "" if r.met is None else ("met" if r.met else "MISSED"),
        )
        for r in (header, *rows)
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    if title:
        print(title)
    for i, c in enumerate(cells):
        print("  ".join(text.ljust(w) for text, w in zip(c, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths).rstrip())
