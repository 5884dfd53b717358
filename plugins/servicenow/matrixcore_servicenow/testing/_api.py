"""The emulated REST surface: one ``handle(method, target, headers, body)`` call per HTTP request.

It routes ``/oauth_token.do`` and the Table API (``/api/now[/v1|/v2]/table/{table}[/{sys_id}]``),
authenticates (Basic or Bearer; 401 with the platform's error body), applies rate-limit rules
(``X-RateLimit-*`` on every governed request, 429 + ``Retry-After`` over the limit), evaluates
``sysparm_query`` and renders records the way ``sysparm_fields``, ``sysparm_display_value`` and
``sysparm_exclude_reference_link`` ask, with ``X-Total-Count`` and a ``Link`` header
(``rel="first"``, ``"prev"``, ``"next"``, ``"last"``) built from the request's own parameters. As
a recorded real response has it, ``prev`` and ``next`` appear only where they apply and there is no
``Link`` at all when everything fits on one page; as ServiceNow's KB3047115 describes, row-level
read ACLs drop rows *after* paging, so a page may be short or empty while ``next`` says more follow.
Independent of any HTTP server, so it is unit-tested directly and wired into the test kit's server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from ._catalog import DISPLAY_FIELDS, choices_for, reference_target
from ._encoded_query import InvalidQueryError, parse_encoded_query
from ._instance import AuthError, ServiceNowInstance

__all__ = ["ApiResponse", "RecordedRequest", "ServiceNowApi", "error_body"]

_TABLE_PATH: Final = re.compile(r"^/api/now(?:/v[12])?/table/(?P<table>[^/]+)(?:/(?P<sys_id>[^/]+))?/?$")
_JSON: Final = "application/json;charset=UTF-8"
_DEFAULT_LIMIT: Final = 10000
_JOURNAL_LABELS: Final = {"comments": "Additional comments", "work_notes": "Work notes"}


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes
    user: str = ""


def error_body(message: str, detail: str | None = None) -> dict[str, Any]:
    """The platform's error shape: ``{"error": {"message", "detail"}, "status": "failure"}``."""
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


def _json(status: int, data: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status, {"Content-Type": _JSON, **(headers or {})}, json.dumps(data).encode())


