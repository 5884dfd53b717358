"""The ServiceNow adapter: the Table API on matrixcore's HTTP base.

Timeouts, retries on 429/5xx honouring ``Retry-After``, the request budget (tightened by
``X-RateLimit-*``), redaction of credentials and the dry-run refusal of every non-GET come from
``HttpAdapter``; paging follows the server's ``Link: rel="next"`` with ``paginate_links``. This
module adds what is ServiceNow's own: the watermark scan (``_cursor``), the mapping (``_mapping``),
the OAuth endpoint (``_auth``) and reading the journal.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import requests

from matrixcore import (
    AdapterContext,
    AdapterError,
    AdapterSpec,
    BasicAuth,
    Batch,
    ConnectionConfig,
    HttpAdapter,
    HttpError,
    OutgoingMessage,
    PostedMessage,
    PriorityChange,
    Problem,
    Ruleset,
    Ticket,
    header_date,
    paginate_links,
)

from ._auth import ServiceNowOAuth
from ._checks import (
    CHOICE_FIELDS,
    PRIORITY_LOOKUP_TABLES,
    choice_values,
    field_problems,
    lookup_table,
    named_fields,
    ruleset_problems,
)
from ._cursor import Page, Watermark, scan_changes
from ._mapping import journal_message, parse_glide_time, requested_fields, to_ticket, value_of, write_payload
from ._ratelimit import RuleBudget
from ._settings import Settings, connection_schema, parse_settings

__all__ = ["SPEC", "ServiceNowAdapter"]

_JOURNAL_FIELDS: Final = "sys_id,element,element_id,name,value,sys_created_on,sys_created_by"
#: What a PATCH reads back: the written values as ServiceNow stored (or ignored) them.
_WRITTEN_FIELDS: Final = "impact,urgency,priority,sys_updated_on,sys_mod_count"
_ACTUAL: Final = {"sysparm_display_value": "false", "sysparm_exclude_reference_link": "true"}


class ServiceNowAdapter(HttpAdapter):
    """One connection to one ServiceNow instance (one task table)."""

    def __init__(self, config: ConnectionConfig, context: AdapterContext) -> None:
        self.options: Settings = parse_settings(config.settings)
        # The base builds the client; ServiceNow's auth shapes are ours, so it gets none and we set it.
        super().__init__(dataclasses.replace(config, settings={**config.settings, "auth": None}), context)
        self.http.auth = self._auth()
        self.table = self.options.table
        #: Server clock minus ours, learned from each response's ``Date`` (whole seconds, so it lags).
        self._clock_offset: timedelta | None = None
        #: The journal entries this adapter posted, numbered in posting order (the newest few
        #: thousand): entries of one second tie on their stamp, and this is all that says which
        #: of them came first.
        self._posted: OrderedDict[str, int] = OrderedDict()
        self._posts = 0
        # The base's budget, made to count against the instance's hourly rule; an X-RateLimit-Reset
        # is the server's epoch, so it is read against the server's clock.
        rate = config.settings.get("rate_limit", {})
        self.http.budget = RuleBudget(
            rate.get("per_minute"),
            burst=rate.get("burst"),
            clock=self.http.retry.clock,
            sleep=self.http.retry.sleep,
            wall_clock=lambda: self._server_now().timestamp(),
            logger=self.logger,
        )

    def _auth(self) -> requests.auth.AuthBase:
        auth = self.options.auth
        if auth.type == "basic" and auth.password is not None:
            return BasicAuth(auth.username, auth.password)
        if auth.client_secret is None:  # the schema requires one; settings built by hand may not
            raise AdapterError(f"{self.name}: auth needs a password (basic) or a client_secret (oauth)")
        return ServiceNowOAuth(
            f"{self.options.base_url}/oauth_token.do",
            auth.client_id,
            auth.client_secret,
            username=auth.username,
            password=auth.password if auth.grant == "password" else None,
            session=self.http.session,
            timeout=self.http.timeout,
            clock=self.http.retry.clock,
            logger=self.logger,
        )

    @property
    def writable(self) -> frozenset[str]:
        """The dimensions this connection writes, for the sync's ``SyncOptions.writable``.

        With ``write: impact_urgency`` ServiceNow derives the priority itself; a sync that also
        compared priority with what it decided would take a derivation that differs from the
        matrix (a customised lookup rule) for an agent's change, and tell the requester so.
        """
        dimensions = {"impact", "urgency"} if self.options.writes_levels else set()
        return frozenset(dimensions | ({"priority"} if self.options.writes_priority else set()))

    # -- the Adapter protocol ---------------------------------------------------------------------
    def check(self) -> None:
        """Log in, read one ticket of the table, and one journal entry (list_messages needs them).

        ``sysparm_no_count``: the journal of a large instance has millions of rows, and counting
        them (for ``X-Total-Count``) is the slow part of a one-row read.
        """
        probe = {"sysparm_limit": "1", "sysparm_fields": "sys_id", "sysparm_no_count": "true"}
        for table, what in (
            (self.table, "tickets"),
            ("sys_journal_field", "the journal (sys_journal_field)"),
        ):
            try:
                response = self.http.get(f"api/now/table/{table}", params=probe)
            except HttpError as exc:
                raise self._explain(exc, f"reading {what}") from None
            self._observe(response)

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        params = {
            "sysparm_fields": ",".join(requested_fields(self.options)),
            "sysparm_limit": str(self.options.page_size),
            **_ACTUAL,
        }

        def pages(query: str) -> Iterator[Page]:
            path = f"api/now/table/{self.table}"
            for page in paginate_links(
                self.http, path, items="result", params={"sysparm_query": query, **params}
            ):
                total = page.response.headers.get("X-Total-Count", "")
                count = int(total) if total.isdigit() else None
                yield Page(page.items, count, self._observe(page.response))

        try:
            Watermark.decode(cursor)
        except ValueError as exc:  # a cursor of another adapter, or edited by hand
            raise AdapterError(f"{self.name}: cannot resume: {exc}") from None
        try:
            for records, resume in scan_changes(cursor, pages, self._server_now, self.options.filter):
                tickets = [t for t in (self._ticket(r) for r in records) if t is not None]
                yield Batch(tickets, resume)
        except HttpError as exc:
            raise self._explain(exc, f"reading {self.table}") from None

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        """PATCH impact and urgency (and priority where allowed), only what differs; verify it took."""
        try:
            body = write_payload(ticket.raw, change, self.options)
        except ValueError as exc:
            raise AdapterError(f"{self.name}: {exc}") from None
        only_priority = change.impact is None and change.urgency is None
        if change.priority is not None and only_priority and not self.options.writes_priority:
            self.logger.warning(
                "%s: %s: priority %s comes without impact and urgency; with write: impact_urgency "
                "ServiceNow derives priority itself, so it is not written",
                self.name,
                ticket.number or ticket.id,
                change.priority,
            )
        if not body:
            return
        result = self._patch(ticket, body, "writing impact/urgency/priority", idempotent=True)
        self._verify_written(ticket, change, body, result)

    def apply_update(self, ticket: Ticket, change: PriorityChange, message: OutgoingMessage) -> PostedMessage:
        """The change and a comment or work note in one record update (``CombinedWriter``).

        The Table API's PATCH takes impact, urgency (priority) and ``comments`` / ``work_notes`` in
        one body and applies them together: one request instead of two. Not idempotent (the journal
        entry): never resent after the instance may have acted.
        """
        try:
            body = write_payload(ticket.raw, change, self.options)
        except ValueError as exc:
            raise AdapterError(f"{self.name}: {exc}") from None
        if not body:
            return self.post_message(ticket, message.text, message.visible_to_requester)
        element = "comments" if message.visible_to_requester else "work_notes"
        try:
            result = self._patch(
                ticket,
                {**body, element: message.text},
                f"writing {', '.join(body)} with {element}",
                idempotent=False,
            )
        except AdapterError as exc:
            shown = self._unconfirmed_but_shown(exc, ticket, element, message.text)
            if shown is None:
                raise
            return shown  # one request: the entry is in, so are the fields
        self._verify_written(ticket, change, body, result)
        return self._entry_posted(ticket, element, message.text, result)

    def _verify_written(
        self, ticket: Ticket, change: PriorityChange, body: Mapping[str, str], result: Mapping[str, Any]
    ) -> None:
        """Raise when the instance ignored a written field; warn when it derived another priority."""
        ignored = {name: value for name, value in body.items() if value_of(result, name) != value}
        if ignored:
            raise AdapterError(
                f"{self.name}: {ticket.number or ticket.id}: ServiceNow did not store "
                + ", ".join(f"{k}={v!r} (holds {value_of(result, k)!r})" for k, v in ignored.items())
                + "; the field is read-only for the integration user (priority is, out of the box: "
                "use write: impact_urgency)"
            )
        derived = self.options.priority.level(value_of(result, "priority"))
        if change.priority is not None and derived != change.priority:
            source = PRIORITY_LOOKUP_TABLES.get(self.table)
            advice = (
                f"align the Priority Lookup Rules ({source}) with the matrix"
                if source
                else f"{self.table} derives no priority out of the box: use write: all"
            )
            self.logger.warning(
                "%s: %s: ServiceNow holds priority %s with impact %s and urgency %s, "
                "matrixcore decided %s; %s",
                self.name,
                ticket.number or ticket.id,
                derived or value_of(result, "priority") or "(none)",
                value_of(result, "impact"),
                value_of(result, "urgency"),
                change.priority,
                advice,
            )

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        """Append an Additional comment (the caller sees it) or a Work note (agents only)."""
        element = "comments" if visible_to_requester else "work_notes"
        # Not idempotent (each PATCH appends): the base retries it only when it was surely not acted on.
        try:
            result = self._patch(ticket, {element: text}, f"posting {element}", idempotent=False)
        except AdapterError as exc:
            shown = self._unconfirmed_but_shown(exc, ticket, element, text)
            if shown is None:
                raise
            return shown
        return self._entry_posted(ticket, element, text, result)

    def _unconfirmed_but_shown(
        self, exc: AdapterError, ticket: Ticket, element: str, text: str
    ) -> PostedMessage | None:
        """After a 200 nobody can read (a proxy's page): the entry if the journal shows it."""
        cause = exc.__cause__
        if not (isinstance(cause, HttpError) and cause.kind == "unconfirmed"):
            return None
        return self._read_back(ticket, element, text)

    def _entry_posted(
        self, ticket: Ticket, element: str, text: str, result: Mapping[str, Any]
    ) -> PostedMessage:
        """The journal entry a PATCH just added, read back by its text (best effort)."""
        visible_to_requester = element == "comments"
        since = value_of(result, "sys_updated_on")
        query = f"element_id={ticket.id}^element={element}^sys_created_on>={since}^ORDERBYDESCsys_created_on"
        try:  # the entry's own sys_id, so the ledger and list_messages agree
            entries = self._journal(query, limit=20)
        except AdapterError as exc:  # posted all the same: failing now would invite a second post
            self.logger.warning("%s: %s", self.name, exc)
            entries = []
        for entry in entries:
            if value_of(entry, "value").strip() == text.strip():
                self._remember(value_of(entry, "sys_id"))
                return journal_message(entry)
        self.logger.warning(
            "%s: %s: posted %s, but cannot read it back from sys_journal_field (read access?)",
            self.name,
            ticket.number or ticket.id,
            element,
        )
        return PostedMessage(
            id=f"{ticket.id}:{element}:{value_of(result, 'sys_mod_count')}",
            text=text,
            visible_to_requester=visible_to_requester,
            created=parse_glide_time(since) if since else None,
        )

    def _read_back(self, ticket: Ticket, element: str, text: str) -> PostedMessage | None:
        """The newest journal entry of ``element`` with ``text`` on the ticket, best effort."""
        query = f"element_id={ticket.id}^element={element}^ORDERBYDESCsys_created_on"
        try:
            entries = self._journal(query, limit=20)
        except AdapterError as exc:
            self.logger.warning("%s: %s", self.name, exc)
            return None
        entry = next((e for e in entries if value_of(e, "value").strip() == text.strip()), None)
        if entry is None:
            return None
        self._remember(value_of(entry, "sys_id"))
        return journal_message(entry)

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        """Comments and work notes on the ticket, oldest first, from the journal.

        Journal stamps are whole seconds, so entries posted together tie; ``sys_id`` breaks the
        tie, or offset paging could repeat one entry and skip another (which a reconciliation
        after a crash would take for a message never sent). New entries sort last, so an entry
        posted while the pages are read moves no other. Which of two same-second entries came
        first the instance cannot say; for the ones this adapter posted, it knows.
        """
        where = f"element_id={ticket.id}^name={self.table}^elementINcomments,work_notes"
        entries = self._journal(f"{where}^ORDERBYsys_created_on^ORDERBYsys_id")
        # Within one second, what this adapter posted lists in the order it posted it.
        entries.sort(
            key=lambda e: (value_of(e, "sys_created_on"), self._posted.get(value_of(e, "sys_id"), -1))
        )
        return [journal_message(entry) for entry in entries]

    def ruleset_problems(self, ruleset: Ruleset) -> Sequence[Problem]:
        """What the instance says about ``ruleset``: unknown choice values, matrix levels without a
        ServiceNow value, Priority Lookup Rules that derive another priority than the matrix, and
        field names (in the filter and the mapping) the table does not have."""
        tables = f"nameIN{self.table},task"
        choice_query = f"{tables}^elementIN{','.join(CHOICE_FIELDS)}"
        choices = self._rows("sys_choice", choice_query, "name,element,value,inactive")
        source = PRIORITY_LOOKUP_TABLES.get(self.table)
        fields = "impact,urgency,priority,active"
        rules = self._rows(source, "active=true^ORDERBYorder", fields) if source else None
        problems = ruleset_problems(
            self.name,
            self.options,
            ruleset,
            None if choices is None else choice_values(choices, self.table),
            lookup_table(rules) if rules else None,
        )
        named = ",".join(named_fields(self.options))
        columns = self._rows("sys_dictionary", f"{tables}^elementIN{named}", "element")
        if columns is None:
            message = "cannot read sys_dictionary: the filter's and the mapping's field names not checked"
            problems.append(Problem(("connections", self.name), message, severity="warning"))
        else:
            problems += field_problems(self.name, self.options, {value_of(c, "element") for c in columns})
        return problems

    # -- helpers ----------------------------------------------------------------------------------
    def _remember(self, entry_id: str) -> None:
        self._posts += 1
        self._posted[entry_id] = self._posts
        if len(self._posted) > 4096:
            self._posted.popitem(last=False)

    def _rows(self, table: str, query: str, fields: str) -> list[Mapping[str, Any]] | None:
        """All rows of a query, or ``None`` where the instance will not show the table.

        Ordered to the end by ``sys_id``: pages of an order with ties may overlap.
        """
        ordered = f"{query}^ORDERBYsys_id"
        params = {"sysparm_query": ordered, "sysparm_fields": fields, "sysparm_limit": "1000", **_ACTUAL}
        rows: list[Mapping[str, Any]] = []
        try:
            for page in paginate_links(self.http, f"api/now/table/{table}", items="result", params=params):
                rows.extend(page.items)
        except HttpError as exc:
            if exc.status in (400, 401, 403, 404):
                self.logger.warning("%s: %s", self.name, self._explain(exc, f"reading {table}"))
                return None
            raise self._explain(exc, f"reading {table}") from None
        return rows

    def _ticket(self, record: Mapping[str, Any]) -> Ticket | None:
        try:
            return to_ticket(record, self.options, self.name)
        except ValueError as exc:  # one unreadable record must not stop the sync of all others
            self.logger.warning("%s: skipped a record of %s: %s", self.name, self.table, exc)
            return None

    def _patch(
        self, ticket: Ticket, body: Mapping[str, str], what: str, *, idempotent: bool
    ) -> Mapping[str, Any]:
        try:  # done only when the answer is the record (a proxy's 200 page is no proof)
            response = self.http.request(
                "PATCH",
                f"api/now/table/{self.table}/{ticket.id}",
                json=dict(body),
                params={"sysparm_fields": _WRITTEN_FIELDS, **_ACTUAL},
                idempotent=idempotent,
                done=_shows_record,
            )
        except HttpError as exc:  # the cause stays: post_message asks whether the write was unconfirmed
            raise self._explain(exc, f"{what} on {ticket.number or ticket.id}") from exc
        self._observe(response)
        result: Mapping[str, Any] = response.json()["result"]
        return result

    def _journal(self, query: str, limit: int | None = None) -> list[Mapping[str, Any]]:
        params = {
            "sysparm_query": query,
            "sysparm_fields": _JOURNAL_FIELDS,
            "sysparm_limit": str(limit or self.options.page_size),
            **_ACTUAL,
        }
        entries: list[Mapping[str, Any]] = []
        try:
            for page in paginate_links(
                self.http, "api/now/table/sys_journal_field", items="result", params=params
            ):
                entries.extend(page.items)
                if limit is not None:
                    break
        except HttpError as exc:
            raise self._explain(exc, "reading the journal (sys_journal_field)") from None
        return entries

    def _observe(self, response: requests.Response) -> datetime | None:
        """The server's clock from a response's ``Date``; keeps the offset to ours up to date."""
        date = header_date(response.headers)  # read defensively: proxies send odd dates
        if date is None:
            return None
        self._clock_offset = date - datetime.now(UTC)
        return date

    def _server_now(self) -> datetime:
        return datetime.now(UTC) + (self._clock_offset or timedelta(0))

    def _explain(self, exc: HttpError, what: str) -> AdapterError:
        """The base's error, with what it means in ServiceNow terms for the statuses people meet."""
        hint = {
            401: "the instance refused the credentials (user name, password, OAuth client or its token)",
            403: "the integration user lacks a role or an ACL for this (see the README's set-up)",
            404: "the record does not exist (deleted?) or an ACL hides it",
            400: "the instance refused the request (is the table name right?)",
            429: "a rate-limit rule of the instance is exhausted for this hour",
        }.get(exc.status or 0)
        message = f"{self.name}: {what}: {exc}" + (f" ({hint})" if hint else "")
        error = AdapterError(message, retryable=exc.retryable, status=exc.status)
        error.__cause__ = exc
        return error


def _shows_record(data: Any) -> bool:
    """Whether a Table API answer is a record (``{"result": {...}}``), the proof a write was done."""
    return isinstance(data, Mapping) and isinstance(data.get("result"), Mapping) and bool(data["result"])


def _factory(config: ConnectionConfig, context: AdapterContext) -> ServiceNowAdapter:
    return ServiceNowAdapter(config, context)


SPEC: Final = AdapterSpec(
    name="servicenow",
    factory=_factory,
    config_schema=connection_schema(),
    description="ServiceNow incidents (or any task table) through the Table API",
)
