"""Classifying tickets: matrixcore's compiled rules against hand-written Python and PyPI rule engines.

One seeded workload (100,000 realistic tickets) and one ruleset of 20 rules over a 4x4 impact x
urgency matrix, expressed four ways:

(a) matrixcore shorthand, desugared and compiled (returning which rule decided each dimension);
(b) a hand-written if/elif function of the same rules: the CPython ceiling;
(c) ``rule-engine`` expressions, (d) ``panzi-json-logic`` on the same JsonLogic, both on dict data and
    driven by the same first-match-per-dimension loop.

The workload, the rules and the contenders live here; ``bench_engine`` races them (same rounds for
every engine, CPU time, order rotated) and checks every engine's answer for every ticket against the
hand-written one before printing a figure. This module times compiling the rules:
``python benchmarks/bench_rules.py``.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Row, Spread, print_table, spread

from matrixcore._conditions import compile_ruleset, desugar
from matrixcore._ticket import Requester, Ticket

IMPACT = ["extensive", "significant", "moderate", "minor"]
URGENCY = ["critical", "high", "medium", "low"]
OUTAGE = "(?i)storing|outage|down|niet bereikbaar"

# name, shorthand condition, sets, rule-engine expression
RULES: list[tuple[str, Any, dict[str, str], str]] = [
    (
        "security",
        {"category": "security"},
        {"impact": "extensive", "urgency": "critical"},
        'category == "security"',
    ),
    (
        "major outage",
        {"all": [{"subject": {"matches": OUTAGE}}, {"affected_users": {"gte": 100}}]},
        {"impact": "extensive", "priority": "P1"},
        f'subject =~~ "{OUTAGE}" and affected_users != null and affected_users >= 100',
    ),
    ("outage", {"subject": {"matches": OUTAGE}}, {"impact": "significant"}, f'subject =~~ "{OUTAGE}"'),
    (
        "many users",
        {"affected_users": {"gte": 50}},
        {"impact": "significant"},
        "affected_users != null and affected_users >= 50",
    ),
    (
        "vip outage",
        {"requester.vip": True, "subject": {"matches": "(?i)down|storing"}},
        {"priority": "P2"},
        'requester.vip and subject =~~ "(?i)down|storing"',
    ),
    (
        "public complaint",
        {"channel": {"in": ["twitter", "facebook"]}, "category": "complaint"},
        {"urgency": "critical", "impact": "moderate"},
        'channel in ["twitter", "facebook"] and category == "complaint"',
    ),
    (
        "payroll",
        {"all": [{"service": "payroll"}, {"subject": {"contains": "salaris"}}]},
        {"urgency": "critical"},
        'service == "payroll" and "salaris" in subject',
    ),
    ("vip", {"requester.vip": True}, {"urgency": "high"}, "requester.vip"),
    (
        "real-time",
        {"channel": ["chat", "phone", "twitter"]},
        {"urgency": "high"},
        'channel in ["chat", "phone", "twitter"]',
    ),
    (
        "some users",
        {"affected_users": {"gte": 10, "lt": 50}},
        {"impact": "moderate"},
        "affected_users != null and affected_users >= 10 and affected_users < 50",
    ),
    (
        "erp incident",
        {"service": "erp", "category": "incident"},
        {"impact": "significant"},
        'service == "erp" and category == "incident"',
    ),
    (
        "password",
        {"subject": {"matches": "(?i)wachtwoord|password"}},
        {"impact": "minor", "urgency": "medium"},
        'subject =~~ "(?i)wachtwoord|password"',
    ),
    ("question", {"category": "question"}, {"impact": "minor", "urgency": "low"}, 'category == "question"'),
    ("request", {"category": "request"}, {"urgency": "low"}, 'category == "request"'),
    ("wifi", {"service": "wifi"}, {"impact": "moderate"}, 'service == "wifi"'),
    (
        "printing",
        {"any": [{"service": "printing"}, {"subject": {"contains": "printer"}}]},
        {"impact": "minor"},
        'service == "printing" or "printer" in subject',
    ),
    (
        "dutch e-mail",
        {"requester.language": "nl", "channel": "email"},
        {"urgency": "medium"},
        'requester.language == "nl" and channel == "email"',
    ),
    (
        "unknown reach",
        {"affected_users": {"exists": False}},
        {"impact": "moderate"},
        "affected_users == null",
    ),
    ("not an incident", {"not": {"category": "incident"}}, {"urgency": "low"}, 'category != "incident"'),
    (
        "incident",
        {"category": "incident"},
        {"impact": "minor", "urgency": "medium"},
        'category == "incident"',
    ),
]

_OUT = re.compile(OUTAGE)
_VIP_OUT = re.compile("(?i)down|storing")
_PASSWORD = re.compile("(?i)wachtwoord|password")


def handwritten(t: Ticket) -> tuple[str | None, str | None, str | None]:
    """The same 20 rules as a careful person writes them in Python: the ceiling for a rule engine.

    Fields are read once and each regex used by several rules is searched once, up front.
    """
    category, subject, service, channel = t.category, t.subject, t.service, t.channel
    users = t.custom.get("affected_users")
    vip = t.requester.vip
    outage = _OUT.search(subject) is not None
    password = _PASSWORD.search(subject) is not None
    if category == "security" or (outage and users is not None and users >= 100):
        impact = "extensive"
    elif outage or (users is not None and users >= 50):
        impact = "significant"
    elif ((channel == "twitter" or channel == "facebook") and category == "complaint") or (
        users is not None and 10 <= users < 50
    ):
        impact = "moderate"
    elif service == "erp" and category == "incident":
        impact = "significant"
    elif password or category == "question":
        impact = "minor"
    elif service == "wifi":
        impact = "moderate"
    elif service == "printing" or "printer" in subject:
        impact = "minor"
    elif users is None:
        impact = "moderate"
    elif category == "incident":
        impact = "minor"
    else:
        impact = None
    if (
        category == "security"
        or ((channel == "twitter" or channel == "facebook") and category == "complaint")
        or (service == "payroll" and "salaris" in subject)
    ):
        urgency = "critical"
    elif vip or channel == "chat" or channel == "phone" or channel == "twitter":
        urgency = "high"
    elif password:
        urgency = "medium"
    elif category == "question" or category == "request":
        urgency = "low"
    elif t.requester.language == "nl" and channel == "email":
        urgency = "medium"
    elif category != "incident":
        urgency = "low"
    else:
        urgency = "medium"
    if outage and users is not None and users >= 100:
        priority = "P1"
    elif vip and _VIP_OUT.search(subject):
        priority = "P2"
    else:
        priority = None
    return impact, urgency, priority


# --- workload ---------------------------------------------------------------------------------------

_SERVICES = ["email", "vpn", "erp", "website", "payroll", "crm", "wifi", "printing"]
_SUBJECTS = [
    "Storing {s}",
    "{s} is down",
    "Outage: {s} unreachable",
    "{s} niet bereikbaar sinds vanochtend",
    "Vraag over mijn factuur",
    "Wachtwoord vergeten",
    "Password reset for {s}",
    "Printer op 2e verdieping werkt niet",
    "Cannot log in to {s}",
    "Request: new laptop",
    "VPN verbinding traag",
    "Phishing mail ontvangen",
    "Hoe wijzig ik mijn adres?",
    "Salaris niet ontvangen",
    "salaris strook klopt niet",
    "{s} error 500",
    "Question about {s} licence",
    "Klacht over wachttijd",
    "Onboarding nieuwe collega",
    "printer jammed again",
]
_CHANNELS = (["email", "portal", "phone", "chat", "twitter", "facebook"], [35, 25, 15, 10, 8, 7])
_CATEGORIES = (["incident", "request", "question", "complaint", "security"], [45, 25, 18, 9, 3])


def workload(n: int, seed: int = 20251124) -> list[Ticket]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, tzinfo=UTC)
    tickets = []
    for i in range(n):
        service = rng.choice(_SERVICES)
        custom: dict[str, Any] = {"department": rng.choice(["finance", "sales", "it", "hr"])}
        if rng.random() < 0.85:
            custom["affected_users"] = min(int(rng.paretovariate(0.9)), 5000)
        tickets.append(
            Ticket(
                source="bench",
                id=str(i),
                created=start + timedelta(seconds=rng.randrange(90 * 86400)),
                subject=rng.choice(_SUBJECTS).format(s=service),
                channel=rng.choices(*_CHANNELS)[0],
                category=rng.choices(*_CATEGORIES)[0],
                service=service,
                requester=Requester(
                    name=f"user{i}",
                    language=rng.choice(["nl", "nl", "en", "de", ""]),
                    vip=rng.random() < 0.05,
                ),
                custom=custom,
            )
        )
    return tickets


def as_dict(t: Ticket) -> dict[str, Any]:
    """The ticket as plain data for engines that read dicts (custom fields also at the top level)."""
    fields = ("subject", "channel", "category", "service", "impact", "urgency", "priority")
    data: dict[str, Any] = {name: getattr(t, name) for name in fields}
    data["requester"] = {"vip": t.requester.vip, "language": t.requester.language, "name": t.requester.name}
    data["custom"] = dict(t.custom)
    data.update({k: v for k, v in t.custom.items() if k not in data})
    data.setdefault("affected_users", None)
    return data


def first_match(tests: Sequence[Callable[[Any], bool]], data: Any) -> tuple[Any, Any, Any]:
    """Generic engines' driver: rules in order, each only while one of its dimensions is open."""
    decided: dict[str, str] = {}
    for test, sets in zip(tests, _SETS, strict=True):
        if any(d not in decided for d in sets) and test(data):
            for d, v in sets.items():
                decided.setdefault(d, v)
            if len(decided) == 3:
                break
    return decided.get("impact"), decided.get("urgency"), decided.get("priority")


