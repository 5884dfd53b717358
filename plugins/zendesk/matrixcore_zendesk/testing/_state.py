"""The Zendesk emulator's state and rules, as plain Python (no HTTP).

Built from Zendesk's published API description and the recorded real exchanges, not from the
adapter: tickets serialise with the nulls real payloads carry, the incremental export orders by
``generated_timestamp`` and holds back the last minute, deleted tickets stay in the stream with
``status: deleted``, updates are partial, ``safe_update`` + ``updated_stamp`` answers 409 when the
ticket changed meanwhile, drop-down field values are also ticket tags, ``update_many`` runs as a
background job polled through ``job_statuses``, and metric sets follow status changes and replies.
Errors are ``ZendeskError`` carrying the status and body Zendesk answers with.
"""

from __future__ import annotations

import base64
import html
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ._records import (
    CONFLICT,
    MAX_COMMENTS,
    MAX_JOB_ITEMS,
    MAX_PAGE,
    PRIORITIES,
    STATUSES,
    Job,
    TicketRecord,
    ZendeskError,
    decode_cursor,
    decode_offset,
    encode_cursor,
    encode_offset,
    invalid,
    parse_time,
    stamp,
)

__all__ = ["ZendeskError", "ZendeskState", "stamp"]


def _event_value(value: Any) -> Any:
    """Audit events carry ids as strings (``"value": "6130869168922"`` in the recordings)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ZendeskState:
    """One emulated Zendesk account: users, credentials, ticket fields, tickets, comments and jobs."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        base_url: str = "https://example.zendesk.com",
        job_polls: int = 2,
    ) -> None:
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.base_url = base_url.rstrip("/")
        #: Polls of a job's status before it completes (the first poll answers ``working``).
        self.job_polls = job_polls
        #: Which of ``tags`` and ``custom_fields`` an update applies last when it has both. Zendesk
        #: keeps a drop-down's value and its option tag together, but which wins when one request
        #: sets both is not documented: tests run the adapter under both orders.
        self.tags_applied_last = False
        self.users: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, TicketRecord] = {}
        self.ticket_fields: dict[int, dict[str, Any]] = {}
        self.jobs: dict[str, Job] = {}
        self.api_tokens: dict[tuple[str, str], int] = {}
        self.oauth_tokens: dict[str, int] = {}
        self._ticket_ids = itertools.count(1)
        self._ids = itertools.count(360_000_000_001)

    # -- users and credentials -------------------------------------------------------------

    def add_user(
        self,
        name: str,
        email: str | None = None,
        *,
        role: str = "end-user",
        locale: str = "en-US",
        tags: Sequence[str] = (),
        iana_time_zone: str = "Europe/Amsterdam",
        phone: str | None = None,
    ) -> dict[str, Any]:
        user_id = next(self._ids)
        created = stamp(self.now())
        user = {
            "id": user_id,
            "url": f"{self.base_url}/api/v2/users/{user_id}.json",
            "name": name,
            "email": email,
            "phone": phone,
            "role": role,
            "locale": locale,
            "locale_id": 1,
            "time_zone": iana_time_zone.rsplit("/", 1)[-1],
            "iana_time_zone": iana_time_zone,
            "tags": list(tags),
            "active": True,
            "verified": True,
            "suspended": False,
            "created_at": created,
            "updated_at": created,
            "user_fields": {},
        }
        self.users[user_id] = user
        return user

    def add_api_token(self, email: str, token: str) -> None:
        """Allow ``{email}/token:{token}`` as Basic credentials for the user with that e-mail."""
        user = next((u for u in self.users.values() if u["email"] == email), None)
        if user is None:
            raise ValueError(f"no user with e-mail {email!r}")
        self.api_tokens[(email, token)] = user["id"]

    def add_oauth_token(self, token: str, user_id: int) -> None:
        self.oauth_tokens[token] = user_id

    def authenticate(self, authorization: str | None) -> dict[str, Any]:
        """The user an ``Authorization`` header signs in as; 401 like Zendesk otherwise."""
        scheme, _, value = (authorization or "").partition(" ")
        user_id: int | None = None
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                login, secret = "", ""
            email, marker, _ = login.partition("/token")
            if marker == "/token":
                user_id = self.api_tokens.get((email, secret))
        elif scheme.lower() == "bearer":
            user_id = self.oauth_tokens.get(value)
        if user_id is None or user_id not in self.users:
            raise ZendeskError(401, "Couldn't authenticate you")
        return self.users[user_id]

    def show_user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            raise ZendeskError(404, "RecordNotFound", "Not found")
        return self.users[user_id]

    def show_many_users(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(ids))
        if len(wanted) > 100:
            raise ZendeskError(
                400, "TooManyValues", "Parameter ids cannot specify more than 100 values", max_count=100
            )
        return [self.users[i] for i in wanted if i in self.users]

    # -- ticket fields ---------------------------------------------------------------------

    def add_ticket_field(self, title: str, *, options: Sequence[str] = (), field_type: str = "") -> int:
        """A custom ticket field; with ``options`` a drop-down (``tagger``) whose values are tags."""
        field_id = next(self._ids)
        self.ticket_fields[field_id] = {
            "id": field_id,
            "title": title,
            "type": field_type or ("tagger" if options else "text"),
            "options": list(options),
        }
        for record in self.tickets.values():
            record.data["custom_fields"].append({"id": field_id, "value": None})
        return field_id

    def show_ticket_field(self, field_id: int) -> dict[str, Any]:
        """``GET /api/v2/ticket_fields/{id}``: a drop-down lists its options, whose values are tags."""
        definition = self.ticket_fields.get(field_id)
        if definition is None:
            raise ZendeskError(404, "RecordNotFound", "Not found")
        created = stamp(self.now())
        answer: dict[str, Any] = {
            "id": field_id,
            "url": f"{self.base_url}/api/v2/ticket_fields/{field_id}.json",
            "type": definition["type"],
            "title": definition["title"],
            "raw_title": definition["title"],
            "description": "",
            "position": 9999,
            "active": True,
            "required": False,
            "removable": True,
            "regexp_for_validation": None,
            "tag": None,
            "created_at": created,
            "updated_at": created,
        }
        if definition["type"] in ("tagger", "multiselect"):
            answer["custom_field_options"] = [
                {"id": field_id * 100 + n, "name": value, "raw_name": value, "value": value, "position": n}
                for n, value in enumerate(definition["options"])
            ]
        return answer

    # -- tickets ---------------------------------------------------------------------------

    def create_ticket(
        self,
        *,
        subject: str,
        description: str,
        requester_id: int,
        channel: str | int = "web",
        priority: str | None = None,
        status: str = "new",
        ticket_type: str | None = None,
        tags: Sequence[str] = (),
        custom_fields: Mapping[int, Any] | None = None,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A ticket as a requester creates it (first comment public, by the requester)."""
        if requester_id not in self.users:
            raise invalid("requester", "Requester is invalid")
        created = created_at or self.now()
        ticket_id = next(self._ticket_ids)
        fields = [{"id": f, "value": (custom_fields or {}).get(f)} for f in self.ticket_fields]
        data: dict[str, Any] = {
            "url": f"{self.base_url}/api/v2/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": None,
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": stamp(created),
            "updated_at": stamp(created),
            "type": ticket_type,
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "priority": priority,
            "status": status,
            "recipient": None,
            "requester_id": requester_id,
            "submitter_id": requester_id,
            "assignee_id": None,
            "organization_id": None,
            "group_id": None,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": list(tags),
            "custom_fields": fields,
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "custom_status_id": 1,
            "fields": fields,
            "followup_ids": [],
            "ticket_form_id": 1,
            "brand_id": 1,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": channel in ("native_messaging", "chat"),
        }
        record = TicketRecord(data, int(created.timestamp()), status_since=created)
        self.tickets[ticket_id] = record
        for field_id, value in (custom_fields or {}).items():
            self._set_field(record, field_id, value)
        self._add_comment(
            record, description, public=True, author_id=requester_id, at=created, channel=channel
        )
        return self._public(record)

    def _record(self, ticket_id: int) -> TicketRecord:
        record = self.tickets.get(ticket_id)
        if record is None or record.data["status"] == "deleted":
            raise ZendeskError(404, "RecordNotFound", "Not found")
        return record

    @staticmethod
    def _public(record: TicketRecord) -> dict[str, Any]:
        data = dict(record.data)
        data["fields"] = data["custom_fields"] = [dict(f) for f in record.data["custom_fields"]]
        return data

    def show_ticket(self, ticket_id: int) -> dict[str, Any]:
        return self._public(self._record(ticket_id))

    def delete_ticket(self, ticket_id: int) -> None:
        """Soft-delete: gone from the tickets API, still in the incremental stream."""
        record = self._record(ticket_id)
        now = self.now()
        record.data["status"] = "deleted"
        record.data["updated_at"] = stamp(now)
        record.generated = int(now.timestamp())

    def update_ticket(
        self, ticket_id: int, changes: Mapping[str, Any], *, author_id: int, via: str = "api"
    ) -> dict[str, Any]:
        """Apply a ``PUT /api/v2/tickets/{id}`` body's ``ticket`` object; the ticket and its audit.

        Partial: only the given properties change. ``safe_update`` with ``updated_stamp`` refuses
        (409) when the ticket's ``updated_at`` differs from the stamp.
        """
        record = self._record(ticket_id)
        self._check_safe_update(record, changes, default_stamp=None)
        if record.data["status"] == "closed":
            raise invalid("status", "Status: closed prevents ticket update")
        events = self._apply(record, changes, author_id, via)
        return {"ticket": self._public(record), "audit": self._audit(record, events, author_id, via)}

    def _check_safe_update(
        self, record: TicketRecord, changes: Mapping[str, Any], default_stamp: datetime | None
    ) -> None:
        """``safe_update`` (true or false alike) compares ``updated_stamp`` with ``updated_at``.

        Without ``safe_update`` a single update is unsafe; a job compares against ``default_stamp``.
        """
        current = parse_time(record.data["updated_at"])
        if "safe_update" in changes:
            if "updated_stamp" not in changes:
                raise invalid("updated_stamp", "updated_stamp is required for a safe update")
            if current != parse_time(str(changes["updated_stamp"])):
                raise ZendeskError(409, "UpdateConflict", CONFLICT)
        elif default_stamp is not None and current > default_stamp:
            raise ZendeskError(409, "UpdateConflict", CONFLICT)

    def _apply(
        self, record: TicketRecord, changes: Mapping[str, Any], author_id: int, via: str
    ) -> list[dict[str, Any]]:
        data = record.data
        now = self.now()
        before = {
            k: data.get(k) for k in ("priority", "status", "type", "subject", "assignee_id", "group_id")
        }
        before_tags = list(data["tags"])
        before_fields = {f["id"]: f["value"] for f in data["custom_fields"]}
        if "priority" in changes:
            value = changes["priority"]
            if value is not None and value not in PRIORITIES:
                raise invalid("priority", f"Priority: {value} is not valid")
            data["priority"] = value
        if "status" in changes:
            value = changes["status"]
            if value not in STATUSES:
                raise invalid("status", f"Status: {value} is not valid")
            if value != data["status"]:
                self._status_change(record, value, now)
        for key in ("type", "subject", "assignee_id", "group_id"):
            if key in changes:
                data[key] = changes[key]
                if key == "subject":
                    data["raw_subject"] = changes[key]
        steps = [self._apply_tags, self._apply_fields]
        for step in reversed(steps) if self.tags_applied_last else steps:
            step(record, changes)
        events: list[dict[str, Any]] = []
        comment = changes.get("comment")
        if isinstance(comment, Mapping) and (comment.get("body") or comment.get("html_body")):
            if len(record.comments) >= MAX_COMMENTS:
                raise invalid("comment", "A ticket can contain up to 5000 comments")
            public = bool(comment.get("public", True))
            author = int(comment.get("author_id") or author_id)
            events.append(self._add_comment(record, str(comment.get("body") or ""), public, author, now, via))
        after = {k: data.get(k) for k in before}
        events += [
            {
                "type": "Change",
                "field_name": k,
                "value": _event_value(after[k]),
                "previous_value": _event_value(before[k]),
            }
            for k in before
            if before[k] != after[k]
        ]
        if data["tags"] != before_tags:
            events.append(
                {"type": "Change", "field_name": "tags", "value": data["tags"], "previous_value": before_tags}
            )
        events += [
            {
                "type": "Change",
                "field_name": str(f["id"]),
                "value": f["value"],
                "previous_value": before_fields.get(f["id"]),
            }
            for f in data["custom_fields"]
            if before_fields.get(f["id"]) != f["value"]
        ]
        if events:
            self._touch(record, now)
        return events

    def _apply_tags(self, record: TicketRecord, changes: Mapping[str, Any]) -> None:
        """New tags; a drop-down follows its option tag (set when it is there, cleared when gone)."""
        data = record.data
        tags = data["tags"]
        if "tags" in changes:
            tags = list(dict.fromkeys(str(t) for t in changes["tags"] or ()))
        if changes.get("additional_tags"):
            tags = list(dict.fromkeys([*tags, *map(str, changes["additional_tags"])]))
        if changes.get("remove_tags"):
            tags = [t for t in tags if t not in set(map(str, changes["remove_tags"]))]
        if tags == data["tags"]:
            return
        data["tags"] = tags
        for entry in data["custom_fields"]:
            definition = self.ticket_fields.get(entry["id"])
            if definition is not None and definition["type"] == "tagger":
                entry["value"] = next((o for o in definition["options"] if o in tags), None)

    def _apply_fields(self, record: TicketRecord, changes: Mapping[str, Any]) -> None:
        for entry in changes.get("custom_fields") or ():
            self._set_field(record, int(entry["id"]), entry.get("value"))

    def _touch(self, record: TicketRecord, now: datetime) -> None:
        record.data["updated_at"] = stamp(now)
        record.generated = max(record.generated, int(now.timestamp()))

    def _status_change(self, record: TicketRecord, status: str, now: datetime) -> None:
        previous = record.data["status"]
        if previous in ("pending", "hold"):
            spent = (now - record.status_since).total_seconds() / 60
            record.paused_minutes[previous] = record.paused_minutes.get(previous, 0.0) + spent
        if status == "solved":
            record.solved_at = now
        record.data["status"] = status
        record.status_since = now

    def _set_field(self, record: TicketRecord, field_id: int, value: Any) -> None:
        definition = self.ticket_fields.get(field_id)
        if definition is None:
            return  # Zendesk ignores values for fields the account does not have
        if definition["type"] == "tagger" and value not in (None, "") and value not in definition["options"]:
            raise invalid(str(field_id), f"{definition['title']}: {value} is not a valid option")
        for entry in record.data["custom_fields"]:
            if entry["id"] == field_id:
                old = entry["value"]
                entry["value"] = value
                if definition["type"] == "tagger":  # a drop-down's value is also a ticket tag
                    tags = [t for t in record.data["tags"] if t != old]
                    record.data["tags"] = [*tags, value] if value and value not in tags else tags

    def _add_comment(
        self, record: TicketRecord, body: str, public: bool, author_id: int, at: datetime, channel: str | int
    ) -> dict[str, Any]:
        comment = {
            "id": next(self._ids),
            "type": "Comment",
            "author_id": author_id,
            "body": body,
            "html_body": f'<div class="zd-comment" dir="auto"><p dir="auto">{html.escape(body)}</p></div>',
            "plain_body": body,
            "public": public,
            "attachments": [],
            "audit_id": next(self._ids),
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": stamp(at),
            "metadata": {"system": {}, "custom": {}},
        }
        record.comments.append(comment)
        author = self.users.get(author_id, {})
        if public and author.get("role") in ("agent", "admin") and author_id != record.data["requester_id"]:
            record.replies += 1
            record.first_reply = record.first_reply or at
        record.data["is_public"] = any(c["public"] for c in record.comments)
        return comment

    def _audit(
        self, record: TicketRecord, events: list[dict[str, Any]], author_id: int, via: str
    ) -> dict[str, Any]:
        audit = {
            "id": next(self._ids),
            "ticket_id": record.id,
            "created_at": stamp(self.now()),
            "author_id": author_id,
            "metadata": {"system": {}, "custom": {}},
            "events": [{"id": next(self._ids), **e} for e in events],
            "via": {"channel": via, "source": {"from": {}, "to": {}, "rel": None}},
        }
        record.audits.append(audit)
        return audit

    # -- comments --------------------------------------------------------------------------

    def list_comments(
        self, ticket_id: int, *, page_size: int = 100, after: str | None = None, descending: bool = False
    ) -> dict[str, Any]:
        """``GET /api/v2/tickets/{id}/comments`` with cursor pagination (``page[size]`` up to 100)."""
        if not 1 <= page_size <= 100:
            raise ZendeskError(400, "InvalidPaginationParameter", "page[size] must be between 1 and 100")
        comments = list(self._record(ticket_id).comments)
        if descending:
            comments.reverse()
        start = decode_offset(after) if after else 0
        page = comments[start : start + page_size]
        end = start + len(page)
        has_more = end < len(comments)
        after_cursor = encode_offset(end) if page else None
        base = f"{self.base_url}/api/v2/tickets/{ticket_id}/comments.json?page%5Bsize%5D={page_size}"
        return {
            "comments": page,
            "meta": {
                "has_more": has_more,
                "after_cursor": after_cursor,
                "before_cursor": encode_offset(start),
            },
            "links": {
                "prev": f"{base}&page%5Bbefore%5D={quote(encode_offset(start))}",
                "next": f"{base}&page%5Bafter%5D={quote(after_cursor)}"
                if has_more and after_cursor
                else None,
            },
        }

    # -- incremental export ----------------------------------------------------------------

    def incremental_export(
        self,
        *,
        start_time: int | None = None,
        cursor: str | None = None,
        per_page: int = MAX_PAGE,
        include: Sequence[str] = (),
        exclude_deleted: bool = False,
    ) -> dict[str, Any]:
        """``GET /api/v2/incremental/tickets/cursor``: changes after a time or cursor, oldest first.

        Ordered by ``(generated_timestamp, id)``; changes of the last minute are held back.
        """
        now = self.now()
        if not 1 <= per_page <= MAX_PAGE:
            raise ZendeskError(400, "InvalidValue", f"per_page must be between 1 and {MAX_PAGE}")
        if cursor is not None:
            position = decode_cursor(cursor)
        elif start_time is not None:
            if start_time > now.timestamp() - 60:
                raise ZendeskError(
                    400, "InvalidValue", "Too recent start_time. Use a start_time older than a minute"
                )
            position = (start_time, 0)
        else:
            raise ZendeskError(400, "InvalidValue", "start_time or cursor is required")
        horizon = now.timestamp() - 60
        eligible = sorted(
            (r for r in self.tickets.values() if (r.generated, r.id) > position and r.generated <= horizon),
            key=lambda r: (r.generated, r.id),
        )
        if exclude_deleted:
            eligible = [r for r in eligible if r.data["status"] != "deleted"]
        page = eligible[:per_page]
        last = (page[-1].generated, page[-1].id) if page else position
        after_cursor = encode_cursor(last)
        suffix = f"&per_page={per_page}" if per_page != MAX_PAGE else ""
        export_url = f"{self.base_url}/api/v2/incremental/tickets/cursor.json"
        result: dict[str, Any] = {
            "tickets": [{**self._public(r), "generated_timestamp": r.generated} for r in page],
            "after_url": f"{export_url}?cursor={quote(after_cursor)}{suffix}",
            "before_url": None,
            "after_cursor": after_cursor,
            "before_cursor": None,
            "end_of_stream": len(eligible) <= per_page,
        }
        if "users" in include:
            ids = {
                r.data[k] for r in page for k in ("requester_id", "submitter_id", "assignee_id") if r.data[k]
            }
            result["users"] = [self.users[i] for i in sorted(ids) if i in self.users]
        if "metric_sets" in include:
            result["metric_sets"] = [self.metric_set(r.id, now) for r in page]
        return result

    def metric_set(self, ticket_id: int, now: datetime | None = None) -> dict[str, Any]:
        """The ticket's metrics (calendar time; the emulator has no schedules, so business = calendar)."""
        record = self.tickets[ticket_id]
        created = parse_time(record.data["created_at"])

        def minutes(value: float | None) -> dict[str, int | None]:
            figure = None if value is None else int(value)
            return {"calendar": figure, "business": figure}

        reply = (record.first_reply - created).total_seconds() / 60 if record.first_reply else None
        return {
            "id": record.id + 1_000_000,
            "ticket_id": record.id,
            "url": f"{self.base_url}/api/v2/ticket_metrics/{record.id + 1_000_000}.json",
            "created_at": record.data["created_at"],
            "updated_at": record.data["updated_at"],
            "replies": record.replies,
            "reopens": 0,
            "status_updated_at": stamp(record.status_since),
            "solved_at": stamp(record.solved_at) if record.solved_at else None,
            "reply_time_in_minutes": minutes(reply),
            "agent_wait_time_in_minutes": minutes(record.paused_minutes.get("pending", 0.0)),
            "on_hold_time_in_minutes": minutes(record.paused_minutes.get("hold", 0.0)),
        }

    # -- update_many jobs ------------------------------------------------------------------

    def update_many(
        self, body: Mapping[str, Any], *, ids: Sequence[int] = (), author_id: int
    ) -> dict[str, Any]:
        """Queue ``PUT /api/v2/tickets/update_many``: a batch (``tickets``) or bulk (``ids`` + ``ticket``)."""
        if ids:
            items = [{**dict(body.get("ticket") or {}), "id": i} for i in ids]
        else:
            items = [dict(t) for t in body.get("tickets") or ()]
        if len(items) > MAX_JOB_ITEMS:
            raise ZendeskError(
                400, "TooManyValues", "Parameter  cannot specify more than 100 values", max_count=100
            )
        if not items or any("id" not in item for item in items):
            raise ZendeskError(400, "InvalidValue", "Each ticket needs an id")
        job = Job(f"V3-{next(self._ids):032x}", items, self.now(), author_id)
        self.jobs[job.id] = job
        return self._job_json(job)

    def job_status(self, job_id: str) -> dict[str, Any]:
        """``GET /api/v2/job_statuses/{id}``: each poll advances the job; it runs on the last one."""
        job = self.jobs.get(job_id)
        if job is None:
            raise ZendeskError(404, "RecordNotFound", "Not found")
        job.polls += 1
        if job.results is None and job.polls >= self.job_polls:
            job.results = [self._run_item(job, item) for item in job.items]
        return self._job_json(job)

    def _run_item(self, job: Job, item: Mapping[str, Any]) -> dict[str, Any]:
        ticket_id = int(item["id"])
        changes = {k: v for k, v in item.items() if k != "id"}
        try:
            record = self._record(ticket_id)
            # Jobs always update safely: without a stamp, against the time the job was queued.
            self._check_safe_update(record, changes, default_stamp=job.queued_at)
            if record.data["status"] == "closed":
                raise invalid("status", "Status: closed prevents ticket update")
            events = self._apply(record, changes, job.author_id, "api")
            self._audit(record, events, job.author_id, "api")
        except ZendeskError as error:
            return {
                "id": ticket_id,
                "action": "update",
                "status": "Failed",
                "success": False,
                "error": error.body["error"],
                "details": error.body.get("description", ""),
            }
        return {"id": ticket_id, "action": "update", "status": "Updated", "success": True}

    def _job_json(self, job: Job) -> dict[str, Any]:
        total = len(job.items)
        if job.results is not None:
            status, progress, message = (
                "completed",
                total,
                f"Completed at {self.now():%Y-%m-%d %H:%M:%S} +0000",
            )
        elif job.polls:
            status, progress, message = "working", total // 2, f"Updating ticket #{total // 2}"
        else:
            status, progress, message = "queued", None, None
        return {
            "id": job.id,
            "url": f"{self.base_url}/api/v2/job_statuses/{job.id}.json",
            "total": total,
            "progress": progress,
            "status": status,
            "message": message,
            "results": job.results,
        }

    # -- helpers for tests -----------------------------------------------------------------

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.tickets[ticket_id].comments)

    def field_value(self, ticket_id: int, field_id: int) -> Any:
        return next(f["value"] for f in self.tickets[ticket_id].data["custom_fields"] if f["id"] == field_id)
