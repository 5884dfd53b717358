"""The sync daemon: every connection on its own schedule, rules that reload, and a clean stop.

Each connection gets a worker thread that runs ``sync_connection`` cycle after cycle. A worker sleeps
until its next poll or the earliest timed message of its tickets, whichever comes first; after a
failed cycle it backs off on its own (doubling, with jitter, at least the server's ``Retry-After``),
so a tool answering 429s or timing out delays only itself while the others go on. Nothing a tool
or a plugin does ends the daemon: every failure is logged, counted and retried.

The main thread watches: signals, the rules and config files, and the workers.

* SIGHUP, or a change to the rules or config file, reloads them. An invalid file (or a ruleset
  whose own examples fail) is reported with every problem and the last good one stays in force.
* The first SIGTERM or SIGINT asks every worker to stop after the batch it is on (its cursor
  committed) and exits 0; a second exits at once, which is safe: a cursor only moves after its
  batch is durable, and a pending message is reconciled before anything is resent.
"""

from __future__ import annotations

import logging
import math
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Final

from . import __version__
from ._adapter import Adapter, AdapterContext, AdapterError, Cancelled
from ._config import Config, ConnectionConfig
from ._daemon_settings import DaemonSettings, format_duration_s
from ._engine import Engine
from ._errors import ConfigError, MatrixcoreError, Problem, RulesetError
from ._examples import run_examples
from ._logging import bound
from ._metrics import DaemonMetrics, MetricsServer
from ._plugins import Plugins
from ._sync import CycleReport, SyncOptions, build_predictor, predicts, sync_connection
from .predict import Predictor
from .state import FencedWrite, LeaseManager, PostgresStateStore, StateLock, daemon_id, open_store
from .status import DeskCollector, PromiseOutcomes, RecentDecisions, render_status, snapshot

__all__ = ["EXIT_INTERNAL", "EXIT_UNREACHABLE", "STALE_AFTER", "Daemon", "RulesRefused", "load_engine"]

logger = logging.getLogger("matrixcore.daemon")

EXIT_INTERNAL: Final = 1
EXIT_UNREACHABLE: Final = 3
#: Settings a reloaded config changes while running; the others need a restart.
_LIVE_SETTINGS: Final = (
    "interval",
    "respect_agents",
    "trace_notes",
    "backoff_initial",
    "backoff_max",
    "healthy_within",
    "predict_interval",
    "retention",
)
#: Seconds after which a connection's pickup history is read anew from the state.
_HISTORY_REFRESH: Final = 3600.0
#: How often the main thread looks at its flags (signals only set flags: no locks in a handler).
_TICK: Final = 0.1
#: ``/healthz`` turns 503 when a due cycle has not started, or the main thread (signals, reloads)
#: has not come round, for this many seconds: the daemon is stuck, whatever its last success says.
STALE_AFTER: Final = 30.0
#: Seconds a stopping run lets the workers finish their batch before it cancels their waits and
#: requests; as long again, then it exits without them (safe: see invariant 3).
STOP_GRACE: Final = 4.0


class RulesRefused(MatrixcoreError):
    """A rules file the daemon will not run with: invalid, or its own examples fail."""

    def __init__(self, message: str, problems: tuple[Problem, ...], *, invalid: bool = True) -> None:
        super().__init__(message)
        self.problems = problems
        #: ``True``: the file is invalid; ``False``: it is valid but its examples fail.
        self.invalid = invalid


