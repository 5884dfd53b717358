"""Communication policies: the right message once, at the right time, in the right language."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matrixcore import Requester, Ticket
from matrixcore._decision import SentMessage
from matrixcore._engine import Engine
from matrixcore._ruleset import load_ruleset

AMS = ZoneInfo("Europe/Amsterdam")


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=AMS)


@pytest.fixture
def engine(quickstart_rules):
    return Engine(load_ruleset(quickstart_rules))


def question(**fields):
    """A P5 question by e-mail, Monday 09:00: pickup target 16 business hours -> Tuesday 17:00."""
    fields.setdefault("created", at(23, 9))
    fields.setdefault("requester", Requester(name="Anna", language="nl"))
    fields.setdefault("channel", "email")
    return Ticket(
        source="t",
        id=fields.pop("id", "42"),
        number="I 2611 042",
        subject="Vraag: hoe deel ik een agenda?",
        **fields,
    )


def due(engine, ticket, now, sent=()):
    decision = engine.classify(ticket, now)
    return decision, engine.due_messages(ticket, decision, sent, now)


def sent_now(messages, when):
    return [SentMessage(m.policy, m.key, when, m.visible_to_requester, m.priority) for m in messages]


def test_acknowledgement_once_in_the_requesters_language(engine):
    decision, result = due(engine, question(), at(23, 9))
    (message,) = result.messages
    assert decision.pickup_by == at(24, 17)
    assert message.policy == "acknowledge"
    assert message.visible_to_requester
    assert (
        message.text
        == "Bedankt voor je melding I 2611 042. We pakken hem uiterlijk dinsdag 24 november om 17:00 op."
    )
    # The 80% warning is the next thing planned: 12h48m of business time -> Tuesday 13:48.
    assert result.next_due == at(24, 13, 48)
    _, again = due(engine, question(), at(23, 10), sent_now(result.messages, at(23, 9)))
    assert again.messages == ()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "de",
            "Vielen Dank für Ihre Meldung I 2611 042. "
            "Wir kümmern uns spätestens am Dienstag, 24. November um 17:00 Uhr darum.",
        ),
        (
            "fr",
            "Merci pour votre demande I 2611 042. "
            "Nous la prendrons en charge au plus tard mardi 24 novembre à 17:00.",
        ),
    ],
)
def test_german_and_french_requesters_are_acknowledged_in_their_language(engine, language, text):
    """TOPdesk's and ServiceNow's users write in German and French too (de-CH, fr-BE as well)."""
    _, result = due(engine, question(requester=Requester(language=language)), at(23, 9))
    (message,) = result.messages
    assert (message.language, message.text) == (language, text)
    regional = f"{language}-{'CH' if language == 'de' else 'BE'}"
    _, result = due(engine, question(requester=Requester(language=regional)), at(23, 9))
    assert result.messages[0].text == text


@pytest.mark.parametrize(
    ("language", "default", "from_rule"),
    [
        ("de", "weil gerade mehr los ist als sonst", "weil wir zuerst eine größere Störung beheben"),
        (
            "fr",
            "car nous recevons en ce moment plus de demandes",
            "car nous réglons d'abord une panne majeure",
        ),
    ],
)
def test_german_and_french_delay_messages_say_why(engine, language, default, from_rule):
    sent = [SentMessage("acknowledge", "acknowledge", at(23, 9), True, "P5")]
    _, result = due(engine, question(requester=Requester(language=language)), at(24, 14), sent)
    (warning,) = result.messages
    assert (warning.policy, warning.language) == ("pickup-warning", language)
    assert default in warning.text
    outage = Ticket(
        source="t",
        id="9",
        subject="Netwerk storing",
        channel="email",
        created=at(23, 9),
        requester=Requester(language=language),
    )
    decision = engine.classify(outage, at(23, 9, 14))
    assert from_rule.split(" ", 1)[1] in engine._policies.reason(outage, decision, language)


def test_every_requester_message_and_reason_is_in_dutch_english_german_and_french(engine):
    languages = {"nl", "en", "de", "fr"}
    settings = engine.ruleset.messages
    for policy in settings.policies:
        if policy.visible_to_requester:
            assert set(settings.templates[policy.template]) >= languages, policy.name
    assert set(settings.default_reason) >= languages
    for rule in engine.ruleset.rules:
        if rule.reason:
            assert set(rule.reason) >= languages, rule.name


def test_unknown_language_falls_back_to_english(engine):
    _, result = due(engine, question(requester=Requester(language="sv")), at(23, 9))
    assert result.messages[0].language == "en"
    assert result.messages[0].text.startswith("Thank you for your ticket I 2611 042.")


def test_warning_says_why_more_time_is_needed(engine):
    sent = [SentMessage("acknowledge", "acknowledge", at(23, 9), True, "P5")]
    _, result = due(engine, question(), at(24, 14), sent)
    (warning,) = result.messages
    assert warning.policy == "pickup-warning"
    assert "omdat het op dit moment drukker is dan normaal" in warning.text
    # A reason from the ticket itself wins over the default.
    custom = question(custom={"delay_reason": "de leverancier pas morgen reageert"})
    (warning,) = due(engine, custom, at(24, 14), sent)[1].messages
    assert "omdat de leverancier pas morgen reageert" in warning.text


def test_rule_reason_is_used_for_matching_tickets(engine):
    outage = Ticket(
        source="t",
        id="9",
        subject="Netwerk storing",
        channel="email",
        created=at(23, 9),
        requester=Requester(language="en"),
    )
    decision = engine.classify(outage, at(23, 9, 14))
    reason = engine._policies.reason(outage, decision, "en")
    assert reason == "we are first fixing a major outage that affects many colleagues"


def test_late_daemon_sends_only_the_latest_stage(engine):
    sent = [SentMessage("acknowledge", "acknowledge", at(23, 9), True, "P5")]
    _, result = due(engine, question(), at(25, 9), sent)
    policies = sorted(m.policy for m in result.messages)
    # The requester gets "we are late", not also "we might be late"; agents get their alert.
    assert policies == ["agent-alert", "pickup-missed"]
    assert result.superseded == ("pickup-warning:P5",)
    internal = next(m for m in result.messages if m.policy == "agent-alert")
    assert not internal.visible_to_requester
    assert "due 2026-11-24 17:00" in internal.text


def test_no_pickup_messages_once_picked_up_or_while_paused(engine):
    sent = [SentMessage("acknowledge", "acknowledge", at(23, 9), True, "P5")]
    picked = question(first_response=at(23, 11))
    assert due(engine, picked, at(25, 9), sent)[1].messages == ()
    paused = question(status="Wacht op klant", paused_since=at(23, 12))
    result = due(engine, paused, at(25, 9), sent)[1]
    assert result.messages == ()
    assert result.next_due is None


def test_priority_change_is_announced_once(engine):
    sent = [SentMessage("acknowledge", "acknowledge", at(23, 9), True, "P5")]
    vip = question(requester=Requester(language="en", vip=True))  # vip -> urgency high -> P3
    decision, result = due(engine, vip, at(23, 10), sent)
    assert decision.priority == "P3"
    (message,) = result.messages
    assert message.policy == "reprioritised"
    assert "to P3 normaal" in message.text
    sent += sent_now(result.messages, at(23, 10))
    assert due(engine, vip, at(23, 11), sent)[1].messages == ()


def test_cap_holds_back_requester_messages_until_there_is_room(engine):
    # Three requester messages on Tuesday morning fill the cap of 3 per 24h.
    sent = [SentMessage(p, p, at(24, 9 + i), True, "P5") for i, p in enumerate(["acknowledge", "x", "y"])]
    _, result = due(engine, question(), at(24, 14), sent)
    assert result.messages == ()
    assert result.held == ("pickup-warning:P5",)
    assert result.next_due == at(24, 17)  # the missed-target messages are planned next
    _, late = due(engine, question(), at(24, 18), sent)
    # Internal notes are not capped; the requester's "we are late" waits for room on Wednesday 09:00.
    assert [m.policy for m in late.messages] == ["agent-alert"]
    assert late.held == ("pickup-missed:P5",)
    assert late.next_due == at(25, 9)


def test_policies_filter_by_channel_and_condition(quickstart_rules, tmp_path):
    text = quickstart_rules.read_text().replace(
        "      event: classified\n      template: acknowledge\n",
        "      event: classified\n      template: acknowledge\n      channels: [twitter]\n"
        "      when: {requester.vip: {eq: false}}\n",
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    filtered = Engine(load_ruleset(path))
    assert due(filtered, question(), at(23, 9))[1].messages == ()
    tweet = question(channel="x")
    assert [m.policy for m in due(filtered, tweet, at(23, 9))[1].messages] == ["acknowledge"]
    vip_tweet = question(channel="x", requester=Requester(vip=True))
    assert [m.policy for m in due(filtered, vip_tweet, at(23, 9))[1].messages] == []


def test_resolved_tickets_get_nothing(engine):
    assert due(engine, question(resolved=at(23, 9, 30)), at(23, 10))[1].messages == ()


def test_message_keys_are_stable_for_idempotency(engine):
    one = due(engine, question(), at(23, 9))[1].messages[0]
    two = due(engine, question(), at(23, 9, 1))[1].messages[0]
    assert one.key == two.key == "acknowledge"
    assert one.due_at.astimezone(UTC) == at(23, 9).astimezone(UTC)
    assert two.due_at - one.due_at == timedelta(minutes=1)
