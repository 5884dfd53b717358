"""One sync cycle for one connection: fetch, decide, write what changed, send what is due, commit.

This is where the daemon's promises are kept (see ARCHITECTURE.md, invariants):

1. Dry run writes nothing: the adapter is opened read-only and the state is a private in-memory copy.
2. No message twice: ``pending`` is committed before a message is posted and ``sent`` after; pending
   entries left by a crash are reconciled against ``list_messages`` before anything is resent.
3. No lost progress: a batch's cursor is committed only after every ticket in it is durable; a
   failure stops the connection's cycle with the cursor where it was.
4. No fights: a value an agent changed after matrixcore wrote it is kept, recorded, and the
   deadlines follow the agent's priority.
5. No loops: a ticket already carrying the decided values gets no write.

A cycle can be asked to stop early (``stop``): it then ends after the batch whose cursor it just
committed, which is how the daemon shuts down gracefully. Log records made during a cycle carry the
connection, cycle and ticket ids (``_logging.bound``), whichever logger makes them.
"""

from __future__ import annotations

import html
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ._adapter import DIMENSIONS as _DIMENSIONS
from ._adapter import (
    Adapter,
    AdapterError,
    Cancelled,
    ConflictError,
    OutgoingMessage,
    PageLimitReached,
    PriorityChange,
    ReadOnlyError,
    writable_dimensions,
)
from ._decision import Decision, Evaluation, SentMessage
from ._engine import Engine
from ._logging import bound
from ._plugins import Plugins
from ._ticket import Ticket
from .forecast._sources import channel_name
from .predict import Predictor
from .state import LedgerEntry, StateStore, TicketState

__all__ = [
    "AGENT_NOTE",
    "SET_ASIDE_RETRY",
    "WRITE_FAILED",
    "CycleReport",
    "SyncOptions",
    "build_predictor",
    "predicts",
    "sync_connection",
]

#: ``AdapterError.status`` values that say the ticket itself is gone from the tool (deleted, archived).
_GONE = frozenset({404, 410})
#: Statuses of a refusal about one ticket (gone, changed meanwhile, a value or text it rejects), as
#: opposed to the tool or the credentials failing (401, 403, 429, 5xx), which end the cycle.
_TICKET_REFUSALS = _GONE | {400, 409, 412, 413, 422}
#: How the audit log's note of a decision on an agent's values begins (``matrixcore state`` reads it).
AGENT_NOTE = "kept the agent's"
#: When a ticket the tool refused is tried again if it has not changed before (it is refetched then).
SET_ASIDE_RETRY = timedelta(minutes=15)
#: The longest a failing (poison) ticket waits between tries once set aside.
SET_ASIDE_MAX = timedelta(hours=6)
#: How the audit log's note of a decision whose writes failed begins (the streak counts poison).
WRITE_FAILED = "write failed"
#: Statuses that speak for the whole tool or connection (credentials, rate limit), never one ticket.
_TOOL_WIDE = frozenset({401, 403, 407, 429})
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SyncOptions:
    dry_run: bool = False
    #: Keep a value an agent set over matrixcore's (the default); ``False`` overwrites it.
    respect_agents: bool = True
    #: Post an internal note with the decision trace whenever matrixcore writes a priority.
    trace_notes: bool = False
    #: Which dimensions the tool accepts writes of (ServiceNow derives priority itself).
    writable: frozenset[str] = frozenset(_DIMENSIONS)
    #: Failed attempts in a row (tool errors: 5xx, timeouts, unreadable answers) after which one
    #: ticket is set aside so it blocks no other; before that a failure ends the cycle, cursor kept.
    poison_after: int = 3
    #: ``False``: no fetch, only timers and predicted misses re-evaluated from the state (the
    #: daemon's rounds between polls: no request to the tool but the messages themselves).
    fetch: bool = True


