"""Every hook matrixcore calls, with what it passes, what it expects back and when it calls it.

A plugin is a module (or any object) with functions named after these hooks and marked with
``@hookimpl``; ``from matrixcore import hookimpl`` is all it imports. An implementation may take any
subset of a hook's arguments, by name: new arguments can be added to a hook without breaking it.

Three kinds of hook:

* **Registration** (``matrixcore_adapters``, ``matrixcore_conditions``, ``matrixcore_report_formats``;
  ``matrixcore_forecast_models`` and ``matrixcore_sandboxes`` too, called only by the command that uses
  them): called once per plugin while loading; each returns records. A name offered twice, by one
  plugin or by two, is an error naming both. Wrappers are refused on these hooks: each plugin's
  records are collected on their own so every record knows the plugin it came from.
* **Decisions** (``matrixcore_classify``, ``matrixcore_select_messages``): ``firstresult``; the first
  implementation returning something other than ``None`` decides. matrixcore's own implementation is
  ``trylast``, so any plugin runs before it: return a value to override, ``None`` to pass, or wrap it
  with ``@hookimpl(wrapper=True)`` to adjust what it decides.
* **Observers** (``matrixcore_enrich_ticket``, ``matrixcore_decision_recorded``,
  ``matrixcore_sync_start``, ``matrixcore_sync_finish``): every implementation is called. An
  exception in an implementation is not swallowed: it propagates to the caller as that step's failure.

Order among implementations of one hook (pluggy's): ``tryfirst`` ones first, then plain ones, both
with the plugin registered last first; then ``trylast`` ones, the plugin registered first first. So a
``trylast`` decision hook of a plugin runs after matrixcore's own and never decides (a warning says
so). Built-in plugins are registered first, then entry-point plugins in the order of their
distribution and entry-point names.

``docs/plugin-hooks.md`` documents every hook with an example; a test keeps it in step with this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

import pluggy

if TYPE_CHECKING:
    from ._adapter import AdapterSpec, PriorityChange
    from ._decision import Decision, DueMessages, SentMessage
    from ._engine import Engine
    from ._operators import Operator
    from ._ticket import Ticket
    from .forecast import ForecastModel
    from .report._format import ReportFormat
    from .sandbox import SandboxSpec

__all__ = [
    "PROJECT",
    "hookimpl",
    "hookspec",
    "matrixcore_adapters",
    "matrixcore_classify",
    "matrixcore_conditions",
    "matrixcore_decision_recorded",
    "matrixcore_enrich_ticket",
    "matrixcore_forecast_models",
    "matrixcore_report_formats",
    "matrixcore_sandboxes",
    "matrixcore_select_messages",
    "matrixcore_sync_finish",
    "matrixcore_sync_start",
]

#: The pluggy project name: markers, the entry-point group and every hook's prefix.
PROJECT: Final = "matrixcore"

hookspec: Final = pluggy.HookspecMarker(PROJECT)
#: Marks a plugin's hook implementation: ``@hookimpl``, ``@hookimpl(trylast=True)``,
#: ``@hookimpl(wrapper=True)``.
hookimpl: Final = pluggy.HookimplMarker(PROJECT)


# --- registration -----------------------------------------------------------------------------------


@hookspec
def matrixcore_adapters() -> Sequence[AdapterSpec]:
    """The adapters this plugin offers, one ``AdapterSpec`` per ITSM tool.

    Called once while plugins load. A config's ``connections.<name>.adapter`` names one of these;
    the spec's ``config_schema`` validates the rest of that connection's section (with the same
    path-and-line errors as the rules), and its ``factory(connection, context)`` builds the adapter
    when a command needs the connection. Adapter names are unique across all plugins.
    """
    raise NotImplementedError


@hookspec
def matrixcore_conditions() -> Sequence[Operator]:
    """Extra condition operators, usable in rules as ``{field: {name: value}}`` or JsonLogic.

    Called once while plugins load; the operators join the registry every rules file is compiled
    with. A name may not clash with JsonLogic's operations, the shorthand's words or another plugin's
    operator. ``matches``, ``before``, ``after`` and the business-hours tests arrive this way too,
    from the built-in plugin ``matrixcore.operators``.
    """
    raise NotImplementedError


@hookspec
def matrixcore_report_formats() -> Sequence[ReportFormat]:
    """Output formats for ``matrixcore report --format NAME``.

    Called once while plugins load. Format names are unique across all plugins; the built-in ones
    (table, csv, json, html) are registered the same way.
    """
    raise NotImplementedError


@hookspec
def matrixcore_sandboxes() -> Sequence[SandboxSpec]:
    """Emulated tools for ``matrixcore sandbox NAME``: try the daemon without an account.

    Called when ``matrixcore sandbox`` runs (not while plugins load: a sandbox may import its
    emulator, which only this command needs). Each ``SandboxSpec(name, factory)`` builds a
    ``matrixcore.sandbox.Sandbox`` on a loopback port; matrixcore seeds it with the quick-start
    tickets, writes the config a daemon needs, and files new tickets and acts as agents on a schedule.
    Sandbox names are unique across all plugins; by convention a sandbox is named after its adapter.
    """
    raise NotImplementedError


@hookspec
def matrixcore_forecast_models() -> Sequence[ForecastModel]:
    """Forecast models for ``matrixcore forecast``: ``ForecastModel(name, predict, description,
    min_weeks)``, ``predict(series, horizon)`` returning ``horizon`` expected counts.

    Called once per forecast, in plugin registration order (the built-ins, ``seasonal-naive``,
    ``week-average`` and ``day-profile``, first). Every model is scored in the same rolling-origin
    backtest and the one with the lowest MASE forecasts the series. Names are unique across plugins.
    """
    raise NotImplementedError


# --- decisions --------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def matrixcore_classify(engine: Engine, ticket: Ticket, now: datetime) -> Decision | None:
    """Decide a ticket's impact, urgency, priority and deadlines as of ``now``.

    Called for every ticket the daemon fetches and the report reads, and for each example that
    ``matrixcore check`` runs, after ``matrixcore_enrich_ticket``. Return a ``Decision`` to decide,
    ``None`` to leave it to the next implementation. The built-in (``trylast``) returns
    ``engine.classify(ticket, now)``; an override usually calls ``engine.classify`` too, perhaps
    with an ``evaluation`` of its own. Must be pure: no I/O, and ``now`` is the only clock.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def matrixcore_select_messages(
    engine: Engine, ticket: Ticket, decision: Decision, sent: Sequence[SentMessage], now: datetime
) -> DueMessages | None:
    """Choose the messages due for a ticket as of ``now``, given those already ``sent``.

    Called right after ``matrixcore_classify`` with its decision. Return ``DueMessages`` to decide,
    ``None`` to pass. The built-in (``trylast``) returns ``engine.due_messages(ticket, decision,
    sent, now)``. Must be pure, like classify.
    """
    raise NotImplementedError


