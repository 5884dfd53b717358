"""The emulated TOPdesk REST API: requests in, status codes, headers and JSON out (no sockets).

``TopdeskEmulator.handle(method, target, headers, body)`` answers one HTTP request the way TOPdesk's
incident API 4.2.6 describes: Basic auth with an operator's application password (401 without,
403 without write rights), ``GET /incidents`` with FIQL ``query``, ``sort``, ``fields``,
``pageStart``/``pageSize`` (1..10000), 206 while more pages remain (with ``x-next-page-url``) and 204
when nothing matches, ``dateFormat=iso8601``, ``all``; single incidents by id and number; partial
updates by PUT and PATCH; actions with ``start``/``page_size`` (at most 100); the search lists.
An optional request budget answers 429 with ``Retry-After`` once exceeded.

Any HTTP server can carry it: the test kit's local server hands each request to ``handle``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from ._store import IncidentStore, Operator, StoreError, incident_fields

__all__ = ["ROUTES", "EmulatorResponse", "RateLimit", "TopdeskEmulator", "topdesk_time"]

API: Final = "/tas/api"
_CATALOG_PATHS: Final = {
    "impacts": "impacts",
    "urgencies": "urgencies",
    "priorities": "priorities",
    "durations": "durations",
    "entry_types": "entry_types",
    "statuses": "statuses",
}
#: (method, path template, handler): everything the emulator answers; an HTTP server routes these.
ROUTES: Final = (
    ("GET", f"{API}/incidents", "_list"),
    ("GET", f"{API}/incidents/id/{{id}}", "_get"),
    ("GET", f"{API}/incidents/number/{{number}}", "_get_number"),
    ("PUT", f"{API}/incidents/id/{{id}}", "_update"),
    ("PATCH", f"{API}/incidents/id/{{id}}", "_update"),
    ("GET", f"{API}/incidents/id/{{id}}/actions", "_actions"),
    *(("GET", f"{API}/incidents/{name}", "_catalog") for name in _CATALOG_PATHS),
)


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)))


def topdesk_time(instant: datetime, iso8601: bool = False) -> str:
    """TOPdesk's default ``2024-01-01T10:00:00.000+0000``, or ``2024-01-01T10:00:00Z`` with iso8601."""
    utc = instant.astimezone(UTC)
    if iso8601:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def _render(value: Any, iso8601: bool) -> Any:
    if isinstance(value, datetime):
        return topdesk_time(value, iso8601)
    if isinstance(value, Mapping):
        return {k: _render(v, iso8601) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, iso8601) for v in value]
    return value


