"""The engine: rules, matrix, deadlines on business calendars, pauses, and the trace."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matrixcore import Requester, Ticket
from matrixcore._decision import Evaluation
from matrixcore._engine import Engine, compile_evaluation
from matrixcore._operators import CompileContext
from matrixcore._ruleset import load_ruleset, parse_ruleset

AMS = ZoneInfo("Europe/Amsterdam")


def at(day, hour, minute=0):
    """A moment in Amsterdam in the week of Monday 23 November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=AMS)


def ticket(**fields):
    fields.setdefault("created", at(23, 10))
    return Ticket(source="test", id=fields.pop("id", "1"), **fields)


@pytest.fixture
def small(small_rules_text):
    return Engine(parse_ruleset(small_rules_text))


@pytest.fixture
def quick(quickstart_rules):
    return Engine(load_ruleset(quickstart_rules))


def test_first_match_wins_per_dimension(small):
    # "outage" sets impact and urgency; "vip" would set urgency but comes later.
    result = small.evaluate(ticket(subject="Mail OUTAGE", requester=Requester(vip=True)))
    assert (result.impact, result.urgency, result.priority) == ("high", "high", "P1")
    assert (result.impact_rule, result.urgency_rule, result.priority_rule) == (0, 0, -1)


def test_a_rule_can_decide_one_dimension_and_defaults_the_rest(small):
    result = small.evaluate(ticket(subject="printer", requester=Requester(vip=True)))
    assert (result.impact, result.urgency, result.priority) == ("low", "high", "P3")
    assert (result.impact_rule, result.urgency_rule) == (-1, 1)


def test_same_kind_of_ticket_same_priority_and_lead_time(quick):
    one = quick.classify(ticket(id="a", subject="VPN down", channel="email"), at(23, 10))
    two = quick.classify(ticket(id="b", subject="VPN down", channel="email"), at(23, 11))
    assert (one.priority, one.pickup_by, one.resolve_by) == (two.priority, two.pickup_by, two.resolve_by)


def test_pickup_and_resolve_on_the_office_calendar(small):
    decision = small.classify(ticket(subject="printer"), at(23, 16))
    # P4: pickup 8h from Monday 10:00 on 09:00-17:00 -> Tuesday 10:00; resolve 40h -> next Monday 10:00.
    assert decision.priority == "P4"
    assert decision.pickup_by == at(24, 10)
    assert decision.resolve_by == at(30, 10)
    assert decision.counted == timedelta(hours=6)


def test_real_time_channel_target_applies_when_earlier(quick):
    # A plain question via Twitter on Saturday evening: P5 would wait until Monday; Twitter says 15 minutes.
    decision = quick.classify(
        ticket(subject="Vraag: waar vind ik mijn loonstrook?", channel="x", created=at(28, 20)), at(28, 20)
    )
    assert decision.priority == "P5"
    assert decision.pickup_by == at(28, 20, 15)
    assert decision.pickup_from_channel == "twitter"
    assert decision.channel_kind == "real-time"
    # The channel never makes a promise later than the priority's.
    p1 = quick.classify(ticket(subject="Website down", channel="facebook", created=at(23, 10)), at(23, 10))
    assert p1.pickup_by == at(23, 10, 15)
    assert p1.pickup_from_channel is None


def test_pause_stops_the_clock(quick):
    base = ticket(subject="Scherm flikkert", channel="email", created=at(23, 9))
    running = quick.classify(base, at(23, 11))
    assert running.pickup_by == at(23, 17, 30)  # P4: 8h from 09:00 with lunch 12:30-13:00
    paused = quick.classify(base.evolve(status="Wacht op klant", paused_since=at(23, 11)), at(23, 15))
    assert paused.paused
    # 2h were counted before the pause; 6h remain, counted from now (Monday 15:00).
    assert paused.pickup_by == at(24, 12)
    assert paused.counted == timedelta(hours=2)
    # Time already spent on hold extends the target after release.
    released = quick.classify(base.evolve(paused_seconds=3600), at(23, 16))
    assert released.pickup_by == at(24, 9, 30)


def test_picked_up_tickets_stop_counting(quick):
    decision = quick.classify(
        ticket(subject="x", channel="email", created=at(23, 9), first_response=at(23, 10)), at(24, 9)
    )
    assert decision.picked_up
    assert decision.counted == timedelta(hours=1)


def test_an_agents_priority_is_kept_and_sets_the_deadlines(quick):
    t = ticket(subject="Scherm flikkert", channel="email", created=at(23, 9))
    agent = Evaluation("person", -1, "normal", -1, "P2", -1)
    decision = quick.classify(t, at(23, 9), evaluation=agent)
    assert decision.priority == "P2"
    assert decision.pickup_by == at(23, 10)


def test_trace_explains_every_value(quick):
    decision = quick.classify(
        ticket(subject="Outlook storing", channel="chat", created=at(23, 9)), at(23, 9, 3)
    )
    steps = {s.dimension: s for s in decision.trace(quick.ruleset)}
    assert steps["impact"].rule == "major-outage"
    assert steps["urgency"].source == "rule"
    assert steps["priority"].source == "matrix"
    assert "impact=organisation x urgency=high" in steps["priority"].detail
    assert steps["pickup_by"].source == "channel"
    assert "5m on calendar 'office'" in steps["pickup_by"].detail
    assert "3m" in steps["clock"].detail
    data = decision.as_dict(quick.ruleset)
    assert data["priority"] == "P1"
    assert data["pickup_by"] == "2026-11-23T09:05:00+01:00"


def test_business_hours_operator_in_rules(quick):
    night = quick.evaluate(ticket(subject="Bestelling kwijt", channel="twitter", created=at(24, 2)))
    day = quick.evaluate(ticket(subject="Bestelling kwijt", channel="twitter", created=at(24, 10)))
    assert night.urgency == "normal"
    assert night.urgency_rule == 8
    assert day.urgency_rule == -1


def test_quickstart_examples_pass(quick):
    from matrixcore._examples import run_examples

    results = run_examples(quick)
    assert results
    assert [(r.example.name, r.mismatches, r.error) for r in results if not r.passed] == []


def test_rules_see_a_channel_alias_as_its_channel_and_the_trace_costs_no_other_answer(small_rules_text):
    text = small_rules_text.replace(
        "rules:\n",
        "channels:\n  twitter: {class: real-time, aliases: [x]}\nrules:\n",
    ).replace(
        "  - name: vip\n",
        "  - name: social\n    when: {channel: twitter}\n    set: {urgency: high}\n  - name: vip\n",
    )
    engine = Engine(parse_ruleset(text))
    for spelling in ("twitter", "x", "X", "Twitter"):
        result = engine.evaluate(ticket(subject="question", channel=spelling))
        assert isinstance(result, Evaluation)
        assert (result.urgency, result.urgency_rule, result.priority) == ("high", 1, "P3"), spelling
    untraced = compile_evaluation(
        engine.ruleset,
        CompileContext(calendars=engine.calendars, operators=engine.ruleset.operators),
        {"x": "twitter"},
        trace=False,
    )
    for t in (ticket(subject="OUTAGE"), ticket(subject="hi", channel="x"), ticket(subject="hi")):
        full = engine.evaluate(t)
        assert untraced(t) == (full.impact, full.urgency, full.priority)