# --- observers --------------------------------------------------------------------------------------


@hookspec
def matrixcore_enrich_ticket(ticket: Ticket) -> Ticket | None:
    """Add what the ITSM tool does not know (a CMDB's service owner, a VIP list) before classifying.

    Called for every fetched ticket, before ``matrixcore_classify``. Tickets are frozen: return a
    replacement (``ticket.evolve(...)``) or ``None`` to keep it. Implementations are applied in
    order, each seeing the ticket as the previous one left it. The only hook that may do I/O per
    ticket; keep it fast, it runs on every fetch. Not called for ``matrixcore check``'s examples,
    whose tickets are complete as written.
    """
    raise NotImplementedError


@hookspec
def matrixcore_decision_recorded(
    connection: str, ticket: Ticket, decision: Decision, change: PriorityChange | None, dry_run: bool
) -> None:
    """A decision was recorded in the audit log: export it, count it, alert on it.

    Called once per classified ticket, after the decision and any write to the tool are durable.
    ``change`` is what was written (``None``: nothing to change, or the agent's choice was kept);
    with ``dry_run`` nothing was written and ``change`` is what would have been.
    """


@hookspec
def matrixcore_sync_start(connection: str, cursor: str | None, dry_run: bool) -> None:
    """A sync pass over one connection begins; ``cursor`` is where it resumes (``None``: the start).

    Called before the pass's first fetch.
    """


@hookspec
def matrixcore_sync_finish(
    connection: str,
    cursor: str | None,
    tickets: int,
    changed: int,
    messages: int,
    error: Exception | None,
    dry_run: bool,
) -> None:
    """A sync pass over one connection ended, with ``error`` if it failed part-way.

    Called once per ``matrixcore_sync_start``, also after a failure. ``cursor`` is the one committed
    last; ``tickets`` read, ``changed`` written (or, with ``dry_run``, that would have been) and
    ``messages`` sent during the pass.
    """
