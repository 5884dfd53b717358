"""The TOPdesk adapter: matrixcore's ``Adapter`` over TOPdesk's incident REST API.

Built on matrixcore's HTTP base (``HttpAdapter``): timeouts, retries on 429/5xx honouring
``Retry-After``, the request budget, Basic auth with the application password kept out of every log,
and the read-only mode of a dry run all come from there. What is TOPdesk's own lives here and in the
modules beside it: the anchored keyset walk over ``modificationDate`` (``_cursor``), the mapping of
incidents to tickets and levels to lookups (``_mapping``), the lookup cache (``_lookups``), and the
checks of a ruleset against TOPdesk's own priorities and durations (``_checks``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from matrixcore import (
    AdapterContext,
    AdapterError,
    Batch,
    ConnectionConfig,
    HttpAdapter,
    HttpError,
    OutgoingMessage,
    PageLimitReached,
    PostedMessage,
    PriorityChange,
    Problem,
    Ruleset,
    Ticket,
)

from ._checks import ruleset_problems
from ._cursor import Cursor, PageWalker, fingerprint
from ._lookups import LookupCache
from ._mapping import (
    FETCH_FIELDS,
    IncidentMappingError,
    fetch_fields,
    incident_to_ticket,
    lookup_name,
    parse_time,
    write_payload,
)
from ._settings import DIMENSIONS, TopdeskSettings, api_root

__all__ = ["TopdeskAdapter", "html_action", "plain_action"]

#: TOPdesk's maximum page size for actions.
_ACTIONS_PAGE: Final = 100
#: Incident ``status`` values of archived incidents: readable, never writable (403).
_ARCHIVED: Final = frozenset({"firstLineArchived", "secondLineArchived", "partialArchived"})
#: What a refused request on an incident turned out to mean (see ``_incident_state``).
_GONE, _ARCHIVED_STATE, _PRESENT = "gone", "archived", "present"
_BR: Final = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG: Final = re.compile(r"<[^>]+>")


def html_action(text: str) -> str:
    """Plain text as the HTML subset TOPdesk's ``action`` takes: escaped, line breaks as ``<br>``."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def plain_action(action: Mapping[str, Any]) -> str:
    """An action's text as people read it: ``plainText``, else the HTML ``memoText`` without tags."""
    plain = action.get("plainText")
    if isinstance(plain, str):
        return plain
    memo = action.get("memoText")
    return html.unescape(_TAG.sub("", _BR.sub("\n", memo))) if isinstance(memo, str) else ""