def load_engine(path: Path, plugins: Plugins) -> Engine:
    """An engine for the rules at ``path``, refused (``RulesRefused``) if invalid or an example fails.

    Nothing else escapes, whatever the file holds: a failure no check foresaw (compiling the rules,
    running the examples) is a refusal too, so a reload keeps the last good rules and a start exits 2.
    """
    try:
        ruleset = plugins.load_ruleset(path)
    except RulesetError as exc:
        errors = sum(p.severity == "error" for p in exc.problems)
        raise RulesRefused(f"{path}: {errors} error{'s' if errors != 1 else ''}", exc.problems) from None
    except Exception as exc:
        raise RulesRefused(f"{path}: cannot be loaded ({_describe(exc)})", ()) from None
    try:
        engine = Engine(ruleset)
        results = run_examples(engine, plugins)
    except Exception as exc:
        logger.debug("the rules in %s cannot be used", path, exc_info=True)
        raise RulesRefused(f"{path}: the rules cannot be used ({_describe(exc)})", ()) from None
    failed = [r for r in results if not r.passed]
    if failed:
        problems = tuple(r.as_problem(str(path)) for r in failed)
        raise RulesRefused(f"{path}: {len(failed)} of the file's examples fail", problems, invalid=False)
    return engine


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@dataclass(slots=True)
class ConnectionStatus:
    """What ``/healthz`` and the logs say about one connection."""

    name: str
    adapter: str
    last_success: float | None = None
    last_error: str | None = None
    failures: int = 0
    cycles: int = 0
    #: ``time.monotonic()`` when the next cycle is due (``None`` while one runs).
    due_at: float | None = None
    #: What the last successful cycle did, for the status page.
    last_cycle: dict[str, Any] | None = None

    def overdue(self, monotonic: float) -> float:
        """Seconds the worker is late starting its due cycle (0 when on time or in a cycle)."""
        return max(0.0, monotonic - self.due_at) if self.due_at is not None else 0.0

    def as_dict(
        self, now: float, window: float, started: float, stale_after: float = STALE_AFTER
    ) -> dict[str, Any]:
        since = self.last_success if self.last_success is not None else started
        late = self.overdue(time.monotonic())
        return {
            "adapter": self.adapter,
            # A worker that does not start its due cycle is stuck, however recent its last success.
            "healthy": now - since <= window and late <= stale_after,
            "cycle_overdue_seconds": round(late, 3),
            "last_success": _stamp(self.last_success),
            "seconds_since_success": round(now - self.last_success, 3) if self.last_success else None,
            "consecutive_failures": self.failures,
            "last_error": self.last_error,
            "cycles": self.cycles,
        }


def _stamp(seconds: float | None) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds") if seconds else None


