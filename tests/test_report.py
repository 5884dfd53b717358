"""The report's model: tickets classified as they arrived, messages replayed, promises backtested,
and a summary that counts per group, never per ticket."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matrixcore import Decision, Engine, Requester, Ticket, hookimpl, parse_ruleset
from matrixcore._plugins import Plugins
from matrixcore.report._report import Report, ReportMeta

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2025, 4, 7, 10, 0, tzinfo=AMS)

RULES = textwrap.dedent(
    """\
    version: 1
    name: Report test desk
    matrix:
      impact: [high, low]
      urgency: [high, low]
      cells:
        high: {high: P1, low: P2}
        low: {high: P2, low: P3}
    priorities:
      P1: {label: "P1 urgent", pickup: {within: 1h}, resolve: {within: 4h}}
      P2: {pickup: {within: 2h}, resolve: {within: 8h}}
      P3: {pickup: {within: 4h}, resolve: {within: 16h}}
    default_calendar: office
    calendars:
      office: {timezone: Europe/Amsterdam, hours: {mon-fri: ["09:00-17:00"]}}
    channels:
      chat: {class: real-time, pickup: {within: 10m}}
      email: {class: right-time}
    rules:
      - name: outage
        when: {subject: {matches: "(?i)outage|storing"}}
        set: {impact: high, urgency: high}
        reason: {en: we are fixing an outage first, nl: we eerst een storing oplossen}
      - name: vip
        when: {requester.vip: {eq: true}}
        set: {urgency: high}
    defaults: {impact: low, urgency: low}
    messages:
      fallback_language: en
      default_reason: {en: it is busy, nl: het druk is}
      policies:
        - {name: ack, event: classified, template: ack}
        - {name: warning, event: pickup_elapsed, at: 50%, template: late}
        - {name: missed, event: pickup_missed, template: missed}
        - {name: alert, event: pickup_missed, template: alert, visible_to_requester: false}
      templates:
        ack:
          en: "Ticket {ticket.number}: picked up by {pickup_by} at the latest."
          nl: "Melding {ticket.number}: uiterlijk {pickup_by} opgepakt."
        late:
          en: "Ticket {ticket.number} takes longer, because {reason}."
          nl: "Melding {ticket.number} duurt langer, omdat {reason}."
        missed:
          en: "Sorry, ticket {ticket.number} is late."
          nl: "Sorry, melding {ticket.number} is te laat."
        alert:
          en: "Pickup missed for {ticket.number}."
    """
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(parse_ruleset(RULES, "rules.yaml"))


def ticket(number: str, created: datetime = MONDAY, **fields) -> Ticket:
    language = fields.pop("language", "en")
    vip = fields.pop("vip", False)
    return Ticket(
        source="test",
        id=number,
        number=number,
        created=created,
        requester=Requester(language=language, vip=vip),
        **{"channel": "email", "subject": "Printer is broken", **fields},
    )


def report(
    engine, tickets, *, as_of=MONDAY + timedelta(days=30), selection="all", provides=None, plugins=None
):
    meta = ReportMeta(as_of=as_of, generated_at=as_of, source="test", rules="rules.yaml", tickets=selection)
    return Report(engine, tickets, meta, provides=provides, plugins=plugins)


def rows_of(engine, *tickets, **options):
    built = report(engine, list(tickets), **options)
    return list(built.rows), built.summary


def test_each_ticket_is_classified_as_it_arrived(engine):
    late_friday = datetime(2025, 4, 11, 16, 30, tzinfo=AMS)
    (row,), _ = rows_of(
        engine,
        ticket(
            "1", late_friday, subject="Outage: mail is down", priority="P3", status="Waiting for customer"
        ),
    )
    assert row.proposed == ("high", "high", "P1")
    assert row.current == (None, None, "P3")
    assert row.changed == ("impact", "urgency", "priority")
    # Counted from creation on the office calendar: 30 minutes on Friday, 30 on Monday.
    assert row.decision.pickup_by == datetime(2025, 4, 14, 9, 30, tzinfo=AMS)
    assert row.reasons(engine.ruleset) == "outage"
    assert [step.dimension for step in row.trace(engine.ruleset)][:3] == ["impact", "urgency", "priority"]


def test_what_changes_is_counted_up_down_and_unset(engine):
    rows, summary = rows_of(
        engine,
        ticket("same", impact="low", urgency="low", priority="P3"),
        ticket("up", subject="storing", impact="low", urgency="low", priority="P3"),
        ticket("down", impact="high", urgency="high", priority="P1"),
        ticket("unset", impact="low", urgency="low", priority=None),
    )
    assert [r.changed for r in rows] == [
        (),
        ("impact", "urgency", "priority"),
        ("impact", "urgency", "priority"),
        ("priority",),
    ]
    assert summary.changes["priority"] == 3
    assert (summary.changes["raised"], summary.changes["lowered"], summary.changes["set"]) == (1, 1, 1)
    assert summary.shift == {("P3", "P3"): 1, ("P3", "P1"): 1, ("P1", "P3"): 1, ("(none)", "P3"): 1}
    assert summary.current_priorities == ("P1", "P2", "P3", "(none)")


def test_a_dimension_the_export_lacks_is_no_change(engine):
    only_priority = {"priority": True, "first_response": True, "resolved": True}.get
    rows, summary = rows_of(
        engine, ticket("1", priority="P3"), provides=lambda name: bool(only_priority(name))
    )
    assert rows[0].changed == ()
    assert summary.changes["any"] == 0


def test_promises_are_judged_against_the_real_times(engine):
    as_of = MONDAY + timedelta(hours=3)  # 13:00; P3 pickup is due at 14:00, resolution next day
    rows, summary = rows_of(
        engine,
        ticket("met", first_response=MONDAY + timedelta(hours=1), resolved=MONDAY + timedelta(hours=2)),
        ticket("late", first_response=MONDAY + timedelta(hours=5)),
        ticket("open"),
        ticket("forgotten", created=MONDAY - timedelta(days=7)),
        as_of=as_of,
    )
    outcomes = {r.number: (r.pickup, r.resolution) for r in rows}
    assert outcomes == {
        "met": ("met", "met"),
        "late": ("missed", "pending"),
        "open": ("pending", "pending"),
        "forgotten": ("missed", "missed"),
    }
    assert summary.outcome_total("pickup") == {"met": 1, "missed": 2, "pending": 1}
    by_priority = dict(summary.outcome_counts("pickup", "priority"))
    assert by_priority["P3"]["missed"] == 2
    assert dict(summary.outcome_counts("pickup", "channel"))["email"]["met"] == 1


def test_without_pickup_times_no_pickup_is_judged(engine):
    """A resolution in time would only ever count a pickup as met, never as missed: no evidence."""
    no_pickups = lambda name: name != "first_response"  # noqa: E731
    rows, summary = rows_of(
        engine,
        ticket("quick", resolved=MONDAY + timedelta(hours=1)),
        ticket("slow", resolved=MONDAY + timedelta(days=1)),
        ticket("open"),
        provides=no_pickups,
        as_of=MONDAY + timedelta(days=3),
    )
    assert [(r.pickup, r.resolution) for r in rows] == [
        ("unknown", "met"),
        ("unknown", "met"),
        ("unknown", "missed"),
    ]
    assert summary.measured_from()["pickup"] is None
    assert summary.as_dict()["backtest"]["measured_from"]["pickup"] is None


def test_a_ticket_done_without_a_resolution_time_is_unknown_not_missed(engine):
    """Closed with no resolution time: unknown; its closing time tells only "within" for certain."""
    late = MONDAY + timedelta(days=20)
    rows, summary = rows_of(
        engine,
        ticket(
            "closed-in-time", status="Closed", custom={"closed_at": (MONDAY + timedelta(hours=2)).isoformat()}
        ),
        ticket("closed-late", status="Closed", custom={"closed_at": late.isoformat(), "sla_met": True}),
        ticket("resolved-no-time", status="Resolved"),
        ticket("still-open", status="In progress"),
        as_of=MONDAY + timedelta(days=30),
    )
    assert [(r.resolution, r.closed_without_resolution) for r in rows] == [
        ("unknown", "within"),
        ("unknown", "after"),
        ("unknown", "no_time"),
        ("missed", None),
    ]
    # Done without a first response either: when it was picked up is not known.
    assert [r.pickup for r in rows] == ["unknown", "unknown", "unknown", "missed"]
    backtest = summary.as_dict()["backtest"]
    assert backtest["resolution"]["total"] == {"met": 0, "missed": 1, "pending": 0, "unknown": 3}
    assert backtest["closed_without_resolution"] == {"within": 1, "after": 1, "no_time": 1}
    assert backtest["agreement"] == []  # the source's "met" is not set against an unknown
    assert "under the source's own priorities and targets" in backtest["premise"]


def test_messages_are_replayed_until_pickup_in_the_requesters_language(engine):
    rows, summary = rows_of(
        engine,
        ticket("quick", first_response=MONDAY + timedelta(minutes=30)),
        ticket("slow", first_response=MONDAY + timedelta(hours=3), language="nl"),
        ticket("never", subject="Storing: VPN", language="nl"),
        as_of=MONDAY + timedelta(days=2),
    )
    quick, slow, never = rows
    assert [m.policy for m in quick.messages] == ["ack"]
    assert quick.messages[0].text == "Ticket quick: picked up by Monday 7 April at 14:00 at the latest."
    assert [(m.policy, m.due_at) for m in slow.messages] == [
        ("ack", MONDAY),
        ("warning", MONDAY + timedelta(hours=2)),  # half of the 4-hour pickup target
    ]
    assert slow.messages[1].text == "Melding slow duurt langer, omdat het druk is."
    assert [m.policy for m in never.messages] == ["ack", "warning", "missed", "alert"]
    assert never.messages[1].text == "Melding never duurt langer, omdat we eerst een storing oplossen."
    assert never.messages[3].language == "en"  # the internal note exists in English only
    assert never.messages[2].due_at == never.decision.pickup_by == MONDAY + timedelta(hours=1)
    kinds = {(p, v): n for p, _, v, n in summary.message_kinds()}
    assert kinds == {("ack", True): 3, ("warning", True): 2, ("missed", True): 1, ("alert", False): 1}
    assert summary.delay_total == 3
    assert summary.delays_by_day == {"2025-04-07": 3}
    assert summary.delays_by_hour[0][10] == 1
    assert summary.delays_by_hour[0][12] == 1
    assert summary.delays_by_hour[0][11] == 1


def test_a_channel_target_promises_an_earlier_pickup(engine):
    (row,), _ = rows_of(engine, ticket("chat", channel="chat", first_response=MONDAY + timedelta(minutes=15)))
    assert row.decision.pickup_by == MONDAY + timedelta(minutes=10)
    assert row.decision.pickup_from_channel == "chat"
    assert row.pickup == "missed"


def test_the_sources_own_sla_outcome_next_to_matrixcores(engine):
    rows, summary = rows_of(
        engine,
        ticket("flag-met", resolved=MONDAY + timedelta(hours=1), custom={"sla_met": True}),
        ticket("flag-missed", resolved=MONDAY + timedelta(hours=1), custom={"sla_met": False}),
        ticket(
            "target", resolved=MONDAY + timedelta(days=3), custom={"target_date": "2025-04-08T17:00:00+02:00"}
        ),
        ticket("none", resolved=MONDAY + timedelta(hours=1)),
    )
    assert [r.source_sla for r in rows] == ["met", "missed", "missed", None]
    assert summary.outcome_total("source_sla") == {"met": 1, "missed": 2}
    assert summary.agreement == {("met", "met"): 1, ("missed", "met"): 1, ("missed", "missed"): 1}


def test_the_consistency_audit_finds_alike_tickets_the_source_treated_differently(engine):
    alike = [
        ticket(f"a{i}", priority=p, custom={"target_date": "2025-04-08T14:00:00+02:00"})
        for i, p in enumerate(["P3", "P3", "P3", "P2", None])
    ]
    alike[4] = ticket("a4", priority=None, custom={"target_date": "2025-04-09T14:00:00+02:00"})
    outages = [ticket(f"o{i}", subject="outage", priority="P1") for i in range(2)]
    vip = [ticket(f"v{i}", vip=True, priority=p) for i, p in enumerate(["P2", "P1"])]
    _, summary = rows_of(engine, *alike, *outages, *vip)
    audit = summary.audit
    assert len(audit.groups) == 3
    first, second = audit.inconsistent()  # the outages agree with each other: not listed
    assert first.tickets == 5
    assert second.tickets == 2
    assert first.describe() == "P3: low × low (defaults)"
    assert first.source_priorities == {"P3": 3, "P2": 1, "(none)": 1}
    assert first.deviating == 2
    assert first.source_lead_times == {"12h": 4, "20h": 1}  # business hours to the source's target date
    assert first.examples["P3"] == ["a0", "a1", "a2"]
    assert second.describe() == "P2: low × high (vip)"
    as_dict = summary.as_dict()["consistency"]
    assert (as_dict["groups"], as_dict["inconsistent"], as_dict["deviating_tickets"]) == (3, 2, 3)


def test_the_summary_grows_with_groups_never_with_tickets(engine):
    def sizes(count: int) -> list[int]:
        tickets = (
            ticket(
                str(i),
                MONDAY + timedelta(minutes=i % 600),
                subject=("outage" if i % 7 == 0 else "printer"),
                priority=("P1", "P2", "P3")[i % 3],
                first_response=MONDAY + timedelta(minutes=i % 300),
                custom={"target_date": "2025-04-08T14:00:00+02:00"},
            )
            for i in range(count)
        )
        built = report(engine, tickets, selection="none")
        summary = built.summary
        assert summary.tickets == count
        counters = [
            summary.shift,
            summary.channels,
            summary.messages,
            summary.delays_by_policy,
            summary.delays_by_day,
            *summary.outcomes.values(),
            summary.agreement,
        ]
        groups = summary.audit.groups.values()
        return (
            [len(c) for c in counters]
            + [len(summary.audit.groups)]
            + [len(g.source_lead_times) + sum(len(e) for e in g.examples.values()) for g in groups]
        )

    assert sizes(600) == sizes(6000)


def test_rows_are_selected_but_the_summary_counts_every_ticket(engine):
    tickets = [
        ticket("same", priority="P3", impact="low", urgency="low", first_response=MONDAY, resolved=MONDAY),
        ticket("change", priority="P1", first_response=MONDAY, resolved=MONDAY),
        ticket("late", priority="P3", impact="low", urgency="low", first_response=MONDAY + timedelta(days=1)),
    ]
    for selection, shown in (
        ("all", ["same", "change", "late"]),
        ("changed", ["change"]),
        ("missed", ["late"]),
        ("none", []),
    ):
        built = report(engine, list(tickets), selection=selection)
        assert [r.number for r in built.rows] == shown
        assert built.summary.tickets == 3
        assert built.summary.shown == len(shown)


def test_reading_the_summary_first_reads_the_tickets(engine):
    built = report(engine, [ticket("1"), ticket("2")])
    assert built.summary.tickets == 2
    assert list(built.rows) == []  # already consumed: rows are one pass


def test_plugins_decide_in_the_report_as_they_do_in_the_daemon(engine):
    class EverythingIsP2:
        @hookimpl
        def matrixcore_classify(self, engine: Engine, ticket: Ticket, now: datetime) -> Decision:
            evaluation = engine.evaluate(ticket)._replace(priority="P2", priority_rule=-1)
            return engine.classify(ticket, now, evaluation)

    plugins = Plugins()
    plugins.register(EverythingIsP2(), "p2")
    (row,), summary = rows_of(engine, ticket("1", priority="P3"), plugins=plugins)
    assert row.priority == "P2"
    assert summary.shift == {("P3", "P2"): 1}


def test_traces_of_alike_decisions_are_the_engines_own(engine):
    rows, _ = rows_of(
        engine,
        *(
            ticket(str(i), MONDAY + timedelta(minutes=37 * i), subject=("outage", "printer")[i % 2])
            for i in range(6)
        ),
        ticket("chat", channel="chat"),
    )
    for row in rows:
        assert row.trace(engine.ruleset) == row.decision.trace(engine.ruleset)
        assert row.as_dict(engine.ruleset)["trace"] == [
            s.as_dict() for s in row.decision.trace(engine.ruleset)
        ]
