"""Predicted misses: the survival estimate, the queue, the probability, its reasons, and the policy
that tells the requester once (and again only when the expected pickup moves materially)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matrixcore import Requester, Ticket
from matrixcore._decision import SentMessage
from matrixcore._engine import Engine
from matrixcore._errors import RulesetError
from matrixcore._ruleset import load_ruleset, parse_ruleset
from matrixcore.predict import Predictor, Survival
from matrixcore.predict._queue import Horizon, Queue

AMS = ZoneInfo("Europe/Amsterdam")
#: Monday 7 December 2026, 14:00 in Amsterdam: an afternoon on the office calendar.
NOW = datetime(2026, 12, 7, 14, 0, tzinfo=AMS)

RULES = """
version: 1
matrix:
  impact: [high, low]
  urgency: [high, low]
  cells:
    high: {high: P1, low: P2}
    low: {high: P2, low: P3}
priorities:
  P1: {pickup: {within: 30m}, resolve: {within: 4h}}
  P2: {pickup: {within: 2h}, resolve: {within: 8h}}
  P3: {pickup: {within: 4h}, resolve: {within: 16h}}
default_calendar: always
calendars:
  always: {timezone: Europe/Amsterdam, hours: 24x7}
rules:
  - name: outage
    when: {subject: {matches: "(?i)down"}}
    set: {impact: high, urgency: high}
defaults: {impact: low, urgency: low}
prediction: {group: custom.team}
messages:
  cap: {max: 3, per: 24h}
  policies:
    - {name: warning, event: pickup_elapsed, at: 50%, template: warning}
    - {name: predicted, event: predicted_miss, template: predicted}
  templates:
    warning:
      en: "Ticket {ticket.number} needs a little more patience."
    predicted:
      en: "We now expect to pick up {ticket.number} {expected_pickup:HH:mm}, because {prediction_reason}."
      nl: "We verwachten {ticket.number} om {expected_pickup:HH:mm} op te pakken, omdat {prediction_reason}."
