"""The adapter authors' local HTTP server: routes, faults, the request log, and its own errors."""

from __future__ import annotations

import pytest
import requests

from matrixcore.testing import Fault, LocalServer, RecordedRequest, Reply


def test_routes_with_placeholders_and_what_handlers_may_return(local_server: LocalServer) -> None:
    local_server.route("GET", "/t/{id}/m/{mid}")(lambda r: dict(r.params))
    local_server.route("POST", "/t")(lambda r: Reply(201, {"got": r.json()}, {"Location": "/t/9"}))
    local_server.route("DELETE", "/t/{id}")(lambda r: None)
    local_server.route("GET", "/text")(lambda r: "plain")
    base = local_server.url
    assert requests.get(f"{base}/t/4/m/x", timeout=5).json() == {"id": "4", "mid": "x"}
    created = requests.post(f"{base}/t", json={"a": 1}, timeout=5)
    assert (created.status_code, created.json(), created.headers["Location"]) == (
        201,
        {"got": {"a": 1}},
        "/t/9",
    )
    assert requests.delete(f"{base}/t/4", timeout=5).status_code == 204
    assert requests.get(f"{base}/text", timeout=5).text == "plain"


def test_unknown_routes_and_methods(local_server: LocalServer) -> None:
    local_server.route("GET", "/t")(lambda r: [])
    missing = requests.get(f"{local_server.url}/nope", timeout=5)
    assert (missing.status_code, missing.json()) == (404, {"error": "no route for GET /nope"})
    wrong = requests.put(f"{local_server.url}/t", timeout=5)
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "GET")


def test_the_request_log_records_everything(local_server: LocalServer) -> None:
    local_server.route("POST", "/t")(lambda r: {})
    requests.post(
        f"{local_server.url}/t?a=1&a=2&b=",
        json={"x": [1]},
        auth=("u", "p:w"),
        headers={"X-Trace": "t1"},
        timeout=5,
    )
    [request] = local_server.requests
    assert (request.method, request.path, request.query) == ("POST", "/t", {"a": ["1", "2"], "b": [""]})
    assert request.arg("a") == "1"
    assert request.json() == {"x": [1]}
    assert request.header("x-trace") == "t1"
    assert request.basic_auth == ("u", "p:w")
    assert request.bearer_token is None
    assert local_server.requests_to("/t", "post") == [request]
    assert local_server.requests_to("/other") == []
    local_server.clear_requests()
    assert local_server.requests == []


def test_faults_apply_in_order_to_matching_requests_and_then_stop(local_server: LocalServer) -> None:
    local_server.route("GET", "/a/{id}")(lambda r: {"ok": True})
    first = local_server.inject(Fault.server_error(502), path="/a/{id}", method="GET", times=2)
    local_server.inject(Fault.status_code(418, {"tea": True}), path="/a/1")
    statuses = [requests.get(f"{local_server.url}/a/1", timeout=5).status_code for _ in range(4)]
    assert statuses == [502, 502, 418, 200]
    assert first.used == 2
    assert first.remaining == 0
    assert [r.fault for r in local_server.requests] == ["502", "502", "418", None]


def test_a_fault_for_every_request_until_cleared(local_server: LocalServer) -> None:
    local_server.route("GET", "/a")(lambda r: {})
    local_server.inject(Fault.too_many_requests(retry_after=7), times=None)
    refused = [requests.get(f"{local_server.url}/a", timeout=5) for _ in range(3)]
    assert [(r.status_code, r.headers["Retry-After"]) for r in refused] == [(429, "7")] * 3
    local_server.clear_faults()
    assert requests.get(f"{local_server.url}/a", timeout=5).status_code == 200


def test_retry_after_as_an_http_date_matches_the_date_header(local_server: LocalServer) -> None:
    from email.utils import parsedate_to_datetime

    local_server.inject(Fault.too_many_requests(retry_after=5, as_http_date=True))
    response = requests.get(f"{local_server.url}/x", timeout=5)
    delta = parsedate_to_datetime(response.headers["Retry-After"]) - parsedate_to_datetime(
        response.headers["Date"]
    )
    assert delta.total_seconds() == 5


def test_dropped_truncated_and_malformed_answers(local_server: LocalServer) -> None:
    local_server.route("GET", "/a")(lambda r: {"items": list(range(50))})
    local_server.inject(Fault.drop_connection())
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{local_server.url}/a", timeout=5)
    local_server.inject(Fault.truncated())
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{local_server.url}/a", timeout=5)
    local_server.inject(Fault.malformed())
    with pytest.raises(requests.exceptions.JSONDecodeError):
        requests.get(f"{local_server.url}/a", timeout=5).json()
    assert requests.get(f"{local_server.url}/a", timeout=5).json()["items"][-1] == 49


def test_a_slow_answer_exceeds_a_read_timeout(local_server: LocalServer) -> None:
    local_server.route("GET", "/a")(lambda r: {})
    local_server.inject(Fault.slow(1.0))
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{local_server.url}/a", timeout=(2, 0.2))


def test_handler_errors_answer_500_and_are_kept() -> None:
    with LocalServer() as server:

        @server.route("GET", "/boom")
        def boom(request: RecordedRequest) -> object:
            raise KeyError("missing")

        response = requests.get(f"{server.url}/boom", timeout=5)
        assert response.status_code == 500
        assert response.json() == {"error": "emulator error: KeyError: 'missing'"}
        assert len(server.errors) == 1
        assert "KeyError" in server.errors[0]


def test_loopback_only_and_a_clear_error_before_start() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        LocalServer("0.0.0.0")
    server = LocalServer()
    with pytest.raises(RuntimeError, match="not started"):
        server.url  # noqa: B018
    with server:
        assert server.url.startswith("http://127.0.0.1:")
    server.stop()  # stopping twice is harmless


def test_a_fault_after_applying_lets_the_route_act_first(local_server: LocalServer) -> None:
    """The tool did the write, and the answer that says so was lost or unreadable."""
    done: list[str] = []
    local_server.route("POST", "/notes")(lambda r: done.append("posted") or {"id": len(done)})
    local_server.inject(Fault.lost_answer())
    with pytest.raises(requests.ConnectionError):
        requests.post(local_server.url + "/notes", json={}, timeout=5)
    local_server.inject(Fault.malformed().after_applying())
    assert requests.post(local_server.url + "/notes", json={}, timeout=5).status_code == 200
    assert done == ["posted", "posted"]
    assert [r.fault for r in local_server.requests] == ["lost-answer", "malformed-json-after-applying"]