class TopdeskAdapter(HttpAdapter):
    """One TOPdesk connection. Build it through the ``topdesk`` ``AdapterSpec``."""

    def __init__(self, config: ConnectionConfig, context: AdapterContext) -> None:
        settings = dict(config.settings)
        settings["base_url"] = api_root(str(settings["base_url"]))
        super().__init__(replace(config, settings=settings), context)
        self.topdesk = TopdeskSettings.from_connection(config)
        self.lookups = LookupCache(self.http)
        self._fields = ",".join(fetch_fields(self.topdesk))

    @property
    def writable(self) -> frozenset[str]:
        """The dimensions this connection writes (``write``), so the sync compares only those."""
        return self.topdesk.write

    # -- Adapter --------------------------------------------------------------------------------------
    def check(self) -> None:
        """One cheap incident read: proves the address, the login and the incident read permission."""
        try:
            self.http.get("incidents", params={"pageSize": 2, "fields": "id"})
        except HttpError as exc:
            raise self._explain(exc) from None

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        try:
            start = Cursor.decode(cursor)
        except ValueError as exc:
            raise AdapterError(f"{self.name}: {exc}") from None
        walker = PageWalker(start, self.topdesk.page_size)
        # (request, page, cursor) of every page read: the same again means TOPdesk is in a loop
        # (a 206 "more pages" that never ends), not that more is coming.
        seen: set[tuple[str, str, str]] = set()
        while not walker.done:
            if walker.requests >= self.http.max_pages:
                raise PageLimitReached(
                    f"{self.name}: {walker.requests} pages of incidents and TOPdesk still answers 206 "
                    f"(max_pages {self.http.max_pages}): the fetch ends here"
                )
            params = walker.params()
            response = self.http.get("incidents", params={**params, "fields": self._fields})
            items = [] if response.status_code == 204 else self.http.json(response)
            if not isinstance(items, list):
                raise AdapterError(f"{self.name}: GET incidents answered {type(items).__name__}, not a list")
            before = walker.cursor
            page = [i for i in items if isinstance(i, Mapping)]
            key = (repr(sorted(params.items())), fingerprint({"page": page}), before.encode())
            if response.status_code == 206 and key in seen:
                raise AdapterError(
                    f"{self.name}: TOPdesk answered the same page of incidents again with 206 (more "
                    f"pages): stopping a loop after {walker.requests} requests"
                )
            seen.add(key)
            fresh = walker.accept(page, response.status_code == 206)
            tickets = [t for t in (self._ticket(i) for i in fresh) if t is not None]
            if tickets or walker.cursor != before:
                yield Batch(tickets, walker.cursor.encode())

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        body = write_payload(ticket, change, self.topdesk, self.lookups.resolve)
        if not body:
            return
        self.logger.info(
            "%s: %s %s <- %s",
            self.name,
            ticket.number or ticket.id,
            ", ".join(body),
            ", ".join(f"{d}={getattr(change, d)}" for d in DIMENSIONS if d in body),
        )
        try:
            self._put(ticket, body, idempotent=True)
        except HttpError as exc:
            state = self._incident_state(ticket, exc)
            if exc.status != 404 or state != _PRESENT:
                raise self._explain(exc, ticket, state) from None
            # The incident is there, so TOPdesk no longer has a cached lookup id (an administrator
            # replaced "Afdeling"): read the lists again and write once more with the current ids.
            self.lookups.forget()
            fresh = write_payload(ticket, change, self.topdesk, self.lookups.resolve)
            if fresh == body:
                raise AdapterError(
                    f"{self.name}: TOPdesk refused a lookup id it lists itself for incident "
                    f"{ticket.number or ticket.id}: {exc}"
                ) from None
            self.logger.info("%s: lookup ids changed in TOPdesk; writing again with the new ones", self.name)
            try:
                self._put(ticket, fresh, idempotent=True)
            except HttpError as again:
                raise self._explain(again, ticket, self._incident_state(ticket, again)) from None

    def apply_update(self, ticket: Ticket, change: PriorityChange, message: OutgoingMessage) -> PostedMessage:
        """The change and an action in one incident update (``CombinedWriter``): one request, not two.

        TOPdesk's ``PUT /incidents/id/{id}`` takes the lookup fields and ``action`` /
        ``actionInvisibleForCaller`` in one body and applies them together. Not idempotent (the
        action): never resent after TOPdesk may have acted. A 404 for a lookup id TOPdesk no longer
        knows changed nothing, so it is sent once more with the current ids, as ``set_priority`` does.
        """
        fields = write_payload(ticket, change, self.topdesk, self.lookups.resolve)
        if not fields:
            return self.post_message(ticket, message.text, message.visible_to_requester)
        action = {
            "action": html_action(message.text),
            "actionInvisibleForCaller": not message.visible_to_requester,
        }
        self.logger.info(
            "%s: %s %s <- %s, with an action",
            self.name,
            ticket.number or ticket.id,
            ", ".join(fields),
            ", ".join(f"{d}={getattr(change, d)}" for d in DIMENSIONS if d in fields),
        )
        try:
            return self._acted(ticket, {**fields, **action}, message.text, message.visible_to_requester)
        except HttpError as exc:
            state = self._incident_state(ticket, exc)
            if exc.status != 404 or state != _PRESENT:
                raise self._explain(exc, ticket, state) from None
            self.lookups.forget()
            fresh = write_payload(ticket, change, self.topdesk, self.lookups.resolve)
            if fresh == fields:
                raise AdapterError(
                    f"{self.name}: TOPdesk refused a lookup id it lists itself for incident "
                    f"{ticket.number or ticket.id}: {exc}"
                ) from None
            try:
                return self._acted(ticket, {**fresh, **action}, message.text, message.visible_to_requester)
            except HttpError as again:
                raise self._explain(again, ticket, self._incident_state(ticket, again)) from None

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        body = {"action": html_action(text), "actionInvisibleForCaller": not visible_to_requester}
        try:
            return self._acted(ticket, body, text, visible_to_requester)
        except HttpError as exc:
            raise self._explain(exc, ticket, self._incident_state(ticket, exc)) from None

    def _acted(
        self, ticket: Ticket, body: Mapping[str, Any], text: str, visible_to_requester: bool
    ) -> PostedMessage:
        """Send an incident update carrying an action; the action as the actions list shows it.

        Raises ``HttpError`` as the base does (the caller explains it), except for a 200 nobody can
        read whose action the actions list shows: that counts as done.
        """
        try:
            # Not idempotent: a resent action is a second action. Retried only when TOPdesk
            # certainly did not act (429, 503, no connection).
            self._put(ticket, body, idempotent=False)
        except HttpError as exc:
            if exc.kind == "unconfirmed":
                # 200 with an answer nobody can read (a proxy's page): done only if the actions
                # list shows it; otherwise the sync keeps the message pending and reconciles it.
                shown = self._read_back(ticket, text, visible_to_requester)
                if shown is not None:
                    return shown
            raise
        # The answer showed the incident, so the action is there: reading its id back is best effort.
        return self._read_back(ticket, text, visible_to_requester) or PostedMessage(
            "", text, visible_to_requester
        )

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        actions: list[Mapping[str, Any]] = []
        start = 0
        while True:
            try:
                response = self.http.get(
                    f"incidents/id/{ticket.id}/actions", params={"start": start, "page_size": _ACTIONS_PAGE}
                )
            except HttpError as exc:
                raise self._explain(exc, ticket, _GONE if exc.status == 404 else None) from None
            page = [] if response.status_code == 204 else self.http.json(response)
            if not isinstance(page, list):
                raise AdapterError(f"{self.name}: actions of {ticket.id}: expected a list")
            actions += [a for a in page if isinstance(a, Mapping)]
            if response.status_code != 206 or not page:
                break
            start += len(page)
        messages = [self._message(a) for a in actions]
        # TOPdesk lists the newest first; the protocol wants the oldest first (stable for equal times).
        order = sorted(
            range(len(messages)), key=lambda i: (messages[i].created is None, messages[i].created, -i)
        )
        return [messages[i] for i in order]

    # -- checks against the live TOPdesk --------------------------------------------------------------
    def ruleset_problems(self, ruleset: Ruleset) -> list[Problem]:
        """What TOPdesk's own lists say about ``ruleset`` and this connection's mappings."""
        try:
            lists = {d: self.lookups.items(d, refresh=True) for d in DIMENSIONS}
            durations = self.lookups.items("duration", refresh=True)
        except HttpError as exc:
            raise self._explain(exc) from None
        return [*ruleset_problems(ruleset, self.topdesk, lists, durations), *self._field_problems()]

    def _field_problems(self) -> list[Problem]:
        """Configured incident paths whose top-level field TOPdesk refuses in ``fields=`` (a typo
        there would fail every fetch): one read of one incident per such field."""
        configured = [
            (("language_field",), self.topdesk.language_field),
            (("vip_field",), self.topdesk.vip_field),
            *((("fields", name), path) for name, path in self.topdesk.fields.items()),
        ]
        problems: list[Problem] = []
        for where, path in configured:
            root = path.split(".", 1)[0] if path else ""
            if not root or root in FETCH_FIELDS:
                continue
            try:
                self.http.get("incidents", params={"pageSize": 1, "fields": root})
            except HttpError as exc:
                if exc.status != 400:
                    raise self._explain(exc) from None
                problems.append(
                    Problem(
                        ("connections", self.name, "mappings", *where),
                        f"TOPdesk refuses the incident field {root!r} of {path!r}: {exc}",
                        severity="error",
                    )
                )
        return problems

    # -- helpers --------------------------------------------------------------------------------------
    def _ticket(self, item: Mapping[str, Any]) -> Ticket | None:
        try:
            return incident_to_ticket(item, self.topdesk)
        except IncidentMappingError as exc:
            self.logger.warning("%s: skipping an incident TOPdesk returned: %s", self.name, exc)
            return None

    @staticmethod
    def _message(action: Mapping[str, Any]) -> PostedMessage:
        author = lookup_name(action.get("operator")) or lookup_name(action.get("person")) or ""
        return PostedMessage(
            id=str(action.get("id") or ""),
            text=plain_action(action),
            visible_to_requester=action.get("invisibleForCaller") is not True,
            created=parse_time(action.get("entryDate")) or parse_time(action.get("creationDate")),
            author=author,
        )

    def _put(self, ticket: Ticket, body: Mapping[str, Any], *, idempotent: bool) -> None:
        """``PUT incidents/id/{id}``, done only when the answer is that incident (see ``write_json``)."""
        self.http.write_json(
            "PUT",
            f"incidents/id/{ticket.id}",
            json=dict(body),
            idempotent=idempotent,
            done=lambda data: isinstance(data, Mapping) and str(data.get("id")) == ticket.id,
        )

    def _read_back(self, ticket: Ticket, text: str, visible: bool) -> PostedMessage | None:
        """``_find_posted``, best effort: a failed read (a 406 was seen) is logged, not raised."""
        try:
            return self._find_posted(ticket, text, visible)
        except AdapterError as exc:
            self.logger.warning(
                "%s: cannot read the actions of %s back: %s", self.name, ticket.number or ticket.id, exc
            )
            return None

    def _find_posted(self, ticket: Ticket, text: str, visible: bool) -> PostedMessage | None:
        """The action just posted (TOPdesk's answer is the incident, not the action): the newest
        with this text and visibility (by its time, not by the list's order, which the
        description does not state)."""
        response = self.http.get(f"incidents/id/{ticket.id}/actions", params={"start": 0, "page_size": 10})
        page = [] if response.status_code == 204 else self.http.json(response)
        wanted = plain_action({"memoText": html_action(text)}).strip()
        matches = [
            message
            for message in (self._message(a) for a in (page if isinstance(page, list) else ()))
            if message.visible_to_requester == visible and message.text.strip() == wanted
        ]
        return max(matches, key=lambda m: (m.created is not None, m.created or 0), default=None)

    def _incident_state(self, ticket: Ticket, exc: HttpError) -> str | None:
        """After a 403 or 404 on an incident: is it gone, archived, or still there? ``None``: not
        asked (another status) or not known (the look-up failed too)."""
        if exc.status not in (403, 404):
            return None
        try:
            response = self.http.get(f"incidents/id/{ticket.id}")
        except HttpError as lookup:
            return _GONE if lookup.status == 404 else None
        record = self.http.json(response)
        status = record.get("status") if isinstance(record, Mapping) else None
        return _ARCHIVED_STATE if status in _ARCHIVED else _PRESENT

    def _explain(
        self, exc: HttpError, ticket: Ticket | None = None, state: str | None = None
    ) -> AdapterError:
        """The base's error with what it means in TOPdesk terms.

        An incident that is gone answers with status 404 and an archived one with 410, so
        matrixcore stops its timers (it will never be fetched again) rather than fail every cycle.
        """
        what = f"incident {ticket.number or ticket.id}" if ticket is not None else "TOPdesk"
        if state == _GONE:
            return AdapterError(f"{self.name}: {what} no longer exists in TOPdesk: {exc}", status=404)
        if state == _ARCHIVED_STATE:
            return AdapterError(
                f"{self.name}: {what} is archived in TOPdesk, which refuses changes to it: {exc}", status=410
            )
        hints = {
            401: "TOPdesk refused the login name or application password",
            403: f"the operator may not do this to {what} (permission groups or their filters)",
            404: f"{what} does not exist (any more), or a lookup id is unknown",
        }
        hint = hints.get(exc.status or 0)
        if hint is None:
            return exc
        return AdapterError(f"{self.name}: {hint}: {exc}", retryable=exc.retryable, status=exc.status)
