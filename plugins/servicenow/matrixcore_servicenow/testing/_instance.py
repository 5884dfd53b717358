"""The emulated ServiceNow instance's state: tables, journal, users, OAuth tokens and rate-limit
rules, with the platform's update semantics. No HTTP here (``_api`` turns requests into calls).

Behaviour an adapter relies on, kept as the platform has it:

* every insert and every *effective* update stamps ``sys_updated_on`` (UTC, whole seconds, from
  the instance clock) and raises ``sys_mod_count``; an update that changes nothing is no update;
* ``comments`` and ``work_notes`` are journal fields: a write appends a ``sys_journal_field`` row
  (``element_id`` = the record, ``element`` = the field, ``name`` = the table) and reads of the
  field itself give ``""`` as actual value;
* ``priority`` of incident (and problem) is derived from impact and urgency by the Priority
  Lookup Rules (``dl_u_priority``, ``dl_problem_priority``) on insert and whenever either changes;
  written directly it is overwritten (read-only by default) unless the instance allows it. Other
  tables (sc_req_item) derive nothing: their priority is what is written;
* unknown and read-only fields in a write are ignored silently (the Table API answers 200);
* rate-limit rules count requests per user per clock hour.
"""

from __future__ import annotations

import base64
import binascii
import math
import random
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ._catalog import (
    CHOICES,
    NUMBER_PREFIXES,
    PRIORITY_LOOKUP,
    PRIORITY_LOOKUP_TABLES,
    TABLES,
    reference_target,
)

__all__ = [
    "AuthError",
    "ManualClock",
    "OAuthClient",
    "RateLimitRule",
    "RateOutcome",
    "ServiceNowInstance",
    "Token",
]

_READ_ONLY: Final = frozenset(
    {
        "sys_id",
        "sys_created_on",
        "sys_created_by",
        "sys_updated_on",
        "sys_updated_by",
        "sys_mod_count",
        "number",
    }
)
_JOURNAL_FIELDS: Final = frozenset({"comments", "work_notes"})
_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