_SETS = [sets for _, _, sets, _ in RULES]


# --- measuring --------------------------------------------------------------------------------------


def compile_ms(repeats: int = 25) -> Spread:
    """Milliseconds to desugar and compile the 20 rules (regexes included), CPU time."""
    times = []
    for _ in range(repeats):
        re.purge()  # count compiling the regexes too
        began = time.process_time()
        rules = [(name, desugar(cond)[0], sets) for name, cond, sets, _ in RULES]
        compile_ruleset(rules)
        times.append((time.process_time() - began) * 1000)
    return spread(times)


def compiled_rules() -> Callable[[Ticket], tuple[Any, ...]]:
    """The 20 rules compiled alone (no defaults, no matrix): ``(value, rule index)`` per dimension."""
    return compile_ruleset([(name, desugar(cond)[0], sets) for name, cond, sets, _ in RULES]).evaluate


def pypi_engines() -> dict[str, Callable[[dict[str, Any]], tuple[Any, Any, Any]]]:
    """The PyPI engines that are installed, each driven by the same first-match loop over dicts."""
    engines: dict[str, Callable[[dict[str, Any]], tuple[Any, Any, Any]]] = {}
    try:
        import rule_engine

        context = rule_engine.Context(default_value=None)
        re_tests = [rule_engine.Rule(text, context=context).matches for *_, text in RULES]
        engines["rule-engine"] = lambda d: first_match(re_tests, d)
    except ImportError:
        print("rule-engine is not installed: skipping it (pip install -e '.[bench]')")
    try:
        from json_logic import jsonLogic
        from json_logic.builtins import BUILTINS

        ops = {**BUILTINS, "matches": lambda data, s, p: isinstance(s, str) and re.search(p, s) is not None}
        logic = [desugar(cond)[0] for _, cond, _, _ in RULES]
        jl_tests = [lambda d, lg=lg: bool(jsonLogic(lg, d, ops)) for lg in logic]
        engines["panzi-json-logic"] = lambda d: first_match(jl_tests, d)
    except ImportError:
        print("panzi-json-logic is not installed: skipping it (pip install -e '.[bench]')")
    return engines


