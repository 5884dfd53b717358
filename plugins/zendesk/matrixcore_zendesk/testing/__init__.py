"""The Zendesk plugin's test kit: a stateful emulator of the Zendesk API parts matrixcore uses.

``ZendeskState`` holds the account (users, credentials, ticket fields, tickets, comments, jobs) and
its rules; ``ZendeskEmulator`` answers requests on Zendesk's paths with its statuses, bodies and
rate-limit headers. Both are plain Python; the plugin's tests serve the emulator over real HTTP on
127.0.0.1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._limits import PLAN_LIMITS, Bucket, RateLimits, Verdict
from ._openapi import DEVIATIONS, OpenApiValidator, SpecDeviation, SpecViolation, load_spec
from ._routes import EmulatorResponse, ZendeskEmulator
from ._state import ZendeskError, ZendeskState, stamp

if TYPE_CHECKING:
    from ._server import EmulatorClock, ZendeskServer

__all__ = [
    "DEVIATIONS",
    "PLAN_LIMITS",
    "Bucket",
    "EmulatorClock",
    "EmulatorResponse",
    "OpenApiValidator",
    "RateLimits",
    "SpecDeviation",
    "SpecViolation",
    "Verdict",
    "ZendeskEmulator",
    "ZendeskError",
    "ZendeskServer",
    "ZendeskState",
    "load_spec",
    "stamp",
]


def __getattr__(name: str) -> Any:
    if name in ("EmulatorClock", "ZendeskServer"):  # lazily: they need matrixcore.testing's server
        from . import _server

        return getattr(_server, name)
    raise AttributeError(f"module 'matrixcore_zendesk.testing' has no attribute {name!r}")
