"""The emulator's encoded-query evaluation: the subset the adapter uses, with the platform's
semantics where adapters trip (NULLs, case, invalid fields, ^OR binding, ^NQ)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from matrixcore_servicenow.testing import InvalidQueryError, parse_encoded_query

KINDS = {"sys_id": "sys_id", "sys_updated_on": "glide_date_time", "priority": "integer", "state": "choice"}
KINDS |= {"short_description": "string", "element_id": "string", "element": "string", "name": "string"}


def lookup(record: Mapping[str, Any], name: str) -> tuple[str, str] | None:
    kind = KINDS.get(name)
    return None if kind is None else (record.get(name, ""), kind)


def rows(query: str, records: list[dict[str, str]], *, strict: bool = False) -> list[str]:
    parsed = parse_encoded_query(query)
    matching = [r for r in records if parsed.matches(r, lookup, strict=strict)]
    return [r["sys_id"] for r in parsed.sort(matching, lookup)]


RECORDS = [
    {
        "sys_id": "c",
        "sys_updated_on": "2026-11-23 09:00:00",
        "priority": "10",
        "state": "2",
        "short_description": "Mail",
    },
    {
        "sys_id": "a",
        "sys_updated_on": "2026-11-23 09:00:00",
        "priority": "9",
        "state": "1",
        "short_description": "VPN",
    },
    {
        "sys_id": "b",
        "sys_updated_on": "2026-11-23 08:59:59",
        "priority": "",
        "state": "3",
        "short_description": "mail",
    },
    {"sys_id": "d", "sys_updated_on": "", "priority": "2", "state": "1", "short_description": ""},
]


def test_watermark_query_of_the_adapter() -> None:
    query = (
        "sys_updated_on>=2026-11-23 09:00:00^sys_updated_on<2026-11-23 09:00:01"
        "^ORDERBYsys_updated_on^ORDERBYsys_id"
    )
    assert rows(query, RECORDS) == ["a", "c"]


def test_order_by_time_then_sys_id_with_empty_values_first() -> None:
    assert rows("ORDERBYsys_updated_on^ORDERBYsys_id", RECORDS) == ["d", "b", "a", "c"]
    assert rows("ORDERBYDESCsys_updated_on^ORDERBYsys_id", RECORDS) == ["a", "c", "b", "d"]


def test_integers_compare_as_numbers_and_empty_satisfies_no_comparison() -> None:
    assert rows("priority>=9^ORDERBYsys_id", RECORDS) == ["a", "c"]  # "10" >= "9" numerically
    assert rows("priority<3", RECORDS) == ["d"]  # b's empty priority is not < 3
    assert rows("priorityISEMPTY", RECORDS) == ["b"]


def test_strings_compare_ignoring_case() -> None:
    assert rows("short_description=MAIL^ORDERBYsys_id", RECORDS) == ["b", "c"]
    assert rows("short_descriptionLIKEai^ORDERBYsys_id", RECORDS) == ["b", "c"]
    assert rows("short_descriptionSTARTSWITHv", RECORDS) == ["a"]


def test_or_binds_to_the_condition_before_and_nq_starts_a_new_query() -> None:
    assert rows("state=1^ORstate=3^priority>5^ORDERBYsys_id", RECORDS) == ["a"]
    assert rows("state=2^NQpriority=2^ORDERBYsys_id", RECORDS) == ["c", "d"]
    assert rows("stateIN1,3^ORDERBYsys_id", RECORDS) == ["a", "b", "d"]
    assert rows("state!=1^ORDERBYsys_id", RECORDS) == ["b", "c"]


def test_journal_lookup_conditions() -> None:
    entries = [
        {"sys_id": "1", "element_id": "x", "element": "comments", "name": "incident"},
        {"sys_id": "2", "element_id": "x", "element": "work_notes", "name": "incident"},
        {"sys_id": "3", "element_id": "y", "element": "comments", "name": "incident"},
    ]
    query = "element_id=x^name=incident^element=comments^ORelement=work_notes^ORDERBYsys_id"
    assert rows(query, entries) == ["1", "2"]


def test_an_unknown_field_drops_its_condition_as_the_platform_does() -> None:
    assert rows("u_nonexistent=1^state=1^ORDERBYsys_id", RECORDS) == ["a", "d"]
    with pytest.raises(InvalidQueryError, match="u_nonexistent"):
        rows("u_nonexistent=1^state=1", RECORDS, strict=True)


def test_trailing_eq_and_empty_terms_are_ignored() -> None:
    assert rows("state=2^^EQ", RECORDS) == ["c"]
    assert rows("", RECORDS) == ["c", "a", "b", "d"]


def test_a_term_without_an_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="no known operator"):
        parse_encoded_query("state~2")
