"""Several daemons on one PostgreSQL state (issue 16): claims, spread, takeovers, the fence, DB cost.

Starts a throwaway PostgreSQL cluster (``tests/pg_support.py``, durable: fsync on), ``INSTANCES``
example helpdesks in this process (``DESK_TICKETS`` tickets each, a changing subset touched every
few seconds), and ``DAEMONS`` ``matrixcore run`` processes with one config naming every helpdesk,
sharing the database. Then measures, reading each daemon's ``/healthz`` and the ``leases`` table:

1. claims: seconds from start until every connection is owned; after ``SPREAD_AFTER`` seconds the
   most and least connections one daemon owns (goal: busiest at most 1.5 x the least busy);
2. takeovers: ``KILLS`` times, SIGKILL a random daemon, time until all its connections are owned
   again (goal: within the lease ttl plus one poll), restart it; sampled throughout: connections
   two daemons claim at once in ``/healthz`` (goal 0); at the end: messages sent twice and tickets
   with a wrong priority or a missing message (goal 0 each);
3. the fence: SIGSTOP a daemon until its connections were taken over, SIGCONT it, and read its
   ``matrixcore_state_fenced_writes_total`` and its cycles that still succeeded on those connections
   (goal: every write rejected, none through);
4. sustained: the database server's CPU seconds (all its processes, from /proc) per wall second
   while the daemons poll every ``INTERVAL`` seconds, and per instance-cycle.

    python benchmarks/bench_state_postgres.py [--daemons 4] [--instances 120] [--kills 20]

Measured 2026-12-07 on the shared 2-core machine while seven other test suites ran (so wall times
are long), 4 daemons x 120 instances x 50 tickets, ttl 6s, --kills 10:
  claims : all 120 owned 13.6s after the processes started (Python start-up under that load), at
           once after the first claim; goal 5s: met after start-up, not counting it
  spread : after 30s [22, 23, 30, 45]: 2.05 (goal 1.5: NOT met; the busiest was still finishing the
           long first cycles of the connections it had to give up: a busy one is released only when
           its cycle ends). Before the join window and release-after-cycle: [0, 0, 33, 87]
  kills  : owned again after 5.6s median (0.1-6.4), 0 owned twice at once (goal: ttl + one poll: met)
  fence  : SIGSTOP 24.7s with 60 connections; after SIGCONT 78 writes rejected, 1 cycle of those
           connections completed without being rejected (one that had nothing left to write)
  db cpu : 0.140 cores (35.1 ms per instance-cycle) with the kills' restarts and churn; 0.072 cores
           (17.9 ms) in the first run (goal < 0.5 core: met)
  outcome: 0 messages sent twice; 2 of 6,000 tickets with a priority other than the rules'
           (not yet explained; a stale priority write in the window between the lease check and
           the request of a daemon stopped exactly there would look like an agent's change)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import psycopg
from daemon_support import SUBJECTS, TOKEN, Helpdesk, write_rules
from pg_support import PostgresCluster, find_bin_dir

TTL = 6.0
INTERVAL = 30.0


def _config(folder: Path, desks: list[Helpdesk], url: str, interval: float) -> Path:
    write_rules(folder / "rules.yaml")
    lines = [
        "rules: rules.yaml",
        f"state: {{url: {{env: BENCH_STATE_URL}}, lease: {{ttl: {TTL}s}}}}",
        f"sync: {{interval: {interval}s}}",
        "connections:",
    ]
    for i, desk in enumerate(desks):
        lines += [
            f"  desk-{i:03}:",
            "    adapter: helpdesk",
            f"    base_url: {desk.url}",
            "    auth: {type: bearer, token: {env: HD_TOKEN}}",
            "    page_size: 100",
            "    retry: {max_attempts: 3, backoff_base: 0.2, max_wait: 2}",
            "    priority_map: {P1: urgent, P2: high, P3: normal, P4: low}",
        ]
    path = folder / "matrixcore.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Fleet:
    """The daemon processes, each with its own metrics port."""

    def __init__(self, config: Path, url: str, count: int, folder: Path) -> None:
        self.config, self.url, self.folder = config, url, folder
        self.ports = [19500 + i for i in range(count)]
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count

    def start(self, i: int) -> None:
        env = {**os.environ, "HD_TOKEN": TOKEN, "BENCH_STATE_URL": self.url}
        env.pop("MATRIXCORE_STATE", None)
        log = (self.folder / f"daemon-{i}.log").open("ab")
        self.procs[i] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "matrixcore",
                "run",
                "--config",
                str(self.config),
                "--metrics-addr",
                f"127.0.0.1:{self.ports[i]}",
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=log,
            env=env,
        )

    def health(self, i: int) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[i]}/healthz", timeout=2) as reply:
                return dict(json.load(reply))
        except urllib.error.HTTPError as exc:
            return dict(json.load(exc))
        except OSError:
            return None

    def owned(self) -> dict[int, list[str]]:
        out = {}
        for i, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is None:
                body = self.health(i)
                if body is not None:
                    out[i] = list(body["state"]["owned_connections"])
        return out

    def metric(self, i: int, name: str) -> float:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[i]}/metrics", timeout=2) as reply:
                text = reply.read().decode()
        except OSError:
            return float("nan")
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))

    def ok_cycles(self, i: int, connections: set[str]) -> float:
        """Successful cycles daemon ``i`` counted on ``connections``."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[i]}/metrics", timeout=2) as reply:
                text = reply.read().decode()
        except OSError:
            return float("nan")
        total = 0.0
        for line in text.splitlines():
            if line.startswith("matrixcore_cycles_total{") and 'outcome="ok"' in line:
                name = line.split('connection="', 1)[1].split('"', 1)[0]
                if name in connections:
                    total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc in self.procs:
            if proc is not None:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _owners(db: Any) -> dict[str, str]:
    rows = db.execute("SELECT connection, owner FROM leases WHERE owner IS NOT NULL AND expires_at > now()")
    return {r[0]: r[1] for r in rows.fetchall()}


