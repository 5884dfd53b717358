"""``matrixcore sandbox``: an emulated ITSM tool on this machine, to watch the daemon work.

Plugins offer sandboxes through the ``matrixcore_sandboxes`` hook: a ``SandboxSpec`` whose factory
builds a ``Sandbox`` around the plugin's own emulator. matrixcore seeds it with the quick-start
tickets, writes the daemon's config and plays the desk (new tickets, agents acting) on a schedule.
"""

from __future__ import annotations

from ._runner import SandboxRun, quickstart_rules, sandboxes
from ._scenario import ARRIVALS, SEED
from ._spec import PRIORITIES, Sandbox, SandboxSpec, SandboxTicket

__all__ = [
    "ARRIVALS",
    "PRIORITIES",
    "SEED",
    "Sandbox",
    "SandboxRun",
    "SandboxSpec",
    "SandboxTicket",
    "quickstart_rules",
    "sandboxes",
]
