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
    "InvalidQueryError",
    "ManualClock",
    "RateLimitRule",
    "RecordedRequest",
    "ServiceNowApi",
    "ServiceNowInstance",
    "TableApiDescription",
    "error_body",
    "parse_encoded_query",
]


def __getattr__(name: str) -> object:
    # openapi-core is a test extra: import it only when the validation helper is asked for.
    if name == "TableApiDescription":
        from ._openapi import TableApiDescription

        return TableApiDescription
    raise AttributeError(name)
