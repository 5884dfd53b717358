"""Test kit of the ServiceNow plugin: an emulated instance (state, Table API, OAuth, rate limits)
and the validation of requests against ServiceNow's published Table API description.

Import it in tests only; it is not used at run time.
"""

from __future__ import annotations

from ._api import ApiResponse, RecordedRequest, ServiceNowApi, error_body
from ._catalog import CHOICES, PRIORITY_LOOKUP, TABLES
from ._encoded_query import EncodedQuery, InvalidQueryError, parse_encoded_query
from ._instance import AuthError, ManualClock, RateLimitRule, ServiceNowInstance

__all__ = [
    "CHOICES",
    "PRIORITY_LOOKUP",
    "TABLES",
    "ApiResponse",
    "AuthError",
    "EncodedQuery",
    "Exchange",
    "InvalidQueryError",
    "ManualClock",
    "RateLimitRule",
    "RealClock",
    "RecordedRequest",
    "ServiceNowApi",
    "ServiceNowEmulator",
    "ServiceNowInstance",
    "TableApiDescription",
    "error_body",
    "parse_encoded_query",
]


def __getattr__(name: str) -> object:
    # Imported on first use: the description check needs openapi-core (a test extra), the HTTP
    # emulator matrixcore's test kit.
    if name == "TableApiDescription":
        from ._openapi import TableApiDescription

        return TableApiDescription
    if name in ("ServiceNowEmulator", "Exchange", "RealClock"):
        from . import _server

        return getattr(_server, name)
    raise AttributeError(name)
