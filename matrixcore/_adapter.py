"""The adapter contract: what matrixcore needs from an ITSM tool, and nothing more.

One adapter object per configured connection (not a fan-out hook): the daemon and the report talk to
each connection separately, so one failing tool delays only itself. Adapters map vendor fields into
a ``Ticket`` and matrix level names back into vendor values; the engine never sees vendor payloads.

Cursors are opaque strings the adapter makes and understands (a watermark, a vendor cursor, a file
offset). matrixcore stores them and hands them back; it never looks inside.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from ._errors import MatrixcoreError
from ._ticket import Ticket

if TYPE_CHECKING:
    import requests

    from ._config import ConnectionConfig
    from ._errors import Problem
    from ._retry import RetryPolicy
    from ._ruleset import Ruleset

__all__ = [
    "DIMENSIONS",
    "Adapter",
    "AdapterContext",
    "AdapterError",
    "AdapterSpec",
    "Batch",
    "Cancelled",
    "CombinedWriter",
    "ConflictError",
    "OutgoingMessage",
    "PageLimitReached",
    "PostedMessage",
    "PriorityChange",
    "ReadOnlyError",
    "RulesetChecker",
    "writable_dimensions",
]


class AdapterError(MatrixcoreError):
    """The ITSM tool could not be reached or refused a request; the message says which and why."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class ReadOnlyError(AdapterError):
    """A write was attempted on a read-only (dry-run) connection; nothing was sent."""


class Cancelled(AdapterError):
    """The run is stopping (SIGTERM, SIGINT): no request was sent, no wait is finished."""


class PageLimitReached(AdapterError):
    """A listing read ``max_pages`` pages and the tool still said "more": it ends here, with a warning.

    The sync ends the cycle early (not a failure): the cursor stays at the last committed batch, and
    the next cycle goes on from there. A tool that answers "more pages" forever cannot keep a cycle
    (or a dry run) going.
    """


class ConflictError(AdapterError):
    """The ticket changed in the tool since it was read; nothing was written.

    Not retryable as it is: re-read the ticket and decide again (an agent's change may settle it).
    """

    def __init__(self, message: str, *, ticket_id: str = "", status: int | None = 409) -> None:
        super().__init__(message, retryable=False, status=status)
        self.ticket_id = ticket_id


@dataclass(frozen=True, slots=True)
class Batch:
    """Tickets fetched together, and the cursor that resumes *after* them."""

    tickets: Sequence[Ticket]
    cursor: str


@dataclass(frozen=True, slots=True)
class PriorityChange:
    """What matrixcore writes: matrix level and priority names (the adapter maps them to the tool's).

    ``None`` means "leave as it is". Tools that derive priority from impact and urgency (ServiceNow)
    write only those two.
    """

    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """A message as the tool shows it on a ticket (a TOPdesk action, a ServiceNow journal entry,
    a Zendesk comment)."""

    id: str
    text: str
    visible_to_requester: bool
    created: datetime | None = None
    author: str = ""


@runtime_checkable
class Adapter(Protocol):
    """One connection to one ITSM tool.

    Optional: a ``writable`` attribute (a set of ``"impact"``, ``"urgency"``, ``"priority"``) names
    the dimensions this connection writes; the sync then neither writes nor compares the others
    (ServiceNow derives the priority itself, TOPdesk may be told ``write: [impact, urgency]``), so a
    value the tool derives is never taken for an agent's change. Without it, all three are written.
    """

    #: The connection's name from the config (``topdesk-prod``).
    name: str

    def check(self) -> None:
        """Verify the connection and credentials; raise ``AdapterError`` saying what is wrong."""

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        """Tickets changed since ``cursor`` (``None``: from the beginning), oldest first, in batches.

        Each batch carries the cursor to resume after it. Resuming from a batch's cursor never skips
        a ticket; it may return the last few again (re-reading is harmless).
        """

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        """Write impact, urgency and/or priority in the way the tool accepts them (idempotent)."""

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        """Post a reply to the requester (``visible_to_requester``) or an internal note."""

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        """Messages on the ticket, oldest first (used to reconcile after a crash)."""

    def close(self) -> None:
        """Release connections; the adapter is not used afterwards."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message matrixcore is about to send, for ``CombinedWriter.apply_update``."""

    text: str
    visible_to_requester: bool


