"""Communication policies: which message is due for a ticket now, and when the next one falls due.

Requesters are upset by silence and by arbitrariness, and just as much by spam. So every message has
an idempotency key (the ledger never sends a key twice), timed warnings that fall due together
collapse into the latest stage (no "we'll be late" next to "we are late"), and a per-ticket cap holds
back requester-visible messages that would exceed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._conditions import compile_condition
from ._decision import Decision, DueMessages, Message, SentMessage
from ._operators import CompileContext
from ._templates import Template, cut, pick_language
from .predict._reasons import rate_text

if TYPE_CHECKING:
    from ._ruleset import Policy, Ruleset, Target
    from ._ticket import Ticket

__all__ = ["PolicySet"]

Deadline = Callable[["Target", "Ticket", datetime, bool], datetime]


#: Template-language choices remembered (kinds of requester language, not requesters).
_LANGUAGES_KEPT: Final = 1024


logger = logging.getLogger("matrixcore.messages")


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class _Candidate:
    __slots__ = ("due_at", "key", "policy", "stage")

    def __init__(self, policy: Policy, key: str, due_at: datetime, stage: float) -> None:
        self.policy, self.key, self.due_at, self.stage = policy, key, due_at, stage


class PolicySet:
    """The ruleset's communication policies, compiled once."""

    def __init__(self, ruleset: Ruleset, context: CompileContext, deadline: Deadline) -> None:
        self.ruleset = ruleset
        self.settings = ruleset.messages
        self._deadline = deadline
        self._filters: dict[str, Callable[[Ticket], bool]] = {
            p.name: compile_condition(p.condition, context)
            for p in self.settings.policies
            if p.condition is not None
        }
        #: (template, requested language) -> the template language chosen; bounded, since the
        #: requested language is the requester's, whatever a tool lets them write there.
        self._languages: dict[tuple[str, str], str | None] = {}
        #: A ticket's channel as written -> every name a policy's ``channels`` may list for it.
        self._channel_names: dict[str, frozenset[str]] = {}
        #: The last ticket's timed-stage deadlines: a replay asks ``due`` again and again for one
        #: ticket, and each stage's deadline (counted from creation) is the same every time.
        self._stages: tuple[Ticket | None, object, dict[float, datetime]] = (None, None, {})

    def _applies(self, policy: Policy, ticket: Ticket) -> bool:
        if policy.channels is not None:
            names = self._channel_names.get(ticket.channel)
            if names is None:
                channel = self.ruleset.channel(ticket.channel)
                names = frozenset({ticket.channel.lower()}) | (
                    {channel.name.lower(), *map(str.lower, channel.aliases)} if channel else frozenset()
                )
                if len(self._channel_names) < _LANGUAGES_KEPT:  # a tool's channel names: few, but bounded
                    self._channel_names[ticket.channel] = names
            if not names & policy.channels:
                return False
        check = self._filters.get(policy.name)
        return check is None or check(ticket)

    def _candidates(
        self, ticket: Ticket, decision: Decision, sent: tuple[SentMessage, ...], now: datetime
    ) -> tuple[list[_Candidate], list[datetime]]:
        """Every message this ticket could get now, and the future instants when others fall due."""
        due: list[_Candidate] = []
        later: list[datetime] = []
        keys = {s.key for s in sent}
        waiting = not decision.picked_up and not decision.resolved
        for policy in self.settings.policies:
            if decision.resolved or not self._applies(policy, ticket):
                continue
            if policy.event == "classified":
                if waiting and policy.name not in keys:
                    due.append(_Candidate(policy, policy.name, now, 0.0))
            elif policy.event == "priority_changed":
                announced = [s for s in sent if s.priority]
                if announced:
                    last = max(announced, key=lambda s: s.sent_at)
                    if last.priority != decision.priority:
                        key = f"{policy.name}:{last.priority}>{decision.priority}:{last.sent_at.isoformat()}"
                        if key not in keys:
                            due.append(_Candidate(policy, key, now, 0.0))
            elif policy.event == "predicted_miss":
                predicted = self._predicted_key(policy, decision, sent, now) if waiting else None
                if predicted is not None and predicted not in keys:
                    due.append(_Candidate(policy, predicted, now, 0.0))
            elif waiting and not decision.paused and decision.pickup_by is not None:
                key = f"{policy.name}:{decision.priority}"
                if key in keys:
                    continue
                if policy.event == "pickup_missed":
                    at, stage = decision.pickup_by, 1.0
                else:
                    stage = policy.at if policy.at is not None else 1.0
                    target = decision.pickup_target
                    known = self._stages  # read once: another thread may replace it for its ticket
                    if known[0] is not ticket or known[1] != target:
                        known = self._stages = (ticket, target, {})
                    found = known[2].get(stage)
                    if found is None:
                        partial = type(target)(target.within * stage, target.calendar)
                        found = known[2][stage] = self._deadline(partial, ticket, now, False)
                    at = found
                if at <= now:
                    due.append(_Candidate(policy, key, at, stage))
                else:
                    later.append(at)
        return due, later

    @staticmethod
    def _predicted_key(
        policy: Policy, decision: Decision, sent: tuple[SentMessage, ...], now: datetime
    ) -> str | None:
        """The key of a predicted-miss warning due now, or ``None``.

        Due while the ticket waits, before its deadline, with a miss probability at the policy's
        threshold. The key carries the expected pickup, so the requester hears again only when that
        moment moves by at least ``moves`` from the one last announced (and the cap still applies).
        """
        prediction = decision.prediction
        if (
            prediction is None
            or decision.paused
            or decision.pickup_by is None
            or decision.pickup_by <= now
            or prediction.probability < policy.threshold
        ):
            return None
        expected = prediction.expected_at
        stamp = expected.astimezone(UTC).isoformat(timespec="minutes") if expected else "later"
        key = f"{policy.name}:{decision.priority}@{stamp}"
        told = [s for s in sent if s.policy == policy.name and "@" in s.key]
        if told:
            last = max(told, key=lambda s: s.sent_at).key.rpartition("@")[2]
            if last == stamp:
                return None
            if expected is not None and last != "later":
                before = datetime.fromisoformat(last)
                if abs(expected - before) < policy.moves:
                    return None
            elif expected is None and last == "later":
                return None
        return key

    def due(
        self, ticket: Ticket, decision: Decision, sent: tuple[SentMessage, ...], now: datetime
    ) -> DueMessages:
        candidates, later = self._candidates(ticket, decision, sent, now)
        # Timed stages due together: only the latest per audience goes out.
        superseded: list[str] = []
        for audience in (True, False):
            timed = [c for c in candidates if c.stage > 0 and c.policy.visible_to_requester is audience]
            if len(timed) > 1:
                keep = max(timed, key=lambda c: (c.stage, c.due_at))
                superseded += [c.key for c in timed if c is not keep]
        candidates = [c for c in candidates if c.key not in superseded]
        held: list[str] = []
        cap = self.settings.cap
        if cap is not None:
            window = sorted(s.sent_at for s in sent if s.visible_to_requester and s.sent_at > now - cap.per)
            room = max(cap.max - len(window), 0)
            visible = [c for c in candidates if c.policy.visible_to_requester]
            if len(visible) > room:
                held = [c.key for c in visible[room:]]
                candidates = [c for c in candidates if c.key not in held]
                # After this round the window is full; it has room again when its oldest entry leaves.
                full = window + [now] * room
                later.append(full[len(full) - cap.max] + cap.per)
        messages = tuple(self.render(c.policy, c.key, c.due_at, ticket, decision, sent) for c in candidates)
        return DueMessages(messages, tuple(superseded), tuple(held), min(later) if later else None)

    # -- rendering --------------------------------------------------------------------------------
    def _language(self, name: str, texts: Mapping[str, Template], requested: str) -> str | None:
        """The language of template ``name`` a requester asking ``requested`` gets (cached)."""
        key = (name, requested)
        try:
            return self._languages[key]
        except KeyError:
            chosen = pick_language([k for k in texts if k], requested, self.settings.fallback_language)
            if len(self._languages) < _LANGUAGES_KEPT:
                self._languages[key] = chosen
            return chosen

    def reason(self, ticket: Ticket, decision: Decision, language: str) -> str:
        """Why more time is needed: the ticket's own reason field, the deciding rule's, or the default."""
        settings = self.settings
        if settings.reason_field:
            value = ticket.get(settings.reason_field)
            if value not in (None, ""):
                return str(value)
        for index in decision.evaluation.deciding_rules():
            text = _localized(self.ruleset.rules[index].reason, language, settings.fallback_language)
            if text:
                return text
        return _localized(settings.default_reason, language, settings.fallback_language)

    def render(
        self,
        policy: Policy,
        key: str,
        due_at: datetime,
        ticket: Ticket,
        decision: Decision,
        sent: tuple[SentMessage, ...],
    ) -> Message:
        settings = self.settings
        texts: Mapping[str, Template] = settings.templates[policy.template]
        requested = ticket.requester.language or settings.fallback_language
        chosen = self._language(policy.template, texts, requested)
        template = texts[chosen] if chosen else texts[""]
        language = chosen or requested

        def text() -> str:  # rendered where it is read: the report counts most messages only
            return self._fit(policy, ticket, self._text(template, language, ticket, decision, sent))

        return Message(
            ticket.key,
            policy.name,
            policy.event,
            key,
            policy.visible_to_requester,
            language,
            text,
            due_at,
            decision.priority,
        )

    def _fit(self, policy: Policy, ticket: Ticket, text: str) -> str:
        """``text``, cut to fit its channel's ``max_length`` (at a word, ending in "…") and logged:
        a promise cut short still reaches the requester; no message at all would be silence."""
        channel = self.ruleset.channel(ticket.channel)
        if channel is None or channel.max_length is None or len(text) <= channel.max_length:
            return text
        logger.warning(
            "message %s to ticket %s is %d characters, over the %d of channel %s: cut to fit",
            policy.name,
            ticket.key,
            len(text),
            channel.max_length,
            channel.name,
        )
        return cut(text, channel.max_length)

    def _text(
        self,
        template: Template,
        language: str,
        ticket: Ticket,
        decision: Decision,
        sent: tuple[SentMessage, ...],
    ) -> str:
        settings = self.settings
        zone = _zone(ticket.requester.timezone) if ticket.requester.timezone else None
        zone = zone or self.ruleset.calendars[decision.pickup_target.calendar].tzinfo
        previous = max((s for s in sent if s.priority), key=lambda s: s.sent_at, default=None)
        level = self.ruleset.priorities[decision.priority]
        values: dict[str, Any] = {
            "ticket.id": ticket.id,
            "ticket.number": ticket.number or ticket.id,
            "ticket.subject": ticket.subject,
            "ticket.channel": ticket.channel,
            "ticket.category": ticket.category,
            "ticket.service": ticket.service,
            "ticket.status": ticket.status,
            "requester.name": ticket.requester.name,
            "impact": decision.impact,
            "urgency": decision.urgency,
            "priority": decision.priority,
            "priority_label": level.label,
            "previous_priority": previous.priority if previous else None,
            "pickup_by": decision.pickup_by,
            "resolve_by": decision.resolve_by,
            "pickup_within": decision.pickup_target.within,
            "resolve_within": decision.resolve_target.within,
        }
        prediction = decision.prediction
        if prediction is not None:
            values["expected_pickup"] = prediction.expected_at
            values["tickets_ahead"] = prediction.ahead
            values["pickup_rate"] = rate_text(prediction.rate, language)
            values["miss_probability"] = f"{prediction.probability:.0%}"
            if "prediction_reason" in template.placeholders:
                values["prediction_reason"] = prediction.reason(language)
        if "reason" in template.placeholders:
            values["reason"] = self.reason(ticket, decision, language)
        date_format = settings.date_formats.get(language.lower()) or settings.date_formats.get(
            language.lower().split("-")[0]
        )
        return template.render(values, language, zone, date_format)


def _localized(texts: Mapping[str, str], language: str, fallback: str) -> str:
    if not texts:
        return ""
    chosen = pick_language([k for k in texts if k], language, fallback)
    if chosen:
        return texts[chosen]
    return texts.get("", "")