class _Worker:
    """One connection's loop: wait, cycle, schedule the next one (backing off after failures)."""

    def __init__(self, daemon: Daemon, connection: ConnectionConfig) -> None:
        self.daemon = daemon
        self.connection = connection
        self.name = connection.name
        self.status = ConnectionStatus(connection.name, connection.adapter)
        self.adapter: Adapter | None = None
        self.wake = threading.Event()
        self.retired = threading.Event()
        self.next_poll = 0.0
        #: In a cycle now (a shared state's lease is given up only between cycles).
        self.busy = False
        self.last_start = float("-inf")
        self.retry_at = 0.0
        #: When waiting tickets are next re-evaluated without a poll (predicted misses).
        self.next_predict = 0.0
        self.polled = True
        #: The connection's queue and history, kept across cycles; rebuilt from the state when the
        #: rules change and every ``_HISTORY_REFRESH`` seconds (new pickups become history).
        self.predictor: Predictor | None = None
        self.predictor_for: tuple[Engine, float] | None = None
        self.exit_code = 0
        self.thread = threading.Thread(target=self._loop, name=f"sync-{self.name}", daemon=True)

    # -- control -----------------------------------------------------------------------------------
    def stopping(self) -> bool:
        return self.retired.is_set() or self.daemon.stopping

    def retire(self) -> None:
        """Stop after the current batch (the connection was removed or changed)."""
        self.retired.set()
        self.wake.set()

    def close(self) -> None:
        if self.adapter is not None:
            try:
                self.adapter.close()
            except Exception:
                logger.exception("closing connection %s failed", self.name)
            self.adapter = None

    # -- scheduling --------------------------------------------------------------------------------
    def delay(self) -> float:
        """Seconds until this connection's next cycle: its poll, an earlier timer, or its backoff."""
        now = time.monotonic()
        leases = self.daemon.leases
        if leases is not None and not leases.owns(self.name):
            return leases.heartbeat  # another daemon's for now: look again when the leases change
        if self.status.failures:
            return self.retry_at - now
        wait = self.next_poll - now
        if predicts(self.daemon.engine):
            wait = min(wait, self.next_predict - now)
        due = self.daemon.store.next_due(self.name)
        if due is not None:
            wait = min(wait, (due - self.daemon.clock()).total_seconds())
        return max(wait, self.last_start + self.daemon.settings.min_gap - now)

    def _loop(self) -> None:
        with bound(connection=self.name, adapter=self.connection.adapter):
            while not self.stopping():
                try:
                    wait = self.delay()
                except Exception:  # the state file is unreadable: say so, and try again later
                    logger.exception("cannot schedule %s", self.name)
                    wait = self.daemon.settings.backoff_initial
                if wait > 0:
                    self.status.due_at = time.monotonic() + wait
                    self.wake.wait(wait)
                    self.wake.clear()
                    continue
                self.status.due_at = None
                self.cycle()

    # -- one cycle ---------------------------------------------------------------------------------
    def open(self) -> Adapter:
        if self.adapter is None:
            context = AdapterContext(
                read_only=self.daemon.settings.dry_run,
                logger=logging.getLogger(f"matrixcore.adapter.{self.connection.adapter}"),
                user_agent=f"matrixcore/{__version__}",
                on_retry=lambda error, wait: self.daemon.metrics.record_retry(self.name, error),
                cancel=self.daemon.cancel,
            )
            adapter = self.daemon.plugins.open_adapter(self.connection, context)
            try:
                adapter.check()
            except BaseException:
                adapter.close()
                raise
            logger.info("connected to %s (%s)", self.name, self.connection.adapter)
            self.adapter = adapter
        return self.adapter

    def cycle(self) -> CycleReport | None:
        """Run one cycle now; never raises (a failure is logged, counted and backed off)."""
        leases = self.daemon.leases
        if leases is not None and not leases.owns(self.name):
            return None
        self.busy = True
        try:
            return self._cycle()
        finally:
            self.busy = False

    def _cycle(self) -> CycleReport | None:
        daemon, settings = self.daemon, self.daemon.settings
        self.last_start = started = time.monotonic()
        # A poll when one (or a timer, as ever) is due; a round only for predicted misses between
        # polls reads the state alone.
        polling = self.polled = started >= self.next_poll or self._timer_due()
        error: BaseException | None = None
        report: CycleReport | None = None
        try:
            adapter = self.open()
            predictor = self._predictor()
            report = sync_connection(
                self.name,
                adapter,
                daemon.store,
                daemon.engine,
                daemon.clock(),
                options=SyncOptions(
                    dry_run=settings.dry_run,
                    respect_agents=settings.respect_agents,
                    trace_notes=settings.trace_notes,
                    fetch=polling,
                ),
                plugins=daemon.plugins,
                stop=self.stopping,
                predictor=predictor,
            )
            error = report.exception if not report.ok else None
        except AdapterError as exc:  # opening or checking the connection
            error = exc
            logger.warning("cannot use connection %s: %s", self.name, exc)
        except FencedWrite as exc:  # another daemon holds it now: it carries on from the state
            logger.warning("%s: stopped, this daemon no longer holds it: %s", self.name, exc)
            self.next_poll = self.last_start + settings.interval
            return None
        except Exception as exc:  # matrixcore's own or a plugin's fault: keep the daemon up
            error = exc
            logger.exception("cycle of %s failed unexpectedly", self.name)
        if isinstance(error, Cancelled):  # the run is stopping: not a failure of the tool
            logger.info("%s: stopped mid-cycle, cursor kept", self.name)
            return report
        seconds = time.monotonic() - started
        self.status.cycles += 1
        daemon.metrics.record_cycle(self.name, report, seconds, time.time(), error is None)
        if error is None:
            self._succeeded(report, seconds)
        else:
            self._failed(error, report)
        return report

    def _timer_due(self) -> bool:
        try:
            due = self.daemon.store.next_due(self.name)
        except Exception:
            return True
        return due is not None and due <= self.daemon.clock()

    def _predictor(self) -> Predictor | None:
        """The connection's predictor, built from the state when missing, stale or of older rules."""
        engine = self.daemon.engine
        if not predicts(engine):
            self.predictor = self.predictor_for = None
            return None
        now = time.monotonic()
        if (
            self.predictor is None
            or self.predictor_for is None
            or self.predictor_for[0] is not engine
            or now - self.predictor_for[1] >= _HISTORY_REFRESH
        ):
            self.predictor = build_predictor(engine, self.daemon.store, self.name, self.daemon.clock())
            self.predictor_for = (engine, now)
        return self.predictor

    def _succeeded(self, report: CycleReport | None, seconds: float) -> None:
        if self.status.failures:
            logger.info("%s recovered after %d failed cycles", self.name, self.status.failures)
        self.status.failures = 0
        self.status.last_error = None
        self.status.last_success = time.time()
        self.next_predict = self.last_start + self.daemon.settings.predict_interval
        if self.polled:  # a round between polls leaves the next poll where it was
            self.next_poll = self.last_start + self.daemon.settings.interval
        if report is None:
            return
        sent = sum(report.messages.values())
        self.status.last_cycle = {
            "cycle": report.cycle,
            "seconds": seconds,
            "tickets": report.tickets,
            "written": report.writes,
            "messages": sent,
        }
        busy = report.tickets or report.timers or sent or report.reconciled or report.refused
        dry = self.daemon.settings.dry_run  # nothing was written or sent: the summary must not say so
        logger.log(
            logging.INFO if busy else logging.DEBUG,
            "cycle %s done in %.2fs%s: %d tickets, %d %s, %d unchanged, %d agent's kept, "
            "%d timers, %d %s%s%s",
            report.cycle,
            seconds,
            " (dry run)" if dry else "",
            report.tickets,
            report.writes,
            "would be written" if dry else "written",
            report.unchanged,
            report.agent_kept,
            report.timers,
            sent,
            "messages would be sent" if dry else "messages",
            f" ({', '.join(f'{k} {v}' for k, v in sorted(report.messages.items()))})" if sent else "",
            f", {report.refused} refused by the tool and set aside" if report.refused else "",
            extra={"cycle": report.cycle},
        )

    def _failed(self, error: BaseException, report: CycleReport | None) -> None:
        settings = self.daemon.settings
        self.status.failures += 1
        self.status.last_error = str(error)
        self.daemon.metrics.record_failure(self.name, error, self.status.failures)
        self.exit_code = EXIT_UNREACHABLE if isinstance(error, AdapterError) else EXIT_INTERNAL
        backoff = min(settings.backoff_max, settings.backoff_initial * 2 ** (self.status.failures - 1))
        backoff *= random.uniform(0.8, 1.2)  # daemons that failed together do not return together
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            backoff = max(backoff, float(retry_after))
        self.retry_at = time.monotonic() + backoff
        if isinstance(error, AdapterError) and getattr(error, "status", None) in (401, 403):
            self.close()  # credentials may have been rotated: open anew next time
        logger.warning(
            "%s: %d failed cycle%s in a row; next try in %s",
            self.name,
            self.status.failures,
            "" if self.status.failures == 1 else "s",
            format_duration_s(backoff),
            extra={"cycle": report.cycle} if report else {},
        )