@runtime_checkable
class CombinedWriter(Protocol):
    """Optional for adapters: a priority change and a message in one request.

    A new ticket needs both (its priority, the requester's acknowledgement); tools whose update call
    takes both (TOPdesk's incident update with an ``action``, ServiceNow's record update with
    ``comments`` or ``work_notes``, Zendesk's ticket update with a ``comment``) then cost one write
    request instead of two: against a vendor's rate limit, twice the tickets a minute. The sync uses
    it whenever an adapter has it, with the same guarantees: the message is pending in the ledger
    before the request and sent after; a failure of the request is a failure of both writes.

    Like ``post_message``, it is never retried after the tool may have acted (unless an idempotency
    key the tool honours makes that safe); when the answer cannot show the update was done, return
    the message only if a read shows it, else raise.
    """

    def apply_update(self, ticket: Ticket, change: PriorityChange, message: OutgoingMessage) -> PostedMessage:
        """Write ``change`` (as ``set_priority`` would) and post ``message`` in one request."""


@runtime_checkable
class RulesetChecker(Protocol):
    """Optional for adapters: check a ruleset against the live tool's own set-up.

    The tool may hold facts the ruleset must agree with (TOPdesk's duration per priority, the
    values a mapping names). ``matrixcore check --config`` calls this on every connection whose
    adapter has it, read-only, after ``check()``. Return problems located in the ruleset (its
    document) or in the config (path ``("connections", name, ...)``, located by matrixcore); warnings
    are shown, errors make the check fail.
    """

    def ruleset_problems(self, ruleset: Ruleset) -> Sequence[Problem]:
        """Everything the live tool says about ``ruleset`` and this connection's settings."""


@dataclass(frozen=True, slots=True)
class AdapterContext:
    """What matrixcore hands an adapter factory besides the connection's settings."""

    #: Dry run: the adapter must send no request that changes anything (HTTP adapters: only GET).
    read_only: bool = False
    #: An injected HTTP session (tests pass one wired to a local server); ``None``: make your own.
    session: requests.Session | None = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("matrixcore.adapter"))
    user_agent: str = "matrixcore"
    #: Overrides the connection's retry settings, including how waits are slept (tests pass a fake
    #: clock's); ``None``: the adapter's settings or defaults.
    retry: RetryPolicy | None = None
    #: Called before each retry of a request with the failure and the seconds it will wait; the
    #: daemon counts retries per connection with it (``HttpClient`` calls it for you).
    on_retry: Callable[[BaseException | None, float], None] | None = None
    #: Set when the run is stopping (SIGTERM, SIGINT): HTTP adapters send no further request and
    #: cut every wait short (retries, back-off, the request budget), raising ``Cancelled``.
    cancel: threading.Event | None = None


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """How a plugin offers an adapter: returned from the ``matrixcore_adapters`` hook."""

    #: The name configs use (``adapter: topdesk``); unique across all plugins.
    name: str
    factory: Callable[[ConnectionConfig, AdapterContext], Adapter]
    #: JSON Schema (Draft 2020-12) of the connection's settings (everything but ``adapter``).
    config_schema: Mapping[str, Any]
    version: str = ""
    description: str = ""


#: What a ``PriorityChange`` can hold, in the order messages and notes name them.
DIMENSIONS: Final = ("impact", "urgency", "priority")


def writable_dimensions(adapter: object) -> frozenset[str]:
    """The dimensions ``adapter`` writes: its optional ``writable`` attribute, else all three."""
    offered = getattr(adapter, "writable", None)
    if offered is None:
        return frozenset(DIMENSIONS)
    return frozenset(str(dim) for dim in offered) & frozenset(DIMENSIONS)