class ServiceNowApi:
    """Requests in, responses out, over one ``ServiceNowInstance``."""

    def __init__(self, instance: ServiceNowInstance) -> None:
        self.instance = instance
        self.requests: list[RecordedRequest] = []

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> ApiResponse:
        """Answer one request; the ``Date`` header is the instance's clock (whole seconds, as HTTP has it)."""
        response = self._handle(method, target, headers, body)
        stamped = {"Date": formatdate(self.instance.now().timestamp(), usegmt=True), **response.headers}
        return ApiResponse(response.status, stamped, response.body)

    def _handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> ApiResponse:
        method = method.upper()
        split = urlsplit(target)
        query = tuple(parse_qsl(split.query, keep_blank_values=True))
        lowered = {k.lower(): v for k, v in headers.items()}
        if split.path == "/oauth_token.do" and method == "POST":
            self.requests.append(RecordedRequest(method, split.path, query, body))
            return self._token(lowered, body)
        try:
            user = self.instance.authenticate(lowered.get("authorization"))
        except AuthError:
            self.requests.append(RecordedRequest(method, split.path, query, body))
            return _json(
                401,
                error_body("User Not Authenticated", "Required to provide Auth information"),
                {"WWW-Authenticate": 'BASIC realm="Service-now"'},
            )
        self.requests.append(RecordedRequest(method, split.path, query, body, user))
        match = _TABLE_PATH.match(split.path)
        if match is None:
            return _json(400, error_body("Requested URI does not represent any resource"))
        rate = self.instance.rate_check(user, method, split.path)
        if not rate.allowed:
            return _json(
                429,
                error_body(
                    "Rate limit exceeded", f"Rate limit rule {rate.headers['X-RateLimit-Rule']} exceeded"
                ),
                rate.headers,
            )
        table, sys_id = match.group("table"), match.group("sys_id")
        if table not in self.instance.columns:
            return _json(400, error_body(f"Invalid table {table}"), rate.headers)
        params = dict(query)
        response = self._table(method, split.path, query, params, table, sys_id, body, user)
        return ApiResponse(response.status, {**response.headers, **rate.headers}, response.body)

    # -- OAuth ------------------------------------------------------------------------------------
    def _token(self, headers: Mapping[str, str], body: bytes) -> ApiResponse:
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _json(400, {"error": "invalid_request", "error_description": "form-encoded body required"})
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            return _json(200, self.instance.grant(form))
        except AuthError:
            return _json(401, {"error_description": "access_denied", "error": "server_error"})

    # -- Table API --------------------------------------------------------------------------------
    def _table(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        params: Mapping[str, str],
        table: str,
        sys_id: str | None,
        body: bytes,
        user: str,
    ) -> ApiResponse:
        instance = self.instance
        if method == "GET" and sys_id is None:
            return self._list(path, query, params, table, user)
        if method == "GET":
            row = instance.tables[table].get(sys_id or "")
            if row is None or not instance.can_read(user, table, row):
                return _not_found()
            return _json(200, {"result": self.render(table, row, params, dot_walk=True)})
        if method in ("POST", "PUT", "PATCH"):
            if method == "POST" and sys_id is not None:
                return _json(405, error_body("Method not Supported", "POST method not supported for API"))
            try:
                values = json.loads(body or b"{}")
            except ValueError:
                return _json(
                    400, error_body("Exception while reading request", "The payload is not valid JSON.")
                )
            if not isinstance(values, dict):
                return _json(
                    400, error_body("Exception while reading request", "The payload is not a JSON object.")
                )
            if method == "POST":
                row = instance.insert(table, values, user=user)
                location = f"{instance.base_url}/api/now/table/{table}/{row['sys_id']}"
                return _json(201, {"result": self.render(table, row, params)}, {"Location": location})
            updated = instance.update(table, sys_id or "", values, user=user)
            if updated is None:
                return _not_found()
            return _json(200, {"result": self.render(table, updated, params)})
        if method == "DELETE" and sys_id is not None:
            return ApiResponse(204) if instance.delete(table, sys_id) else _not_found()
        return _json(405, error_body("Method not Supported", f"{method} method not supported for API"))

    def _list(
        self,
        path: str,
        query: Sequence[tuple[str, str]],
        params: Mapping[str, str],
        table: str,
        user: str = "",
    ) -> ApiResponse:
        instance = self.instance
        try:
            encoded = parse_encoded_query(params.get("sysparm_query", ""))
        except ValueError as exc:
            return _json(400, error_body("Invalid query", str(exc)))
        limit = _int(params.get("sysparm_limit"), _DEFAULT_LIMIT, minimum=1)
        offset = _int(params.get("sysparm_offset"), 0, minimum=0)
        with instance.lock:
            rows = [] if table in instance.hidden.get(user, ()) else list(instance.tables[table].values())

            def lookup(row: Mapping[str, Any], name: str) -> tuple[str, str] | None:
                return instance.lookup(table, row, name)

            try:
                matching = [
                    r
                    for r in rows
                    if encoded.matches(r, lookup, strict=instance.invalid_query_returns_no_rows)
                ]
            except InvalidQueryError:
                matching = []
            if instance.unstable_order:
                instance.random.shuffle(matching)  # the sort is stable: ties keep this order
            ordered = encoded.sort(matching, lookup)
            # Row-level ACLs apply after paging: the count and the links do not know about them.
            window = [r for r in ordered[offset : offset + limit] if instance.can_read(user, table, r)]
            page = [self.render(table, r, params, dot_walk=True) for r in window]
        headers: dict[str, str] = {}
        total = len(ordered)
        no_count = params.get("sysparm_no_count", "").lower() == "true"
        if not no_count:
            headers["X-Total-Count"] = str(total)
        if params.get("sysparm_suppress_pagination_header", "").lower() != "true":
            links = self._links(path, query, offset, limit, None if no_count else total, len(window))
            if links:
                headers["Link"] = links
        return _json(200, {"result": page}, headers)

    def _links(
        self,
        path: str,
        query: Sequence[tuple[str, str]],
        offset: int,
        limit: int,
        total: int | None,
        size: int,
    ) -> str:
        def url(to: int) -> str:
            params = [(k, v) for k, v in query if k not in ("sysparm_offset", "sysparm_limit")]
            params += [("sysparm_limit", str(limit)), ("sysparm_offset", str(to))]
            return f"<{self.instance.base_url}{path}?{urlencode(params)}>"

        more = offset + limit < total if total is not None else size == limit
        if offset == 0 and not more:
            return ""  # one page: a real instance sends no Link header at all
        links = [f'{url(0)};rel="first"']
        if offset > 0:
            links.append(f'{url(max(offset - limit, 0))};rel="prev"')
        if more:
            links.append(f'{url(offset + limit)};rel="next"')
        if total is not None:
            links.append(f'{url(max((total - 1) // limit * limit, 0))};rel="last"')
        return ",".join(links)

    # -- rendering --------------------------------------------------------------------------------
    def render(
        self, table: str, row: Mapping[str, str], params: Mapping[str, str], *, dot_walk: bool = False
    ) -> dict[str, Any]:
        """A record as the Table API returns it for these ``sysparm_*`` parameters."""
        wanted = [f.strip() for f in params.get("sysparm_fields", "").split(",") if f.strip()]
        names = wanted or list(self.instance.columns[table])
        mode = params.get("sysparm_display_value", "false").lower()
        links = params.get("sysparm_exclude_reference_link", "false").lower() != "true"
        out: dict[str, Any] = {}
        for name in names:
            if "." in name and not dot_walk:
                continue
            found = self.instance.lookup(table, row, name)
            if found is None:
                continue
            out[name] = self._value(table, row, name, *found, mode=mode, links=links)
        return out

    def _value(
        self, table: str, row: Mapping[str, str], name: str, value: str, kind: str, *, mode: str, links: bool
    ) -> Any:
        column = name.rpartition(".")[2]
        target = reference_target(kind)
        actual = display = value
        if kind == "journal":
            actual = ""  # journal fields have no actual value of their own
            display = self._journal_text(table, row["sys_id"], column) if "." not in name else ""
        elif kind == "choice" or choices_for(table, column):
            display = choices_for(table, column).get(value, value)
        elif target is not None:
            referenced = self.instance.tables.get(target, {}).get(value)
            display = referenced.get(DISPLAY_FIELDS.get(target, "name"), "") if referenced else ""
        link = None
        if target is not None and links and value and "." not in name:
            link = f"{self.instance.base_url}/api/now/table/{target}/{value}"
        if mode == "all":
            both: dict[str, Any] = {"display_value": display, "value": actual}
            return {**both, "link": link} if link else both
        shown = display if mode == "true" else actual
        if link:
            return {"display_value" if mode == "true" else "value": shown, "link": link}
        return shown

    def _journal_text(self, table: str, sys_id: str, element: str) -> str:
        """A journal field's display value: newest entry first, each with its stamp and author."""
        parts = []
        for entry in reversed(self.instance.journal(table, sys_id)):
            if entry["element"] != element:
                continue
            author = self.instance.user_row(entry["sys_created_by"])
            who = author["name"] if author else entry["sys_created_by"]
            label = _JOURNAL_LABELS.get(element, element)
            parts.append(f"{entry['sys_created_on']} - {who} ({label})\n{entry['value']}\n\n")
        return "".join(parts)


def _not_found() -> ApiResponse:
    return _json(
        404, error_body("No Record found", "Record doesn't exist or ACL restricts the record retrieval")
    )


def _int(text: str | None, default: int, *, minimum: int) -> int:
    try:
        return max(int(text), minimum) if text not in (None, "") else default
    except ValueError:
        return default
