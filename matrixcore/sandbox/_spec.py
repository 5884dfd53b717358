"""What a plugin implements to offer ``matrixcore sandbox VENDOR``: an emulated tool a daemon can use.

A ``Sandbox`` wraps a plugin's own emulator (the one its tests use) on a loopback port. The command
seeds it with the quick-start tickets, then every so often a new ticket arrives and an agent acts
(picks a ticket up, changes a priority, resolves one), so a daemon pointed at it has real work: the
same priorities, messages and timers it would produce beside the real tool.

A plugin implements four primitives (``add_ticket``, ``pick_up``, ``set_priority``, ``resolve``),
``start``/``stop`` and the ``connection`` section; the schedule, the choice of what an agent does and
the config file are matrixcore's.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["PRIORITIES", "Sandbox", "SandboxSpec", "SandboxTicket"]

#: The quick-start ruleset's priorities, which an agent in a sandbox may choose.
PRIORITIES: Final = ("P1", "P2", "P3", "P4", "P5")


@dataclass(frozen=True, slots=True)
class SandboxTicket:
    """A ticket as a requester files it, in the quick-start's vocabulary (the sandbox maps it)."""

    subject: str
    #: email, portal, phone, chat, twitter or facebook.
    channel: str
    requester: str
    language: str
    email: str = ""
    category: str = ""
    vip: bool = False
    affected_users: int | None = None
    #: How long ago it was filed when the sandbox is seeded (arrivals are filed "now").
    minutes_ago: float = 0


@dataclass(slots=True)
class _Filed:
    """A ticket the sandbox filed: the tool's id and number, and what an agent did to it."""

    id: str
    number: str
    subject: str
    picked_up: bool = False
    resolved: bool = False


class Sandbox(ABC):
    """A plugin's emulated tool for ``matrixcore sandbox``; a context manager (``start``/``stop``).

    Subclasses implement the tool-specific primitives; ``file`` and ``agent_step`` keep track of the
    tickets filed so an agent acts on tickets that exist.
    """

    #: The adapter name a config uses for it (``topdesk``).
    adapter: str = ""

    def __init__(self) -> None:
        self.filed: list[_Filed] = []

    # -- what a plugin implements -------------------------------------------------------------------
    @abstractmethod
    def start(self) -> None:
        """Serve the emulator on 127.0.0.1 (a free port) and seed what the tool itself needs."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving."""

    @property
    @abstractmethod
    def url(self) -> str:
        """The base URL the connection uses."""

    @abstractmethod
    def connection(self, secret_file: str) -> dict[str, Any]:
        """The ``connections.<name>`` section for the quick-start rules, without ``adapter``; its
        credential is read from ``secret_file`` (``{file: ...}``), whose text is ``secret()``."""

    @abstractmethod
    def secret(self) -> str:
        """The credential the connection uses (a sandbox's own; it guards nothing real)."""

    @abstractmethod
    def add_ticket(self, ticket: SandboxTicket) -> tuple[str, str]:
        """File ``ticket`` in the tool; return its id and the number the desk sees."""

    @abstractmethod
    def pick_up(self, ticket_id: str) -> None:
        """An agent picks the ticket up (the tool's first response)."""

    @abstractmethod
    def set_priority(self, ticket_id: str, priority: str) -> None:
        """An agent sets the quick-start priority ``priority`` (P1-P5) by hand."""

    @abstractmethod
    def resolve(self, ticket_id: str) -> None:
        """An agent resolves the ticket."""

    def settle(self) -> None:  # noqa: B027  (optional: most tools show changes at once)
        """Make every change so far visible to the next fetch (Zendesk holds the last minute back)."""

    # -- matrixcore's part --------------------------------------------------------------------------
    def file(self, ticket: SandboxTicket) -> str:
        """File a ticket and remember it; returns the line the command prints."""
        ticket_id, number = self.add_ticket(ticket)
        self.filed.append(_Filed(ticket_id, number, ticket.subject))
        return f"new ticket {number} via {ticket.channel} ({ticket.language}): {ticket.subject}"

    def agent_step(self, rng: random.Random) -> str | None:
        """One thing an agent does, chosen as a desk works: mostly picking up the oldest waiting
        ticket, a quarter of the time resolving a picked-up one, one time in ten overruling a priority
        (matrixcore keeps an agent's choice)."""
        waiting = [t for t in self.filed if not t.picked_up and not t.resolved]
        working = [t for t in self.filed if t.picked_up and not t.resolved]
        roll = rng.random()
        if working and (roll < 0.25 or not waiting):
            chosen = rng.choice(working)
            self.resolve(chosen.id)
            chosen.resolved = True
            return f"agent resolved {chosen.number}: {chosen.subject}"
        if waiting and roll < 0.35:
            chosen = rng.choice(waiting)
            priority = rng.choice(PRIORITIES[1:4])
            self.set_priority(chosen.id, priority)
            return f"agent set {chosen.number} to {priority} by hand: {chosen.subject}"
        if waiting:
            chosen = waiting[0]
            self.pick_up(chosen.id)
            chosen.picked_up = True
            return f"agent picked up {chosen.number}: {chosen.subject}"
        return None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class SandboxSpec:
    """How a plugin offers a sandbox: returned from the ``matrixcore_sandboxes`` hook."""

    #: The name ``matrixcore sandbox NAME`` takes; by convention the adapter's name.
    name: str
    factory: Callable[[], Sandbox]
    description: str = ""
    #: Extra lines the command prints (what is particular about this tool's emulator).
    notes: tuple[str, ...] = field(default_factory=tuple)


def connection_document(
    name: str, sandbox: Sandbox, secret_file: str, rules: str, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """The whole config a daemon needs for ``sandbox``: rules, state, sync, metrics, the connection."""
    return {
        "rules": rules,
        **extra,
        "connections": {name: {"adapter": sandbox.adapter, **sandbox.connection(secret_file)}},
    }
