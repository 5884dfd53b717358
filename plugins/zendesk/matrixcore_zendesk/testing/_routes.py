"""The Zendesk emulator's endpoints: requests in, Zendesk's status, headers and JSON out.

Independent of any HTTP server: ``ZendeskEmulator.handle`` takes a method, a target (path and
query), headers and a body, so it runs under the test kit's local server and in plain unit tests
alike. Paths are accepted with and without Zendesk's ``.json`` suffix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from ._limits import PLAN_LIMITS, Bucket, RateLimits
from ._state import ZendeskError, ZendeskState

__all__ = ["EmulatorResponse", "ZendeskEmulator"]

_JSON: Final = {"Content-Type": "application/json; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class EmulatorResponse:
    status: int
    headers: dict[str, str]
    body: Any = None

    def content(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass(frozen=True, slots=True)
class _Call:
    user: Mapping[str, Any]
    query: Mapping[str, list[str]]
    body: Any
    ids: tuple[str, ...]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def int_param(self, name: str, default: int | None = None) -> int | None:
        value = self.param(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ZendeskError(400, "InvalidValue", f"{name} must be an integer") from None


Handler = Callable[[_Call], Any]


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    role: str = "agent"
    bucket: str = ""


@dataclass
class ZendeskEmulator:
    """One emulated account behind Zendesk's REST paths, with its rate limits.

    ``plan`` picks the account limit (team 200, growth/professional 400, enterprise 700,
    high_volume 2500); ``incremental_limit`` and the ticket-update limits are Zendesk's defaults.
    """

    state: ZendeskState = field(default_factory=ZendeskState)
    plan: str = "enterprise"
    incremental_limit: int = 10
    update_limit: int = 100
    ticket_update_limit: int = 30
    #: Side-loads the export leaves out even when asked (real accounts may not offer every one).
    ignored_includes: set[str] = field(default_factory=set)
    #: Every request answered 429, as ``"METHOD /path"``.
    refused: list[str] = field(default_factory=list)
    limits: RateLimits = field(init=False)
    routes: list[_Route] = field(init=False)

    def __post_init__(self) -> None:
        self.limits = RateLimits(self.state.now)
        s = self.state
        self.routes = [
            _Route("GET", _path(r"users/me"), lambda c: {"user": c.user}, role="end-user"),
            _Route(
                "GET", _path(r"users/show_many"), lambda c: {"users": s.show_many_users(_ids(c.param("ids")))}
            ),
            _Route("GET", _path(r"users/(\d+)"), lambda c: {"user": s.show_user(int(c.ids[0]))}),
            _Route(
                "GET", _path(r"incremental/tickets/cursor"), self._export, role="admin", bucket="incremental"
            ),
            _Route("PUT", _path(r"tickets/update_many"), self._update_many, bucket="update"),
            _Route("GET", _path(r"tickets/(\d+)"), lambda c: {"ticket": s.show_ticket(int(c.ids[0]))}),
            _Route("PUT", _path(r"tickets/(\d+)"), self._update, bucket="update"),
            _Route("GET", _path(r"tickets/(\d+)/comments"), self._comments),
            _Route("GET", _path(r"job_statuses/([\w-]+)"), lambda c: {"job_status": s.job_status(c.ids[0])}),
            _Route(
                "GET",
                _path(r"ticket_fields/(\d+)"),
                lambda c: {"ticket_field": s.show_ticket_field(int(c.ids[0]))},
            ),
        ]

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> EmulatorResponse:
        """Answer one request as Zendesk would."""
        url = urlsplit(target)
        lowered = {k.lower(): v for k, v in headers.items()}
        route, ids = self._route(method.upper(), url.path)
        if route is None:
            status = 405 if ids else 404
            return EmulatorResponse(
                status, dict(_JSON), {"error": "InvalidEndpoint", "description": "Not found"}
            )
        try:
            user = self.state.authenticate(lowered.get("authorization"))
        except ZendeskError as error:
            return EmulatorResponse(error.status, dict(_JSON), error.body)
        if not _allowed(user, route.role):
            denied = {"error": "Forbidden", "description": "You do not have access to this page."}
            return EmulatorResponse(403, dict(_JSON), denied)
        verdict = self.limits.charge(self._buckets(route, user, ids))
        headers_out = {**_JSON, **verdict.headers}
        if not verdict.allowed:
            self.refused.append(f"{method.upper()} {url.path}")
            headers_out["Retry-After"] = str(verdict.retry_after)
            limited = {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests exceeded",
            }
            return EmulatorResponse(429, headers_out, limited)
        try:
            parsed = json.loads(body) if body else None
            call = _Call(user, parse_qs(url.query, keep_blank_values=True), parsed, ids)
            return EmulatorResponse(200, headers_out, route.handler(call))
        except json.JSONDecodeError:
            return EmulatorResponse(
                400, headers_out, {"error": "InvalidJSON", "description": "Malformed JSON"}
            )
        except ZendeskError as error:
            return EmulatorResponse(error.status, headers_out, error.body)

    def _route(self, method: str, path: str) -> tuple[_Route | None, tuple[str, ...]]:
        path = path.removesuffix(".json")
        matched_path: tuple[str, ...] = ()
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match:
                if route.method == method:
                    return route, match.groups()
                matched_path = ("method",)
        return None, matched_path

    def _buckets(self, route: _Route, user: Mapping[str, Any], ids: tuple[str, ...]) -> list[Bucket]:
        buckets = [Bucket("account", PLAN_LIMITS[self.plan])]
        if route.bucket == "incremental":
            buckets.append(Bucket("incremental", self.incremental_limit))
        elif route.bucket == "update":
            buckets.append(
                Bucket("tickets-update", self.update_limit, header="Zendesk-RateLimit-tickets-update")
            )
            if ids:
                key = f"ticket-update:{user['id']}:{ids[0]}"
                buckets.append(Bucket(key, self.ticket_update_limit, seconds=600))
        return buckets

    def _export(self, call: _Call) -> Any:
        asked = (i.strip() for i in (call.param("include") or "").split(","))
        include = [i for i in asked if i and i not in self.ignored_includes]
        return self.state.incremental_export(
            start_time=call.int_param("start_time"),
            cursor=call.param("cursor"),
            per_page=call.int_param("per_page", 1000) or 1000,
            include=include,
            exclude_deleted=(call.param("exclude_deleted") or "").lower() == "true",
        )

    def _update(self, call: _Call) -> Any:
        changes = call.body.get("ticket") if isinstance(call.body, Mapping) else None
        if not isinstance(changes, Mapping):
            raise ZendeskError(400, "InvalidValue", "The request body needs a ticket object")
        return self.state.update_ticket(int(call.ids[0]), changes, author_id=int(call.user["id"]))

    def _update_many(self, call: _Call) -> Any:
        body = call.body if isinstance(call.body, Mapping) else {}
        job = self.state.update_many(body, ids=_ids(call.param("ids")), author_id=int(call.user["id"]))
        return {"job_status": job}

    def _comments(self, call: _Call) -> Any:
        return self.state.list_comments(
            int(call.ids[0]),
            page_size=call.int_param("page[size]", 100) or 100,
            after=call.param("page[after]"),
            descending=call.param("sort") == "-created_at",
        )


def _path(tail: str) -> re.Pattern[str]:
    return re.compile(rf"/api/v2/{tail}")


def _ids(text: str | None) -> list[int]:
    try:
        return [int(part) for part in (text or "").split(",") if part.strip()]
    except ValueError:
        raise ZendeskError(400, "InvalidValue", "ids must be comma-separated integers") from None


_RANKS: Final = {"end-user": 0, "agent": 1, "admin": 2}


def _allowed(user: Mapping[str, Any], role: str) -> bool:
    return _RANKS.get(str(user.get("role")), 0) >= _RANKS[role]