"""


@pytest.fixture
def engine() -> Engine:
    return Engine(parse_ruleset(RULES))


def ticket(number: str, created: datetime, *, team: str = "service", picked: datetime | None = None,
           subject: str = "Printer jams", language: str = "en") -> Ticket:  # fmt: skip
    return Ticket(
        source="t",
        id=number,
        number=number,
        created=created,
        subject=subject,
        first_response=picked,
        requester=Requester(name="R", language=language),
        custom={"team": team},
    )


def steady_history(
    weeks: int = 4, per_hour: int = 3, wait: timedelta = timedelta(minutes=20)
) -> list[Ticket]:
    """A desk that picks up ``per_hour`` tickets an hour, every hour, each after ``wait``."""
    out = []
    start = NOW - timedelta(weeks=weeks)
    for hour in range(weeks * 168):
        for n in range(per_hour):
            created = start + timedelta(hours=hour, minutes=n * 60 / per_hour)
            out.append(ticket(f"h{hour}-{n}", created, picked=created + wait))
    return out


# -- the survival estimate ----------------------------------------------------------------------------
def test_kaplan_meier_counts_tickets_still_waiting_as_censored_not_as_picked_up() -> None:
    # Picked up after 1, 2, 2 and 4 hours; two still waiting at 3 hours (censored).
    hours = [(1, True), (2, True), (2, True), (3, False), (3, False), (4, True)]
    survival = Survival((h * 3600.0, observed) for h, observed in hours)
    assert survival.at(0) == 1.0
    assert survival.at(3600) == pytest.approx(5 / 6)
    assert survival.at(2 * 3600) == pytest.approx(5 / 6 * 3 / 5)  # 2 of the 5 at risk picked up
    assert survival.at(4 * 3600) == 0.0  # the last one at risk was picked up
    # Of those that waited 2h, how many waited past 3h30? The censored ones still count at 3h.
    assert survival.miss_after(2 * 3600 + 1, 3.5 * 3600) == pytest.approx(1.0)
    assert survival.miss_after(0, 1.5 * 3600) == pytest.approx(5 / 6)
    assert survival.miss_after(7 * 3600, 6 * 3600) == 1.0  # waited past the target already
    assert survival.miss_after(5 * 3600, 6 * 3600) is None  # nobody in the history waited 5h: unknown
    assert survival.at_risk(2 * 3600) == 5


def test_the_queue_counts_higher_priorities_and_earlier_deadlines_ahead() -> None:
    queue = Queue(3)
    queue.put("a", "service", 0, 100.0)  # P1, later deadline: ahead of a P3 all the same
    queue.put("b", "service", 2, 50.0)  # P3, earlier
    queue.put("c", "service", 2, 150.0)  # P3, later
    queue.put("d", "network", 0, 10.0)  # another group: never ahead
    assert queue.ahead("service", 2, 120.0) == 2
    assert queue.ahead("service", 0, 120.0) == 2  # a P1 due later still waits behind an earlier P3
    queue.drop("a")
    queue.put("b", "service", 2, 200.0)  # moved: no longer ahead
    assert queue.ahead("service", 2, 120.0) == 0
    assert len(queue) == 3


def test_a_horizon_sums_hour_of_week_rates_across_the_week_boundary() -> None:
    rates = [0.0] * 168
    rates[0] = 6.0  # Monday 00:00-01:00 only
    sunday_late = datetime(2026, 12, 6, 23, 0, tzinfo=AMS).timestamp()
    horizon = Horizon(sunday_late, rates, AMS)
    assert horizon.between(sunday_late, sunday_late + 3600) == 0.0
    assert horizon.between(sunday_late, sunday_late + 1.5 * 3600) == pytest.approx(3.0)
    assert horizon.reaching(sunday_late, 3.0, sunday_late + 86400) == pytest.approx(sunday_late + 1.5 * 3600)
    assert horizon.reaching(sunday_late, 7.0, sunday_late + 86400) is None  # next Monday is too far


# -- the probability ------------------------------------------------------------------------------------
def test_a_quiet_queue_predicts_no_miss(engine: Engine) -> None:
    waiting = ticket("w1", NOW - timedelta(minutes=5))
    predictor = Predictor.from_tickets(engine, [*steady_history(), waiting], NOW, group_field="custom.team")
    prediction = predictor.predict(waiting, engine.classify(waiting, NOW))
    assert prediction is not None
    assert prediction.probability < 0.05
    assert prediction.ahead == 0
    assert prediction.rate == pytest.approx(3.0, rel=0.05)


def test_a_flood_warns_long_before_the_clock_runs_down_and_says_why(engine: Engine) -> None:
    # 20 tickets arrived in the last 20 minutes; the desk picks up about 3 an hour.
    flood = [ticket(f"f{n}", NOW - timedelta(minutes=20 - n), subject="Printer jams") for n in range(20)]
    predictor = Predictor.from_tickets(engine, [*steady_history(), *flood], NOW, group_field="custom.team")
    last = flood[-1]
    decision = engine.classify(last, NOW)
    prediction = predictor.predict(last, decision)
    assert prediction is not None
    assert prediction.ahead == 19
    assert prediction.basis == "queue"
    assert prediction.probability > 0.95
    assert decision.counted < timedelta(minutes=5)  # almost none of its 4 hours has run
    assert (
        prediction.reason("en") == "19 tickets are ahead of yours; we pick up about 3 an hour this afternoon"
    )
    assert prediction.reason("nl") == (
        "er staan 19 meldingen vóór de jouwe; we pakken er vanmiddag ongeveer 3 per uur op"
    )
    assert prediction.reason("de").startswith("19 Tickets sind vor Ihrem an der Reihe")
    assert prediction.reason("fr").startswith("19 tickets précèdent le vôtre")
    # 20 pickups at 3 an hour: six hours and forty minutes from now.
    assert prediction.expected_at is not None
    assert timedelta(hours=6) < prediction.expected_at - NOW < timedelta(hours=7)
    # Another team's queue is not this one's: no queue history there, so the desk-wide waits speak.
    other = ticket("o1", NOW, team="network")
    elsewhere = predictor.predict(other, engine.classify(other, NOW))
    assert elsewhere is not None
    assert elsewhere.ahead == 0
    assert elsewhere.queue_probability is None
    assert (elsewhere.basis, elsewhere.history) == ("history", "priority")


def test_history_warns_a_ticket_that_has_waited_longer_than_tickets_that_made_it(engine: Engine) -> None:
    # Four in five picked up within 20 minutes; the fifth waited 6 hours.
    history = [
        ticket(f"h{n}", NOW - timedelta(days=20) + timedelta(hours=n), picked=NOW - timedelta(days=20)
               + timedelta(hours=n, minutes=20 if n % 5 else 360))
        for n in range(400)
    ]  # fmt: skip
    fresh, stuck = ticket("fresh", NOW - timedelta(minutes=5)), ticket("stuck", NOW - timedelta(minutes=40))
    predictor = Predictor.from_tickets(engine, [*history, fresh, stuck], NOW, group_field="custom.team")
    young = predictor.predict(fresh, engine.classify(fresh, NOW))
    old = predictor.predict(stuck, engine.classify(stuck, NOW))
    assert young is not None
    assert old is not None
    assert young.history_probability == pytest.approx(0.2, abs=0.02)
    assert old.history_probability == pytest.approx(1.0)
    assert old.basis == "history"
    assert old.probability > 0.9
    assert old.reason("en") == (
        "of the tickets like yours that had waited this long, 10 in 10 waited past the promised time"
    )


def test_picked_up_resolved_and_paused_tickets_get_no_prediction(engine: Engine) -> None:
    predictor = Predictor.from_tickets(engine, steady_history(1), NOW, group_field="custom.team")
    done = ticket("d", NOW - timedelta(minutes=5), picked=NOW - timedelta(minutes=1))
    assert predictor.predict(done, engine.classify(done, NOW)) is None
    paused = replace(ticket("p", NOW - timedelta(minutes=5)), paused_since=NOW - timedelta(minutes=1))
    assert predictor.predict(paused, engine.classify(paused, NOW)) is None


# -- the policy -------------------------------------------------------------------------------------------
def flooded(engine: Engine, now: datetime = NOW) -> tuple[Ticket, Predictor]:
    flood = [ticket(f"f{n}", NOW - timedelta(minutes=20 - n)) for n in range(20)]
    predictor = Predictor.from_tickets(engine, [*steady_history(), *flood], now, group_field="custom.team")
    return flood[-1], predictor


def predicted(engine: Engine, item: Ticket, predictor: Predictor, now: datetime, sent=()):
    decision = engine.classify(item, now)
    decision = replace(decision, prediction=predictor.predict(item, decision))
    return decision, engine.due_messages(item, decision, sent, now)


def test_the_requester_is_told_when_we_expect_to_pick_it_up_and_why(engine: Engine) -> None:
    item, predictor = flooded(engine)
    decision, due = predicted(engine, item, predictor, NOW)
    (message,) = due.messages
    assert message.event == "predicted_miss"
    expected = decision.prediction.expected_at.astimezone(AMS).strftime("%H:%M")
    assert message.text == (
        f"We now expect to pick up f19 {expected}, because 19 tickets are ahead of yours; "
        "we pick up about 3 an hour this afternoon."
    )
    dutch = replace(item, requester=Requester(name="R", language="nl"))
    (message,) = predicted(engine, dutch, predictor, NOW)[1].messages
    assert "omdat er staan 19 meldingen vóór de jouwe" in message.text
    # In the decision trace, and in its JSON.
    step = decision.trace(engine.ruleset)[-1]
    assert step.dimension == "predicted_miss"
    assert "19 tickets are ahead" in step.detail
    assert decision.as_dict()["prediction"]["ahead"] == 19


def test_told_again_only_when_the_expected_pickup_moves_an_hour(engine: Engine) -> None:
    item, predictor = flooded(engine)
    _, first = predicted(engine, item, predictor, NOW)
    (message,) = first.messages
    sent = [SentMessage(message.policy, message.key, NOW)]
    # Ten minutes on, the same queue: the expected moment hardly moved, nothing new.
    later = NOW + timedelta(minutes=10)
    _, again = predicted(engine, item, predictor, later, sent)
    assert [m.event for m in again.messages] == []
    # Seven more tickets of a higher priority jump the queue: over two hours later now.
    for n in range(7):
        urgent = ticket(f"u{n}", later, subject="Server down")
        predictor.observe(urgent, engine.classify(urgent, later))
    decision, moved = predicted(engine, item, predictor, later, sent)
    assert decision.prediction.ahead == 26
    (message,) = moved.messages
    assert message.key != sent[0].key
    assert "26 tickets are ahead" in message.text


def test_the_cap_holds_predicted_warnings_back_and_the_elapsed_warning_stays(engine: Engine) -> None:
    item, predictor = flooded(engine)
    half = item.created + timedelta(hours=2, minutes=1)  # 50% of P3's 4 hours elapsed
    sent = [SentMessage("other", f"other{n}", half - timedelta(hours=1)) for n in range(2)]
    _, due = predicted(engine, item, predictor, half, sent)
    assert [m.event for m in due.messages] == ["pickup_elapsed"]  # one left under the cap of 3
    assert len(due.held) == 1
    assert due.held[0].startswith("predicted:P3@")
    _, free = predicted(engine, item, predictor, half, [])
    assert sorted(m.event for m in free.messages) == ["pickup_elapsed", "predicted_miss"]


def test_no_prediction_no_warning_and_none_after_the_deadline(engine: Engine) -> None:
    item, predictor = flooded(engine)
    decision = engine.classify(item, NOW)
    assert engine.due_messages(item, decision, [], NOW).messages == ()
    late = item.created + timedelta(hours=5)
    _, due = predicted(engine, item, predictor, late)
    assert "predicted_miss" not in [m.event for m in due.messages]


def test_threshold_and_moves_are_read_and_checked(tmp_path) -> None:
    rules = RULES.replace(
        "{name: predicted, event: predicted_miss, template: predicted}",
        "{name: predicted, event: predicted_miss, threshold: 75%, moves: 30m, template: predicted}",
    )
    policy = parse_ruleset(rules).messages.policies[1]
    assert (policy.threshold, policy.moves) == (0.75, timedelta(minutes=30))
    with pytest.raises(RulesetError) as raised:
        parse_ruleset(rules.replace("threshold: 75%", "threshold: 0.75"))
    assert "threshold" in str(raised.value.problems[0])


def test_the_quick_start_rules_warn_of_predicted_misses(quickstart_rules) -> None:
    ruleset = load_ruleset(quickstart_rules)
    (policy,) = [p for p in ruleset.messages.policies if p.event == "predicted_miss"]
    assert policy.threshold == 0.9
    assert {"nl", "en", "de", "fr"} <= set(ruleset.messages.templates[policy.template])


def test_ten_thousand_open_tickets_are_evaluated(engine: Engine) -> None:
    """Behaviour at size (the speed goal is measured in benchmarks/): every waiting ticket gets a
    probability, ahead counts are consistent with the queue order."""
    waiting = [ticket(f"w{n}", NOW - timedelta(minutes=n % 600), team=f"t{n % 20}") for n in range(10_000)]
    history = steady_history(2)
    predictor = Predictor.from_tickets(engine, [*history, *waiting], NOW, group_field="custom.team")
    assert len(predictor.queue) == 10_000
    for item in waiting[::97]:
        prediction = predictor.predict(item, engine.classify(item, NOW))
        assert prediction is not None
        assert 0.0 <= prediction.probability <= 1.0
        team = item.custom["team"]
        older = sum(1 for w in waiting if w.custom["team"] == team and w.created < item.created)
        assert prediction.ahead == older


def test_utc_instants_and_dst_do_not_shift_hours_of_the_week(engine: Engine) -> None:
    created = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Amsterdam moves to summer time
    item = ticket("dst", created)
    predictor = Predictor.from_tickets(engine, [*steady_history(1), item], created + timedelta(hours=3))
    assert predictor.history.weeks >= 1.0
