"""What the daemon tests share: rules that map 1:1 onto the example helpdesk, a helpdesk emulator
with hooks to pause or watch requests, configs, and the outcome every ticket must end with."""

from __future__ import annotations

import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from matrixcore_helpdesk.emulator import HelpdeskEmulator

from matrixcore.testing import RecordedRequest

TOKEN = "hd-secret-token-9f8e7d6c"


def rules_text(p1_pickup: str = "4s", warning_at: str = "50%") -> str:
    """A 3x3 matrix on a 24x7 calendar, so deadlines run in real time. P1 (outages) must be picked
    up within ``p1_pickup`` and gets a warning at ``warning_at`` of it; the others have hours.
    Every ticket is acknowledged. (The daemon benchmark uses it too.)"""
    return RULES_TEMPLATE.replace("{p1_pickup}", p1_pickup).replace("{warning_at}", warning_at)


RULES_TEMPLATE = textwrap.dedent(
    """\
    version: 1
    matrix:
      impact: [high, medium, low]
      urgency: [high, medium, low]
      cells:
        high:   {high: P1, medium: P2, low: P3}
        medium: {high: P2, medium: P3, low: P4}
        low:    {high: P3, medium: P4, low: P4}
    priorities:
      P1: {pickup: {within: {p1_pickup}}, resolve: {within: 4h}}
      P2: {pickup: {within: 2h}, resolve: {within: 8h}}
      P3: {pickup: {within: 4h}, resolve: {within: 16h}}
      P4: {pickup: {within: 8h}, resolve: {within: 40h}}
    default_calendar: always
    calendars:
      always: {timezone: Europe/Amsterdam, hours: 24x7}
    rules:
      - name: outage
        when: {subject: {matches: "(?i)outage|down"}}
        set: {impact: high, urgency: high}
      - name: question
        when: {subject: {matches: "(?i)^question"}}
        set: {impact: low, urgency: low}
    defaults: {impact: medium, urgency: medium}
    messages:
      fallback_language: en
      policies:
        - {name: acknowledge, event: classified, template: ack}
        - {name: warning, event: pickup_elapsed, at: {warning_at}, template: warning}
      templates:
        ack:
          en: "Ticket {ticket.number}: we will pick it up by {pickup_by} at the latest."
        warning:
          en: "Ticket {ticket.number} needs a little more patience."
    """
)
#: The rules the daemon tests run: P1 within 4 s, warned at 50%.
RULES = rules_text()


def predicting_rules_text(p1_pickup: str = "4s", warning_at: str = "50%") -> str:
    """``rules_text`` plus a predicted-miss warning for the printer tickets (P3, 4 hours)."""
    return (
        rules_text(p1_pickup, warning_at)
        .replace(
            "template: warning}\n",
            "template: warning}\n"
            "    - {name: predicted, event: predicted_miss, template: predicted,"
            ' when: {subject: {matches: "(?i)^printer"}}}\n',
        )
        .replace(
            "  templates:\n",
            "  templates:\n"
            "    predicted:\n"
            '      en: "Ticket {ticket.number}: we now expect to pick it up {expected_pickup},'
            ' because {prediction_reason}."\n',
        )
    )


#: What the helpdesk calls each priority.
TOOL_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
SUBJECTS = ("Printer jams", "Mail server is down", "Question: where is the VPN guide?", "Laptop slow")
#: The priority each subject must end with, and the messages its requester must get, once each.
EXPECTED = {
    "Printer jams": ("P3", ("acknowledge",)),
    "Mail server is down": ("P1", ("acknowledge", "warning")),
    "Question: where is the VPN guide?": ("P4", ("acknowledge",)),
    "Laptop slow": ("P3", ("acknowledge",)),
    # History for predictions (``seed_history``): picked up long ago, so nothing to say.
    "Old printer jams": ("P3", ()),
}
#: With ``predicting_rules_text`` and ``seed_history``: every printer ticket is also told, once,
#: when it will probably be picked up.
EXPECTED_PREDICTING = {**EXPECTED, "Printer jams": ("P3", ("acknowledge", "predicted"))}


