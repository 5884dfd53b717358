"""What the status page shows, gathered from a running daemon: its connections, the state file, the
decisions it recorded lately and the rules in force.

The daemon registers a ``RecentDecisions`` observer (``matrixcore_decision_recorded``) that keeps the
last few decisions in memory, so the page needs no query over the whole audit log; everything else
is read from the daemon's own state store, which is thread-safe. Nothing here writes anything.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from matrixcore._decision import Decision
from matrixcore._logging import current_context
from matrixcore._ticket import Ticket
from matrixcore.hookspecs import hookimpl

if TYPE_CHECKING:
    from matrixcore._adapter import PriorityChange
    from matrixcore._daemon import Daemon

__all__ = ["RecentDecisions", "StatusSnapshot", "snapshot"]

#: Timers shown: the next ones due within this horizon.
HORIZON: Final = timedelta(hours=24)
#: A promise whose pickup moment is nearer than this is "at risk".
AT_RISK: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Seen:
    connection: str
    ticket_id: str
    number: str
    subject: str
    priority: str
    changed: str
    dry_run: bool
    at: float
    cycle: str


class RecentDecisions:
    """The last ``size`` decisions the daemon recorded (a plugin observing ``decision_recorded``)."""

    def __init__(self, size: int = 25) -> None:
        self._seen: deque[_Seen] = deque(maxlen=size)
        self._lock = threading.Lock()

    @hookimpl
    def matrixcore_decision_recorded(
        self,
        connection: str,
        ticket: Ticket,
        decision: Decision,
        change: PriorityChange | None,
        dry_run: bool,
    ) -> None:
        changed = ""
        if change is not None:
            values = {"impact": change.impact, "urgency": change.urgency, "priority": change.priority}
            changed = ", ".join(f"{k} {v}" for k, v in values.items() if v is not None)
        seen = _Seen(
            connection,
            ticket.id,
            ticket.number or ticket.id,
            ticket.subject,
            decision.priority,
            changed,
            dry_run,
            time.time(),
            current_context().get("cycle", ""),
        )
        with self._lock:
            # A ticket read again after matrixcore's own write changes nothing: the page keeps the
            # decision that did something instead of filling up with those.
            if change is None and any(
                s.ticket_id == ticket.id and s.connection == connection for s in self._seen
            ):
                return
            self._seen.append(seen)

    def latest(self) -> list[_Seen]:
        with self._lock:
            return list(reversed(self._seen))


@dataclass(frozen=True, slots=True)
class Promise:
    connection: str
    number: str
    subject: str
    priority: str
    pickup_by: datetime | None
    timer_due: datetime | None
    state: str  # missed, at risk, on track


@dataclass(frozen=True, slots=True)
class DecisionRow:
    at: float
    connection: str
    number: str
    subject: str
    priority: str
    changed: str
    reasons: list[str]
    note: str
    messages: list[tuple[str, str, bool, str]]  # policy, state, to the requester, text


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    version: str
    dry_run: bool
    now: datetime
    started: float
    connections: list[dict[str, Any]]
    promises: list[Promise]
    decisions: list[DecisionRow]
    rules: dict[str, Any]
    summaries: list[dict[str, Any]] = field(default_factory=list)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _reasons(decision: dict[str, Any]) -> list[str]:
    """Per dimension what set it: ``impact organisation: rule major-outage``."""
    out = []
    for step in decision.get("trace", ()):
        if step.get("dimension") in ("impact", "urgency", "priority"):
            source = f"rule {step['rule']}" if step.get("rule") else str(step.get("source") or "")
            out.append(f"{step['dimension']} {step.get('value')}: {source}".rstrip(": "))
    return out


def snapshot(daemon: Daemon, recent: RecentDecisions, version: str) -> StatusSnapshot:
    """Everything the page shows, read now (from memory and the daemon's state store)."""
    now = daemon.clock()
    wall = time.time()
    window = daemon.settings.healthy_within
    connections = []
    for name, worker in sorted(daemon.workers.items()):
        status = worker.status
        row = status.as_dict(wall, window, daemon.started)
        row["name"] = name
        row["last_cycle"] = getattr(status, "last_cycle", None)
        connections.append(row)
    store = daemon.store
    promises: list[Promise] = []
    for name in sorted(daemon.workers):
        for state in store.due_tickets(name, now + HORIZON, limit=20):
            latest = store.decisions(name, state.ticket_id, 1)
            decided = latest[-1]["decision"] if latest else {}
            pickup_by = _instant(decided.get("pickup_by"))
            snapshot_ = state.snapshot or {}
            if snapshot_.get("first_response"):
                continue  # picked up: the promise is kept
            if pickup_by is None:
                verdict = "unknown"
            elif pickup_by <= now:
                verdict = "missed"
            elif pickup_by - now <= AT_RISK:
                verdict = "at risk"
            else:
                verdict = "on track"
            promises.append(
                Promise(
                    name,
                    state.number or state.ticket_id,
                    str(snapshot_.get("subject") or ""),
                    str(decided.get("priority") or state.written_priority or ""),
                    pickup_by,
                    state.next_due,
                    verdict,
                )
            )
    order = {"missed": 0, "at risk": 1, "on track": 2, "unknown": 3}
    promises.sort(key=lambda p: (order[p.state], p.timer_due or now))
    decisions = []
    for seen in recent.latest():
        recorded = store.decisions(seen.connection, seen.ticket_id, 10)
        mine = [d for d in recorded if d["cycle"] == seen.cycle] or recorded[-1:]
        record: dict[str, Any] = mine[-1] if mine else {"decision": {}, "note": "", "cycle": ""}
        messages = [
            (m.policy, m.state, m.visible_to_requester, m.text)
            for m in store.messages(seen.connection, seen.ticket_id)
            if m.cycle and m.cycle == record.get("cycle")
        ]
        decisions.append(
            DecisionRow(
                seen.at,
                seen.connection,
                seen.number,
                seen.subject,
                seen.priority,
                seen.changed,
                _reasons(record["decision"]),
                str(record.get("note") or ""),
                messages,
            )
        )
    ruleset = daemon.engine.ruleset
    rules = {
        "path": str(daemon.config.rules_path),
        "name": ruleset.name,
        "rules": len(ruleset.rules),
        "matrix": f"{len(ruleset.impact_levels)}x{len(ruleset.urgency_levels)}",
        "priorities": len(ruleset.priorities),
        "policies": len(ruleset.messages.policies),
        "loaded_at": daemon.rules_loaded_at,
        "last_reload_error": daemon.last_reload_error,
    }
    summaries = [s.as_dict() for s in store.summaries()]
    return StatusSnapshot(
        version,
        daemon.settings.dry_run,
        now,
        daemon.started,
        connections,
        promises,
        decisions,
        rules,
        summaries,
    )
