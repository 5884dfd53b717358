"""An in-memory emulator of the Helpdesk REST API, for tests and for trying configs without a helpdesk.

It is a ``matrixcore.testing.LocalServer`` (a real HTTP server on 127.0.0.1), so the contract suite
can script faults into it and read its request log, and it holds the helpdesk's state: tickets,
messages, credentials and an optional rate limit. The API it serves:

``GET /api/v1/me``
    the logged-in agent (checks credentials).
``GET /api/v1/tickets?cursor=&limit=``
    tickets ordered by (``updated_at``, ``id``) after the cursor:
    ``{"tickets": [...], "meta": {"after_cursor": "...", "has_more": true}}``.
``GET /api/v1/tickets/{id}``, ``PATCH /api/v1/tickets/{id}``
    one ticket; PATCH sets ``impact``, ``urgency``, ``priority`` (422 for unknown values), and with
    ``"message": {"body", "public"}`` adds a message in the same update (``Idempotency-Key`` honoured).
``GET|POST /api/v1/tickets/{id}/messages``
    messages oldest first; POST ``{"body", "public"}`` honours an ``Idempotency-Key`` header.

Authentication: ``Authorization: Bearer <token>`` or Basic with an agent's login. With
``rate_limit`` set, every answer carries ``X-RateLimit-Limit/Remaining/Reset`` and requests over
the limit get 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from matrixcore.testing import LocalServer, RecordedRequest, Reply

__all__ = ["PRIORITIES", "HelpdeskEmulator"]

API: Final = "/api/v1"
#: Values the helpdesk accepts per field.
PRIORITIES: Final[Mapping[str, tuple[str, ...]]] = {
    "impact": ("high", "medium", "low"),
    "urgency": ("high", "medium", "low"),
    "priority": ("urgent", "high", "normal", "low"),
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HelpdeskEmulator(LocalServer):
    """The Helpdesk API in memory. Thread-safe; all times UTC.

    ``clock`` is monotonic seconds for the rate limit window (tests share a ``FakeClock``).
    Every change gets an ``updated_at`` strictly later than the previous one, like a database
    sequence, so cursors never tie.
    """

    def __init__(
        self,
        *,
        token: str = "hd-token-5f2c9e",
        agents: Mapping[str, str] | None = None,
        rate_limit: int | None = None,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        start: datetime | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.agents = dict(agents or {"agent@example.com": "correct horse battery staple"})
        self.tickets: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.rate_limit = rate_limit
        self.window = window
        self._clock = clock
        self._window_start = clock()
        self._window_used = 0
        #: How many requests were refused with 429 (the adapter's budget should keep this at 0).
        self.rate_limited = 0
        self._state = threading.RLock()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._idempotency: dict[str, dict[str, Any]] = {}
        self._last = start or datetime.now(UTC) - timedelta(days=1)
        self._routes_api()

    # -- state helpers (tests call these directly) -------------------------------------------------

    def _tick(self) -> str:
        """A new modification time, strictly after the last one."""
        self._last = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
        return _stamp(self._last)

    def add_ticket(self, **fields: Any) -> dict[str, Any]:
        """Create a ticket; unspecified fields get plausible defaults. Returns it."""
        with self._state:
            ticket_id = next(self._ids)
            now = self._tick()
            ticket = {
                "id": ticket_id,
                "number": f"HD-{1000 + ticket_id}",
                "subject": f"Ticket {ticket_id}",
                "description": "",
                "channel": "email",
                "requester": {"name": "Requester", "email": f"user{ticket_id}@example.com", "language": "en"},
                "category": "",
                "impact": None,
                "urgency": None,
                "priority": None,
                "status": "open",
                "created_at": now,
                "updated_at": now,
                "first_response_at": None,
                "custom_fields": {},
            } | fields
            self.tickets[ticket_id] = ticket
            self.messages[ticket_id] = []
            return dict(ticket)

    def update_ticket(self, ticket_id: int, **fields: Any) -> dict[str, Any]:
        """Change a ticket as an agent would; bumps ``updated_at``."""
        with self._state:
            ticket = self.tickets[ticket_id]
            ticket.update(fields, updated_at=self._tick())
            return dict(ticket)

    @staticmethod
    def cursor_for(updated_at: str, ticket_id: int = 0) -> str:
        """The cursor the API hands out after a ticket with this ``updated_at`` and ``id``."""
        raw = json.dumps({"u": updated_at, "i": ticket_id}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _read_cursor(cursor: str) -> tuple[str, int]:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        return str(data["u"]), int(data["i"])

    # -- the HTTP API ------------------------------------------------------------------------------

    def _refusal(self, request: RecordedRequest) -> Reply | None:
        """401 for bad credentials, 429 over the rate limit; ``None`` to go on."""
        if request.bearer_token != self.token and (
            request.basic_auth is None or self.agents.get(request.basic_auth[0]) != request.basic_auth[1]
        ):
            return Reply(
                401, {"error": "invalid credentials"}, {"WWW-Authenticate": 'Bearer realm="helpdesk"'}
            )
        if self.rate_limit is None:
            return None
        with self._state:
            now = self._clock()
            if now - self._window_start >= self.window:
                self._window_start, self._window_used = now, 0
            reset = max(int(self._window_start + self.window - now + 0.999), 1)
            if self._window_used >= self.rate_limit:
                self.rate_limited += 1
                return Reply(429, {"error": "rate limit exceeded"}, {"Retry-After": str(reset)})
            self._window_used += 1
        return None

    def _limit_headers(self) -> dict[str, str]:
        if self.rate_limit is None:
            return {}
        with self._state:
            reset = max(int(self._window_start + self.window - self._clock() + 0.999), 1)
            return {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(max(self.rate_limit - self._window_used, 0)),
                "X-RateLimit-Reset": str(reset),
            }

    def _api(self, method: str, path: str) -> Callable[[Callable[[RecordedRequest], Reply]], None]:
        """Register an authenticated, rate-limited API route."""

        def register(handler: Callable[[RecordedRequest], Reply]) -> None:
            def guarded(request: RecordedRequest) -> Reply:
                reply = self._refusal(request) or handler(request)
                return Reply(reply.status, reply.body, {**reply.headers, **self._limit_headers()})

            self.add_route(method, API + path, guarded)

        return register

    def _ticket_or_404(self, request: RecordedRequest) -> dict[str, Any] | Reply:
        raw = request.params["id"]
        ticket = self.tickets.get(int(raw)) if raw.isdigit() else None
        return ticket if ticket is not None else Reply(404, {"error": f"no ticket {raw}"})

    def _routes_api(self) -> None:
        @self._api("GET", "/me")
        def me(request: RecordedRequest) -> Reply:
            login = request.basic_auth[0] if request.basic_auth else "api-token"
            return Reply(200, {"id": 1, "login": login, "role": "agent"})

        @self._api("GET", "/tickets")
        def list_tickets(request: RecordedRequest) -> Reply:
            cursor = request.arg("cursor")
            try:
                limit = min(int(request.arg("limit") or 25), 100)
                after = self._read_cursor(cursor) if cursor else ("", 0)
            except (ValueError, KeyError, binascii.Error, json.JSONDecodeError):
                return Reply(400, {"error": "invalid cursor or limit"})
            if limit < 1:
                return Reply(400, {"error": "limit must be at least 1"})
            with self._state:
                ordered = sorted(self.tickets.values(), key=lambda t: (t["updated_at"], t["id"]))
                newer = [t for t in ordered if (t["updated_at"], t["id"]) > after]
                page = [dict(t) for t in newer[:limit]]
            last = page[-1] if page else None
            cursor = self.cursor_for(last["updated_at"], last["id"]) if last else request.arg("cursor")
            return Reply(
                200, {"tickets": page, "meta": {"after_cursor": cursor, "has_more": len(newer) > limit}}
            )

        @self._api("GET", "/tickets/{id}")
        def get_ticket(request: RecordedRequest) -> Reply:
            found = self._ticket_or_404(request)
            return found if isinstance(found, Reply) else Reply(200, {"ticket": dict(found)})

        @self._api("PATCH", "/tickets/{id}")
        def patch_ticket(request: RecordedRequest) -> Reply:
            found = self._ticket_or_404(request)
            if isinstance(found, Reply):
                return found
            body = dict(request.json() or {})
            note = body.pop("message", None)
            wrong = {k: v for k, v in body.items() if k not in PRIORITIES or v not in PRIORITIES[k]}
            if wrong:
                return Reply(422, {"error": "invalid fields", "fields": wrong, "allowed": PRIORITIES})
            if note is not None and not (isinstance(note, dict) and str(note.get("body") or "").strip()):
                return Reply(422, {"error": "message.body is required"})
            key = request.header("Idempotency-Key") if note is not None else None
            with self._state:
                if key and key in self._idempotency:
                    return Reply(200, {"ticket": dict(found), "message": dict(self._idempotency[key])})
                if any(found[k] != v for k, v in body.items()):
                    found.update(body, updated_at=self._tick())
                answer: dict[str, Any] = {"ticket": dict(found)}
                if note is not None:
                    message = self._add_message(found, note["body"], bool(note.get("public", True)))
                    if key:
                        self._idempotency[key] = message
                    answer = {"ticket": dict(found), "message": dict(message)}
                return Reply(200, answer)

        @self._api("GET", "/tickets/{id}/messages")
        def list_messages(request: RecordedRequest) -> Reply:
            found = self._ticket_or_404(request)
            if isinstance(found, Reply):
                return found
            with self._state:
                return Reply(200, {"messages": [dict(m) for m in self.messages[found["id"]]]})

        @self._api("POST", "/tickets/{id}/messages")
        def post_message(request: RecordedRequest) -> Reply:
            found = self._ticket_or_404(request)
            if isinstance(found, Reply):
                return found
            body = request.json() or {}
            if not isinstance(body.get("body"), str) or not body["body"].strip():
                return Reply(422, {"error": "body is required"})
            key = request.header("Idempotency-Key")
            with self._state:
                if key and key in self._idempotency:
                    return Reply(200, {"message": dict(self._idempotency[key])})
                message = self._add_message(found, body["body"], bool(body.get("public", True)))
                if key:
                    self._idempotency[key] = message
                return Reply(201, {"message": dict(message)})

    def _add_message(self, ticket: dict[str, Any], text: str, public: bool) -> dict[str, Any]:
        """Append a message to ``ticket`` (the state lock held)."""
        message = {
            "id": f"m{next(self._message_ids)}",
            "body": text,
            "public": public,
            "created_at": self._tick(),
            "author": "matrixcore",
        }
        self.messages[ticket["id"]].append(message)
        ticket["updated_at"] = message["created_at"]
        return message


def main() -> None:  # pragma: no cover - a manual aid
    """Serve an emulator with a few tickets until Ctrl-C: ``python -m matrixcore_helpdesk.emulator``."""
    with HelpdeskEmulator() as emulator:
        for subject in ("Printer on floor 3 is down", "Cannot log in to the portal", "VPN outage"):
            emulator.add_ticket(subject=subject)
        print(f"Helpdesk emulator on {emulator.url}{API} (token {emulator.token}); Ctrl-C stops it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
