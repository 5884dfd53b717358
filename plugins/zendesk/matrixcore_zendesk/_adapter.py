"""The Zendesk adapter: incremental export in, safe ticket updates and comments out.

Everything HTTP (timeouts, retries on 429/5xx honouring ``Retry-After``, the account request budget,
auth, redaction, dry-run refusal) comes from ``matrixcore.HttpAdapter``. What is Zendesk's own:

- the export has its own limit of 10 requests a minute, so it draws on a second budget;
- every field write carries ``safe_update`` + ``updated_stamp``, so an agent's change made since
  matrixcore read the ticket is never overwritten: Zendesk answers 409 and the adapter raises
  ``ConflictError`` ("re-read and decide again");
- matrixcore's own writes move ``updated_at`` too, so the adapter remembers the stamp each of its
  writes produced and uses it for the next write to a ticket it read before that write;
- comments are not idempotent in Zendesk (no idempotency key on updates): they are never resent
  after the server may have acted on them;
- ticket updates have a limit of their own (100 a minute per account), reported in a
  ``Zendesk-RateLimit-tickets-update`` header: updates draw on a third budget that header feeds,
  so a burst of writes waits for the window to reset instead of running into 429s;
- from ``bulk_threshold`` writes at once, ``set_priorities`` sends one ``update_many`` job per 100
  tickets and polls its status instead of one request per ticket.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from matrixcore import (
    AdapterContext,
    AdapterError,
    Batch,
    ConflictError,
    ConnectionConfig,
    HttpAdapter,
    HttpError,
    OutgoingMessage,
    PostedMessage,
    PriorityChange,
    ReadOnlyError,
    RequestBudget,
    Ticket,
    paginate_cursor,
)

from ._mapping import (
    MappingError,
    Sideloads,
    message_from_comment,
    requester_ids,
    ticket_from_zendesk,
    update_for,
)
from ._settings import ZendeskSettings

__all__ = ["EXPORT_PATH", "ZendeskAdapter", "endpoint_limit"]

EXPORT_PATH: Final = "api/v2/incremental/tickets/cursor"
#: Zendesk's limit on the incremental export endpoints (Incremental Exports reference).
EXPORT_PER_MINUTE: Final = 10
#: Tickets one ``update_many`` job may hold; users ``show_many`` may name.
MANY: Final = 100
#: Statuses Zendesk refuses updates for (closed), or where the ticket is gone (deleted).
_UNWRITABLE: Final = frozenset({"closed", "deleted"})
_JOB_DONE: Final = frozenset({"completed", "failed", "killed"})
#: The ticket-update limit's header, as Zendesk spells it now and as it did in 2023 (recordings).
_UPDATE_LIMIT_HEADERS: Final = ("zendesk-ratelimit-tickets-update", "zendesk-rate-limit-tickets-update")
_LIMIT_FIELD: Final = re.compile(r"(total|remaining|resets)\s*=\s*(\d+)")


def endpoint_limit(
    headers: Mapping[str, str], names: Sequence[str] = _UPDATE_LIMIT_HEADERS
) -> dict[str, str]:
    """An endpoint limit header (``total=100; remaining=99; resets=41``) as the standard
    ``ratelimit-*`` fields a ``RequestBudget`` reads; empty when the response has none."""
    lower = {k.lower(): v for k, v in headers.items()}
    value = next((lower[n] for n in names if n in lower), None)
    fields = dict(_LIMIT_FIELD.findall(value or ""))
    if "remaining" not in fields:
        return {}
    limit = {"ratelimit-remaining": fields["remaining"]}
    if "resets" in fields:
        limit["ratelimit-reset"] = fields["resets"]
    return limit


class ZendeskAdapter(HttpAdapter):
    """One connection to one Zendesk account."""

    def __init__(self, config: ConnectionConfig, context: AdapterContext) -> None:
        self.zendesk = ZendeskSettings.from_settings(config.settings)
        settings = self.zendesk.http_settings(config.settings)
        super().__init__(ConnectionConfig(config.name, config.adapter, settings), context)
        retry = self.http.retry
        # One request every 6 s, no bursts: never more than 10 in any minute, however Zendesk counts.
        self._export_budget = RequestBudget(
            EXPORT_PER_MINUTE, burst=1, clock=retry.clock, sleep=retry.sleep, logger=context.logger
        )
        # No rate of our own: Zendesk's ticket-update header says how many updates are left.
        self._update_budget = RequestBudget(clock=retry.clock, sleep=retry.sleep, logger=context.logger)
        #: Ticket id -> (``updated_at`` as read, ``updated_at`` after matrixcore's last write, the
        #: fields that write set). Forgotten when the ticket is read again.
        self._written: dict[str, tuple[str, str, dict[str, Any]]] = {}
        #: Level field id -> its Zendesk field type, read on the first write that needs it.
        self._field_types: dict[int, str] | None = None

    # -- the Adapter protocol ------------------------------------------------------------------

    def check(self) -> None:
        """The credentials work and belong to an admin (the incremental export is admin-only)."""
        try:
            user = self.http.get_json("api/v2/users/me")["user"]
        except HttpError as exc:
            if exc.status in (401, 403):
                hint = (
                    " (an API token signs in as username '{email}/token')"
                    if exc.status == 401
                    and "/token" not in str(self.settings.get("auth", {}).get("username", "/token"))
                    else ""
                )
                raise AdapterError(
                    f"{self.name}: Zendesk refused the credentials{hint}", status=exc.status
                ) from None
            raise
        if not user or user.get("id") is None:
            raise AdapterError(f"{self.name}: Zendesk did not recognise the credentials", status=401)
        if user.get("role") != "admin":
            raise AdapterError(
                f"{self.name}: {user.get('email') or user.get('name')} is a Zendesk {user.get('role')}; "
                "reading the incremental export needs an admin"
            )

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        """Changed tickets from Zendesk's incremental export, with requesters and metrics side-loaded."""
        params = {"per_page": self.zendesk.page_size, "include": "users,metric_sets"}
        if cursor is None:
            self._export_budget.acquire()
            start = self.zendesk.start_time(datetime.now(UTC))
            data = self.http.get_json(EXPORT_PATH, params={**params, "start_time": start})
            yield self._batch(data, None)
            if data.get("end_of_stream", True) or not data.get("after_cursor"):
                return
            cursor = str(data["after_cursor"])
        pages = paginate_cursor(
            self.http,
            EXPORT_PATH,
            items="tickets",
            params=params,
            start=cursor,
            next_cursor="after_cursor",
            has_more=lambda data: not data.get("end_of_stream", True),
        )
        while True:
            self._export_budget.acquire()
            page = next(pages, None)
            if page is None:
                return
            batch = self._batch(page.data, cursor)
            if batch.tickets or batch.cursor != cursor:
                yield batch
            cursor = batch.cursor
            if not page.has_more:
                return

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        """Write what differs, safely; ``ConflictError`` when the ticket changed since it was read."""
        update = self._update(ticket, change)
        if update is None:
            return
        body = {"ticket": {**update, "safe_update": True, "updated_stamp": self._stamp(ticket)}}
        self._remember(ticket, self._put(ticket, body, idempotent=True), update)

    def apply_update(self, ticket: Ticket, change: PriorityChange, message: OutgoingMessage) -> PostedMessage:
        """The change and a comment in one ticket update (``CombinedWriter``): one request, not two.

        Zendesk's Update Ticket takes the fields and a ``comment`` together, and applies them
        together; with ``safe_update`` a 409 means neither was (``ConflictError``).
        """
        update = self._update(ticket, change)
        if update is None:  # nothing to write (or a closed ticket): the comment alone
            return self.post_message(ticket, message.text, message.visible_to_requester)
        comment = {"body": message.text, "public": message.visible_to_requester}
        body = {
            "ticket": {
                **update,
                "comment": comment,
                "safe_update": True,
                "updated_stamp": self._stamp(ticket),
            }
        }
        return self._commented(ticket, body, message.text, message.visible_to_requester, update)

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        """A public comment (to the requester) or an internal note (``public: false``)."""
        if ticket.status == "deleted":
            raise AdapterError(f"{self.name}: ticket {ticket.id} is deleted; no message posted", status=404)
        body = {"ticket": {"comment": {"body": text, "public": visible_to_requester}}}
        return self._commented(ticket, body, text, visible_to_requester, {})

    def _commented(
        self,
        ticket: Ticket,
        body: Mapping[str, Any],
        text: str,
        visible_to_requester: bool,
        update: Mapping[str, Any],
    ) -> PostedMessage:
        """Send an update carrying a comment; the comment as Zendesk's audit reports it."""
        # Not idempotent: a resend after Zendesk may have acted could post the message twice.
        try:
            data = self._put(ticket, body, idempotent=False)
        except HttpError as exc:
            if exc.kind != "unconfirmed":
                raise
            # 200 with an answer nobody can read (a proxy's page): posted only if the comments show it.
            shown = self._read_back(ticket, text, visible_to_requester)
            if shown is None:
                raise
            return shown
        self._remember(ticket, data, update)
        audit = data.get("audit") or {}
        event = next((e for e in audit.get("events") or () if e.get("type") == "Comment"), None)
        if event is None:
            raise AdapterError(
                f"{self.name}: Zendesk accepted the message on {ticket.id} but reported no comment"
            )
        return message_from_comment({"created_at": audit.get("created_at"), **event})

    def _read_back(self, ticket: Ticket, text: str, visible: bool) -> PostedMessage | None:
        """The newest comment with ``text`` and this visibility, best effort (``None`` if unreadable)."""
        try:
            listed = self.list_messages(ticket)
        except AdapterError as exc:
            self.logger.warning("%s: cannot read the comments of %s back: %s", self.name, ticket.id, exc)
            return None
        wanted = text.strip()
        return next(
            (m for m in reversed(listed) if m.visible_to_requester == visible and m.text.strip() == wanted),
            None,
        )

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        """Every comment on the ticket, oldest first."""
        pages = paginate_cursor(
            self.http,
            f"api/v2/tickets/{ticket.id}/comments",
            items="comments",
            params={"page[size]": MANY},
            cursor_param="page[after]",
            next_cursor="meta.after_cursor",
            has_more="meta.has_more",
        )
        return [message_from_comment(c) for page in pages for c in page.items]

    # -- batch writes --------------------------------------------------------------------------

    def set_priorities(
        self, changes: Sequence[tuple[Ticket, PriorityChange]]
    ) -> Mapping[str, AdapterError | None]:
        """Write many tickets at once: per ticket id ``None`` (written or nothing to write) or the error.

        Below ``bulk_threshold`` writes this is ``set_priority`` per ticket; from it on, one
        ``update_many`` job per 100 tickets (safe updates, like single writes), polled to the end.
        """
        outcome: dict[str, AdapterError | None] = {}
        pending: list[tuple[Ticket, dict[str, Any]]] = []
        for ticket, change in changes:
            try:
                update = self._update(ticket, change)
            except AdapterError as error:
                outcome[ticket.id] = error
                continue
            outcome[ticket.id] = None
            if update is not None:
                pending.append((ticket, update))
        if len(pending) < self.zendesk.bulk_threshold:
            for ticket, update in pending:
                body = {"ticket": {**update, "safe_update": True, "updated_stamp": self._stamp(ticket)}}
                try:
                    self._remember(ticket, self._put(ticket, body, idempotent=True), update)
                except ReadOnlyError:
                    raise  # a dry run refuses every write alike: not a per-ticket outcome
                except AdapterError as error:
                    outcome[ticket.id] = error
            return outcome
        for start in range(0, len(pending), MANY):
            outcome.update(self._run_job(pending[start : start + MANY]))
        return outcome

    def _run_job(self, chunk: Sequence[tuple[Ticket, dict[str, Any]]]) -> dict[str, AdapterError | None]:
        items = [
            {"id": int(t.id), **update, "safe_update": True, "updated_stamp": self._stamp(t)}
            for t, update in chunk
        ]
        # A resent job would run again and report its own earlier writes as conflicts: never resend.
        self._update_budget.acquire()
        response = self.http.put("api/v2/tickets/update_many", json={"tickets": items}, idempotent=False)
        self._update_budget.observe(endpoint_limit(response.headers))
        queued = self.http.json(response)["job_status"]
        job = self._wait_for(queued)
        results = {str(r.get("id")): r for r in job.get("results") or () if isinstance(r, Mapping)}
        outcome: dict[str, AdapterError | None] = {}
        for ticket, _ in chunk:
            result = results.get(ticket.id)
            if result is None:
                outcome[ticket.id] = AdapterError(
                    f"{self.name}: update_many job {job.get('id')} ended {job.get('status')!r} without "
                    f"a result for ticket {ticket.id}",
                    retryable=True,
                )
            elif result.get("success"):
                outcome[ticket.id] = None
            else:
                outcome[ticket.id] = self._job_error(ticket, result)
        return outcome

    def _wait_for(self, job: Mapping[str, Any]) -> Mapping[str, Any]:
        """Poll a job until it is done, waiting 1 s, 1.5 s, 2.25 s … (at most 10 s) between polls."""
        retry = self.http.retry
        deadline = retry.clock() + self.zendesk.job_timeout
        wait = 1.0
        while str(job.get("status")) not in _JOB_DONE:
            if retry.clock() + wait > deadline:
                raise AdapterError(
                    f"{self.name}: update_many job {job.get('id')} still {job.get('status')!r} after "
                    f"{self.zendesk.job_timeout:g}s",
                    retryable=True,
                )
            retry.sleep(wait)
            wait = min(wait * 1.5, 10.0)
            job = self.http.get_json(f"api/v2/job_statuses/{job['id']}")["job_status"]
        return job

    def _job_error(self, ticket: Ticket, result: Mapping[str, Any]) -> AdapterError:
        error = str(result.get("error") or result.get("status") or "failed")
        details = str(result.get("details") or "")
        message = f"{self.name}: ticket {ticket.id} not updated: {error}" + (
            f" ({details})" if details else ""
        )
        if "conflict" in error.lower() or "safe update" in details.lower():
            return ConflictError(message + "; re-read it and decide again", ticket_id=ticket.id)
        return AdapterError(message, status=404 if error == "RecordNotFound" else None)

    # -- helpers -------------------------------------------------------------------------------

    def _batch(self, data: Mapping[str, Any], previous: str | None) -> Batch:
        tickets: Sequence[Mapping[str, Any]] = data.get("tickets") or ()
        sideloads = Sideloads.from_page(data)
        missing = requester_ids(tickets) - set(sideloads.users)
        if missing:
            sideloads = sideloads.with_users(self._users(sorted(missing)))
        mapped: list[Ticket] = []
        for payload in tickets:
            self._written.pop(str(payload.get("id")), None)  # a fresh read supersedes what we wrote
            try:
                mapped.append(ticket_from_zendesk(payload, self.zendesk, self.name, sideloads))
            except ValueError as exc:  # one unusable ticket must not block the cursor
                self.logger.warning("%s: skipped a ticket Zendesk sent: %s", self.name, exc)
        after = data.get("after_cursor") or previous
        if after is None:
            raise AdapterError(f"{self.name}: the incremental export answered without a cursor")
        return Batch(mapped, str(after))

    def _users(self, ids: Sequence[int]) -> list[Mapping[str, Any]]:
        """Users the side-load left out, by ``show_many`` (100 a request, not one per ticket)."""
        found: list[Mapping[str, Any]] = []
        for start in range(0, len(ids), MANY):
            chunk = ",".join(str(i) for i in ids[start : start + MANY])
            found += self.http.get_json("api/v2/users/show_many", params={"ids": chunk}).get("users") or []
        return found

    def _update(self, ticket: Ticket, change: PriorityChange) -> dict[str, Any] | None:
        if ticket.status in _UNWRITABLE:
            self.logger.info(
                "%s: ticket %s is %s; Zendesk takes no updates", self.name, ticket.id, ticket.status
            )
            return None
        try:
            update = update_for(ticket, change, self.zendesk)
            if "tags" in update and "custom_fields" in update:
                update = update_for(ticket, change, self.zendesk, self._drop_downs())
        except MappingError as exc:
            raise AdapterError(f"{self.name}: {exc}") from None
        ours = self._written.get(ticket.id)
        if ours is not None and ours[0] == self._read_stamp(ticket) and ours[2] == update:
            return None  # this very write already went out since the ticket was read
        return update or None

    def _drop_downs(self) -> frozenset[int]:
        """The level fields that are drop-downs (their values are tags), asked once per field."""
        if self._field_types is None:
            types: dict[int, str] = {}
            for level in (self.zendesk.impact, self.zendesk.urgency):
                if level is None or level.kind != "field" or level.field_id in types:
                    continue
                try:
                    found = self.http.get_json(f"api/v2/ticket_fields/{level.field_id}")["ticket_field"]
                except HttpError as exc:
                    if exc.status != 404:
                        raise
                    found = {"type": "missing"}  # Zendesk ignores values for fields it does not have
                types[level.field_id] = str(found.get("type"))
            self._field_types = types
        return frozenset(f for f, kind in self._field_types.items() if kind in ("tagger", "multiselect"))

    @staticmethod
    def _read_stamp(ticket: Ticket) -> str:
        read = str(ticket.raw.get("updated_at") or "")
        if not read and ticket.updated is not None:
            read = ticket.updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return read

    def _stamp(self, ticket: Ticket) -> str:
        """The ``updated_stamp`` for a write: as read, unless matrixcore itself wrote since then."""
        read = self._read_stamp(ticket)
        ours = self._written.get(ticket.id)
        return ours[1] if ours is not None and ours[0] == read else read

    def _remember(self, ticket: Ticket, data: Mapping[str, Any], update: Mapping[str, Any]) -> None:
        updated = (data.get("ticket") or {}).get("updated_at")
        if updated:
            read = self._read_stamp(ticket)
            previous = self._written.get(ticket.id)
            fields = {**(previous[2] if previous and previous[0] == read else {}), **update}
            self._written[ticket.id] = (read, str(updated), fields)

    def _put(self, ticket: Ticket, body: Mapping[str, Any], *, idempotent: bool) -> Mapping[str, Any]:
        self._update_budget.acquire()
        try:
            # Done only when the answer is the ticket (a proxy's 200 page is no proof).
            response = self.http.request(
                "PUT",
                f"api/v2/tickets/{ticket.id}",
                json=body,
                idempotent=idempotent,
                done=lambda data: isinstance(data, Mapping) and isinstance(data.get("ticket"), Mapping),
            )
        except HttpError as exc:
            if exc.status == 409:
                raise ConflictError(
                    f"{self.name}: ticket {ticket.id} changed in Zendesk since it was read; "
                    "nothing was written: re-read it and decide again",
                    ticket_id=ticket.id,
                ) from None
            raise
        self._update_budget.observe(endpoint_limit(response.headers))
        data: Mapping[str, Any] = self.http.json(response)
        return data