@dataclass(slots=True)
class CycleReport:
    """What one cycle did for one connection: the daemon logs it and turns it into metrics."""

    connection: str
    cycle: str
    started: datetime
    tickets: int = 0
    batches: int = 0
    decisions: int = 0
    writes: int = 0
    unchanged: int = 0
    agent_kept: int = 0
    timers: int = 0
    #: Tickets the tool refused (gone, changed meanwhile, a rejected value): set aside, not fatal.
    refused: int = 0
    #: Tickets whose writes kept failing while the tool answered (poison): set aside with backoff.
    failing: int = 0
    reconciled: int = 0
    #: Waiting tickets whose miss probability was re-evaluated from the state.
    predicted: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    cursor: str | None = None
    #: The failure that ended the cycle (for metrics and backoff: its status, ``retry_after``).
    exception: AdapterError | None = field(default=None, repr=False, compare=False)
    #: The cycle ended early because it was asked to stop (after a committed batch).
    stopped: bool = False
    #: The cycle ended early because a listing reached its ``max_pages`` (cursor at the last batch).
    page_limited: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def _normalise(text: str) -> str:
    """Text as tools echo it back: HTML tags dropped, entities decoded, white space folded."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip().casefold()


class _Cycle:
    def __init__(
        self,
        name: str,
        adapter: Adapter,
        store: StateStore,
        engine: Engine,
        plugins: Plugins,
        options: SyncOptions,
        now: datetime,
        log: logging.LoggerAdapter[logging.Logger],
        report: CycleReport,
        stop: Callable[[], bool],
        predictor: Predictor | None,
    ) -> None:
        self.name, self.adapter, self.store, self.engine = name, adapter, store, engine
        self.plugins, self.options, self.now, self.log, self.report = plugins, options, now, log, report
        self.stop = stop
        self.predictor = predictor
        self.seen: set[str] = set()
        #: Messages posted whose ``sent`` is not yet recorded: written with the next commit (the next
        #: message's ``pending``, or the ticket's state). A crash before leaves them pending, which
        #: the next cycle reconciles: never a resend.
        self.unrecorded: list[tuple[str, str, str]] = []
        #: The decision for the ticket at hand, once made: the audit log keeps it if the tool refuses.
        self.deciding: Decision | None = None

    # -- invariant 2: reconcile before anything is sent --------------------------------------------
    def reconcile(self, ticket: Ticket) -> None:
        """Settle messages left pending by a crash: sent if the tool shows them, else free to resend."""
        pending = [e for e in self.store.messages(self.name, ticket.id) if e.state == "pending"]
        if not pending:
            return
        posted = list(self.adapter.list_messages(ticket))
        for entry in pending:
            wanted = _normalise(entry.text)
            found = next((m for m in posted if _normalise(m.text) == wanted), None)
            if found is not None:
                self.store.mark_sent(self.name, ticket.id, entry.key, found.created or self.now, found.id)
                self.log.info(
                    "message %s on ticket %s was sent before a crash: recorded", entry.key, _label(ticket)
                )
            else:
                self.store.forget_pending(self.name, ticket.id, entry.key)
                self.log.info(
                    "message %s on ticket %s was never sent: it may go out again", entry.key, _label(ticket)
                )
            self.report.reconciled += 1

    # -- deciding ------------------------------------------------------------------------------------
    def agent_values(self, ticket: Ticket, state: TicketState | None) -> dict[str, str] | None:
        """The values an agent set over matrixcore's writes, if any (invariant 4)."""
        if state is None or not self.options.respect_agents:
            return None
        if state.agent_priority is not None:
            return {"priority": state.agent_priority}
        written = {
            "impact": state.written_impact,
            "urgency": state.written_urgency,
            "priority": state.written_priority,
        }
        changed = {
            dim: getattr(ticket, dim)
            for dim in _DIMENSIONS
            if dim in self.options.writable
            and written[dim] is not None
            and getattr(ticket, dim) not in (None, written[dim])
        }
        if not changed:
            return None
        return {dim: getattr(ticket, dim) for dim in _DIMENSIONS if getattr(ticket, dim) is not None}

    def agent_evaluation(self, ticket: Ticket, agent: dict[str, str]) -> Evaluation:
        ours = self.engine.evaluate(ticket)
        impact = agent.get("impact", ours.impact)
        urgency = agent.get("urgency", ours.urgency)
        priority = agent.get("priority") or self.engine.ruleset.cells.get((impact, urgency), ours.priority)
        if priority not in self.engine.ruleset.priorities:
            priority = ours.priority
        return Evaluation(impact, -1, urgency, -1, priority, -1)

    def process(self, ticket: Ticket) -> None:
        self.deciding = None
        # Logs name the ticket as the desk does (TOPdesk's "I 2311 042", not its UUID); JSON lines
        # keep the tool's own id beside it.
        with bound(ticket=_label(ticket), ticket_id=ticket.id if ticket.number else None):
            try:
                self._process(ticket)
            finally:
                if self.unrecorded:  # a later step failed: still record what went out
                    with self.store.transaction():
                        self.record_sent()

    def record_sent(self) -> None:
        for ticket_id, key, remote_id in self.unrecorded:
            self.store.mark_sent(self.name, ticket_id, key, self.now, remote_id)
        self.unrecorded.clear()

    def _process(self, ticket: Ticket) -> None:
        ticket = self.plugins.enrich(ticket)
        self.seen.add(ticket.id)
        state = self.store.ticket(self.name, ticket.id)
        self.reconcile(ticket)
        agent = self.agent_values(ticket, state)
        if agent:  # the agent's choice wins over rules and plugins alike
            decision = self.engine.classify(ticket, self.now, self.agent_evaluation(ticket, agent))
        else:
            decision = self.plugins.classify(self.engine, ticket, self.now)
        if self.predictor is not None:
            self.predictor.observe(ticket, decision)
            decision = replace(decision, prediction=self.predictor.predict(ticket, decision))
        self.deciding = decision
        written: dict[str, Any] = {}
        wanted: dict[str, Any] = {}
        note = ""
        if agent:
            note = f"{AGENT_NOTE} {', '.join(f'{k}={v}' for k, v in sorted(agent.items()))}"
            self.report.agent_kept += 1
        else:
            wanted = {dim: getattr(decision, dim) for dim in _DIMENSIONS if dim in self.options.writable}
            written = {dim: value for dim, value in wanted.items() if getattr(ticket, dim) != value}
            if not written:
                self.report.unchanged += 1
        before, ticket = ticket, ticket.evolve(**written) if written else ticket
        # Everything to send, in order (the trace note first), decided before anything is written,
        # so the priority and the first message can go out in one request (``CombinedWriter``).
        outgoing = self.trace_note(ticket, decision, written)
        due = self.plugins.select_messages(self.engine, ticket, decision, self.sent(ticket), self.now)
        outgoing += [
            self.entry(
                ticket,
                message.key,
                "pending",
                message.text,
                message.visible_to_requester,
                message.priority,
                message.policy,
            )
            for message in due.messages
        ]
        if written:
            outgoing = outgoing[self.write(before, PriorityChange(**written), outgoing) :]
        for entry in outgoing:
            self.post(ticket, entry)
        previous = state or TicketState(self.name, ticket.id)
        # What matrixcore stands behind per dimension: what it wrote now, else what it wrote before,
        # else the decided value the tool already held (so a crash between a write and this record,
        # or a tool that was right from the start, still lets a later agent's change be recognised).
        ours = {
            dim: written.get(dim, getattr(previous, f"written_{dim}") or wanted.get(dim))
            for dim in _DIMENSIONS
        }
        with self.store.transaction():  # the ticket's state and its audit record land together
            if state is None:  # new to matrixcore: one arrival for the forecast's history
                self.arrived(ticket)
            self.record_sent()
            for key in due.superseded:  # recorded, never sent: nothing to announce first
                self.store.record_pending(self.entry(ticket, key, "superseded", "", False, None))
            self.store.save_ticket(
                TicketState(
                    connection=self.name,
                    ticket_id=ticket.id,
                    number=ticket.number,
                    written_impact=ours["impact"],
                    written_urgency=ours["urgency"],
                    written_priority=ours["priority"],
                    written_at=self.now if written else previous.written_at,
                    agent_priority=(agent or {}).get("priority") if agent else None,
                    snapshot=ticket.to_dict(),
                    next_due=due.next_due,
                    closed=decision.resolved,
                )
            )
            self.store.record_decision(
                self.name,
                ticket.id,
                self.report.cycle,
                self.now,
                decision.as_dict(self.engine.ruleset),
                written,
                note,
            )
        self.plugins.decision_recorded(
            connection=self.name,
            ticket=ticket,
            decision=decision,
            change=PriorityChange(**written) if written else None,
            dry_run=self.options.dry_run,
        )
        self.report.decisions += 1

    def trace_note(self, ticket: Ticket, decision: Decision, written: dict[str, Any]) -> list[LedgerEntry]:
        """With ``trace_notes``, the internal note explaining a written priority (once per value)."""
        if not (written and self.options.trace_notes):
            return []
        lines = [f"matrixcore set {', '.join(f'{k} = {v}' for k, v in written.items())}:"]
        lines += [f"- {step}" for step in decision.trace(self.engine.ruleset)]
        key = f"trace:{decision.impact}/{decision.urgency}/{decision.priority}"
        return [self.entry(ticket, key, "pending", "\n".join(lines), False, decision.priority, "trace")]

    def write(self, ticket: Ticket, change: PriorityChange, outgoing: list[LedgerEntry]) -> int:
        """Write ``change``; with the first of ``outgoing`` in the same request when the adapter can
        (``CombinedWriter``). Returns how many of ``outgoing`` went with it (0 or 1).

        The combined message is pending in the ledger before the request, as any message is; if the
        request fails, both writes failed: nothing is recorded as written or sent, and the pending
        entry is reconciled before anything is sent again (invariant 2).
        """
        values = {dim: getattr(change, dim) for dim in _DIMENSIONS if getattr(change, dim) is not None}
        combine = None if self.options.dry_run else getattr(self.adapter, "apply_update", None)
        if callable(combine) and outgoing and self.pend(outgoing[0]):
            entry = outgoing[0]
            self.store.check_lease(self.name)  # a daemon paused past its lease must not write
            posted = combine(ticket, change, OutgoingMessage(entry.text, entry.visible_to_requester))
            self.log.info("set %s, in the same request:", _values(values, ticket))
            self.report.writes += 1
            self.delivered(ticket, entry, posted.id)
            return 1
        if not self.options.dry_run:
            self.store.check_lease(self.name)  # a daemon paused past its lease must not write
            self.adapter.set_priority(ticket, change)
        self.log.info("%s %s", "would set" if self.options.dry_run else "set", _values(values, ticket))
        self.report.writes += 1
        return 0

    def entry(
        self,
        ticket: Ticket,
        key: str,
        state: str,
        text: str,
        visible: bool,
        priority: str | None,
        policy: str = "",
    ) -> LedgerEntry:
        return LedgerEntry(
            self.name,
            ticket.id,
            key,
            policy or key.split(":")[0],
            state,
            visible,
            priority,
            text,
            self.now,
            cycle=self.report.cycle,
        )

    def pend(self, entry: LedgerEntry) -> bool:
        """Record ``entry`` as pending, committed before it leaves (invariant 2); ``False``: it is
        in the ledger already, never to be sent twice."""
        with self.store.transaction():
            self.record_sent()
            return self.store.record_pending(entry)

    def post(self, ticket: Ticket, entry: LedgerEntry) -> None:
        if not self.pend(entry):
            return
        remote_id = ""
        if not self.options.dry_run:
            self.store.check_lease(self.name)  # nor send: the pending entry is the new owner's to settle
            remote_id = self.adapter.post_message(ticket, entry.text, entry.visible_to_requester).id
        self.delivered(ticket, entry, remote_id)

    def delivered(self, ticket: Ticket, entry: LedgerEntry, remote_id: str) -> None:
        """A message that went out: ``sent`` is recorded with the next commit; logged and counted."""
        self.unrecorded.append((ticket.id, entry.key, remote_id))
        self.log.info(
            "%s %s%s (%s)%s",
            "would send" if self.options.dry_run else "sent",
            entry.policy,
            f" [{entry.key}]" if entry.key != entry.policy else "",
            "to the requester" if entry.visible_to_requester else "internal note",
            # A dry run is for reading what would go out: the text itself, on one line.
            f": {json.dumps(entry.text, ensure_ascii=False)}" if self.options.dry_run else "",
        )
        self.report.messages[entry.policy] += 1

    def sent(self, ticket: Ticket) -> list[SentMessage]:
        return [e.as_sent() for e in self.store.messages(self.name, ticket.id)]

    # -- the cycle -----------------------------------------------------------------------------------
    def run(self) -> None:
        if self.options.fetch:
            self.fetch()
            if self.report.stopped:
                return
        self.timers()
        if not self.report.stopped and self.predictor is not None:
            self.predict()

    def fetch(self) -> None:
        for batch in self.adapter.fetch(self.store.cursor(self.name)):
            self.report.batches += 1
            for ticket in batch.tickets:
                self.report.tickets += 1
                self.attempt(ticket, None)
            # Invariant 3: the cursor moves only now that every ticket of the batch is durable.
            self.store.set_cursor(self.name, batch.cursor, self.now)
            self.report.cursor = batch.cursor
            if self.stop():
                self.report.stopped = True
                return

    def timers(self) -> None:
        for state in self.store.due_tickets(self.name, self.now):
            if state.ticket_id in self.seen or state.snapshot is None:
                continue
            if self.stop():
                self.report.stopped = True
                return
            self.report.timers += 1
            self.attempt(Ticket.from_dict(state.snapshot), state)

    def predict(self) -> None:
        """Re-evaluate the waiting tickets from their snapshots: a ticket whose predicted-miss warning
        is now due goes through ``process`` like a timer (the ledger still sends nothing twice)."""
        predictor = self.predictor
        policies = [p for p in self.engine.ruleset.messages.policies if p.event == "predicted_miss"]
        if predictor is None or not policies:
            return
        threshold = min(p.threshold for p in policies)
        for state in self.store.tickets(self.name, open_only=True):
            if state.ticket_id in self.seen or state.snapshot is None:
                continue
            ticket = Ticket.from_dict(state.snapshot)
            if ticket.first_response is not None or ticket.resolved is not None:
                continue
            if self.stop():
                self.report.stopped = True
                return
            evaluation = None
            if state.agent_priority and self.options.respect_agents:
                evaluation = self.agent_evaluation(ticket, {"priority": state.agent_priority})
            decision = self.engine.classify(ticket, self.now, evaluation)
            predictor.observe(ticket, decision)
            prediction = predictor.predict(ticket, decision)
            self.report.predicted += 1
            if prediction is None or prediction.probability < threshold:
                continue
            due = self.engine.due_messages(
                ticket, replace(decision, prediction=prediction), self.sent(ticket), self.now
            )
            if any(m.event == "predicted_miss" for m in due.messages):
                self.attempt(ticket, state)

    # -- one ticket refused: set it aside, never block the connection --------------------------------
    def attempt(self, ticket: Ticket, state: TicketState | None) -> None:
        """``process``, but a refusal about this ticket alone sets it aside instead of ending the cycle.

        One ticket the tool will not take (deleted, changed meanwhile, a value it rejects) must not
        hold every later ticket of the connection back, cycle after cycle. A failure of the tool or
        the connection (retryable, authentication) still ends the cycle with the cursor kept.
        """
        try:
            self.process(ticket)
        except AdapterError as exc:
            if not exc.retryable and exc.status in _TICKET_REFUSALS:
                self.set_aside(ticket, state or self.store.ticket(self.name, ticket.id), exc)
                return
            if not _ticket_failure(exc):
                raise
            failures = self.failed_attempts(ticket) + 1
            if failures < self.options.poison_after:
                self.note_failure(ticket, exc, failures, None)
                raise  # the tool may be failing as a whole: end the cycle, cursor kept
            self.set_aside_failing(ticket, state or self.store.ticket(self.name, ticket.id), exc, failures)

    # -- one ticket failing again and again: poison, set aside with backoff --------------------------
    def failed_attempts(self, ticket: Ticket) -> int:
        """Failed attempts in a row on this ticket: the audit log's trailing 'write failed' notes."""
        recent = self.store.decisions(self.name, ticket.id, limit=max(self.options.poison_after, 1) * 4)
        streak = 0
        for record in reversed(recent):
            if not str(record.get("note") or "").startswith(WRITE_FAILED):
                break
            streak += 1
        return streak

    def note_failure(
        self, ticket: Ticket, exc: AdapterError, failures: int, state: TicketState | None
    ) -> None:
        """Record the failed attempt (its decision and why) so the streak survives restarts."""
        with self.store.transaction():
            if state is not None:
                self.store.save_ticket(state)
            self.store.record_decision(
                self.name,
                ticket.id,
                self.report.cycle,
                self.now,
                self.deciding.as_dict(self.engine.ruleset) if self.deciding is not None else {},
                {},
                f"{WRITE_FAILED} ({failures} in a row): {exc}",
            )

    def set_aside_failing(
        self, ticket: Ticket, state: TicketState | None, exc: AdapterError, failures: int
    ) -> None:
        """A ticket whose writes keep failing while the tool answers: set aside like a refused one,
        tried again with a doubling wait, so it holds no other ticket and the cursor moves."""
        state = state or TicketState(self.name, ticket.id, number=ticket.number)
        wait = min(SET_ASIDE_RETRY * 2 ** (failures - self.options.poison_after), SET_ASIDE_MAX)
        retry = self.now + wait
        self.report.failing += 1
        self.log.error(
            "ticket %s failed %d times in a row (%s): set aside, tried again from %s or when it changes",
            ticket.id,
            failures,
            exc,
            retry.isoformat(timespec="seconds"),
        )
        self.note_failure(
            ticket, exc, failures, replace(state, snapshot=ticket.to_dict(), next_due=retry, closed=False)
        )

    def arrived(self, ticket: Ticket) -> None:
        self.store.count_arrival(self.name, channel_name(self.engine.ruleset, ticket.channel), ticket.created)

    def set_aside(self, ticket: Ticket, state: TicketState | None, exc: AdapterError) -> None:
        new = state is None  # refused before its state was first saved: it arrived all the same
        state = state or TicketState(self.name, ticket.id, number=ticket.number)
        self.report.refused += 1
        if exc.status in _GONE:
            # Deleted or merged in the tool: nothing more is due for it, and it must not hold up the
            # connection's cycles from now on.
            self.log.warning(
                "ticket %s is gone from the tool (%s): its timed messages are dropped", _label(ticket), exc
            )
            with self.store.transaction():
                if new:
                    self.arrived(ticket)
                for entry in self.store.messages(self.name, ticket.id):
                    if entry.state == "pending":  # refused with the 404: never sent
                        self.store.forget_pending(self.name, ticket.id, entry.key)
                self.store.save_ticket(replace(state, next_due=None, closed=True))
            return
        if isinstance(exc, ConflictError) or exc.status == 409:
            # Changed in the tool since it was read: its new version comes later in the fetch and is
            # decided then. Should the tool have collided with itself instead (the ticket unchanged,
            # so never fetched again), the timer tries this version again next cycle.
            retry = self.now
            self.log.warning(
                "ticket %s changed while matrixcore decided (%s): decided again when read anew",
                _label(ticket),
                exc,
            )
        else:
            retry = self.now + SET_ASIDE_RETRY
            self.log.error(
                "ticket %s refused by the tool (%s): set aside, tried again from %s or when it changes",
                _label(ticket),
                exc,
                retry.isoformat(timespec="seconds"),
            )
        with self.store.transaction():
            if new:
                self.arrived(ticket)
            self.store.save_ticket(replace(state, snapshot=ticket.to_dict(), next_due=retry, closed=False))
            if self.deciding is not None:  # so 'matrixcore state' tells why nothing was written
                self.store.record_decision(
                    self.name,
                    ticket.id,
                    self.report.cycle,
                    self.now,
                    self.deciding.as_dict(self.engine.ruleset),
                    {},
                    f"refused by the tool, set aside: {exc}",
                )