class ManualClock:
    """A clock tests move by hand, so "the same second" is something a test can arrange."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class AuthError(Exception):
    """Credentials missing, wrong or expired (the API answers 401)."""


@dataclass(slots=True)
class OAuthClient:
    client_id: str
    secret: str
    #: The "OAuth Application User" a client-credentials grant acts as (none: the grant is refused).
    app_user: str = ""


@dataclass(slots=True)
class Token:
    value: str
    user: str
    client_id: str
    expires: datetime
    refresh: bool = False


@dataclass(slots=True)
class RateLimitRule:
    """A row of ``sys_rate_limit_rules``: at most ``per_hour`` requests per user per clock hour."""

    sys_id: str
    per_hour: int
    #: Only this user's requests (empty: every user).
    user: str = ""
    #: Only this method (empty: any).
    method: str = ""
    #: Only requests whose path starts with this (empty: any REST path).
    resource: str = ""

    def applies(self, user: str, method: str, path: str) -> bool:
        return (
            (not self.user or self.user == user)
            and (not self.method or self.method == method)
            and path.startswith(self.resource)
        )


@dataclass(frozen=True, slots=True)
class RateOutcome:
    allowed: bool
    headers: Mapping[str, str] = field(default_factory=dict)


class ServiceNowInstance:
    """All state of one emulated instance; thread-safe (the HTTP server runs a thread per request)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        base_url: str = "https://emulator.service-now.com",
        priority_writable: bool = False,
        invalid_query_returns_no_rows: bool = False,
        unstable_order: bool = False,
        client_credentials_enabled: bool = True,
        access_token_lifespan: int = 1800,
        refresh_token_lifespan: int = 8_640_000,
        priority_lookup: Mapping[tuple[str, str], str] = PRIORITY_LOOKUP,
    ) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.base_url = base_url.rstrip("/")
        self.priority_writable = priority_writable
        self.invalid_query_returns_no_rows = invalid_query_returns_no_rows
        #: Rows the query's ORDERBY leaves tied (or a query without one) come back in an order
        #: that can differ from one request to the next, as a database's plan may have it; offset
        #: paging over such an order can repeat rows and skip others.
        self.unstable_order = unstable_order
        self.random = random.Random(20261123)
        self.client_credentials_enabled = client_credentials_enabled
        self.access_token_lifespan = access_token_lifespan
        self.refresh_token_lifespan = refresh_token_lifespan
        #: table -> column -> kind; starts as the base system's, ``add_column`` adds custom ones.
        self.columns: dict[str, dict[str, str]] = {name: dict(columns) for name, columns in TABLES.items()}
        self.tables: dict[str, dict[str, dict[str, str]]] = {name: {} for name in TABLES}
        self.passwords: dict[str, str] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.tokens: dict[str, Token] = {}
        self.rate_rules: list[RateLimitRule] = []
        #: user -> tables whose records read ACLs hide from them (lists come back without them).
        self.hidden: dict[str, set[str]] = {}
        #: user -> sys_ids of single records row-level read ACLs hide from them. ACLs filter rows
        #: *after* the query has paged, so a page can come back short, or empty, with more to follow.
        self.hidden_records: dict[str, set[str]] = {}
        self._rate_counts: dict[tuple[str, str, int], int] = {}
        self._numbers: dict[str, int] = {}
        self.lock = threading.RLock()
        for table, columns in TABLES.items():
            for name, kind in columns.items():
                self._define(table, name, kind)
        for (name, element), choices in CHOICES.items():
            for sequence, (value, label) in enumerate(choices.items()):
                row = {"name": name, "element": element, "value": value}
                self.insert("sys_choice", {**row, "label": label, "language": "en", "sequence": sequence})
        # Instances customise the lookup (one real instance derives 4, not 5, from impact 3 x urgency 3).
        for table in PRIORITY_LOOKUP_TABLES:
            for (impact, urgency), priority in priority_lookup.items():
                self.set_priority_rule(impact, urgency, priority, table=table)

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def stamp(self) -> str:
        return self.now().strftime(_TIME_FORMAT)

    # -- seeding ----------------------------------------------------------------------------------
    def add_user(self, user_name: str, password: str | None = None, **fields: Any) -> str:
        """A ``sys_user`` (with a password if it may log in); returns its sys_id."""
        values = {"user_name": user_name, "name": user_name, "active": "true", **fields}
        row = self.insert("sys_user", values, user="system")
        if password is not None:
            self.passwords[user_name] = password
        return row["sys_id"]

    def add_oauth_client(self, client_id: str, secret: str, app_user: str = "") -> OAuthClient:
        client = OAuthClient(client_id, secret, app_user)
        self.clients[client_id] = client
        return client

    def set_priority_rule(self, impact: str, urgency: str, priority: str, *, table: str = "incident") -> None:
        """Add or change the Priority Lookup Rule for ``impact`` x ``urgency`` of ``table``."""
        lookup = PRIORITY_LOOKUP_TABLES[table]
        with self.lock:
            for rule in self.tables[lookup].values():
                if (rule["impact"], rule["urgency"]) == (impact, urgency):
                    rule.update(priority=priority, active="true")
                    return
            values = {"impact": impact, "urgency": urgency, "priority": priority, "active": "true"}
            self.insert(lookup, values, user="system")

    def add_column(self, table: str, name: str, kind: str = "string") -> None:
        """A custom field (``u_affected_users``), as an admin adds one; existing records get ""."""
        with self.lock:
            self.columns[table][name] = kind
            for row in self.tables[table].values():
                row.setdefault(name, "")
            self._define(table, name, kind)

    def _define(self, table: str, name: str, kind: str) -> None:
        """The column's ``sys_dictionary`` row (what ``check --config`` reads to find typos)."""
        internal, _, target = kind.partition(":")
        values = {"name": table, "element": name, "internal_type": internal, "reference": target}
        self.insert("sys_dictionary", values, user="system")

    def add_rate_limit(self, per_hour: int, **match: str) -> RateLimitRule:
        rule = RateLimitRule(uuid.uuid4().hex, per_hour, **match)
        self.rate_rules.append(rule)
        return rule

    # -- records ----------------------------------------------------------------------------------
    def table(self, name: str) -> dict[str, dict[str, str]]:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(name) from None

    def insert(self, table: str, values: Mapping[str, Any], *, user: str = "admin") -> dict[str, str]:
        """Insert a record like a POST does (system fields stamped, priority derived, journal kept)."""
        with self.lock:
            rows = self.table(table)
            columns = self.columns[table]
            now = self.stamp()
            sys_id = str(values.get("sys_id") or uuid.uuid4().hex)
            row = dict.fromkeys(columns, "")
            for name, value in values.items():
                if name in columns and name not in _JOURNAL_FIELDS and name != "sys_id":
                    row[name] = _text(value)
            row.update(
                sys_id=sys_id,
                sys_created_on=now,
                sys_created_by=user,
                sys_updated_on=now,
                sys_updated_by=user,
            )
            row["sys_mod_count"] = "0"
            if "number" in columns and not row["number"]:
                row["number"] = self._next_number(table)
            if "opened_at" in columns and not row["opened_at"]:
                row["opened_at"] = now
            for name, default in (("state", "1"), ("impact", "3"), ("urgency", "3")):
                if name in columns and not row[name]:
                    row[name] = default
            self._derive_priority(table, row, force=not (self.priority_writable and "priority" in values))
            rows[sys_id] = row
            for name in _JOURNAL_FIELDS & values.keys():
                if str(values[name]).strip():
                    self._journal(table, sys_id, name, str(values[name]), user, now)
            return dict(row)

    def update(
        self, table: str, sys_id: str, values: Mapping[str, Any], *, user: str = "admin"
    ) -> dict[str, str] | None:
        """Apply a PATCH/PUT; ``None`` if there is no such record. Changes nothing that is unchanged."""
        with self.lock:
            row = self.table(table).get(sys_id)
            if row is None:
                return None
            columns = self.columns[table]
            before = dict(row)
            for name, value in values.items():
                if name not in columns or name in _READ_ONLY or name in _JOURNAL_FIELDS:
                    continue
                if name == "priority" and table in PRIORITY_LOOKUP_TABLES and not self.priority_writable:
                    continue  # derived, and read-only
                row[name] = _text(value)
            if any(name in row and row[name] != before[name] for name in ("impact", "urgency")):
                self._derive_priority(table, row, force=True)
            notes = {n: str(values[n]) for n in _JOURNAL_FIELDS & values.keys() if str(values[n]).strip()}
            if row == before and not notes:
                return dict(row)
            now = self.stamp()
            row.update(sys_updated_on=now, sys_updated_by=user)
            row["sys_mod_count"] = str(int(before["sys_mod_count"] or 0) + 1)
            for name, text in notes.items():
                self._journal(table, sys_id, name, text, user, now)
            return dict(row)

    def delete(self, table: str, sys_id: str) -> bool:
        with self.lock:
            return self.table(table).pop(sys_id, None) is not None

    def journal(self, table: str, sys_id: str) -> list[dict[str, str]]:
        """The journal entries of one record, oldest first."""
        entries = self.tables["sys_journal_field"].values()
        mine = [e for e in entries if e["element_id"] == sys_id and e["name"] == table]
        return sorted(mine, key=lambda e: e["sys_created_on"])

    def _journal(self, table: str, sys_id: str, element: str, text: str, user: str, now: str) -> None:
        entry_id = uuid.uuid4().hex
        self.tables["sys_journal_field"][entry_id] = {
            "sys_id": entry_id,
            "sys_created_on": now,
            "sys_created_by": user,
            "sys_updated_on": now,
            "sys_updated_by": user,
            "sys_mod_count": "0",
            "sys_tags": "",
            "element": element,
            "element_id": sys_id,
            "name": table,
            "value": text,
        }

    def _derive_priority(self, table: str, row: dict[str, str], *, force: bool) -> None:
        lookup = PRIORITY_LOOKUP_TABLES.get(table)
        if lookup is None or not force:
            return  # a table without lookup rules keeps the priority it is given
        wanted = (row.get("impact") or "3", row.get("urgency") or "3")
        for rule in self.tables[lookup].values():
            if rule["active"] == "true" and (rule["impact"], rule["urgency"]) == wanted:
                row["priority"] = rule["priority"]
                return

    def _next_number(self, table: str) -> str:
        self._numbers[table] = self._numbers.get(table, 10000) + 1
        return f"{NUMBER_PREFIXES.get(table, 'TASK')}{self._numbers[table]:07d}"

    # -- fields, dot-walked -----------------------------------------------------------------------
    def lookup(self, table: str, row: Mapping[str, str], path: str) -> tuple[str, str] | None:
        """``(value, kind)`` of a possibly dot-walked field, ``None`` if the table has no such field."""
        head, _, rest = path.partition(".")
        kind = self.columns.get(table, {}).get(head)
        if kind is None:
            return None
        value = row.get(head, "")
        if not rest:
            return value, kind
        target = reference_target(kind)
        if target is None:
            return None
        referenced = self.tables.get(target, {}).get(value)
        if referenced is None:
            found = self.lookup(target, {}, rest) if target in self.columns else None
            return None if found is None else ("", found[1])
        return self.lookup(target, referenced, rest)

    def can_read(self, user: str, table: str, row: Mapping[str, str]) -> bool:
        """Whether read ACLs let ``user`` see ``row`` of ``table``."""
        if table in self.hidden.get(user, ()):
            return False
        return row.get("sys_id", "") not in self.hidden_records.get(user, ())

    def user_row(self, user_name: str) -> dict[str, str] | None:
        return next((u for u in self.tables["sys_user"].values() if u["user_name"] == user_name), None)

    # -- authentication ---------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> str:
        """The user an ``Authorization`` header stands for; ``AuthError`` if none."""
        scheme, _, credentials = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise AuthError("malformed Basic credentials") from None
            known = self.passwords.get(user)
            if known is None or not secrets.compare_digest(known, password):
                raise AuthError("wrong user name or password")
            return user
        if scheme.lower() == "bearer":
            with self.lock:
                token = self.tokens.get(credentials.strip())
            if token is None or token.refresh:
                raise AuthError("unknown access token")
            if token.expires <= self.now():
                raise AuthError("access token expired")
            return token.user
        raise AuthError("no credentials")

    def grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``POST /oauth_token.do``: a token response, or ``AuthError`` (the endpoint answers 401)."""
        with self.lock:
            client = self.clients.get(form.get("client_id", ""))
            if client is None or not secrets.compare_digest(client.secret, form.get("client_secret", "")):
                raise AuthError("access_denied")
            grant_type = form.get("grant_type", "")
            if grant_type == "password":
                user = form.get("username", "")
                known = self.passwords.get(user)
                if known is None or not secrets.compare_digest(known, form.get("password", "")):
                    raise AuthError("access_denied")
                return self._issue(client, user, with_refresh=True)
            if grant_type == "refresh_token":
                refresh = self.tokens.get(form.get("refresh_token", ""))
                if refresh is None or not refresh.refresh or refresh.client_id != client.client_id:
                    raise AuthError("access_denied")
                if refresh.expires <= self.now():
                    raise AuthError("access_denied")
                issued = self._issue(client, refresh.user, with_refresh=False)
                issued["refresh_token"] = refresh.value
                return issued
            if grant_type == "client_credentials" and self.client_credentials_enabled and client.app_user:
                return self._issue(client, client.app_user, with_refresh=False)
            raise AuthError("access_denied")

    def _issue(self, client: OAuthClient, user: str, *, with_refresh: bool) -> dict[str, Any]:
        now = self.now()
        current = next(
            (
                t
                for t in self.tokens.values()
                if not t.refresh and t.user == user and t.client_id == client.client_id and t.expires > now
            ),
            None,
        )
        if current is None:  # "requests within the expiration time return the current access token"
            current = Token(
                secrets.token_urlsafe(32),
                user,
                client.client_id,
                now + timedelta(seconds=self.access_token_lifespan),
            )
            self.tokens[current.value] = current
        response: dict[str, Any] = {
            "access_token": current.value,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": max(int((current.expires - now).total_seconds()) - 1, 0),
        }
        if with_refresh:
            refresh = Token(
                secrets.token_urlsafe(32),
                user,
                client.client_id,
                now + timedelta(seconds=self.refresh_token_lifespan),
                refresh=True,
            )
            self.tokens[refresh.value] = refresh
            response["refresh_token"] = refresh.value
        return response

    def expire_tokens(self) -> None:
        """Make every access token stale now (as if the lifespan ran out)."""
        with self.lock:
            for token in self.tokens.values():
                if not token.refresh:
                    token.expires = self.now()

    # -- rate limits ------------------------------------------------------------------------------
    def rate_check(self, user: str, method: str, path: str) -> RateOutcome:
        """Count one request against the rule that governs it (single user > all users)."""
        with self.lock:
            matching = [r for r in self.rate_rules if r.applies(user, method, path)]
            if not matching:
                return RateOutcome(True)
            personal = [r for r in matching if r.user]
            rule = min(personal or matching, key=lambda r: r.per_hour)
            now = self.now()
            hour = now.replace(minute=0, second=0, microsecond=0)
            reset = hour + timedelta(hours=1)
            headers = {
                "X-RateLimit-Limit": str(rule.per_hour),
                "X-RateLimit-Reset": str(int(reset.timestamp())),
                "X-RateLimit-Rule": rule.sys_id,
            }
            key = (rule.sys_id, user, int(hour.timestamp()))
            used = self._rate_counts.get(key, 0)
            if used >= rule.per_hour:
                wait = max(math.ceil((reset - now).total_seconds()), 1)
                return RateOutcome(False, {**headers, "Retry-After": str(wait)})
            self._rate_counts[key] = used + 1
            return RateOutcome(True, headers)


def _text(value: Any) -> str:
    """Values as the platform stores them: text; booleans as "true"/"false"; null as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):  # a {value, link} reference written back
        return _text(value.get("value", ""))
    return str(value)
