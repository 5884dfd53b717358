"""Offset, page, cursor and Link-header pagination over real HTTP."""

from __future__ import annotations

import pytest

from matrixcore import (
    AdapterError,
    HttpClient,
    RetryPolicy,
    json_path,
    paginate_cursor,
    paginate_links,
    paginate_offset,
    paginate_pages,
)
from matrixcore.testing import Fault, LocalServer, RecordedRequest, Reply

ITEMS = [{"id": n} for n in range(1, 8)]


def ids(pages: list[list[dict[str, int]]]) -> list[list[int]]:
    return [[item["id"] for item in page] for page in pages]


@pytest.fixture
def client(local_server: LocalServer, fast_retry: RetryPolicy) -> HttpClient:
    return HttpClient(local_server.url, retry=fast_retry)


def test_offset_pages_until_a_short_page(client: HttpClient, local_server: LocalServer) -> None:
    @local_server.route("GET", "/items")
    def items(request: RecordedRequest) -> object:
        offset, limit = int(request.arg("offset") or 0), int(request.arg("limit") or 0)
        return {"result": ITEMS[offset : offset + limit]}

    pages = list(paginate_offset(client, "/items", items="result", limit=3, params={"q": "x"}))
    assert ids([list(p.items) for p in pages]) == [[1, 2, 3], [4, 5, 6], [7]]
    assert [p.next for p in pages] == [3, 6, 7]
    assert [p.has_more for p in pages] == [True, True, False]
    assert [(r.arg("offset"), r.arg("q")) for r in local_server.requests] == [
        ("0", "x"),
        ("3", "x"),
        ("6", "x"),
    ]


def test_offset_stops_at_the_total_without_an_extra_request(
    client: HttpClient, local_server: LocalServer
) -> None:
    @local_server.route("GET", "/items")
    def items(request: RecordedRequest) -> Reply:
        offset = int(request.arg("offset") or 0)
        return Reply(200, ITEMS[offset : offset + 3][:6], {"X-Total-Count": "6"})

    pages = list(paginate_offset(client, "/items", limit=3))
    assert ids([list(p.items) for p in pages]) == [[1, 2, 3], [4, 5, 6]]
    assert len(local_server.requests) == 2


def test_offset_goes_on_past_a_short_page_while_the_total_says_more(
    client: HttpClient, local_server: LocalServer
) -> None:
    """A server that filters a page (permissions) may send fewer items than asked: the total decides."""

    @local_server.route("GET", "/items")
    def items(request: RecordedRequest) -> object:
        offset = int(request.arg("offset") or 0)
        page = ITEMS[offset : offset + 3]
        return {"total": 7, "items": page[:2] if offset == 0 else page}

    pages = list(paginate_offset(client, "/items", items="items", limit=3, total="total"))
    assert ids([list(p.items) for p in pages]) == [[1, 2], [3, 4, 5], [6, 7]]


def test_pages_by_number_with_has_more(client: HttpClient, local_server: LocalServer) -> None:
    @local_server.route("GET", "/items")
    def items(request: RecordedRequest) -> object:
        page, size = int(request.arg("page") or 0), int(request.arg("per_page") or 0)
        chunk = ITEMS[(page - 1) * size : page * size]
        return {"data": chunk, "more": page * size < len(ITEMS)}

    pages = list(paginate_pages(client, "/items", items="data", size=4, has_more="more"))
    assert ids([list(p.items) for p in pages]) == [[1, 2, 3, 4], [5, 6, 7]]
    assert [p.next for p in pages] == [2, None]