def sync_connection(
    name: str,
    adapter: Adapter,
    store: StateStore,
    engine: Engine,
    now: datetime,
    *,
    options: SyncOptions = SyncOptions(),
    plugins: Plugins | None = None,
    logger: logging.Logger | None = None,
    cycle: str | None = None,
    stop: Callable[[], bool] | None = None,
    predictor: Predictor | None = None,
) -> CycleReport:
    """Run one cycle for one connection; errors end the cycle (cursor untouched) and are reported.

    ``stop`` is asked after every committed batch (and between timed messages): once it returns
    ``True`` the cycle ends there, with nothing half done. ``predictor`` keeps the connection's queue
    across cycles; without one, a ruleset with ``predicted_miss`` policies gets one built from the
    state for this cycle.
    """
    cycle = cycle or uuid.uuid4().hex[:12]
    if predictor is None and predicts(engine):
        predictor = build_predictor(engine, store, name, now)
    with bound(connection=name, cycle=cycle):
        return _sync(name, adapter, store, engine, now, options, plugins, logger, cycle, stop, predictor)


def predicts(engine: Engine) -> bool:
    """Whether the rules warn of predicted misses (only then is the queue kept)."""
    return any(p.event == "predicted_miss" for p in engine.ruleset.messages.policies)


def build_predictor(engine: Engine, store: StateStore, connection: str, now: datetime) -> Predictor:
    """A connection's predictor from its state alone: the tickets it has seen are the history, the
    ones still waiting the queue. No request to the tool."""
    settings = engine.ruleset.prediction
    tickets = (Ticket.from_dict(s.snapshot) for s in store.tickets(connection) if s.snapshot is not None)
    return Predictor.from_tickets(
        engine, tickets, now, group_field=settings.group, dispersion=settings.dispersion
    )


