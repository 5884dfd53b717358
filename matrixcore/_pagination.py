"""Pagination helpers: offset, page number, cursor and ``Link`` header, each a generator of pages.

Each page carries its items, the decoded body, the response, and ``next``: what fetches the page
after it (an offset, a page number, a cursor, a URL). For cursor APIs ``next`` stays set on the last
page when the server gives an "after" cursor, so an adapter can store it and resume there later.
A server that hands out the same cursor or link twice, or the same page again, is an error, not an
endless loop; and a listing ends after the client's ``max_pages`` pages (``PageLimitReached``), so
a server that says "more" forever cannot keep a cycle going.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._adapter import AdapterError, PageLimitReached
from ._http import header
from ._redact import safe_url

if TYPE_CHECKING:
    import requests

    from ._http import HttpClient

__all__ = ["Page", "json_path", "paginate_cursor", "paginate_links", "paginate_offset", "paginate_pages"]

#: Where the items are: a dotted path into the body (``"result"``, ``"data.items"``; ``""`` is the
#: body itself) or a function of the body.
ItemsAt = str | Callable[[Any], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing."""

    items: Sequence[Any]
    data: Any
    response: requests.Response
    #: What fetches the next page (offset, page number, cursor or URL); for cursor APIs the cursor
    #: to resume from later, even on the last page. ``None``: nothing to continue from.
    next: Any
    #: Whether the server has more right now.
    has_more: bool


