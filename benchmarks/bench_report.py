"""The dry-run report end to end over generated JSON Lines exports: ``python benchmarks/bench_report.py``.

For each size (100,000 and 1,000,000 tickets by default) the quick start's generator writes an export
into ``benchmarks/.data/`` (once; it is reused), and ``matrixcore report --format json --tickets all``
runs over it in a fresh process, writing every ticket's row to /dev/null. Printed per size: tickets/s
and the child's peak RSS (``os.wait4``'s rusage). Then the two goals of the report's issue:

* peak RSS at the largest size within 20% of that at the smallest (memory does not grow with the
  export), and
* end-to-end throughput at least half the engine's alone. "The engine alone" is measured in this
  process on tickets already in memory, two ways: ``Engine.classify`` (the decision only), and the
  engine work the report does per ticket (the decision plus the replay of the communication
  policies, whose messages are rendered in the requester's language with Babel).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
QUICKSTART = ROOT / "examples" / "quickstart"
AS_OF = "2025-07-01T08:00:00+02:00"
SIZES = (100_000, 1_000_000)
#: Tickets the in-process engine measurements use (all in memory at once, so not the largest size).
ENGINE_SAMPLE = 100_000

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


def export(size: int) -> tuple[Path, int]:
    """The JSON Lines export of about ``size`` tickets and its exact count, generated on first use."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"tickets-{size}.jsonl"
    if not path.exists():
        began = time.perf_counter()
        print(f"  generating {path.name} ...", end="", flush=True)
        partial = path.with_suffix(".partial")
        _generator().write(partial, size, "jsonl")
        partial.replace(path)
        print(f" {time.perf_counter() - began:.0f} s", flush=True)
    with path.open("rb") as lines:
        count = sum(1 for _ in lines)
    return path, count


def config(path: Path) -> Path:
    target = path.with_suffix(".yaml")
    rules = QUICKSTART / "rules.yaml"
    target.write_text(CONFIG.format(rules=rules, export=path, as_of=AS_OF), encoding="utf-8")
    return target


def run_report(config_path: Path) -> tuple[float, float, int]:
    """Wall-clock seconds, CPU seconds and peak RSS (bytes) of ``matrixcore report`` in a fresh process."""
    command = [
        sys.executable,
        "-c",
        "from matrixcore._cli import main; main()",
        "report",
        "--config",
        str(config_path),
        "--format",
        "json",
        "--tickets",
        "all",
        "--quiet",
    ]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"matrixcore report failed ({process.returncode}):\n{errors}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # kilobytes on Linux


def engine_rates(path: Path, sample: int) -> dict[str, float]:
    """Tickets/s of the engine alone on ``sample`` tickets already read into memory."""
    from matrixcore import Engine
    from matrixcore._plugins import Plugins
    from matrixcore.exports._source import FileSource
    from matrixcore.report._report import Report, ReportMeta

    plugins = Plugins()
    loaded = plugins.load_config(config(path))
    ruleset = plugins.load_ruleset(loaded.rules_path)
    assert loaded.source is not None
    source = plugins.open_adapter(loaded.source)
    assert isinstance(source, FileSource)
    source.use_ruleset(ruleset)
    tickets = []
    for batch in source.fetch(None):
        tickets.extend(batch.tickets)
        if len(tickets) >= sample:
            break
    tickets = tickets[:sample]
    engine = Engine(ruleset)
    as_of = datetime.fromisoformat(AS_OF)
    meta = ReportMeta(as_of, as_of, "bench", "rules.yaml", tickets="none")
    report = Report(engine, (), meta, plugins=plugins, provides=source.provides)
    classify, evaluate = engine.classify, report.evaluate
    began = time.process_time()
    for ticket in tickets:
        classify(ticket, ticket.created)
    classified = len(tickets) / (time.process_time() - began)
    began = time.process_time()
    for ticket in tickets:
        evaluate(ticket)
    evaluated = len(tickets) / (time.process_time() - began)
    return {"classify": classified, "report_engine": evaluated}


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    args = parser.parse_args(list(argv))
    sizes = sorted(args.sizes)
    results = []
    print("matrixcore report --format json --tickets all, in a fresh process:")
    for size in sizes:
        path, count = export(size)
        seconds, cpu, rss = run_report(config(path))
        results.append((count, cpu, rss))
        print(
            f"{count:>10,} tickets  {count / seconds:>8,.0f} tickets/s  ({count / cpu:,.0f} per CPU second)  "
            f"peak RSS {rss / 2**20:6.1f} MiB   {seconds:.1f} s"
        )
    rates = engine_rates(export(sizes[0])[0], min(ENGINE_SAMPLE, results[0][0]))
    print("the engine alone, on tickets in memory (tickets per CPU second)")
    print(f"  Engine.classify              {rates['classify']:>9,.0f}")
    print(f"  classify + message replay    {rates['report_engine']:>9,.0f}   (the report's engine work)")
    (small, _, small_rss), (large, large_cpu, large_rss) = results[0], results[-1]
    end_to_end = large / large_cpu
    print(f"peak RSS {large:,} / {small:,}: {large_rss / small_rss:.2f}  (goal: within 1.20)")
    print(
        f"end-to-end / engine alone: {end_to_end / rates['classify']:.2f} against Engine.classify, "
        f"{end_to_end / rates['report_engine']:.2f} against the report's engine work  (goal: at least 0.50)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
