"""The dry-run report end to end over generated exports: ``python benchmarks/bench_report.py``.

For each format (JSON Lines and CSV) and size (100,000 and 1,000,000 tickets by default) the quick
start's generator writes a TOPdesk export into ``benchmarks/.data/`` (once; it is reused), and
``matrixcore report --config ...`` with default options runs over it in a fresh process (stdout to
/dev/null), measured by that process itself (``_measure.run_child``): its CPU seconds and its own
peak memory, not the runner's. Printed per format: tickets per CPU second at the largest size
(median, min and max of the repeats) against the reader floor (parsing the same lines with orjson,
or csv.DictReader, in this process), and the peak memory at the largest size against the smallest
(flat: memory does not grow with the export).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import ChildRun, Row, print_table, run_child, spread

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
QUICKSTART = ROOT / "examples" / "quickstart"
AS_OF = "2025-07-01T08:00:00+02:00"
SIZES = (100_000, 1_000_000)

CONFIG = """\
rules: {rules}
source:
  path: {export}
  format: jsonl
  preset: topdesk
  timezone: Europe/Amsterdam
  columns:
    custom.affected_users: Aantal getroffen gebruikers
  values:
    impact:
      {{Organisatie: organisation, Vestiging: branch, Afdeling: department, Groep: group, Persoon: person}}
    urgency: {{Hoog: high, Normaal: normal, Laag: low}}
report:
  as_of: "{as_of}"
"""


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_tickets", QUICKSTART / "generate_tickets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export(size: int, fmt: str = "jsonl") -> tuple[Path, int]:
    """The export of about ``size`` tickets in ``fmt`` and its exact count, generated on first use."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"tickets-{size}.{fmt}"
    if not path.exists():
        began = time.perf_counter()
        print(f"  generating {path.name} ...", end="", file=sys.stderr, flush=True)
        partial = path.with_suffix(".partial")
        _generator().write(partial, size, fmt)
        partial.replace(path)
        print(f" {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    with path.open("rb") as lines:
        count = sum(1 for _ in lines) - (fmt == "csv")
    return path, count


def config(path: Path) -> Path:
    target = path.with_suffix(f".{path.suffix[1:]}.yaml")
    rules = QUICKSTART / "rules.yaml"
    text = CONFIG.format(rules=rules, export=path, as_of=AS_OF)
    if path.suffix == ".csv":
        text = text.replace("format: jsonl", "format: csv")
    target.write_text(text, encoding="utf-8")
    return target


def run_report(config_path: Path, *options: str) -> ChildRun:
    """``matrixcore report --config ...`` in a fresh process, measured by itself."""
    run = run_child("matrixcore._cli:main", ["report", "--config", str(config_path), *options])
    if run.exit_code != 0:
        raise SystemExit(f"matrixcore report failed ({run.exit_code}):\n{run.stderr}")
    return run


def reader_floor(path: Path, limit: int = 200_000) -> float:
    """Lines (rows) per CPU second of the bare parse: orjson per line, or csv.DictReader."""
    import csv

    import orjson

    n = 0
    began = time.process_time()
    if path.suffix == ".jsonl":
        with path.open("rb") as lines:
            loads = orjson.loads
            for line in lines:
                loads(line)
                n += 1
                if n >= limit:
                    break
    else:
        with path.open(newline="", encoding="utf-8") as text:
            for _ in csv.DictReader(text, delimiter=";"):
                n += 1
                if n >= limit:
                    break
    return n / (time.process_time() - began)


def empty_child_check(hold_mib: int = 300) -> Row:
    """An empty child of a runner holding ``hold_mib`` MiB must report its own few MiB, not the runner's."""
    held = bytearray(b"x") * (hold_mib * 2**20)
    try:
        run = run_child("-", [])
    finally:
        del held
    mib = run.peak_bytes / 2**20
    return Row(
        f"peak memory of an empty child of a {hold_mib} MiB runner",
        f"{mib:.1f} MiB",
        "the interpreter alone",
        goal="< 50 MiB (its own)",
        met=mib < 50,
    )


def rows(
    sizes: Sequence[int] = SIZES, repeats: int = 3, formats: Sequence[str] = ("jsonl", "csv")
) -> list[Row]:
    goals = {"jsonl": 60_000, "csv": 40_000}
    names = {"jsonl": "JSON Lines", "csv": "CSV"}
    out = [empty_child_check()]
    small, large = min(sizes), max(sizes)
    for fmt in formats:
        path, count = export(large, fmt)
        runs = [run_report(config(path)) for _ in range(repeats)]
        rate = spread([count / r.cpu for r in runs])
        floor = reader_floor(path)
        out.append(
            Row(
                f"report, {count:,}-ticket {names[fmt]} export, default options: tickets/CPU-s",
                rate.text(),
                f"bare parse {floor:,.0f}",
                f"1/{floor / rate.median:.0f}",
                f">= {goals[fmt]:,}",
                rate.median >= goals[fmt],
            )
        )
        peak = spread([r.peak_bytes / 2**20 for r in runs])
        small_path, small_count = export(small, fmt)
        small_peak = run_report(config(small_path)).peak_bytes / 2**20
        out.append(
            Row(
                f"report, {names[fmt]}: own peak memory, {count:,} vs {small_count:,} tickets",
                peak.text(".1f", " MiB"),
                f"{small_peak:.1f} MiB",
                f"{peak.median / small_peak:.2f}x",
                "< 100 MiB, flat",
                peak.high < 100 and peak.median / small_peak < 1.2,
            )
        )
    return out


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--format", action="append", choices=("jsonl", "csv"))
    args = parser.parse_args(list(argv))
    print_table(rows(sorted(args.sizes), args.repeats, args.format or ("jsonl", "csv")))


if __name__ == "__main__":
    main(sys.argv[1:])
