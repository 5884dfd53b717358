"""The emulator's FIQL: TOPdesk's operators, quoting, precedence and per-kind restrictions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from matrixcore_topdesk.testing import FiqlError, parse_fiql

KINDS = {
    "number": "text",
    "briefDescription": "text",
    "request": "memo",
    "modificationDate": "date",
    "onHold": "boolean",
    "timeSpent": "number",
    "impact.name": "text",
    "caller.dynamicName": "text",
}
ITEM: dict[str, Any] = {
    "number": "I 2611 001",
    "briefDescription": "Printer (2e verdieping) doet het niet",
    "request": "long text",
    "modificationDate": datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC),
    "onHold": False,
    "timeSpent": 15,
    "impact": {"id": "x", "name": "Afdeling"},
    "caller": {"dynamicName": "John Doe"},
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("modificationDate=ge=2026-11-23T09:00:05Z", True),
        ("modificationDate=gt=2026-11-23T09:00:05Z", False),
        ("modificationDate=ge=2026-11-23T10:00:05+0100", True),
        ("modificationDate=lt=2026-11-23T10:00:06+01:00", True),
        ("modificationDate=le=2026-11-23T09:00:04Z", False),
        ("impact.name==afdeling", True),  # TOPdesk's collation ignores case
        ("impact.name!=Afdeling", False),
        ("caller.dynamicName=='John Doe'", True),
        ('caller.dynamicName=="John Doe"', True),
        ("briefDescription=='Printer (2e verdieping) doet het niet'", True),
        ("briefDescription=sw=printer", True),
        ("impact.name=in=(Persoon,Afdeling)", True),
        ("impact.name=out=(Persoon,Afdeling)", False),
        ("onHold==false", True),
        ("timeSpent=gt=10;timeSpent=lt=20", True),
        ("impact.name==Persoon,timeSpent=ge=15", True),
        ("impact.name==Persoon;timeSpent=ge=15,onHold==false", True),  # and binds tighter than or
        ("impact.name==Persoon;(timeSpent=ge=15,onHold==false)", False),
        ("request==null", False),
        ("caller.dynamicName!=null", True),
    ],
)
def test_queries(query: str, expected: bool) -> None:
    assert parse_fiql(query, KINDS)(ITEM) is expected


def test_null_matches_missing_and_empty() -> None:
    assert parse_fiql("request==null", KINDS)({"request": None})
    assert parse_fiql("impact.name==null", KINDS)({"impact": None})


def test_backslash_escapes_inside_quotes() -> None:
    item = {"briefDescription": 'it\'s "broken"'}
    assert parse_fiql(r"briefDescription=='it\'s \"broken\"'", KINDS)(item)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("id=gt=abc", "cannot be queried"),
        ("impact.name=gt=A", "only available for numeric and date values"),
        ("timeSpent=sw=1", "only available for text"),
        ("request==x", "not available for memo"),
        ("request=in=(a,b)", "not available for memo"),
        ("modificationDate=ge=yesterday", "is not a date"),
        ("onHold==maybe", "true or false"),
        ("timeSpent==ten", "not a number"),
        ("impact.name==", "expected a value"),
        ("(impact.name==A", "missing ')'"),
        ("impact.name=~A", "expected an operator"),
        ("impact.name=in=A", "needs a list"),
        ("caller.dynamicName=='John", "unterminated"),
        ("impact.name==A)", "unexpected"),
        ("", "empty query"),
    ],
)
def test_refused_queries_say_why(query: str, message: str) -> None:
    with pytest.raises(FiqlError, match=re.escape(message)):
        parse_fiql(query, KINDS)