def test_cursor_pages_keep_the_last_cursor_to_resume_from(
    client: HttpClient, local_server: LocalServer
) -> None:
    @local_server.route("GET", "/items")
    def items(request: RecordedRequest) -> object:
        start = int(request.arg("cursor") or 0)
        chunk = ITEMS[start : start + 3]
        after = str(start + len(chunk))
        return {"items": chunk, "meta": {"after_cursor": after, "has_more": start + 3 < len(ITEMS)}}

    pages = list(
        paginate_cursor(
            client,
            "/items",
            items="items",
            next_cursor="meta.after_cursor",
            has_more="meta.has_more",
            start="0",
        )
    )
    assert ids([list(p.items) for p in pages]) == [[1, 2, 3], [4, 5, 6], [7]]
    assert [p.next for p in pages] == ["3", "6", "7"]
    resumed = paginate_cursor(
        client, "/items", items="items", next_cursor="meta.after_cursor", has_more="meta.has_more", start="7"
    )
    assert [(list(p.items), p.next, p.has_more) for p in resumed] == [([], "7", False)]


def test_cursor_ends_when_the_next_cursor_is_missing(client: HttpClient, local_server: LocalServer) -> None:
    local_server.route("GET", "/items")(
        lambda r: {"items": [1], "meta": {"next_cursor": None if r.arg("cursor") else "c2"}}
    )
    assert [p.next for p in paginate_cursor(client, "/items", items="items")] == ["c2", "c2"]
    assert [r.arg("cursor") for r in local_server.requests] == [None, "c2"]


def test_a_repeated_cursor_is_an_error_not_a_loop(client: HttpClient, local_server: LocalServer) -> None:
    local_server.route("GET", "/items")(lambda r: {"items": [1], "meta": {"next_cursor": "same"}})
    with pytest.raises(AdapterError, match="returned cursor 'same' again"):
        list(paginate_cursor(client, "/items", items="items"))
    assert len(local_server.requests) == 2


def test_link_headers_are_followed(client: HttpClient, local_server: LocalServer) -> None:
    @local_server.route("GET", "/items")
    def items(request: RecordedRequest) -> Reply:
        offset = int(request.arg("sysparm_offset") or 0)
        headers = {}
        if offset + 3 < len(ITEMS):
            link = f"{local_server.url}/items?sysparm_offset={offset + 3}&sysparm_limit=3"
            headers["Link"] = f'<{link}>;rel="next", <{local_server.url}/items?sysparm_offset=0>;rel="first"'
        return Reply(200, {"result": ITEMS[offset : offset + 3]}, headers)

    pages = list(paginate_links(client, "/items", items="result", params={"sysparm_limit": 3}))
    assert ids([list(p.items) for p in pages]) == [[1, 2, 3], [4, 5, 6], [7]]
    assert pages[-1].next is None
    assert [r.arg("sysparm_offset") for r in local_server.requests] == [None, "3", "6"]


def test_a_link_to_another_origin_is_refused(client: HttpClient, local_server: LocalServer) -> None:
    local_server.route("GET", "/items")(
        lambda r: Reply(200, [1], {"Link": '<http://127.0.0.2:9/steal>; rel="next"'})
    )
    with pytest.raises(AdapterError, match="refusing to send credentials"):
        list(paginate_links(client, "/items"))


def test_a_truncated_page_is_fetched_again(client: HttpClient, local_server: LocalServer) -> None:
    local_server.route("GET", "/items")(lambda r: ITEMS[int(r.arg("offset") or 0) :][:3])
    local_server.inject(Fault.truncated(), path="/items", times=1)
    pages = list(paginate_offset(client, "/items", limit=3))
    assert ids([list(p.items) for p in pages]) == [[1, 2, 3], [4, 5, 6], [7]]
    assert [r.fault for r in local_server.requests] == ["truncated", None, None, None]


def test_items_must_be_a_list(client: HttpClient, local_server: LocalServer) -> None:
    local_server.route("GET", "/items")(lambda r: {"result": {"not": "a list"}})
    with pytest.raises(AdapterError, match="expected a list of items at 'result', got dict"):
        list(paginate_offset(client, "/items", items="result"))


def test_json_path() -> None:
    data = {"meta": {"after": "c", "list": [{"x": 1}]}}
    assert json_path(data, "meta.after") == "c"
    assert json_path(data, "meta.list.0.x") == 1
    assert json_path(data, "meta.list.5.x", "d") == "d"
    assert json_path(data, "meta.nope") is None
    assert json_path(data, "") is data
