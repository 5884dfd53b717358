"""JsonLogic: the official test suite and the json-logic-engine compatible suite, for both the
reference evaluator and the compiler; JavaScript semantics beyond the suites; and a fuzz test that
the compiler agrees with the evaluator on random logic and data."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrixcore._errors import RulesetError
from matrixcore._jsonlogic import JsonLogicError, apply, compile_logic


def _research_dir() -> Path | None:
    here = Path(__file__).resolve().parents[1].parent / "shared" / "research-data" / "jsonlogic"
    if here.is_dir():
        return here
    env = os.environ.get("MATRIXCORE_RESEARCH_DATA")
    if env:
        for candidate in (Path(env) / "jsonlogic", Path(env)):
            if (candidate / "tests.json").is_file():
                return candidate
    return None


DATA = _research_dir()
MISSING = "JsonLogic research data not found beside the checkout nor in $MATRIXCORE_RESEARCH_DATA"


def _official_cases() -> list[Any]:
    if DATA is None:
        return [
            pytest.param(None, None, None, marks=pytest.mark.skip(reason=MISSING), id="tests.json-absent")
        ]
    cases: list[Any] = []
    section = "start"
    for entry in json.loads((DATA / "tests.json").read_text(encoding="utf-8")):
        if isinstance(entry, str):
            section = entry.lstrip("# ").strip()
            continue
        rule, data, expected = entry
        cases.append(
            pytest.param(rule, data, expected, id=f"{len(cases)}:{section[:24]}:{json.dumps(rule)[:50]}")
        )
    return cases


def _compat_cases() -> list[Any]:
    if DATA is None:
        return [pytest.param({}, marks=pytest.mark.skip(reason=MISSING), id="compatible.json-absent")]
    entries = json.loads((DATA / "compat-suites" / "compatible.json").read_text(encoding="utf-8"))
    cases = [e for e in entries if not isinstance(e, str)]
    return [pytest.param(case, id=f"{i}:{case['description'][:60]}") for i, case in enumerate(cases)]


OFFICIAL = _official_cases()
COMPAT = _compat_cases()


def same(got: Any, expected: Any) -> bool:
    """JSON equality that does not let ``True == 1`` or ``"1" == 1`` pass; NaN equals NaN."""
    if expected is None or isinstance(expected, bool):
        return got is expected
    if isinstance(expected, int | float):
        if isinstance(got, bool) or not isinstance(got, int | float):
            return False
        return got == expected or (math.isnan(got) and math.isnan(expected))
    if isinstance(expected, str):
        return isinstance(got, str) and got == expected
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(same(got[k], expected[k]) for k in got)
        )
    return bool(got == expected)


def compiled(rule: Any, data: Any) -> Any:
    return compile_logic(rule)(data)


FORMS: list[Any] = [pytest.param(apply, id="apply"), pytest.param(compiled, id="compiled")]


@pytest.mark.parametrize("evaluate", FORMS)
@pytest.mark.parametrize(("rule", "data", "expected"), OFFICIAL)
def test_official_suite(evaluate: Callable[[Any, Any], Any], rule: Any, data: Any, expected: Any) -> None:
    got = evaluate(rule, data)
    assert same(got, expected), f"{json.dumps(rule)} on {json.dumps(data)}: {got!r} != {expected!r}"


@pytest.mark.parametrize("evaluate", FORMS)
@pytest.mark.parametrize("case", COMPAT)
def test_compatible_suite(evaluate: Callable[[Any, Any], Any], case: dict[str, Any]) -> None:
    rule, data = case["rule"], case.get("data")
    if "error" in case:
        with pytest.raises((JsonLogicError, RulesetError, TypeError, ValueError)):
            evaluate(rule, data)
        return
    got = evaluate(rule, data)
    assert same(got, case["result"]), f"{case['description']}: {got!r} != {case['result']!r}"


def test_the_suites_were_found_in_full() -> None:
    if DATA is None:
        pytest.skip(MISSING)
    assert len(OFFICIAL) == 275
    assert len(COMPAT) >= 278


# --- JavaScript semantics the suites do not pin down -------------------------------------------------

SEMANTICS: list[tuple[Any, Any, Any]] = [
    (
        {"cat": [1.5, 0.1, 1e21, 1e-7, 100.0, -0.0, None, True, [1, [2, None]]]},
        None,
        "1.50.11e+211e-71000nulltrue1,2,",
    ),
    ({"==": [None, 0]}, None, False),
    ({"==": [None, None]}, None, True),
    ({"==": [[1, 2], "1,2"]}, None, True),
    ({"==": [True, "1"]}, None, True),
    ({"==": ["", 0]}, None, True),
    ({"==": [" 12 ", 12]}, None, True),
    ({"==": ["0x10", 16]}, None, True),
    ({"==": ["1e3", 1000]}, None, True),
    ({"==": ["inf", float("inf")]}, None, False),
    ({"==": [{"var": "o"}, "[object Object]"]}, {"o": {"a": 1}}, True),
    ({"===": [1, 1.0]}, None, True),
    ({"===": [True, 1]}, None, False),
    ({"<": [None, 1]}, None, True),
    ({"<": ["a", "b"]}, None, True),
    ({"<": ["10", "9"]}, None, True),
    ({"<": ["10", 9]}, None, False),
    ({">": ["abc", 1]}, None, False),
    ({"<=": ["abc", 1]}, None, False),
    ({"<": [[2], 3]}, None, True),
    ({"<": [1, 2, 0]}, None, False),
    ({">": [1]}, None, False),
    ({"in": [1, ["1", 1.0]]}, None, True),
    ({"in": [True, [1]]}, None, False),
    ({"in": ["", ""]}, None, False),
    ({"in": ["", "abc"]}, None, True),
    ({"in": [1, "a1b"]}, None, True),
    ({"in": ["a", {"var": "o"}]}, {"o": {"a": 1}}, False),
    ({"%": [-7, 2]}, None, -1),
    ({"%": [7.5, 2]}, None, 1.5),
    ({"/": [1, 0]}, None, float("inf")),
    ({"/": [-1, 0]}, None, float("-inf")),
    ({"-": []}, None, float("nan")),
    ({"+": ["12abc", " 3"]}, None, 15),
    ({"+": [True]}, None, float("nan")),
    ({"*": ["2", "3"]}, None, 6),
    ({"-": ["5", True]}, None, 4),
    ({"min": []}, None, float("inf")),
    ({"max": [1, "x"]}, None, float("nan")),
    ({"substr": ["jsonlogic", "2", "3"]}, None, "onl"),
    ({"substr": [12345, -2]}, None, "45"),
    ({"!": [{"var": "o"}]}, {"o": {}}, False),
    ({"!!": [{"/": [0, 0]}]}, None, False),
    ({"and": []}, None, None),
    ({"var": "a.1.length"}, {"a": ["x", "hello"]}, 5),
    ({"var": "a.01"}, {"a": ["x", "y"]}, None),
    ({"var": ["a", 7]}, {"a": None}, None),
    ({"var": ["a.b", 7]}, {"a": 3}, 7),
    ({"missing": ["a", "b", "c"]}, {"a": "", "b": 0}, ["a", "c"]),
    ({"missing_some": [1, ["a", "b"]]}, {"b": False}, []),
    ({"all": [{"var": "s"}, True]}, {"s": "abc"}, False),
    ({"some": [None, True]}, None, False),
    ({"none": [{"var": "x"}, True]}, None, True),
    ({"merge": [[1, [2]], 3]}, None, [1, [2], 3]),
    ({"if": [{"var": "d"}, "yes", "no"]}, {"d": datetime(1970, 1, 1, tzinfo=UTC)}, "yes"),
]


@pytest.mark.parametrize("evaluate", FORMS)
@pytest.mark.parametrize(
    ("rule", "data", "expected"), SEMANTICS, ids=[json.dumps(r)[:60] for r, _, _ in SEMANTICS]
)
def test_javascript_semantics(
    evaluate: Callable[[Any, Any], Any], rule: Any, data: Any, expected: Any
) -> None:
    assert same(evaluate(rule, data), expected)


@pytest.mark.parametrize("evaluate", FORMS)
def test_dates_compare_as_instants_and_print_as_iso(evaluate: Callable[[Any, Any], Any]) -> None:
    early = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    same_instant = early.astimezone(timezone(timedelta(hours=2)))
    data = {"a": early, "b": same_instant, "c": early + timedelta(minutes=1), "n": datetime(2025, 3, 1, 9, 0)}
    assert evaluate({"==": [{"var": "a"}, {"var": "b"}]}, data) is True
    assert evaluate({"===": [{"var": "a"}, {"var": "b"}]}, data) is True
    assert evaluate({"<": [{"var": "a"}, {"var": "c"}]}, data) is True
    assert evaluate({"==": [{"var": "a"}, {"var": "n"}]}, data) is True  # naive is UTC
    assert evaluate({"-": [{"var": "c"}, {"var": "a"}]}, data) == 60_000
    assert evaluate({"cat": [{"var": "a"}]}, data) == "2025-03-01T09:00:00+00:00"


@pytest.mark.parametrize("evaluate", FORMS)
def test_an_unknown_operation_is_an_error(evaluate: Callable[[Any, Any], Any]) -> None:
    with pytest.raises((JsonLogicError, RulesetError), match="unknown operation 'nope'"):
        evaluate({"and": [True, {"nope": [1]}]}, None)


def test_compile_reports_every_problem_with_its_path() -> None:
    with pytest.raises(RulesetError) as caught:
        compile_logic({"or": [{"nope": 1}, {"matches": [{"var": "a"}, "("]}, {"==": [1, {"opp": []}]}]})
    problems = {p.path: p.message for p in caught.value.problems}
    assert set(problems) == {("or", 0, "nope"), ("or", 1, "matches"), ("or", 2, "==", 1, "opp")}
    assert "invalid regular expression" in problems[("or", 1, "matches")]
    assert problems[("or", 0, "nope")] == "unknown operation 'nope' (did you mean 'none'?)"


def test_compiled_logic_is_reusable_across_data() -> None:
    evaluate = compile_logic({"map": [{"var": "xs"}, {"*": [{"var": ""}, 2]}]})
    assert evaluate({"xs": [1, 2]}) == [2, 4]
    assert evaluate({"xs": "not an array"}) == []
    assert evaluate(None) == []


# --- the compiler agrees with the evaluator on anything ----------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, -1.5, 1e21, float("nan"), float("inf"), 2.0, -0.0]),
    st.sampled_from(["", "0", "1", "2", " 2 ", "a", "b", "ab", "1e0", "0x1", "a,b", "true", "null"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=2),
    max_leaves=6,
)
_PATHS = st.sampled_from(["a", "b", "c", "a.b", "a.0", "b.length", "", "x", "current", "accumulator"])
_OPS = [
    "==",
    "!=",
    "===",
    "!==",
    "<",
    "<=",
    ">",
    ">=",
    "!",
    "!!",
    "and",
    "or",
    "if",
    "?:",
    "in",
    "cat",
    "substr",
    "+",
    "-",
    "*",
    "/",
    "%",
    "min",
    "max",
    "merge",
    "missing",
    "missing_some",
    "map",
    "filter",
    "reduce",
    "all",
    "some",
    "none",
]


def _logic(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    var = st.one_of(
        st.builds(lambda p: {"var": p}, _PATHS),
        st.builds(lambda p, d: {"var": [p, d]}, _PATHS, _SCALARS),
    )
    return st.recursive(
        st.one_of(leaf, var),
        lambda inner: st.one_of(
            st.builds(lambda op, args: {op: args}, st.sampled_from(_OPS), st.lists(inner, max_size=4)),
            st.builds(lambda op, arg: {op: arg}, st.sampled_from(_OPS), inner),
            st.lists(inner, max_size=2),
        ),
        max_leaves=12,
    )


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logic=_logic(_SCALARS), data=st.dictionaries(st.sampled_from(["a", "b", "c", "x"]), _JSON, max_size=4))
def test_compiled_equals_reference_on_random_logic(logic: Any, data: dict[str, Any]) -> None:
    try:
        expected = apply(logic, data)
    except (OverflowError, RecursionError):
        return
    assert same(compile_logic(logic)(data), expected), json.dumps(logic)


_TYPED: st.SearchStrategy[Any] = st.deferred(
    lambda: st.one_of(
        _SCALARS,
        st.lists(_SCALARS, max_size=3),
        st.builds(lambda p: {"var": p}, _PATHS),
        st.builds(lambda a: {"!": a}, _TYPED),
        st.builds(lambda a, b: {"cat": [a, b]}, _SCALARS, _TYPED),
        st.builds(lambda a, b: {"+": [a, b]}, _SCALARS, _SCALARS),
        st.builds(lambda a, b, c: {"if": [a, b, c]}, _TYPED, _SCALARS, _SCALARS),
        st.builds(
            lambda op, xs: {op: xs}, st.sampled_from(["and", "or"]), st.lists(_TYPED, min_size=1, max_size=3)
        ),
    )
)


@settings(max_examples=1500, deadline=None)
@given(
    op=st.sampled_from(["==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "!", "!!", "and", "or"]),
    args=st.lists(_TYPED, min_size=1, max_size=3),
    data=st.dictionaries(st.sampled_from(["a", "b", "c", "x"]), _JSON, max_size=4),
)
def test_compiled_equals_reference_on_typed_comparisons(
    op: str, args: list[Any], data: dict[str, Any]
) -> None:
    logic = {op: args}
    assert same(compile_logic(logic)(data), apply(logic, data)), json.dumps(logic)