@dataclass(frozen=True, slots=True)
class _Loaded:
    config: Config
    engine: Engine
    settings: DaemonSettings


@dataclass(frozen=True, slots=True)
class _Refusal:
    message: str
    problems: tuple[Problem, ...]


class _Reload:
    """One background reload: its thread, its outcome, and whether another was asked for meanwhile."""

    def __init__(self, force: bool, started: float) -> None:
        self.force = force
        self.started = started
        self.again = False
        self.result: _Loaded | _Refusal | None = None
        self.thread = threading.Thread()

    def run(self, load: Callable[[bool], _Loaded | _Refusal]) -> None:
        self.result = load(self.force)


class Daemon:
    """``matrixcore run``: build it from a loaded config, then ``run()`` or ``run_once()``.

    ``clock`` is the wall clock the decisions use (tests pass their own); ``engine`` may be given to
    skip loading the rules file at start.
    """

    def __init__(
        self,
        config: Config,
        plugins: Plugins,
        settings: DaemonSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        engine: Engine | None = None,
        pinned: Collection[str] = (),
    ) -> None:
        self.config = config
        #: Settings given on the command line: a reloaded config file does not change them.
        self.pinned = frozenset(pinned)
        self.plugins = plugins
        self.settings = settings
        self.clock = clock
        self.engine = engine or load_engine(config.rules_path, plugins)
        self.metrics = DaemonMetrics()
        url = settings.state_url.reveal() if settings.state_url is not None else None
        #: One daemon per state file (a dry run only reads it, into a private copy); daemons sharing
        #: a PostgreSQL state divide its connections by leases instead.
        self.lock = StateLock(settings.state_path if url is None else ":memory:")
        if not settings.dry_run:
            self.lock.acquire()
        try:
            self.id = daemon_id()
            self.store = open_store(settings.state_path, url, dry_run=settings.dry_run, owner=self.id)
        except BaseException:
            self.lock.release()
            raise
        self.leases: LeaseManager | None = None
        if isinstance(self.store, PostgresStateStore):
            self.leases = LeaseManager(
                self.store,
                list(config.connections),
                ttl=settings.lease_ttl,
                registry=self.metrics.registry,
                busy=lambda name: name in self.workers and self.workers[name].busy,
                on_change=self._wake_all,
            )
        self.workers: dict[str, _Worker] = {}
        #: The last decisions, for the status page, and the promises settled, for the metrics (both
        #: observers of matrixcore_decision_recorded).
        self.recent = RecentDecisions()
        self.plugins.register(self.recent, f"matrixcore.status.{id(self):x}")
        self.promises = PromiseOutcomes(self.metrics.registry, clock)
        self.plugins.register(self.promises, f"matrixcore.promises.{id(self):x}")
        self.metrics.registry.register(DeskCollector(self.store, lambda: list(self.workers), clock))
        self.started = time.time()
        self.rules_loaded_at = self.started
        self.last_reload_error: str | None = None
        self.server: MetricsServer | None = None
        self._stop_requested = False
        self._stop_signals = 0
        #: Set a grace period after a stop was asked for: adapters then cut waits and requests short.
        self.cancel = threading.Event()
        #: Seconds a stop waits for the batches in progress before it cancels (twice that: exits).
        self.stop_grace = STOP_GRACE
        self._reload_requested = False
        self._poke = threading.Event()
        self._files = self._file_signatures()
        self._last_watch = time.monotonic()
        self._last_prune = -math.inf
        self._pruning: threading.Thread | None = None
        self._ticked = time.monotonic()
        self._running = False
        self._reloading: _Reload | None = None
        #: ``/healthz`` says stuck after this many seconds without the main loop or a due cycle.
        self.stale_after = STALE_AFTER

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    # -- lifecycle ---------------------------------------------------------------------------------
    def _wake_all(self) -> None:
        for worker in list(self.workers.values()):
            worker.wake.set()

    def _start_leases(self, *, settle: bool = False) -> None:
        if self.leases is not None:
            logger.info("sharing %s as %s", self.settings.state_shown, self.id)
            try:
                if settle:  # --once: wait for a crashed predecessor's leases to lapse
                    self.leases.settle(self.leases.ttl + self.leases.heartbeat)
                else:
                    self.leases.round()  # claim at once, not a heartbeat later
            except Exception as exc:  # the thread keeps trying and says so
                logger.error("cannot claim connections yet: %s", exc)
            self.leases.start()

    def _start_server(self) -> None:
        self.metrics.start(__version__, self.settings.dry_run, self.config.connections)
        self.metrics.record_reload(True, self.rules_loaded_at)
        if self.settings.metrics_address is not None:
            self.server = MetricsServer(
                self.settings.metrics_address, self.metrics.registry, self.health, self.status_page
            )
            self.server.start()
            logger.info(
                "status page on %s/, metrics on %s/metrics, health on %s/healthz",
                self.server.url,
                self.server.url,
                self.server.url,
            )

    def run(self) -> int:
        """Run until asked to stop (a signal or ``request_stop``); 0 after a graceful stop."""
        self._start_server()
        self._running = True
        try:
            self._start_leases()
            for connection in self.config.connections.values():
                self._add(connection)
            if not self.workers:
                logger.warning("no connections configured: nothing to sync (add some under 'connections')")
            while not self._stop_requested:
                self._poke.wait(_TICK)
                self._poke.clear()
                self._housekeeping()
            logger.info("stopping: finishing the batch in progress (a second signal exits at once)")
            for worker in self.workers.values():
                worker.wake.set()
            self._join(self.workers.values(), stopping_since=time.monotonic())
        finally:
            self._running = False
            self._close()
        logger.info("stopped")
        return 0

    def run_once(self) -> int:
        """One cycle per connection, side by side; 0 if all succeeded, 3 if a tool failed, 1 otherwise."""
        self._start_server()
        try:
            self._start_leases(settle=True)
            workers = [_Worker(self, c) for c in self.config.connections.values()]
            self.workers = {w.name: w for w in workers}
            threads = [threading.Thread(target=w.cycle, name=f"once-{w.name}", daemon=True) for w in workers]
            for worker, thread in zip(workers, threads, strict=True):
                worker.thread = thread  # what a stop waits for
                thread.start()
            stopping_since: float | None = None
            while any(t.is_alive() for t in threads):
                for thread in threads:
                    thread.join(_TICK)
                if self._stop_requested and stopping_since is None:
                    stopping_since = time.monotonic()
                    logger.info("stopping: finishing the batch in progress (a second signal exits at once)")
                if stopping_since is not None and not self._wind_down(stopping_since):
                    break
            codes = [w.exit_code for w in workers]
        finally:
            self._close()
        return max(codes, default=0)

    def _join(self, workers: Iterable[_Worker], stopping_since: float | None = None) -> None:
        """Wait for ``workers``; when stopping, no longer than the grace periods allow."""
        for worker in list(workers):
            while worker.thread.is_alive():
                worker.thread.join(_TICK)
                if stopping_since is not None and not self._wind_down(stopping_since):
                    return

    def _wind_down(self, since: float) -> bool:
        """A stop asked for at ``since``: after ``STOP_GRACE`` cancel the workers' waits and requests;
        after twice that give up on them (``False``). Stops within seconds wherever a worker is."""
        elapsed = time.monotonic() - since
        if elapsed >= self.stop_grace and not self.cancel.is_set():
            logger.info("still busy after %.0fs: cancelling retries, waits and further requests", elapsed)
            self.cancel.set()
        if elapsed >= 2 * self.stop_grace:
            busy = sorted(w.name for w in self.workers.values() if w.thread.is_alive())
            if busy:
                logger.warning(
                    "exiting without waiting for %s (a request in flight; safe: see invariant 3)",
                    ", ".join(busy),
                )
                return False
        return True

    def _close(self) -> None:
        busy = any(w.thread.is_alive() for w in self.workers.values())
        for worker in self.workers.values():
            if not worker.thread.is_alive():
                worker.close()
        if self.server is not None:
            self.server.stop()
        if self.leases is not None:  # released: the other daemons take over at once
            self.leases.stop()
        if not busy:  # a worker still in a request may touch it until the process ends
            self.store.close()
        self.lock.release()

    def request_stop(self) -> None:
        """Stop after the current batches (what the first SIGTERM does); callable from any thread."""
        self._stop_requested = True
        self._poke.set()
        for worker in list(self.workers.values()):
            worker.wake.set()

    def request_reload(self) -> None:
        self._reload_requested = True
        self._poke.set()

    # -- signals -----------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: stop gracefully, the second one at once; SIGHUP: reload. Main thread only."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_reload_signal)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only flags here: a handler runs between two bytecodes of the main thread, which may hold
        # any lock at that moment.
        self._stop_signals += 1
        if self._stop_signals > 1:
            name = signal.Signals(signum).name
            os.write(2, f"matrixcore: second {name}: exiting at once (safe: see invariant 3)\n".encode())
            os._exit(128 + signum)
        self._stop_requested = True

    def _on_reload_signal(self, signum: int, frame: FrameType | None) -> None:
        self._reload_requested = True

    # -- the main thread's rounds ------------------------------------------------------------------
    def _housekeeping(self) -> None:
        self._ticked = time.monotonic()
        if self._stop_requested:
            return
        self._finish_reload()
        if self._reload_requested:
            self._reload_requested = False
            logger.info("reload requested (SIGHUP)")
            self._start_reload(force=True)
        watch = self.settings.watch_interval
        if watch > 0 and time.monotonic() - self._last_watch >= watch:
            self._last_watch = time.monotonic()
            busy = self._reloading is not None and self._reloading.thread.is_alive()
            if not busy and self._file_signatures() != self._files:
                self._start_reload(force=False)
        self._prune()
        for name, worker in list(self.workers.items()):
            if not worker.thread.is_alive() and not worker.retired.is_set() and not self._stop_requested:
                logger.error("the worker of %s ended unexpectedly; starting it again", name)
                self._add(worker.connection, worker.status)

    def _prune(self) -> None:
        """Apply the decision log's retention when it is due (never in a dry run: nothing is written)."""
        retention = self.settings.retention
        if retention is None or self.settings.dry_run:
            return
        if time.monotonic() - self._last_prune < retention.every.total_seconds():
            return
        if self._pruning is not None and self._pruning.is_alive():
            return
        self._last_prune = time.monotonic()
        # Its own thread: the first prune of a large file takes a while, and the main loop must
        # keep answering signals and /healthz meanwhile.
        self._pruning = threading.Thread(target=self._prune_now, name="retention", daemon=True)
        self._pruning.start()

    def _prune_now(self) -> None:
        retention = self.settings.retention
        if retention is None:
            return
        try:
            pruned = self.store.prune(retention, self.clock(), stop=lambda: self._stop_requested)
        except Exception:  # the state is busy or away: the next round tries again
            logger.exception("pruning the state failed")
            return
        if pruned.decisions or pruned.timers:
            logger.info(
                "retention: dropped %d decisions and %d timers of closed tickets, %d KiB given back",
                pruned.decisions,
                pruned.timers,
                pruned.freed_bytes // 1024,
            )

    def _file_signatures(self) -> tuple[Any, ...]:
        return (_signature(Path(self.config.file)), _signature(self.config.rules_path))

    def reload(self, *, force: bool) -> bool:
        """Re-read the config and rules (``force``: even if unchanged); keep the old ones on any error."""
        return self._apply(self._load(force))

    def _start_reload(self, force: bool) -> None:
        """Load in a thread of its own, so the main thread keeps handling signals while it reads:
        SIGTERM stops the daemon mid-reload, and a reload that never ends cannot block the next stop."""
        running = self._reloading
        if running is not None and running.thread.is_alive():
            running.again = True  # asked again meanwhile: read once more when this one ends
            return
        self._reloading = _Reload(force, time.monotonic())
        self._reloading.thread = threading.Thread(
            target=self._reloading.run, args=(self._load,), name="reload", daemon=True
        )
        self._reloading.thread.start()

    def _finish_reload(self) -> None:
        """Apply a finished background reload (on the main thread, which owns the workers)."""
        running = self._reloading
        if running is None or running.thread.is_alive():
            return
        self._reloading = None
        if running.result is not None:
            self._apply(running.result)
        if running.again:
            self._start_reload(force=True)

    def _load(self, force: bool) -> _Loaded | _Refusal:
        """Read what changed; never raises (anything unexpected is a refusal, the old files stay)."""
        try:
            seen = self._file_signatures()
            config_changed = force or seen[0] != self._files[0]
            self._files = seen
            config = self.config
            if config_changed and self.config.file:
                try:
                    config = self.plugins.load_config(self.config.file)
                except ConfigError as exc:
                    return _Refusal(f"{self.config.file}: invalid config", exc.problems)
            try:
                engine = load_engine(config.rules_path, self.plugins)
            except RulesRefused as exc:
                return _Refusal(str(exc), exc.problems)
            try:
                settings = self._reloaded_settings(config)
            except (ConfigError, ValueError) as exc:
                problems = exc.problems if isinstance(exc, ConfigError) else ()
                return _Refusal(f"{config.file}: invalid config ({exc})", problems)
            return _Loaded(config, engine, settings)
        except Exception as exc:  # e.g. a plugin's loader failing: the last good ones stay
            logger.debug("reload failed", exc_info=True)
            return _Refusal(f"reload failed: {_describe(exc)}", ())

    def _apply(self, result: _Loaded | _Refusal) -> bool:
        if isinstance(result, _Refusal):
            self._refused(result.message, result.problems)
            return False
        config, engine, settings = result.config, result.engine, result.settings
        self.engine = engine
        self.rules_loaded_at = time.time()
        self.last_reload_error = None
        self.metrics.record_reload(True, self.rules_loaded_at)
        ruleset = engine.ruleset
        logger.info(
            "rules loaded from %s: %d rules, %dx%d matrix, %d message policies",
            config.rules_path,
            len(ruleset.rules),
            len(ruleset.impact_levels),
            len(ruleset.urgency_levels),
            len(ruleset.messages.policies),
        )
        self.settings = settings
        if config is not self.config:
            self._apply_connections(config)
        for worker in self.workers.values():
            worker.wake.set()  # the new rules or settings may bring a cycle forward
        return True

    def _reloaded_settings(self, config: Config) -> DaemonSettings:
        """The sync settings of a reloaded config; what needs a restart (or came from the command
        line) stays as it is."""
        new = DaemonSettings.from_config(config)
        current = self.settings
        for name in ("state_path", "metrics_address", "log_format", "log_level"):
            if name not in self.pinned and getattr(new, name) != getattr(current, name):
                logger.warning("%s changed in %s: restart matrixcore to apply it", name, config.file)
        return replace(current, **{n: getattr(new, n) for n in _LIVE_SETTINGS if n not in self.pinned})

    def _refused(self, message: str, problems: tuple[Problem, ...]) -> None:
        self.last_reload_error = message
        logger.error("reload refused, the last good rules and config stay in force: %s", message)
        for problem in problems:
            logger.error("  %s", problem)
        # Counted after logging, so whoever watches the metric finds the reasons already written.
        self.metrics.record_reload(False, time.time())

    def _apply_connections(self, config: Config) -> None:
        old, new = self.config.connections, config.connections
        self.config = config
        if self.leases is not None:
            self.leases.set_connections(list(new))
        for name in sorted(set(old) | set(new)):
            if name in old and name in new and old[name] == new[name]:
                continue
            worker = self.workers.pop(name, None)
            if worker is not None:
                logger.info(
                    "connection %s %s: stopping its worker", name, "changed" if name in new else "removed"
                )
                worker.retire()
                self._join([worker])
                worker.close()
            if name in new:
                logger.info("connection %s %s", name, "changed: starting anew" if name in old else "added")
                self.metrics.add_connection(name)
                self._add(new[name])

    def _add(self, connection: ConnectionConfig, status: ConnectionStatus | None = None) -> None:
        worker = _Worker(self, connection)
        if status is not None:
            worker.status = status
        self.workers[connection.name] = worker
        worker.thread.start()

    # -- health --------------------------------------------------------------------------------------
    def status_page(self) -> str:
        """The read-only status page (HTML) served at ``/``."""
        return render_status(snapshot(self, self.recent, __version__))

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy while every connection had a successful cycle within ``healthy_within``."""
        now, window = time.time(), self.settings.healthy_within
        leases = self.leases
        connections = {
            name: worker.status.as_dict(now, window, self.started, self.stale_after)
            for name, worker in list(self.workers.items())
            if leases is None or leases.owns(name)  # another daemon answers for the rest
        }
        # The main thread handles signals and reloads; while ``run`` loops it comes round every tick.
        stuck = round(time.monotonic() - self._ticked, 3) if self._running else 0.0
        reloading = self._reloading
        healthy = all(c["healthy"] for c in connections.values()) and stuck <= self.stale_after
        if leases is not None:
            healthy = healthy and leases.error is None
        state = {"store": "sqlite", "path": self.settings.state_shown}
        if leases is not None:
            state = {"store": "postgresql", "url": self.settings.state_shown, **leases.health()}
        return healthy, {
            "state": state,
            "version": __version__,
            "dry_run": self.settings.dry_run,
            "healthy_within_seconds": window,
            "main_loop_stuck_seconds": stuck,
            "rules": {
                "loaded_at": _stamp(self.rules_loaded_at),
                "last_reload_error": self.last_reload_error,
                "reload_running_seconds": (
                    round(time.monotonic() - reloading.started, 3)
                    if reloading is not None and reloading.thread.is_alive()
                    else None
                ),
            },
            "connections": connections,
        }