def _server_cpu(cluster: PostgresCluster) -> float:
    """CPU seconds of the database server: the postmaster and every process under it."""
    root = cluster.postmaster_pid()
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _churn(desks: list[Helpdesk], stop: threading.Event, every: float) -> None:
    """Touch a few tickets of every desk now and then, so cycles have work and write."""
    rng = random.Random(7)
    while not stop.wait(every):
        for desk in desks:
            for ticket_id in rng.sample(sorted(desk.tickets), k=min(3, len(desk.tickets))):
                desk.update_ticket(ticket_id, subject=rng.choice(list(SUBJECTS)))


def run(args: argparse.Namespace) -> None:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL server binaries (initdb): apt install postgresql")
    cluster = PostgresCluster(bin_dir, durable=True).start()
    desks = [Helpdesk() for _ in range(args.instances)]
    folder = Path(tempfile.mkdtemp(prefix="matrixcore-bench-"))
    stop_churn = threading.Event()
    fleet: Fleet | None = None
    try:
        for desk in desks:
            desk.start()
            desk.seed(args.tickets)
        url = cluster.database()
        config = _config(folder, desks, url, args.interval)
        db = psycopg.connect(url, autocommit=True)
        fleet = Fleet(config, url, args.daemons, folder)
        started = time.monotonic()
        for i in range(args.daemons):
            fleet.start(i)
        claimed_in = first = float("nan")
        while time.monotonic() - started < 180:
            try:
                owners = _owners(db)
            except psycopg.Error:
                owners = {}  # the first daemon is still creating the tables
            if owners and first != first:
                first = time.monotonic() - started
            if len(owners) == args.instances:
                claimed_in = time.monotonic() - started
                break
            time.sleep(0.1)
        print(
            f"claims : all {args.instances} connections owned {claimed_in:.1f}s after the processes started, "
            f"{claimed_in - first:.1f}s after the first claim (goal 5s; starting Python and importing "
            "matrixcore is the rest)"
        )
        started += first  # the spread is measured from when the daemons were up
        time.sleep(max(0.0, started + args.spread_after - time.monotonic()))
        counts = sorted(len(v) for v in fleet.owned().values())
        print(
            f"spread : after {args.spread_after:.0f}s per daemon {counts}: busiest/least "
            f"{counts[-1] / max(1, counts[0]):.2f} (goal <= 1.5)"
        )
        churn = threading.Thread(target=_churn, args=(desks, stop_churn, 2.0), daemon=True)
        churn.start()
        takeovers: list[float] = []
        doubles = 0
        for _ in range(args.kills):
            victim = random.randrange(args.daemons)
            owned = fleet.owned()
            lost = set(owned.get(victim, []))
            fleet.procs[victim].send_signal(signal.SIGKILL)  # type: ignore[union-attr]
            fleet.procs[victim].wait()  # type: ignore[union-attr]
            killed = time.monotonic()
            while time.monotonic() - killed < TTL + args.interval + 30:
                now_owned = fleet.owned()
                flat = [c for cs in now_owned.values() for c in cs]
                doubles += len(flat) - len(set(flat))
                if lost <= set(flat):
                    break
                time.sleep(0.2)
            takeovers.append(time.monotonic() - killed)
            fleet.start(victim)
            time.sleep(random.uniform(1, 3))
        if takeovers:
            print(
                f"kills  : {len(takeovers)} SIGKILLs: its connections owned again after "
                f"{statistics.median(takeovers):.1f}s median ({min(takeovers):.1f}-{max(takeovers):.1f}; "
                f"goal ttl {TTL:.0f}s + one poll), {doubles} connections seen owned twice at once"
            )
        # The fence: stop one daemon past its lease, resume it, and see what got through.
        victim = 0
        owned = set(fleet.owned().get(victim, []))
        ok_before = fleet.ok_cycles(victim, owned)
        fleet.procs[victim].send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
        paused = time.monotonic()
        while time.monotonic() - paused < TTL * 4 and not owned <= {
            c for i, cs in fleet.owned().items() if i != victim for c in cs
        }:
            time.sleep(0.2)
        held = time.monotonic() - paused
        fleet.procs[victim].send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        time.sleep(TTL)
        fenced = fleet.metric(victim, "matrixcore_state_fenced_writes_total")
        through = fleet.ok_cycles(victim, owned) - ok_before
        print(
            f"fence  : SIGSTOP {held:.1f}s with {len(owned)} connections, all taken over meanwhile; after "
            f"SIGCONT {fenced:.0f} writes rejected by the fence, {through:.0f} cycles of those connections "
            "completed by it (goal 0: every write rejected)"
        )
        # Sustained cost.
        cpu0, wall0 = _server_cpu(cluster), time.monotonic()
        time.sleep(args.sustain)
        cpu, wall = _server_cpu(cluster) - cpu0, time.monotonic() - wall0
        cycles = args.instances * wall / args.interval
        print(
            f"db cpu : {cpu / wall:.3f} cores over {wall:.0f}s with {args.instances} instances polled every "
            f"{args.interval:.0f}s (goal < 0.5); {1000 * cpu / cycles:.1f} ms per instance-cycle"
        )
        stop_churn.set()
        time.sleep(args.interval + TTL)  # the last changes synced
        fleet.stop()
        fleet = None
        problems = [p for desk in desks for p in desk.outcome_problems()]
        twice = [p for p in problems if "twice" in p]
        wrong = [p for p in problems if ": priority " in p]
        print(
            f"outcome: {len(twice)} messages sent twice, {len(wrong)} tickets with a wrong priority, over "
            f"{sum(len(d.tickets) for d in desks)} tickets (a message a changed ticket no longer needs is "
            "not counted: the churn changes subjects after their messages went out)"
        )
        db.close()
    finally:
        stop_churn.set()
        if fleet is not None:
            fleet.stop()
        for desk in desks:
            desk.stop()
        cluster.stop()
        print(f"daemon logs in {folder}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daemons", type=int, default=4)
    parser.add_argument("--instances", type=int, default=120)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--interval", type=float, default=INTERVAL)
    parser.add_argument("--spread-after", type=float, default=30.0)
    parser.add_argument("--sustain", type=float, default=120.0)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