def json_path(data: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (``"meta.after_cursor"``); ``default`` where a step is missing."""
    value = data
    for step in path.split(".") if path else ():
        if isinstance(value, Mapping) and step in value:
            value = value[step]
        elif isinstance(value, Sequence) and not isinstance(value, str) and step.isdigit():
            index = int(step)
            if index >= len(value):
                return default
            value = value[index]
        else:
            return default
    return value


def _items(response: requests.Response, data: Any, where: ItemsAt) -> Sequence[Any]:
    found = where(data) if callable(where) else json_path(data, where)
    if not isinstance(found, Sequence) or isinstance(found, str | bytes):
        shown = f"at {where!r}" if isinstance(where, str) else "from the items function"
        raise AdapterError(
            f"GET {safe_url(response.url)}: expected a list of items {shown}, got {type(found).__name__}"
        )
    return found


class _Guard:
    """Counts a listing's pages against ``max_pages`` and notices a page served twice in a row."""

    def __init__(self, client: HttpClient) -> None:
        self.limit = max(1, int(getattr(client, "max_pages", 1000)))
        self.count = 0
        self.last: str | None = None

    def before(self, response: requests.Response | None) -> None:
        """Called before each further page: past the limit the listing ends here."""
        if self.count >= self.limit and response is not None:
            raise PageLimitReached(
                f"GET {safe_url(response.url)}: {self.count} pages and the server still says there are "
                f"more (max_pages {self.limit}): this listing ends here"
            )

    def after(self, response: requests.Response, items: Sequence[Any], more: bool) -> None:
        self.count += 1
        if not (more and items):
            return
        digest = hashlib.blake2b(
            json.dumps(items, sort_keys=True, default=str).encode(), digest_size=16
        ).hexdigest()
        if digest == self.last:
            raise AdapterError(
                f"GET {safe_url(response.url)}: the server sent the same page again; stopping a loop"
            )
        self.last = digest


def _get_json(
    client: HttpClient, path: str, params: Mapping[str, Any] | None
) -> tuple[requests.Response, Any]:
    response = client.get(path, params=params)
    return response, client.json(response)


def paginate_offset(
    client: HttpClient,
    path: str,
    *,
    items: ItemsAt = "",
    params: Mapping[str, Any] | None = None,
    limit: int = 100,
    start: int = 0,
    offset_param: str = "offset",
    limit_param: str = "limit",
    total: str | Callable[[requests.Response, Any], int | None] | None = None,
) -> Iterator[Page]:
    """``?offset=0&limit=100``, then ``offset=100``… (ServiceNow ``sysparm_offset``, TOPdesk ``pageStart``).

    The total, when known (``total``: a body path or a function; else an ``X-Total-Count``
    header), decides when to stop; without one a short or empty page is the last.
    """
    offset = start
    guard, response = _Guard(client), None
    while True:
        guard.before(response)
        response, data = _get_json(client, path, {**(params or {}), offset_param: offset, limit_param: limit})
        batch = _items(response, data, items)
        offset += len(batch)
        known = _total(response, data, total)
        more = bool(batch) and (offset < known if known is not None else len(batch) >= limit)
        guard.after(response, batch, more)
        yield Page(batch, data, response, offset, more)
        if not more:
            return


def _total(
    response: requests.Response, data: Any, total: str | Callable[[requests.Response, Any], int | None] | None
) -> int | None:
    value: Any
    if callable(total):
        value = total(response, data)
    elif total:
        value = json_path(data, total)
    else:  # read defensively: sent twice, the header arrives as "12, 12"
        value = (header(response.headers, "X-Total-Count") or "").partition(",")[0] or None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def paginate_pages(
    client: HttpClient,
    path: str,
    *,
    items: ItemsAt = "",
    params: Mapping[str, Any] | None = None,
    size: int = 100,
    first: int = 1,
    page_param: str = "page",
    size_param: str = "per_page",
    has_more: str | Callable[[requests.Response, Any], bool] | None = None,
) -> Iterator[Page]:
    """``?page=1&per_page=100``, ``page=2``… until ``has_more`` (a body path or a function) says no,
    or, without it, until a short page."""
    number = first
    guard, response = _Guard(client), None
    while True:
        guard.before(response)
        response, data = _get_json(client, path, {**(params or {}), page_param: number, size_param: size})
        batch = _items(response, data, items)
        if callable(has_more):
            more = bool(has_more(response, data))
        elif has_more:
            more = bool(json_path(data, has_more))
        else:
            more = len(batch) >= size
        more = more and bool(batch)
        guard.after(response, batch, more)
        yield Page(batch, data, response, number + 1 if more else None, more)
        if not more:
            return
        number += 1


def paginate_cursor(
    client: HttpClient,
    path: str,
    *,
    items: ItemsAt = "",
    params: Mapping[str, Any] | None = None,
    start: str | None = None,
    cursor_param: str = "cursor",
    next_cursor: str | Callable[[Any], str | None] = "meta.next_cursor",
    has_more: str | Callable[[Any], bool] | None = None,
) -> Iterator[Page]:
    """``?cursor=…`` from the previous answer (Zendesk ``page[after]``, incremental exports).

    ``next_cursor`` and ``has_more`` are body paths or functions of the body; without
    ``has_more`` a missing next cursor ends the listing.
    """
    cursor = start
    seen: set[str] = set()
    guard, response = _Guard(client), None
    while True:
        guard.before(response)
        query = {**(params or {})}
        if cursor is not None:
            query[cursor_param] = cursor
        response, data = _get_json(client, path, query)
        batch = _items(response, data, items)
        found = next_cursor(data) if callable(next_cursor) else json_path(data, next_cursor)
        after = None if found in (None, "") else str(found)
        if callable(has_more):
            more = bool(has_more(data))
        elif has_more:
            more = bool(json_path(data, has_more))
        else:
            more = after is not None
        more = more and after is not None
        if more and (after == cursor or after in seen):
            raise AdapterError(
                f"GET {safe_url(response.url)}: the server returned cursor {after!r} again; stopping a loop"
            )
        guard.count += 1
        yield Page(batch, data, response, after if after is not None else cursor, more)
        if not more:
            return
        if cursor is not None:
            seen.add(cursor)
        cursor = after


def paginate_links(
    client: HttpClient, path: str, *, items: ItemsAt = "", params: Mapping[str, Any] | None = None
) -> Iterator[Page]:
    """Follow ``Link: <…>; rel="next"`` (RFC 8288; ServiceNow, GitHub) until there is none.

    The link must stay on the client's origin (``HttpClient.url`` refuses others).
    """
    url: str = path
    query: Mapping[str, Any] | None = params
    seen: set[str] = set()
    guard, response = _Guard(client), None
    while True:
        guard.before(response)
        response, data = _get_json(client, url, query)
        batch = _items(response, data, items)
        link = response.links.get("next", {}).get("url")
        if link is not None and (link in seen or link == response.url):
            raise AdapterError(
                f"GET {safe_url(response.url)}: the server linked to {safe_url(link)} again; stopping a loop"
            )
        guard.count += 1
        yield Page(batch, data, response, link, link is not None)
        if link is None:
            return
        seen.add(response.url)
        url, query = link, None
