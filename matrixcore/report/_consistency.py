"""The consistency audit: "the same kind of ticket gets the same priority and lead time", measured.

Tickets the rules treat alike (the same rules decided the same impact, urgency and priority, and the
same pickup target applies) form a group. Within a group matrixcore would give every ticket the same
priority and lead time; the audit counts what the source system gave them instead: its priorities,
and its own resolution lead times (its target date, in business hours on the priority's calendar).
Groups where the source disagreed with itself are listed, largest first.

Memory is per group (bounded by the rules and channels), never per ticket: each group keeps counts
and at most a few example ticket numbers per source priority.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from matrixcore._durations import format_duration
from matrixcore._ticket import parse_instant

if TYPE_CHECKING:
    from matrixcore._decision import Decision
    from matrixcore._ruleset import Ruleset
    from matrixcore._ticket import Ticket

__all__ = ["AuditGroup", "ConsistencyAudit", "business_hours"]

#: Example ticket numbers kept per source priority in a group.
EXAMPLES: Final = 3
#: Distinct source lead times kept per group; the rest are counted as "other".
LEAD_TIMES: Final = 12
_QUARTER: Final = 900
_NONE: Final = "(none)"

_Key = tuple[str, int, str, int, str, int, str | None]


@dataclass(slots=True)
class AuditGroup:
    """Tickets the rules treat alike, and what the source gave them."""

    impact: str
    urgency: str
    priority: str
    #: The rule that set impact, urgency and priority (``None``: the default or the matrix).
    rules: tuple[str | None, str | None, str | None]
    #: The channel whose own pickup target applies, if any.
    channel: str | None
    pickup_within: timedelta
    resolve_within: timedelta
    tickets: int = 0
    #: Source priority (``"(none)"`` when unset) -> tickets.
    source_priorities: Counter[str] = field(default_factory=Counter)
    #: The source's own resolution lead time (``business_hours``) -> tickets.
    source_lead_times: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def consistent(self) -> bool:
        return len(self.source_priorities) <= 1 and len(self.source_lead_times) <= 1

    @property
    def deviating(self) -> int:
        """Tickets whose source priority is not the group's most common one."""
        return self.tickets - max(self.source_priorities.values(), default=self.tickets)

    def describe(self) -> str:
        """``P3: person × high (cannot-work)``, ``P4: person × normal (defaults), phone pickup``."""
        names = [name for name in dict.fromkeys(self.rules) if name]
        head = f"{self.priority}: {self.impact} × {self.urgency} ({', '.join(names) or 'defaults'})"
        return head + (f", {self.channel} pickup" if self.channel else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposed": {"impact": self.impact, "urgency": self.urgency, "priority": self.priority},
            "rules": dict(zip(("impact", "urgency", "priority"), self.rules, strict=True)),
            "channel": self.channel,
            "pickup_within": format_duration(self.pickup_within),
            "resolve_within": format_duration(self.resolve_within),
            "description": self.describe(),
            "tickets": self.tickets,
            "deviating": self.deviating,
            "source_priorities": dict(self.source_priorities.most_common()),
            "source_lead_times": dict(self.source_lead_times.most_common()),
            "examples": {k: list(v) for k, v in self.examples.items()},
        }


def business_hours(seconds: float) -> str:
    """A lead time in business time as desks say it: ``45m``, ``4h``, ``25.5h`` (to 15 minutes;
    not days, which are 24 hours elsewhere but 8.5 at the office)."""
    quarters = round(seconds / _QUARTER)
    if quarters < 4:
        return f"{quarters * 15}m"
    return f"{quarters / 4:g}h"


class ConsistencyAudit:
    """Groups tickets by how the rules treat them; ``add`` per ticket, ``inconsistent()`` at the end."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.groups: dict[_Key, AuditGroup] = {}
        self._rule_names = [rule.name for rule in ruleset.rules]

    def add(self, ticket: Ticket, decision: Decision) -> None:
        evaluation = decision.evaluation
        key: _Key = (*evaluation, decision.pickup_from_channel)
        group = self.groups.get(key)
        if group is None:
            names = self._rule_names
            rules = tuple(
                names[i] if i >= 0 else None
                for i in (evaluation.impact_rule, evaluation.urgency_rule, evaluation.priority_rule)
            )
            group = self.groups[key] = AuditGroup(
                evaluation.impact,
                evaluation.urgency,
                evaluation.priority,
                rules,  # type: ignore[arg-type]
                decision.pickup_from_channel,
                decision.pickup_target.within,
                decision.resolve_target.within,
            )
        group.tickets += 1
        current = ticket.priority or _NONE
        group.source_priorities[current] += 1
        examples = group.examples.setdefault(current, [])
        if len(examples) < EXAMPLES:
            examples.append(ticket.number or ticket.id)
        lead = self._lead_time(ticket, decision)
        if lead is not None:
            if lead in group.source_lead_times or len(group.source_lead_times) < LEAD_TIMES:
                group.source_lead_times[lead] += 1
            else:
                group.source_lead_times["other"] += 1

    def _lead_time(self, ticket: Ticket, decision: Decision) -> str | None:
        target = ticket.custom.get("target_date") if ticket.custom else None
        if not target:
            return None
        try:
            due = parse_instant(target, "target_date")
        except ValueError:
            return None
        if due is None or due < ticket.created:
            return None
        calendar = self.ruleset.calendars[decision.resolve_target.calendar]
        return business_hours(calendar.elapsed(ticket.created, due).total_seconds())

    def inconsistent(self) -> list[AuditGroup]:
        """Groups whose tickets got more than one priority or lead time in the source, largest first."""
        found = [g for g in self.groups.values() if not g.consistent]
        return sorted(found, key=lambda g: (-g.tickets, -g.deviating, g.describe()))

    def as_dict(self, top: int | None = None) -> Mapping[str, Any]:
        inconsistent = self.inconsistent()
        return {
            "groups": len(self.groups),
            "inconsistent": len(inconsistent),
            "tickets_in_inconsistent_groups": sum(g.tickets for g in inconsistent),
            "deviating_tickets": sum(g.deviating for g in inconsistent),
            "top": [g.as_dict() for g in inconsistent[:top]],
        }
