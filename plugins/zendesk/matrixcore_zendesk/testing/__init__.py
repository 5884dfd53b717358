"""The Zendesk plugin's test kit: a stateful emulator of the Zendesk API parts matrixcore uses.

``ZendeskState`` holds the account (users, credentials, ticket fields, tickets, comments, jobs) and
its rules; ``ZendeskEmulator`` answers requests on Zendesk's paths with its statuses, bodies and
rate-limit headers. Both are plain Python; the plugin's tests serve the emulator over real HTTP on
127.0.0.1.
"""

from __future__ import annotations

from ._limits import PLAN_LIMITS, Bucket, RateLimits, Verdict
from ._openapi import DEVIATIONS, OpenApiValidator, SpecDeviation, SpecViolation, load_spec
from ._routes import EmulatorResponse, ZendeskEmulator
from ._state import ZendeskError, ZendeskState, stamp

__all__ = [
    "DEVIATIONS",
    "PLAN_LIMITS",
    "Bucket",
    "EmulatorResponse",
    "OpenApiValidator",
    "RateLimits",
    "SpecDeviation",
    "SpecViolation",
    "Verdict",
    "ZendeskEmulator",
    "ZendeskError",
    "ZendeskState",
    "load_spec",
    "stamp",
]