def _action_time(instant: datetime) -> str:
    """Actions carry ``...520Z`` times in the recorded payload, unlike incidents."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class EmulatorResponse:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass
class RateLimit:
    """At most ``limit`` requests per ``window`` seconds per operator, then 429 + Retry-After."""

    limit: int
    window: float = 60.0
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, who: str, now: float) -> int | None:
        """Seconds to wait, or ``None`` when this request is within the budget (and counted)."""
        times = self._seen.setdefault(who, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        return None


def _error(status: int, message: str) -> EmulatorResponse:
    return EmulatorResponse(status, [{"message": message}], {"Content-Type": "application/json"})


def _json(status: int, body: Any) -> EmulatorResponse:
    return EmulatorResponse(status, body, {"Content-Type": "application/json"})


def _int_param(query: Mapping[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, [None])[-1]
    if raw is None:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise StoreError(400, f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise StoreError(400, f"{name} must be between {low} and {high}, got {value}")
    return value


class TopdeskEmulator:
    """A stateful TOPdesk: seed it through ``store``, talk to it through ``handle``."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        operators: Iterable[Operator] | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.store = IncidentStore(clock)
        default = [Operator("matrixcore", "app-password-1234", "matrixcore (API)")]
        self.operators = {op.login: op for op in (operators or default)}
        self.rate_limit = rate_limit
        self._routes = [
            (method, _compile(template), getattr(self, handler)) for method, template, handler in ROUTES
        ]

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> EmulatorResponse:
        """Answer one request; ``target`` is the path with its query string."""
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        method = method.upper()
        matched = [
            (m, handler, match)
            for m, pattern, handler in self._routes
            if (match := pattern.fullmatch(split.path))
        ]
        if not matched:
            return _error(404, f"no such resource: {split.path}")
        route = next(((handler, match) for m, handler, match in matched if m == method), None)
        if route is None:
            allowed = ", ".join(sorted({m for m, _, _ in matched}))
            return EmulatorResponse(405, [{"message": "method not allowed"}], {"Allow": allowed})
        operator = self._authenticate(headers)
        if operator is None:
            return EmulatorResponse(
                401,
                [{"message": "No (valid) authentication provided"}],
                {"WWW-Authenticate": 'Basic realm="TOPdesk"'},
            )
        if self.rate_limit is not None:
            wait = self.rate_limit.retry_after(operator.login, self.store.clock().timestamp())
            if wait is not None:
                response = _error(429, "Too many requests")
                return EmulatorResponse(429, response.body, {**response.headers, "Retry-After": str(wait)})
        handler, match = route
        try:
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            answer: EmulatorResponse = handler(
                operator=operator, query=query, body=body, path=split.path, **params
            )
            return answer
        except StoreError as exc:
            return _error(exc.status, exc.message)

    def _authenticate(self, headers: Mapping[str, str]) -> Operator | None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            login, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        operator = self.operators.get(login)
        return operator if operator is not None and operator.password == password else None

    # -- handlers -----------------------------------------------------------------------------------
    def _list(self, query: Mapping[str, list[str]], path: str, **_: Any) -> EmulatorResponse:
        start = _int_param(query, "pageStart", 0, 0, 1 << 31)
        size = _int_param(query, "pageSize", 10, 1, 10000)
        include_all = query.get("all", ["false"])[-1] in ("", "true")
        iso8601 = query.get("dateFormat", [""])[-1] == "iso8601"
        records = self.store.select(
            query.get("query", [""])[-1] or None, query.get("sort", [""])[-1] or None, include_all
        )
        wanted = self._fields(query)  # a bad field is a 400 even when nothing matches
        page = records[start : start + size]
        if not page:
            return EmulatorResponse(204)
        body = [_render(_pick(r, wanted), iso8601) for r in page]
        if start + size < len(records):
            following = {k: v[-1] for k, v in query.items()} | {"pageStart": str(start + size)}
            return EmulatorResponse(
                206,
                body,
                {"Content-Type": "application/json", "x-next-page-url": f"{path}?{urlencode(following)}"},
            )
        return _json(200, body)

    def _fields(self, query: Mapping[str, list[str]]) -> set[str] | None:
        if "fields" not in query:
            return None
        names = {n.strip() for n in query["fields"][-1].split(",") if n.strip()}
        unknown = sorted(names - incident_fields())
        if unknown:
            raise StoreError(400, f"unknown fields: {', '.join(unknown)}")
        return names | {"id"}

    def _get(self, id: str, query: Mapping[str, list[str]], **_: Any) -> EmulatorResponse:
        iso8601 = query.get("dateFormat", [""])[-1] == "iso8601"
        return _json(200, _render(self.store.get(id), iso8601))

    def _get_number(self, number: str, **_: Any) -> EmulatorResponse:
        return _json(200, _render(self.store.by_number(number), False))

    def _update(self, id: str, body: bytes | None, operator: Operator, **_: Any) -> EmulatorResponse:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise StoreError(400, "the request body is not valid JSON") from None
        return _json(200, _render(self.store.update(id, data, operator), False))

    def _actions(self, id: str, query: Mapping[str, list[str]], **_: Any) -> EmulatorResponse:
        start = _int_param(query, "start", 0, 0, 1 << 31)
        # The description allows 0..100 with a default of 0, i.e. "not given": the server's own size.
        size = _int_param(query, "page_size", 0, 0, 100) or 10
        actions = self.store.list_actions(id)
        page = actions[start : start + size]
        if not page:
            return EmulatorResponse(204)
        body = [{k: _action_time(v) if isinstance(v, datetime) else v for k, v in a.items()} for a in page]
        return _json(206 if start + size < len(actions) else 200, body)

    def _catalog(self, path: str, **_: Any) -> EmulatorResponse:
        name = path.rsplit("/", 1)[-1]
        return _json(200, _render(self.store.catalog[_CATALOG_PATHS[name]], False))


def _pick(record: Mapping[str, Any], wanted: set[str] | None) -> Mapping[str, Any]:
    return record if wanted is None else {k: v for k, v in record.items() if k in wanted}
