"""Soak: ``matrixcore run`` killed with SIGKILL 500 times against a helpdesk with thousands of tickets.

The suite's ``tests/test_daemon_kill.py`` does the same with 30 kills; this runs long (about 25
minutes on 2 cores) and is not part of the suite. New tickets keep arriving
between kills, so the daemon is killed while it catches up, while it echoes its own writes, and
while it sends timed warnings. At the end: every ticket has the right priority, every requester
exactly the messages due (none twice, none skipped), nothing is pending, and one more cycle writes
nothing.

    python benchmarks/soak_kill.py [--kills 500] [--tickets 3000] [--seed N]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from daemon_support import TOKEN, Helpdesk, write_config, write_rules

from matrixcore.state import StateStore


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HD_TOKEN": TOKEN}
    env.pop("MATRIXCORE_STATE", None)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "matrixcore", *args], stdout=out, stderr=out, env=env)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(f"soak: {args.kills} SIGKILLs, {args.tickets} tickets, seed {args.seed}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, Helpdesk() as desk:
        folder = Path(tmp)
        write_rules(folder / "rules.yaml")
        config = str(write_config(folder, {"hd": desk.url}))
        log = folder / "daemon.log"
        desk.seed(args.tickets // 2)
        started = time.monotonic()
        for kill in range(1, args.kills + 1):
            if kill % 10 == 0:  # the tool keeps living: new tickets arrive
                desk.seed(max(args.tickets // 2 // (args.kills // 10), 1))
            seen = len(desk.requests)
            process = spawn(["run", "--config", config, "--interval", "0.2", "--log-level", "warning"], log)
            deadline = time.monotonic() + 30
            while len(desk.requests) <= seen and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if process.poll() is not None:
                print(f"the daemon exited with {process.returncode}:\n{log.read_text()[-3000:]}")
                return 1
            time.sleep(rng.uniform(0.0, 0.6))
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            if kill % 50 == 0:
                print(f"  {kill} kills, {time.monotonic() - started:.0f}s", flush=True)
        time.sleep(max(0.0, desk.seeded_at + 2.2 - time.monotonic()))
        final = spawn(["run", "--config", config, "--once", "--log-level", "warning"], log)
        if final.wait(600) != 0:
            print(f"the final cycle failed:\n{log.read_text()[-3000:]}")
            return 1
        problems = desk.outcome_problems()
        with StateStore(folder / "state.sqlite3") as store:
            pending = store.pending("hd")
        desk.clear_requests()
        spawn(["run", "--config", config, "--once", "--log-level", "warning"], log).wait(600)
        writes = desk.writes()
        print(f"tickets: {len(desk.tickets)}; wrong: {len(problems)}; pending: {len(pending)}; ", end="")
        print(f"writes in a cycle over unchanged tickets: {len(writes)}")
        for problem in problems[:20]:
            print("  " + problem)
        ok = not problems and not pending and not writes
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