def _sync(
    name: str,
    adapter: Adapter,
    store: StateStore,
    engine: Engine,
    now: datetime,
    options: SyncOptions,
    plugins: Plugins | None,
    logger: logging.Logger | None,
    cycle: str,
    stop: Callable[[], bool] | None,
    predictor: Predictor | None,
) -> CycleReport:
    report = CycleReport(name, cycle, now)
    # Only what the tool lets this connection write is written or compared (see Adapter).
    options = replace(options, writable=options.writable & writable_dimensions(adapter))
    log = logging.LoggerAdapter(
        logger or logging.getLogger("matrixcore.sync"), {"connection": name, "cycle": cycle}
    )
    plugins = plugins or Plugins()
    plugins.sync_start(connection=name, cursor=store.cursor(name), dry_run=options.dry_run)
    error: Exception | None = None
    try:
        _Cycle(
            name, adapter, store, engine, plugins, options, now, log, report, stop or _never, predictor
        ).run()
    except PageLimitReached as exc:  # not a failure: the next cycle goes on from the kept cursor
        report.page_limited = True
        log.warning("cycle ended early, cursor kept at the last batch: %s", exc)
    except Cancelled as exc:
        report.stopped = True
        error = exc
        report.error = str(exc)
        report.exception = exc
        log.info("cycle stopped, cursor kept: %s", exc)
    except AdapterError as exc:
        error = exc
        report.error = str(exc)
        report.exception = exc
        log.warning("cycle stopped, cursor kept: %s", exc)
    plugins.sync_finish(
        connection=name,
        cursor=store.cursor(name),
        tickets=report.tickets,
        changed=report.writes,
        messages=sum(report.messages.values()),
        error=error,
        dry_run=options.dry_run,
    )
    return report


def _ticket_failure(exc: AdapterError) -> bool:
    """Whether a failure on one ticket may be that ticket's own (a 5xx, a timeout, an unreadable
    answer on its write), as opposed to the tool or connection as a whole (credentials, a rate limit,
    a dry run's refusal, a stop)."""
    if isinstance(exc, ReadOnlyError | Cancelled) or exc.status in _TOOL_WIDE:
        return False
    return exc.retryable or (exc.status is not None and exc.status >= 500)


def _never() -> bool:
    return False


def _values(values: dict[str, Any], ticket: Ticket) -> str:
    """``priority P2 (was P4), impact high (was none)`` for a log line."""
    return ", ".join(
        f"{dim} {values[dim]} (was {getattr(ticket, dim) or 'none'})" for dim in _DIMENSIONS if dim in values
    )


def _label(ticket: Ticket) -> str:
    """The ticket as people at the desk know it: its number where the tool has one, else its id."""
    return ticket.number or ticket.id