class Helpdesk(HelpdeskEmulator):
    """The example helpdesk with hooks: ``after[("POST", "messages")]`` runs after a message is
    stored and before the answer leaves (a test may block there and kill the client)."""

    def __init__(self, **kwargs: Any) -> None:
        self.after: dict[tuple[str, str], Callable[[RecordedRequest], None]] = {}
        #: What every ticket must end with (``outcome_problems``).
        self.expected: Mapping[str, tuple[str, tuple[str, ...]]] = EXPECTED
        super().__init__(token=TOKEN, **kwargs)

    def add_route(self, method: str, pattern: str, handler: Callable[[RecordedRequest], Any]) -> None:
        kind = pattern.rsplit("/", 1)[-1] if not pattern.endswith("}") else "ticket"

        def hooked(request: RecordedRequest) -> Any:
            reply = handler(request)
            hook = self.after.get((method, kind))
            if hook is not None:
                hook(request)
            return reply

        super().add_route(method, pattern, hooked)

    #: When the last ticket was seeded (monotonic): P1 warnings fall due 2 s later.
    seeded_at = 0.0

    def seed(self, count: int) -> None:
        self.seeded_at = time.monotonic()
        for i in range(count):
            subject = SUBJECTS[i % len(SUBJECTS)]
            self.add_ticket(
                subject=subject, requester={"name": f"R{i}", "email": f"r{i}@example.com", "language": "en"}
            )

    def seed_history(self, count: int, wait: timedelta, ago: timedelta = timedelta(days=2)) -> None:
        """``count`` printer tickets created ``ago`` and picked up after ``wait``: the pickup history
        a predicted-miss warning is estimated from (P3 waits 4 hours; ``wait`` longer says: a miss)."""
        created = datetime.now(UTC) - ago
        for i in range(count):
            self.add_ticket(
                subject="Old printer jams",
                requester={"name": f"H{i}", "email": f"h{i}@example.com", "language": "en"},
                created_at=_iso(created),
                first_response_at=_iso(created + wait),
            )

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    def outcome_problems(self) -> list[str]:
        """Every ticket not as it must be: wrong priority, a message missing or sent twice."""
        problems = []
        with self._state:
            tickets = {tid: dict(t) for tid, t in self.tickets.items()}
            messages = {tid: [dict(m) for m in ms] for tid, ms in self.messages.items()}
        for tid, ticket in tickets.items():
            priority, policies = self.expected[ticket["subject"]]
            if ticket["priority"] != TOOL_PRIORITY[priority]:
                problems.append(f"ticket {tid}: priority {ticket['priority']}, expected {priority}")
            texts = Counter(m["body"] for m in messages[tid])
            twice = [text for text, n in texts.items() if n > 1]
            if twice:
                problems.append(f"ticket {tid}: sent twice: {twice}")
            kinds = sorted(
                "warning" if "patience" in t else "predicted" if "expect" in t else "acknowledge"
                for t in texts
            )
            if kinds != sorted(policies):
                problems.append(f"ticket {tid}: messages {kinds}, expected {sorted(policies)}")
        return problems


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Gate:
    """Blocks a server thread at a hook until released (or a timeout), and says when one arrived."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.timeout = timeout

    def __call__(self, request: RecordedRequest) -> None:
        self.arrived.set()
        self.release.wait(self.timeout)


def write_rules(path: Path, text: str = RULES) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_config(
    directory: Path,
    helpdesks: Mapping[str, str],
    *,
    rules: str = "rules.yaml",
    extra: str = "",
    retry: str = "{max_attempts: 2, backoff_base: 0.05, max_wait: 1}",
    timeout: float = 5,
) -> Path:
    """A config with one helpdesk connection per ``name: url``; the token comes from HD_TOKEN."""
    lines = [f"rules: {rules}", "state: {path: state.sqlite3}", extra.rstrip(), "connections:"]
    for name, url in helpdesks.items():
        lines += [
            f"  {name}:",
            "    adapter: helpdesk",
            f"    base_url: {url}",
            "    auth: {type: bearer, token: {env: HD_TOKEN}}",
            "    page_size: 100",
            f"    timeout: {timeout}",
            f"    retry: {retry}",
            "    priority_map: {P1: urgent, P2: high, P3: normal, P4: low}",
        ]
    path = directory / "matrixcore.yaml"
    path.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")
    return path
