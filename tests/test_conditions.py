"""The shorthand, its validation, the extra operators, and the compiled rulesets."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrixcore._conditions import CompiledRuleset, compile_condition, compile_ruleset, desugar
from matrixcore._errors import RulesetError
from matrixcore._jsonlogic import apply
from matrixcore._jsvalues import truthy
from matrixcore._operators import (
    DYNAMIC,
    CompileContext,
    DuplicateOperatorError,
    Operator,
    OperatorRegistry,
)
from matrixcore._ticket import CORE_FIELDS, REQUESTER_FIELDS, Requester, Ticket

MONDAY_10 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


class OfficeHours:
    """A stand-in for BusinessCalendar: open Monday to Friday, 09:00-17:00 UTC."""

    def __init__(self) -> None:
        self.seen: list[datetime] = []

    def is_open(self, instant: datetime) -> bool:
        self.seen.append(instant)
        utc = instant.astimezone(UTC)
        return utc.weekday() < 5 and 9 <= utc.hour < 17


def context(**calendars: Any) -> CompileContext:
    return CompileContext(calendars=calendars or {"office": OfficeHours()})


def ticket(**fields: Any) -> Ticket:
    fields.setdefault("created", MONDAY_10)
    return Ticket(source="test", id="1", **fields)


def holds(condition: Any, t: Ticket, ctx: CompileContext | None = None) -> bool:
    """Compile a shorthand condition and evaluate it, checking the reference evaluator agrees."""
    ctx = ctx or context()
    logic, problems = desugar(condition, ctx)
    assert [p for p in problems if p.severity == "error"] == []
    result = compile_condition(logic, ctx)(t)
    assert result is truthy(apply(logic, t, ctx))
    return result


# --- desugaring --------------------------------------------------------------------------------------


def v(name: str) -> dict[str, str]:
    return {"var": name}


DESUGARED = [
    ({"channel": "twitter"}, {"==": [v("channel"), "twitter"]}),
    ({"channel": ["chat", "phone"]}, {"in": [v("channel"), ["chat", "phone"]]}),
    (
        {"affected_users": {"gte": 1, "lte": 5}},
        {"and": [{">=": [v("affected_users"), 1]}, {"<=": [v("affected_users"), 5]}]},
    ),
    (
        {"channel": "email", "requester.vip": True},
        {"and": [{"==": [v("channel"), "email"]}, {"==": [v("requester.vip"), True]}]},
    ),
    (
        {"any": [{"subject": {"matches": "(?i)storing|outage|down"}}, {"affected_users": {"gte": 50}}]},
        {"or": [{"matches": [v("subject"), "(?i)storing|outage|down"]}, {">=": [v("affected_users"), 50]}]},
    ),
    (
        {"all": [{"category": "incident"}, {"not": {"service": "wifi"}}]},
        {"and": [{"==": [v("category"), "incident"]}, {"!": {"==": [v("service"), "wifi"]}}]},
    ),
    ({"all": []}, True),
    ({"any": []}, False),
    (True, True),
    (False, False),
    ({"channel": {"ne": "email"}}, {"!=": [v("channel"), "email"]}),
    ({"impact": {"eq": None}}, {"==": [v("impact"), None]}),
    (
        {"paused_seconds": {"gt": 60, "lt": "600"}},
        {"and": [{">": [v("paused_seconds"), 60]}, {"<": [v("paused_seconds"), "600"]}]},
    ),
    ({"subject": {"contains": "VPN"}}, {"in": ["VPN", v("subject")]}),
    ({"tags": {"contains": "urgent"}}, {"in": ["urgent", v("tags")]}),
    ({"impact": {"exists": True}}, {"!": {"missing": ["impact"]}}),
    ({"custom.team": {"exists": False}}, {"!!": {"missing": ["custom.team"]}}),
    ({"created": {"before": "2025-01-01"}}, {"before": [v("created"), "2025-01-01"]}),
    ({"first_response": {"after": {"var": "created"}}}, {"after": [v("first_response"), v("created")]}),
    ({"created": {"outside_business_hours": "office"}}, {"outside_business_hours": [v("created"), "office"]}),
    ({"paused_seconds": {"gt": {"var": "custom.limit"}}}, {">": [v("paused_seconds"), v("custom.limit")]}),
    ({"jsonlogic": {"<": [1, v("custom.x"), 9]}}, {"<": [1, v("custom.x"), 9]}),
    ({"custom.all": 1}, {"==": [v("custom.all"), 1]}),
    (
        {"any": [{"all": [{"vip_level": 3}, True]}, {"not": False}]},
        {"or": [{"and": [{"==": [v("vip_level"), 3]}, True]}, {"!": False}]},
    ),
]


@pytest.mark.parametrize(("condition", "expected"), DESUGARED, ids=[str(c)[:50] for c, _ in DESUGARED])
def test_desugars_to_exact_jsonlogic(condition: Any, expected: Any) -> None:
    logic, problems = desugar(condition, context())
    assert problems == []
    assert logic == expected


# --- validation --------------------------------------------------------------------------------------

REQUESTERS = "name, address, language, vip, timezone"
ERRORS = [
    (
        {"subject": {"matchs": "x"}},
        ("subject", "matchs"),
        "unknown operator 'matchs' (did you mean 'matches'?)",
    ),
    (
        {"created": {"within_busines_hours": "office"}},
        ("created", "within_busines_hours"),
        "unknown operator 'within_busines_hours' (did you mean 'within_business_hours'?)",
    ),
    (
        {"any": [{"channel": "x"}, {"channel": {"zzz": 1}}]},
        ("any", 1, "channel", "zzz"),
        "unknown operator 'zzz' (operators: eq, ne, in, gt, gte, lt, lte, contains, matches, exists, before, "
        "after, within_business_hours, outside_business_hours)",
    ),
    (
        {"requester.mail": "x"},
        ("requester.mail",),
        f"unknown field 'requester.mail'; requester fields are {REQUESTERS}",
    ),
    (
        {"requester.lang": "nl"},
        ("requester.lang",),
        "unknown field 'requester.lang' (did you mean 'requester.language'?); "
        f"requester fields are {REQUESTERS}",
    ),
    (
        {"subject.text": "x"},
        ("subject.text",),
        "unknown field 'subject.text': subject is a str field without parts",
    ),
    (
        {"requester": "x"},
        ("requester",),
        "'requester' is not a field by itself; use requester.name, "
        "requester.address, requester.language, requester.vip, requester.timezone",
    ),
    ({"custom": "x"}, ("custom",), "'custom' needs a field name: custom.<name>"),
    (
        {"subject": {"matches": "(unclosed"}},
        ("subject", "matches"),
        "matches: invalid regular expression '(unclosed': missing ), unterminated subpattern at position 0",
    ),
    ({"channel": {"in": "twitter"}}, ("channel", "in"), "in takes a list of values, not 'twitter'"),
    ({"channel": {"in": ["a", ["b"]]}}, ("channel", "in", 1), "in lists plain values, not a list"),
    (
        {"affected_users": {"gte": [1]}},
        ("affected_users", "gte"),
        "gte compares with one number or text, not a list",
    ),
    (
        {"affected_users": {"gt": None}},
        ("affected_users", "gt"),
        "gt compares with one number or text, not null",
    ),
    ({"channel": {"eq": ["a"]}}, ("channel", "eq"), "eq compares with one number or text, not a list"),
    ({"impact": {"exists": "yes"}}, ("impact", "exists"), "exists takes true or false, not 'yes'"),
    (
        {"subject": {"contains": ["a"]}},
        ("subject", "contains"),
        "contains takes one text, number or boolean, not a list",
    ),
    (
        {"requester.vip": {"contains": "x"}},
        ("requester.vip", "contains"),
        "contains tests text or list fields; requester.vip is bool",
    ),
    (
        {"paused_seconds": {"matches": "x"}},
        ("paused_seconds", "matches"),
        "matches tests text; paused_seconds is float",
    ),
    ({"subject": {"before": "2025-01-01"}}, ("subject", "before"), "before tests date-times; subject is str"),
    (
        {"created": {"before": "yesterday"}},
        ("created", "before"),
        "before: not an ISO 8601 date or date-time: 'yesterday'",
    ),
    (
        {"created": {"gt": "2025-01-01"}},
        ("created", "gt"),
        "created is a date-time: compare it with before/after, not gt",
    ),
    (
        {"resolved": {"eq": "2025-01-01"}},
        ("resolved", "eq"),
        "resolved is a date-time: compare it with before/after, not eq",
    ),
    (
        {"created": {"within_business_hours": "nowhere"}},
        ("created", "within_business_hours"),
        "within_business_hours: unknown calendar 'nowhere' (calendars: office)",
    ),
    (
        {"created": {"within_business_hours": {"var": "custom.calendar"}}},
        ("created", "within_business_hours"),
        "within_business_hours: the calendar must be given by name, as a constant string",
    ),
    ({"all": {"channel": "x"}}, ("all",), "all takes a list of conditions, not a mapping"),
    (
        {"not": [{"channel": "x"}]},
        ("not",),
        "a condition is true, false or a mapping, not a list; "
        "for several conditions use all: [...] or any: [...]",
    ),
    ("twitter", (), "a condition is true, false or a mapping, not 'twitter'"),
    ({}, (), "empty condition: write true to match every ticket"),
    ({"channel": {}}, ("channel",), "no test for 'channel': write e.g. {eq: value} or {exists: true}"),
    ({1: "x"}, (1,), "field names are text, not 1"),
    (
        {"channel": {"eq": {"field": "x"}}},
        ("channel", "eq"),
        "a value is a constant or {var: field}, not a mapping",
    ),
    (
        {"channel": {"eq": {"var": "requester.x"}}},
        ("channel", "eq", "var"),
        f"unknown field 'requester.x'; requester fields are {REQUESTERS}",
    ),
    (
        {"jsonlogic": {"or": [True, {"nope": []}]}},
        ("jsonlogic", "or", 1, "nope"),
        "unknown operation 'nope' (did you mean 'none'?)",
    ),
    (
        {"jsonlogic": {"==": [{"var": "subject.x"}, 1]}},
        ("jsonlogic", "==", 0, "var"),
        "unknown field 'subject.x': subject is a str field without parts",
    ),
]


@pytest.mark.parametrize(("condition", "path", "message"), ERRORS, ids=[m[:50] for _, _, m in ERRORS])
def test_each_mistake_is_reported_with_its_path(condition: Any, path: tuple[Any, ...], message: str) -> None:
    _, problems = desugar(condition, context())
    assert [(p.path, p.message, p.severity) for p in problems] == [(path, message, "error")]


def test_all_mistakes_are_reported_at_once_in_order() -> None:
    condition = {
        "any": [
            {"subject": {"matches": "("}},
            {"requester.mail": "x", "channel": {"in": "chat"}},
            {"not": {"created": {"gte": 3}}},
        ]
    }
    _, problems = desugar(condition, context())
    assert [p.path for p in problems] == [
        ("any", 0, "subject", "matches"),
        ("any", 1, "requester.mail"),
        ("any", 1, "channel", "in"),
        ("any", 2, "not", "created", "gte"),
    ]


def test_a_name_close_to_a_ticket_field_is_a_custom_field_with_a_warning() -> None:
    logic, problems = desugar({"subjet": "VPN"}, context())
    assert logic == {"==": [v("subjet"), "VPN"]}
    assert [(p.path, p.severity) for p in problems] == [(("subjet",), "warning")]
    assert "did you mean 'subject'?" in problems[0].message
    assert holds({"subjet": "VPN"}, ticket(custom={"subjet": "VPN"}))


def test_array_literals_may_hold_operations() -> None:
    logic = {"in": [v("channel"), ["email", v("custom.preferred")]]}
    check = compile_condition(logic)
    assert check(ticket(channel="chat", custom={"preferred": "chat"})) is True
    assert check(ticket(channel="chat")) is False


def test_compiling_invalid_logic_raises_with_every_problem() -> None:
    with pytest.raises(RulesetError) as caught:
        compile_condition({"and": [{"matches": [v("subject"), "("]}, {"==": [v("requester.x"), 1]}]})
    assert [p.path for p in caught.value.problems] == [("and", 0, "matches"), ("and", 1, "==", 0, "var")]


# --- field semantics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "fields", "expected"),
    [
        ({"subject": {"contains": "VPN"}}, {"subject": "VPN down"}, True),
        ({"subject": {"contains": "vpn"}}, {"subject": "VPN down"}, False),  # case-sensitive
        ({"impact": {"contains": "x"}}, {"impact": None}, False),
        ({"tags": {"contains": "urgent"}}, {"custom": {"tags": ["urgent", "vip"]}}, True),
        ({"tags": {"contains": "urg"}}, {"custom": {"tags": ["urgent"]}}, False),  # items, not substrings
        ({"tags": {"contains": 1}}, {"custom": {"tags": ["1"]}}, False),  # strictly equal items
        ({"affected_users": {"gte": 50}}, {"custom": {"affected_users": "75"}}, True),  # numeric text
        ({"affected_users": {"gte": 50}}, {}, False),  # missing reads as null, null as 0
        ({"affected_users": {"lt": 1}}, {}, True),
        ({"affected_users": {"lt": 1}}, {"custom": {"affected_users": "many"}}, False),
        ({"affected_users": 50}, {"custom": {"affected_users": "50"}}, True),  # loose equality
        ({"affected_users": {"in": [50]}}, {"custom": {"affected_users": "50"}}, False),  # strict
        ({"impact": {"eq": None}}, {"impact": None}, True),
        ({"impact": {"exists": True}}, {"impact": ""}, False),
        ({"paused_seconds": {"exists": True}}, {"paused_seconds": 0.0}, True),
        ({"flag": {"exists": True}}, {"custom": {"flag": False}}, True),
        ({"flag": {"exists": False}}, {}, True),
        ({"channel": {"gt": "chat"}}, {"channel": "email"}, True),  # texts compare alphabetically
        (
            {"requester.vip": True, "channel": "email"},
            {"requester": Requester(vip=True), "channel": "email"},
            True,
        ),
        ({"custom.department": "it"}, {"custom": {"department": "it"}}, True),
        ({"department": "it"}, {"custom": {"department": "it"}}, True),
        (
            {"paused_seconds": {"gt": {"var": "custom.limit"}}},
            {"paused_seconds": 700.0, "custom": {"limit": 600}},
            True,
        ),
    ],
)
def test_field_operators(condition: Any, fields: dict[str, Any], expected: bool) -> None:
    assert holds(condition, ticket(**fields)) is expected


def test_matches_searches_with_python_regex_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    condition = compile_condition(desugar({"subject": {"matches": "(?i)storing|^outage"}})[0])
    custom = compile_condition(desugar({"code": {"matches": "^5"}})[0])

    def refuse(*_: Any) -> None:
        raise AssertionError("compiled a regex while evaluating")

    monkeypatch.setattr(re, "compile", refuse)
    assert condition(ticket(subject="Grote STORING in Utrecht")) is True
    assert condition(ticket(subject="An outage")) is False  # anchored
    assert custom(ticket(custom={"code": 512})) is True  # non-text is matched as its JsonLogic text
    assert custom(ticket(custom={"code": None})) is False
    assert custom(ticket()) is False


def test_before_and_after_compare_instants() -> None:
    t = ticket(
        created=datetime(2025, 3, 3, 8, 30, tzinfo=UTC), first_response=datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    )
    assert holds({"created": {"before": "2025-03-04"}}, t)
    assert not holds({"created": {"before": "2025-03-03"}}, t)  # a date is its midnight
    assert holds({"created": {"after": "2025-03-03T09:29:00+01:00"}}, t)
    assert not holds({"created": {"after": "2025-03-03T08:30:00Z"}}, t)  # strictly
    assert holds({"first_response": {"after": {"var": "created"}}}, t)
    assert not holds({"first_response": {"before": {"var": "created"}}}, t)
    unanswered = ticket(first_response=None)
    assert not holds({"first_response": {"after": {"var": "created"}}}, unanswered)
    assert not holds({"first_response": {"before": "2999-01-01"}}, unanswered)
    assert holds({"due": {"before": "2025-12-31"}}, ticket(custom={"due": "2025-06-01T00:00:00+00:00"}))
    assert not holds({"due": {"before": "2025-12-31"}}, ticket(custom={"due": "soon"}))


def test_naive_date_constants_are_in_the_contexts_time_zone() -> None:
    t = ticket(created=datetime(2025, 3, 3, 8, 30, tzinfo=UTC))  # 09:30 in Amsterdam
    amsterdam = CompileContext(timezone=ZoneInfo("Europe/Amsterdam"))
    assert holds({"created": {"after": "2025-03-03T09:00"}}, t, amsterdam)
    assert not holds({"created": {"after": "2025-03-03T09:00"}}, t, CompileContext())


def test_business_hours_ask_the_calendar_from_the_context() -> None:
    office = OfficeHours()
    ctx = context(office=office)
    saturday = MONDAY_10 + timedelta(days=5)
    assert holds({"created": {"within_business_hours": "office"}}, ticket(created=MONDAY_10), ctx)
    assert not holds({"created": {"outside_business_hours": "office"}}, ticket(created=MONDAY_10), ctx)
    assert holds({"created": {"outside_business_hours": "office"}}, ticket(created=saturday), ctx)
    assert office.seen[0] == MONDAY_10
    office.seen.clear()
    open_ = ticket(first_response=None)
    assert not holds({"first_response": {"within_business_hours": "office"}}, open_, ctx)
    assert not holds({"first_response": {"outside_business_hours": "office"}}, open_, ctx)
    assert office.seen == []  # a missing instant is neither, without asking


# --- the operator registry ---------------------------------------------------------------------------


def test_registry_refuses_a_taken_name_naming_both_owners() -> None:
    registry = OperatorRegistry.builtin()
    registry.register(Operator("on_call", lambda v: True), owner="plugin-a")
    with pytest.raises(
        DuplicateOperatorError, match=r"'on_call' from plugin-b clashes with .* from plugin-a"
    ):
        registry.register(Operator("on_call", lambda v: False), owner="plugin-b")
    with pytest.raises(
        DuplicateOperatorError, match=r"'matches' from plugin-b clashes with .* from matrixcore"
    ):
        registry.register(Operator("matches", lambda v, p: False), owner="plugin-b")
    with pytest.raises(DuplicateOperatorError, match=r"'in' from plugin-b clashes with .* from JsonLogic"):
        registry.register(Operator("in", lambda v, p: False), owner="plugin-b")
    with pytest.raises(DuplicateOperatorError, match=r"'contains' .* from the matrixcore shorthand"):
        registry.register(Operator("contains", lambda v, p: False), owner="plugin-b")
    assert registry.owner("on_call") == "plugin-a"
    assert "on_call" in registry.names()


def test_a_plugin_operator_is_prepared_once_and_called_per_ticket() -> None:
    calls: dict[str, list[Any]] = {"prepare": [], "function": []}

    def prepare(args: tuple[Any, ...], ctx: CompileContext) -> tuple[Any, ...]:
        calls["prepare"].append(args)
        if not isinstance(args[1], list):
            raise ValueError("takes a list of team members")
        return args[0], frozenset(m.lower() for m in args[1])

    def in_team(value: Any, members: frozenset[str]) -> bool:
        calls["function"].append(value)
        return isinstance(value, str) and value.lower() in members

    registry = OperatorRegistry.builtin()
    registry.register(Operator("in_team", in_team, prepare, "the requester belongs to a team"), owner="teams")
    ctx = CompileContext(operators=registry)
    logic, problems = desugar({"requester.name": {"in_team": ["Ann", "Bob"]}}, ctx)
    assert problems == []
    assert logic == {"in_team": [v("requester.name"), ["Ann", "Bob"]]}
    calls["prepare"].clear()
    check = compile_condition(logic, ctx)
    assert calls["prepare"] == [(DYNAMIC, ["Ann", "Bob"])]
    assert [check(ticket(requester=Requester(name=n))) for n in ("ann", "Cid")] == [True, False]
    assert calls["prepare"] == [(DYNAMIC, ["Ann", "Bob"])]
    assert calls["function"] == ["ann", "Cid"]
    _, problems = desugar({"requester.name": {"in_team": "Ann"}}, ctx)
    assert [(p.path, p.message) for p in problems] == [
        (("requester.name", "in_team"), "in_team: takes a list of team members")
    ]


# --- rulesets ----------------------------------------------------------------------------------------


def rules_of(*specs: tuple[str, Any, dict[str, str]], ctx: CompileContext | None = None) -> CompiledRuleset:
    ctx = ctx or context()
    return compile_ruleset([(name, desugar(c, ctx)[0], sets) for name, c, sets in specs], context=ctx)


def probe_context() -> tuple[CompileContext, list[str]]:
    """A context with ``probe``: records the ticket id it sees and answers the constant it is given."""
    seen: list[str] = []

    def probe(ticket_id: Any, answer: Any) -> bool:
        seen.append(ticket_id)
        return bool(answer)

    registry = OperatorRegistry.builtin()
    registry.register(Operator("probe", probe), owner="tests")
    return CompileContext(operators=registry, calendars={"office": OfficeHours()}), seen


def test_first_match_wins_per_dimension_with_the_deciding_rule() -> None:
    rules = rules_of(
        ("social", {"channel": ["twitter", "facebook"]}, {"urgency": "high"}),
        ("email", {"channel": "email"}, {"urgency": "medium"}),
        ("incident", {"category": "incident"}, {"impact": "moderate"}),
        ("any e-mail", {"channel": "email"}, {"urgency": "low", "impact": "minor"}),
    )
    assert rules.evaluate(ticket(channel="email", category="incident")) == (
        "moderate",
        2,
        "medium",
        1,
        None,
        -1,
    )
    assert rules.evaluate(ticket(channel="email")) == ("minor", 3, "medium", 1, None, -1)
    assert rules.evaluate(ticket(channel="fax")) == (None, -1, None, -1, None, -1)
    assert rules.decisions(ticket(channel="twitter", category="incident")) == {
        "impact": ("moderate", "incident"),
        "urgency": ("high", "social"),
        "priority": (None, None),
    }


def test_a_rule_setting_urgency_then_a_later_rule_setting_impact() -> None:
    rules = rules_of(
        ("urgent", {"subject": {"contains": "urgent"}}, {"urgency": "high"}),
        ("big", {"affected_users": {"gte": 100}}, {"impact": "extensive"}),
    )
    t = ticket(subject="urgent: all down", custom={"affected_users": 250})
    assert rules.evaluate(t) == ("extensive", 1, "high", 0, None, -1)


def test_evaluation_stops_once_every_dimension_is_decided() -> None:
    ctx, seen = probe_context()
    rules = rules_of(
        ("decides impact", {"channel": "email"}, {"impact": "minor"}),
        ("impact again", {"tag": {"probe": True}}, {"impact": "major"}),  # impact is decided: skipped
        ("decides the rest", True, {"urgency": "low", "priority": "P4"}),
        ("too late", {"tag": {"probe": True}}, {"impact": "x", "urgency": "y", "priority": "z"}),
        ctx=ctx,
    )
    assert rules.evaluate(ticket(channel="email", custom={"tag": "t1"})) == ("minor", 0, "low", 2, "P4", 2)
    assert seen == []
    assert rules.evaluate(ticket(channel="chat", custom={"tag": "t2"})) == ("major", 1, "low", 2, "P4", 2)
    assert seen == ["t2"]


def test_a_rule_setting_several_dimensions_is_evaluated_once() -> None:
    ctx, seen = probe_context()
    rules = rules_of(
        ("vip", {"requester.vip": True}, {"urgency": "high"}),
        ("both", {"tag": {"probe": False}}, {"impact": "major", "urgency": "medium", "priority": "P2"}),
        ("rest", True, {"impact": "minor", "urgency": "low"}),
        ctx=ctx,
    )
    assert rules.evaluate(ticket(custom={"tag": "a"})) == ("minor", 2, "low", 2, None, -1)
    assert seen == ["a"]
    assert rules.evaluate(ticket(requester=Requester(vip=True), custom={"tag": "b"})) == (
        "minor",
        2,
        "high",
        0,
        None,
        -1,
    )
    assert seen == ["a", "b"]
    seen.clear()
    matching = rules_of(
        ("fax", {"channel": "fax"}, {"impact": "minor"}),
        ("vip", {"requester.vip": True}, {"urgency": "high"}),
        ("both", {"tag": {"probe": True}}, {"impact": "major", "urgency": "medium", "priority": "P2"}),
        ctx=ctx,
    )
    assert matching.evaluate(ticket(custom={"tag": "c"})) == ("major", 2, "medium", 2, "P2", 2)
    assert seen == ["c"]


def test_constant_rules_are_decided_at_compile_time() -> None:
    rules = rules_of(
        ("never", False, {"impact": "never"}),
        ("always", True, {"impact": "always"}),
        ("unreachable", {"channel": "email"}, {"impact": "unreachable", "urgency": "low"}),
    )
    assert rules.evaluate(ticket(channel="email")) == ("always", 1, "low", 2, None, -1)
    assert "never" not in rules.source
    assert rules.source.count("_i0 = 1") == 1


def test_custom_dimensions_and_their_errors() -> None:
    rules = compile_ruleset([("r", True, {"team": "ops"})], dimensions=("team",))
    assert rules.evaluate(ticket()) == ("ops", 0)
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(
            [
                ("a", {"nope": []}, {"impact": "x"}),
                ("b", True, {"team": "ops"}),
                ("c", {"==": [v("requester.x"), 1]}, {}),
            ]
        )
    assert [p.path for p in caught.value.problems] == [
        (0, "when", "nope"),
        (1, "set", "team"),
        (2, "when", "==", 0, "var"),
    ]


def test_each_field_is_read_once_per_evaluation() -> None:
    class Counting:
        """Duck-typed ticket counting attribute reads (compiled code reads fields as attributes)."""

        def __init__(self, reads: dict[str, int], **values: Any) -> None:
            self.__dict__["_values"], self.__dict__["_reads"] = values, reads

        def __getattr__(self, name: str) -> Any:
            self._reads[name] = self._reads.get(name, 0) + 1
            return self._values[name]

    rules = rules_of(
        ("a", {"subject": {"contains": "x"}, "channel": "email"}, {"impact": "a"}),
        ("b", {"subject": {"matches": "y"}}, {"impact": "b"}),
        ("c", {"subject": {"contains": "z"}}, {"urgency": "c"}),
        ("d", {"affected_users": {"gte": 5, "lt": 9}}, {"urgency": "d"}),
        ("e", {"affected_users": {"gt": 100}}, {"priority": "e"}),
    )
    reads: dict[str, int] = {}
    t = Counting(reads, subject="nothing", channel="chat", custom={"affected_users": 3})
    assert rules.evaluate(t) == (None, -1, None, -1, None, -1)  # type: ignore[arg-type]
    assert reads == {"subject": 1, "custom": 1}


def test_core_fields_compile_to_plain_python() -> None:
    condition = {
        "any": [
            {"channel": "twitter"},
            {"subject": {"contains": "VPN", "matches": "down"}},
            {"requester.vip": True, "impact": {"exists": True}},
        ]
    }
    source = compile_condition(desugar(condition)[0]).__matrixcore_source__  # type: ignore[attr-defined]
    assert re.sub(r"(_c|_re|_f)\d+", r"\1", source) == (
        "def condition(t):\n"
        "    _f = t.subject\n"
        "    return ((t.channel == _c) or ((_c in _f) and (_re.search(_f) is not None))"
        " or (t.requester.vip and (not (not t.impact))))\n"
    )


# --- values never become code ------------------------------------------------------------------------

EVIL = "\"); import os; os.system('echo pwned') #'''\n\\"
_OUR_NAME = re.compile(r"^(t|type|int|float|str|_[a-z]+\d*)$")
_ATTRIBUTES = {*CORE_FIELDS, *REQUESTER_FIELDS, "requester", "custom", "get", "search"}


def _assert_only_our_identifiers(source: str) -> None:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant):
            assert node.value in (None, True, False, "") or type(node.value) is int, node.value
        elif isinstance(node, ast.Name):
            assert _OUR_NAME.match(node.id), node.id
        elif isinstance(node, ast.Attribute):
            assert node.attr in _ATTRIBUTES, node.attr


def test_values_from_the_rules_file_never_become_code() -> None:
    rules = rules_of(
        (EVIL, {"subject": EVIL}, {"impact": EVIL}),
        ("contains", {"description": {"contains": EVIL}}, {"urgency": EVIL}),
        ("matches", {"status": {"matches": re.escape(EVIL)}}, {"priority": EVIL}),
        ("field", {EVIL: {"gte": 7, "in": [7, EVIL, 3.5]}}, {"impact": "by field"}),
        (
            "raw",
            {"jsonlogic": {"==": [{"var": f"custom.{EVIL}"}, {"cat": [EVIL, 1.5e300]}]}},
            {"urgency": "raw"},
        ),
    )
    assert "import" not in rules.source
    assert "os" not in rules.source.replace("_pos", "")
    _assert_only_our_identifiers(rules.source)
    assert rules.evaluate(ticket(subject=EVIL)) == (EVIL, 0, None, -1, None, -1)
    assert rules.evaluate(ticket(description=f"..{EVIL}..")) == (None, -1, EVIL, 1, None, -1)
    assert rules.evaluate(ticket(status=f"x{EVIL}")) == (None, -1, None, -1, EVIL, 2)
    assert rules.evaluate(ticket(custom={EVIL: 7})) == ("by field", 3, None, -1, None, -1)
    assert rules.evaluate(ticket(custom={EVIL: f"{EVIL}1.5e+300"})) == (None, -1, "raw", 4, None, -1)


# --- the compiler agrees with the reference evaluator ------------------------------------------------

_WORDS = [
    *("", "email", "twitter", "chat", "incident", "Storing VPN", "outage", "printer down", "nl", "en"),
    *("1", "50", " 7 ", "İstanbul", "Ärger", "P1", "abc", "true", "0x1", "2025-03-03"),
]
_TEXT = st.sampled_from(_WORDS) | st.text(max_size=6)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)), ZoneInfo("Europe/Amsterdam")])
_WHEN = st.datetimes(datetime(2025, 2, 25), datetime(2025, 3, 10), timezones=_ZONES)
_NAIVE = st.datetimes(datetime(2025, 2, 25), datetime(2025, 3, 10))
_NUMBER = st.integers(-5, 120) | st.sampled_from([0.5, 50.0, -0.0, float("nan"), float("inf")])
_CUSTOM_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    _NUMBER,
    _TEXT,
    st.lists(_TEXT, max_size=3),
    st.dictionaries(_TEXT, _TEXT, max_size=1),
    _WHEN,
    _NAIVE,
    st.sampled_from(["2025-03-01T10:00:00+00:00", "2025-03-05"]),
)
_CUSTOM_KEYS = ["affected_users", "department", "tags", "score", "flag", "due"]
TICKETS = st.builds(
    Ticket,
    source=st.just("s"),
    id=st.just("1"),
    created=_WHEN,
    subject=_TEXT,
    description=_TEXT,
    channel=st.sampled_from(["email", "twitter", "chat", "", "Email"]),
    category=st.sampled_from(["incident", "request", ""]),
    service=_TEXT,
    status=_TEXT,
    impact=st.none() | _TEXT,
    urgency=st.none() | st.sampled_from(["high", "low", ""]),
    requester=st.builds(Requester, name=_TEXT, language=st.sampled_from(["nl", "en", ""]), vip=st.booleans()),
    first_response=st.none() | _WHEN | _NAIVE,
    resolved=st.none() | _WHEN,
    paused_seconds=_NUMBER,
    custom=st.dictionaries(st.sampled_from(_CUSTOM_KEYS), _CUSTOM_VALUE, max_size=4),
)

_STR_FIELDS = [
    "subject",
    "description",
    "channel",
    "category",
    "service",
    "status",
    "requester.name",
    "requester.language",
]
_OPT_STR = ["impact", "urgency", "priority"]
_DATES = ["created", "first_response", "resolved"]
_CUSTOM = [
    "affected_users",
    "custom.affected_users",
    "department",
    "custom.tags",
    "score",
    "flag",
    "due",
    "nothing",
]
_SCALAR = st.none() | st.booleans() | _NUMBER | _TEXT
_ISO = st.sampled_from(["2025-03-01", "2025-03-03T12:00:00+01:00", "2025-03-03T09:00"])
_PATTERNS = st.sampled_from(["(?i)storing|outage", "^[A-Z]", "down$", r"\d", "", "^$", "e", "^0x"])
_FIELD_REF = st.sampled_from([*_STR_FIELDS, *_OPT_STR, *_CUSTOM, "paused_seconds", "requester.vip"]).map(
    lambda f: {"var": f}
)
_DATE_REF = st.sampled_from([*_DATES, "due"]).map(lambda f: {"var": f})


def _ops_for(field: str) -> st.SearchStrategy[tuple[str, Any]]:
    text_like = field in _STR_FIELDS or field in _OPT_STR or field in _CUSTOM
    is_date, is_custom = field in _DATES, field in _CUSTOM
    options: list[st.SearchStrategy[tuple[str, Any]]] = [
        st.tuples(st.just("exists"), st.booleans()),
        st.tuples(st.sampled_from(["eq", "ne"]), st.none()),
    ]
    if not is_date:
        options += [
            st.tuples(st.sampled_from(["eq", "ne"]), _SCALAR | _FIELD_REF),
            st.tuples(st.just("in"), st.lists(_SCALAR, max_size=4)),
            st.tuples(st.sampled_from(["gt", "gte", "lt", "lte"]), _NUMBER | _TEXT | _FIELD_REF),
        ]
    if text_like:
        options += [
            st.tuples(st.just("contains"), _TEXT | _NUMBER | st.booleans()),
            st.tuples(st.just("matches"), _PATTERNS),
        ]
    if is_date or is_custom:
        options += [
            st.tuples(st.sampled_from(["before", "after"]), _ISO | _DATE_REF),
            st.tuples(
                st.sampled_from(["within_business_hours", "outside_business_hours"]), st.just("office")
            ),
        ]
    return st.one_of(options)


@st.composite
def _field_test(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(
        st.sampled_from([*_STR_FIELDS, *_OPT_STR, *_DATES, *_CUSTOM, "paused_seconds", "requester.vip"])
    )
    ops = draw(st.lists(_ops_for(field), min_size=1, max_size=2, unique_by=lambda op: op[0]))
    if len(ops) == 1 and ops[0][0] == "eq" and not isinstance(ops[0][1], dict) and draw(st.booleans()):
        return {field: ops[0][1]}  # bare value
    return {field: dict(ops)}


_ANY_FIELD = st.sampled_from([*_STR_FIELDS, *_OPT_STR, *_DATES, *_CUSTOM, "paused_seconds", "requester.vip"])
_JSONLOGIC = st.one_of(
    st.builds(
        lambda op, field, value, flip: {
            "jsonlogic": {op: [value, {"var": field}] if flip else [{"var": field}, value]}
        },
        st.sampled_from(["==", "!=", "===", "!==", "<", "<=", ">", ">=", "in"]),
        _ANY_FIELD,
        _SCALAR | st.lists(_SCALAR, max_size=2),
        st.booleans(),
    ),
    st.builds(lambda op, f: {"jsonlogic": {op: {"var": f}}}, st.sampled_from(["!", "!!"]), _ANY_FIELD),
    st.builds(  # an array literal with operations inside
        lambda f, value, g: {"jsonlogic": {"in": [{"var": f}, [value, {"var": g}]]}},
        _ANY_FIELD,
        _SCALAR,
        _ANY_FIELD,
    ),
    st.builds(
        lambda op, fs: {"jsonlogic": {"==": [{op: [{"var": f} for f in fs]}, True]}},
        st.sampled_from(["and", "or"]),
        st.lists(_ANY_FIELD, min_size=1, max_size=3),
    ),
)

CONDITIONS = st.recursive(
    _field_test() | _JSONLOGIC | st.booleans(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
        st.lists(_field_test(), min_size=2, max_size=3).map(
            lambda ts: {k: v for t in ts for k, v in t.items()}
        ),
    ),
    max_leaves=6,
)
CONTEXT = context()
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _logic(condition: Any) -> Any:
    logic, problems = desugar(condition, CONTEXT)
    assert [p for p in problems if p.severity == "error"] == [], problems
    return logic


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(condition=CONDITIONS, tickets=st.lists(TICKETS, min_size=1, max_size=4))
def test_compiled_condition_equals_reference(condition: Any, tickets: list[Ticket]) -> None:
    logic = _logic(condition)
    compiled = compile_condition(logic, CONTEXT)
    for t in tickets:
        assert compiled(t) is truthy(apply(logic, t, CONTEXT)), (logic, t)


_DIMS = ("impact", "urgency", "priority")
RULESETS = st.lists(
    st.tuples(
        CONDITIONS,
        st.dictionaries(st.sampled_from(_DIMS), st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=7,
)


def reference(rules: Sequence[tuple[str, Any, Mapping[str, str]]], t: Ticket) -> tuple[Any, ...]:
    """First match wins per dimension, by walking the rules with the reference evaluator."""
    decided: dict[str, tuple[str, int]] = {}
    for index, (_, logic, sets) in enumerate(rules):
        if any(d not in decided for d in sets) and truthy(apply(logic, t, CONTEXT)):
            for d, value in sets.items():
                decided.setdefault(d, (value, index))
    return tuple(x for d in _DIMS for x in decided.get(d, (None, -1)))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(specs=RULESETS, tickets=st.lists(TICKETS, min_size=1, max_size=4))
def test_compiled_ruleset_equals_reference(
    specs: list[tuple[Any, dict[str, str]]], tickets: list[Ticket]
) -> None:
    rules = [(f"rule {i}", _logic(condition), sets) for i, (condition, sets) in enumerate(specs)]
    compiled = compile_ruleset(rules, context=CONTEXT)
    _assert_only_our_identifiers(compiled.source)
    for t in tickets:
        assert compiled.evaluate(t) == reference(rules, t), (rules, t, compiled.source)


@settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(condition=_field_test() | _JSONLOGIC, tickets=st.lists(TICKETS, min_size=3, max_size=6))
def test_each_field_operator_equals_reference(condition: Any, tickets: list[Ticket]) -> None:
    logic = _logic(condition)
    compiled = compile_condition(logic, CONTEXT)
    for t in tickets:
        assert compiled(t) is truthy(apply(logic, t, CONTEXT)), (logic, t)