def check_answers(
    tickets: Sequence[Ticket], expected: Sequence[Any], answers: dict[str, Sequence[Any]]
) -> None:
    """Every engine's (impact, urgency, priority) for every ticket equals the hand-written one."""
    for engine, got in answers.items():
        wrong = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
        if wrong:
            i = wrong[0]
            raise AssertionError(
                f"{engine} disagrees with the hand-written rules on {len(wrong)} of {len(tickets)} tickets; "
                f"first: ticket {i} {tickets[i]!r}: {got[i]} != {expected[i]}"
            )


def pattern_cost(n: int = 20_000, rounds: int = 7) -> dict[str, Spread]:
    """CPU microseconds per ``matches`` search over the workload's subjects, the same pattern and
    subjects and rounds for each: Python's ``re`` (what rules ran on before), matrixcore's rule
    pattern (``regex``; no time limit: the pattern has no catastrophic shape) and the same search
    under the time limit a pattern that can backtrack catastrophically gets."""
    from matrixcore._patterns import SEARCH_TIMEOUT, compile_pattern

    subjects = [t.subject for t in workload(n)]
    bounded = compile_pattern(OUTAGE)
    contenders: dict[str, Callable[[str], Any]] = {
        "re": re.compile(OUTAGE).search,
        "matrixcore": bounded.search,
        "limited": lambda text: bounded._compiled.search(text, timeout=SEARCH_TIMEOUT),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, search in contenders.items():
            began = time.process_time()
            for subject in subjects:
                search(subject)
            times[name].append((time.process_time() - began) / len(subjects) * 1e6)
    return {name: spread(values) for name, values in times.items()}


def rows() -> list[Row]:
    took = compile_ms()
    cost = pattern_cost()
    ratio = cost["matrixcore"].median / cost["re"].median
    return [
        Row("compile the 20 rules (ms CPU)", took.text(".2f"), goal="< 5 ms", met=took.median < 5),
        Row(
            "one 'matches' search (µs CPU; re as reference)",
            cost["matrixcore"].text(".2f"),
            cost["re"].text(".2f"),
            f"{ratio:.2f}x",
        ),
        Row(
            "the same search with the 50 ms limit of a risky pattern (µs CPU)",
            cost["limited"].text(".2f"),
            cost["re"].text(".2f"),
            f"{cost['limited'].median / cost['re'].median:.2f}x",
        ),
    ]


def main(argv: Sequence[str] = ()) -> None:
    print_table(rows())


if __name__ == "__main__":
    main(sys.argv[1:])
