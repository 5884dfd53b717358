"""The benchmarks' own measuring: figures that cannot flatter (issue 17).

Not timings (those live in ``benchmarks/``): these check that the memory figure is the measured
process's own, that every contender gets the same rounds, and that ratios are taken per repeat.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import _measure  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is Linux's")


def test_an_empty_child_of_a_big_runner_reports_its_own_memory_not_the_runners() -> None:
    held = bytearray(b"x") * (300 * 2**20)  # touched, so resident
    try:
        assert _measure.own_peak_bytes() > 300 * 2**20
        measured = _measure.run_child("-", [])
        # What the old benchmark read: wait4's ru_maxrss, which carries the runner's peak over exec.
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        _, _, usage = os.wait4(child.pid, 0)
    finally:
        del held
    assert measured.exit_code == 0
    assert measured.peak_bytes < 50 * 2**20, measured
    assert usage.ru_maxrss * 1024 > 250 * 2**20  # the inherited figure this launcher avoids


def test_a_child_that_allocates_reports_that_peak_and_its_cpu_time(tmp_path: Path) -> None:
    script = tmp_path / "grow.py"
    script.write_text(
        "import sys\n"
        "def main():\n"
        "    block = bytearray(b'x') * (int(sys.argv[1]) * 2**20)\n"
        "    total = sum(range(3_000_000))\n"
        "    sys.exit(3 if block and total else 0)\n"
    )
    sys.path.insert(0, str(tmp_path))
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{env_path}" if env_path else str(tmp_path)
    try:
        run = _measure.run_child("grow:main", ["120"])
    finally:
        os.environ["PYTHONPATH"] = env_path
        if not env_path:
            del os.environ["PYTHONPATH"]
    assert run.exit_code == 3
    assert 120 * 2**20 < run.peak_bytes < 200 * 2**20
    assert run.cpu > 0.01


def test_compare_gives_every_contender_the_same_rounds_and_ratios_per_repeat() -> None:
    calls = {"slow": 0, "fast": 0}

    def slow(x: int) -> int:
        calls["slow"] += 1
        return sum(range(200)) + x

    def fast(x: int) -> int:
        calls["fast"] += 1
        return x

    result = _measure.compare({"slow": slow, "fast": fast}, list(range(2000)), "slow", repeats=4)
    assert calls == {"slow": 8000, "fast": 8000}
    assert len(result.rates["fast"]) == len(result.ratios["fast"]) == 4
    for rate_fast, rate_slow, ratio in zip(
        result.rates["fast"], result.rates["slow"], result.ratios["fast"], strict=True
    ):
        assert ratio == pytest.approx(rate_fast / rate_slow)
    spread = result.ratio("fast")
    assert spread.low <= spread.median <= spread.high
    assert result.results["fast"] == list(range(2000))


def test_the_calendar_reference_walk_agrees_with_the_business_calendar() -> None:
    import bench_calendar

    result = bench_calendar.run(300, repeats=1)  # raises if any answer differs
    assert len(result.results["day-by-day walk"]) == 300
