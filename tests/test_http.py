"""HttpClient and HttpAdapter over real HTTP against the local test server: retries, refusals, dry run."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests

from matrixcore import (
    AdapterContext,
    AdapterError,
    BearerAuth,
    ConnectionConfig,
    HttpAdapter,
    HttpClient,
    HttpError,
    ReadOnlyError,
    RequestBudget,
    RetryPolicy,
    Secret,
    header,
    header_date,
    http_settings_schema,
)
from matrixcore.testing import FakeClock, Fault, LocalServer, RecordedRequest, Reply


@pytest.fixture
def server(local_server: LocalServer) -> LocalServer:
    """Routes: GET/PUT /items/{id}, POST /items, GET /echo-auth (answers 400 with the auth header)."""
    local_server.route("GET", "/items/{id}")(lambda r: {"id": r.params["id"], "q": r.arg("q")})
    local_server.route("PUT", "/items/{id}")(lambda r: {"id": r.params["id"], **(r.json() or {})})
    local_server.route("POST", "/items")(lambda r: Reply(201, {"created": r.json()}))
    local_server.route("GET", "/echo-auth")(
        lambda r: Reply(400, {"error": "bad request", "you_sent": r.header("Authorization")})
    )
    return local_server


@pytest.fixture
def client(server: LocalServer, fast_retry: RetryPolicy) -> HttpClient:
    return HttpClient(server.url, retry=fast_retry, timeout=(2.0, 0.5))


def faulted(server: LocalServer) -> list[str | None]:
    return [r.fault for r in server.requests]


def test_get_json_sends_identity_and_parameters(client: HttpClient, server: LocalServer) -> None:
    assert client.get_json("/items/7", params={"q": "a b"}) == {"id": "7", "q": "a b"}
    [request] = server.requests
    assert request.header("User-Agent") == "matrixcore"
    assert request.header("Accept") == "application/json"
    assert request.query == {"q": ["a b"]}


@pytest.mark.parametrize("as_http_date", [False, True], ids=["delta-seconds", "http-date"])
def test_429_is_retried_after_the_servers_retry_after(
    client: HttpClient, server: LocalServer, fake_clock: FakeClock, as_http_date: bool
) -> None:
    server.inject(Fault.too_many_requests(retry_after=2, as_http_date=as_http_date), times=2)
    assert client.get_json("/items/1")["id"] == "1"
    assert fake_clock.sleeps == [2.0, 2.0]
    assert faulted(server) == ["429", "429", None]


def test_retry_after_is_capped_at_max_wait(server: LocalServer, fake_clock: FakeClock) -> None:
    client = HttpClient(server.url, retry=fake_clock.retry_policy(max_wait=30.0))
    server.inject(Fault.too_many_requests(retry_after=3600))
    client.get("/items/1")
    assert fake_clock.sleeps == [30.0]


def test_5xx_backs_off_exponentially_without_retry_after(
    client: HttpClient, server: LocalServer, fake_clock: FakeClock
) -> None:
    server.inject(Fault.server_error(503), times=1)
    server.inject(Fault.server_error(502), times=1)
    client.get("/items/1")
    assert fake_clock.sleeps == [0.5, 1.0]
    assert faulted(server) == ["503", "502", None]


def test_backoff_jitter_stays_within_its_bounds(server: LocalServer, fake_clock: FakeClock) -> None:
    client = HttpClient(server.url, retry=fake_clock.retry_policy(max_attempts=4, jitter=0.25))
    server.inject(Fault.server_error(500), times=3)
    client.get("/items/1")
    assert len(fake_clock.sleeps) == 3
    for slept, base in zip(fake_clock.sleeps, [0.5, 1.0, 2.0], strict=True):
        assert base <= slept <= base + 0.25


def test_503_retry_after_is_honoured_too(
    client: HttpClient, server: LocalServer, fake_clock: FakeClock
) -> None:
    server.inject(Fault.server_error(503, retry_after=4))
    client.get("/items/1")
    assert fake_clock.sleeps == [4.0]


def test_gives_up_after_max_attempts_with_a_clear_error(client: HttpClient, server: LocalServer) -> None:
    server.inject(Fault.server_error(500), times=None)
    with pytest.raises(HttpError) as caught:
        client.get("/items/1", params={"q": "x"})
    error = caught.value
    assert (error.status, error.attempts, error.retryable) == (500, 3, True)
    assert str(error) == (
        f'GET {server.url}/items/1?q=x -> 500 Internal Server Error: {{"error": "scripted 500"}} '
        "(gave up after 3 attempts)"
    )
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
def test_other_errors_fail_at_once(client: HttpClient, server: LocalServer, status: int) -> None:
    server.inject(Fault.status_code(status, {"error": "nope " + "x" * 1000}))
    with pytest.raises(HttpError) as caught:
        client.get("/items/1")
    assert caught.value.status == status
    assert len(server.requests) == 1
    message = str(caught.value)
    assert message.startswith(f"GET {server.url}/items/1 -> {status} ")
    assert '{"error": "nope xxx' in message
    assert "more characters)" in message
    assert len(message) < 700


def test_a_read_timeout_is_retried(client: HttpClient, server: LocalServer, fake_clock: FakeClock) -> None:
    server.inject(Fault.slow(1.5))
    assert client.get_json("/items/1")["id"] == "1"
    assert faulted(server) == ["slow", None]
    assert fake_clock.sleeps == [0.5]


def test_a_timeout_that_persists_names_the_timeout(server: LocalServer, fake_clock: FakeClock) -> None:
    client = HttpClient(server.url, retry=fake_clock.retry_policy(max_attempts=2), timeout=(2.0, 0.2))
    server.inject(Fault.slow(1.0), times=None)
    with pytest.raises(HttpError, match=r"timed out waiting for the answer .*gave up after 2 attempts"):
        client.get("/items/1")


@pytest.mark.parametrize(
    "fault", [Fault.drop_connection(), Fault.truncated()], ids=["reset", "truncated-body"]
)
def test_broken_connections_are_retried(client: HttpClient, server: LocalServer, fault: Fault) -> None:
    server.inject(fault)
    assert client.get_json("/items/3")["id"] == "3"
    assert faulted(server) == [fault.name, None]


def test_malformed_json_is_a_clear_error_and_not_retried(client: HttpClient, server: LocalServer) -> None:
    server.inject(Fault.malformed())
    with pytest.raises(HttpError, match=r"GET .*/items/1 -> 200: the answer is not valid JSON .*\{\"items\""):
        client.get_json("/items/1")
    assert len(server.requests) == 1


def test_post_is_not_retried_after_the_server_may_have_acted(client: HttpClient, server: LocalServer) -> None:
    server.inject(Fault.server_error(500), times=None)
    with pytest.raises(HttpError, match="-> 500"):
        client.post("/items", json={"a": 1})
    assert len(server.requests) == 1
    server.clear_faults()
    server.inject(Fault.drop_connection())
    with pytest.raises(HttpError, match="connection failed"):
        client.post("/items", json={"a": 1})
    assert len(server.requests) == 2


def test_post_is_retried_when_the_server_did_not_act(client: HttpClient, server: LocalServer) -> None:
    server.inject(Fault.too_many_requests(1))
    server.inject(Fault.server_error(503))
    assert client.post("/items", json={"a": 1}).status_code == 201
    assert faulted(server) == ["429", "503", None]


def test_post_with_an_idempotency_key_may_be_retried(client: HttpClient, server: LocalServer) -> None:
    server.inject(Fault.server_error(500))
    response = client.post("/items", json={"a": 1}, headers={"Idempotency-Key": "k1"}, idempotent=True)
    assert response.status_code == 201
    assert [r.header("Idempotency-Key") for r in server.requests] == ["k1", "k1"]


def test_put_is_idempotent_and_retried(client: HttpClient, server: LocalServer) -> None:
    server.inject(Fault.server_error(500))
    assert client.put("/items/4", json={"name": "x"}).json() == {"id": "4", "name": "x"}


def test_a_refused_connection_is_retried_even_for_post(fake_clock: FakeClock) -> None:
    with LocalServer() as gone:
        url = gone.url
    client = HttpClient(url, retry=fake_clock.retry_policy())
    with pytest.raises(HttpError, match=r"POST .* connection failed.*gave up after 3 attempts") as caught:
        client.post("/items", json={})
    assert caught.value.sent is False
    assert len(fake_clock.sleeps) == 2


def test_read_only_refuses_writes_before_sending(server: LocalServer, fast_retry: RetryPolicy) -> None:
    client = HttpClient(server.url, retry=fast_retry, read_only=True)
    assert client.get_json("/items/1")["id"] == "1"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(
            ReadOnlyError, match=rf"read-only connection: refused {method} .*nothing was sent"
        ):
            client.request(method, "/items/1", json={})
    assert server.methods() == ["GET"]


def test_credentials_never_leave_for_another_origin(client: HttpClient, server: LocalServer) -> None:
    with pytest.raises(AdapterError, match=r"refusing to send credentials to http://127\.0\.0\.2:9/x"):
        client.get("http://127.0.0.2:9/x")
    assert server.requests == []
    assert client.get_json(f"{server.url}/items/5")["id"] == "5"  # an absolute URL on the same origin is fine


def test_secrets_never_reach_errors_or_logs(
    server: LocalServer, fast_retry: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "tok-9f8e7d6c5b4a"
    client = HttpClient(server.url, retry=fast_retry, auth=BearerAuth(Secret(token, "env:TOKEN")))
    with pytest.raises(HttpError) as caught:
        client.get("/echo-auth", params={"api_key": "k-123456789", "page": "2"})
    message = str(caught.value)
    assert server.requests[0].header("Authorization") == f"Bearer {token}"
    assert token not in message
    assert "k-123456789" not in message
    assert "api_key=***" in message
    assert "page=2" in message
    server.inject(Fault.server_error(500))
    client.get("/items/1", params={"token": token})
    assert token not in caplog.text
    assert "retrying" in caplog.text


def test_the_budget_paces_requests(server: LocalServer, fake_clock: FakeClock) -> None:
    budget = RequestBudget(60, burst=1, clock=fake_clock.monotonic, sleep=fake_clock.sleep)
    client = HttpClient(server.url, retry=fake_clock.retry_policy(), budget=budget)
    for n in range(3):
        client.get(f"/items/{n}")
    assert fake_clock.sleeps == [1.0, 1.0]


def test_the_budget_learns_from_the_servers_headers(server: LocalServer, fake_clock: FakeClock) -> None:
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}
    server.route("GET", "/limited")(lambda r: Reply(200, {}, headers))
    budget = RequestBudget(clock=fake_clock.monotonic, sleep=fake_clock.sleep)
    client = HttpClient(server.url, retry=fake_clock.retry_policy(), budget=budget)
    client.get("/limited")
    assert fake_clock.sleeps == []
    client.get("/items/1")
    assert fake_clock.sleeps == [7.0]


def test_a_429_pauses_every_request_through_the_budget(server: LocalServer, fake_clock: FakeClock) -> None:
    budget = RequestBudget(clock=fake_clock.monotonic, sleep=fake_clock.sleep)
    other_clock = FakeClock(fake_clock.monotonic())
    refused = HttpClient(server.url, retry=other_clock.retry_policy(max_attempts=1), budget=budget)
    server.inject(Fault.too_many_requests(5))
    with pytest.raises(HttpError):
        refused.get("/items/1")
    HttpClient(server.url, retry=fake_clock.retry_policy(), budget=budget).get("/items/2")
    assert fake_clock.sleeps == [5.0]


class _EchoAdapter(HttpAdapter):
    """The smallest HttpAdapter: what the base gives a subclass."""

    def check(self) -> None:
        self.http.get("/items/0")


def test_http_adapter_reads_the_common_settings(
    server: LocalServer, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = requests.Session()
    settings: dict[str, Any] = {
        "base_url": server.url + "/",
        "auth": {"type": "bearer", "token": Secret("abc-123-def-456")},
        "timeout": {"connect": 1, "read": 2},
        "rate_limit": {"per_minute": 120, "burst": 1},
        "retry": {"max_attempts": 7},
    }
    context = AdapterContext(
        session=session, retry=fake_clock.retry_policy(max_attempts=2), user_agent="ua/1"
    )
    adapter = _EchoAdapter(ConnectionConfig("conn", "echo", settings), context)
    adapter.check()
    adapter.check()
    assert server.requests[0].header("Authorization") == "Bearer abc-123-def-456"
    assert server.requests[0].header("User-Agent") == "ua/1"
    assert adapter.http.timeout == (1.0, 2.0)
    assert adapter.http.retry.max_attempts == 2  # the context's policy wins over the settings
    assert fake_clock.sleeps == [0.5]  # 120 a minute, burst 1: the second request waits half a second
    assert adapter.http.session is session
    adapter.close()
    assert adapter.http.session is session  # an injected session belongs to the caller


def test_http_adapter_uses_settings_retry_without_a_context_policy(server: LocalServer) -> None:
    settings = {"base_url": server.url, "retry": {"max_attempts": 4, "backoff_base": 0.1}}
    adapter = _EchoAdapter(ConnectionConfig("conn", "echo", settings), AdapterContext(read_only=True))
    assert (adapter.http.retry.max_attempts, adapter.http.retry.backoff_base) == (4, 0.1)
    assert adapter.read_only
    with pytest.raises(ReadOnlyError):
        adapter.http.post("/items", json={})
    adapter.close()


def test_http_settings_schema_merges_and_rejects_unknown_keys() -> None:
    from jsonschema import Draft202012Validator

    schema = http_settings_schema({"page_size": {"type": "integer"}}, title="X")
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    good = {
        "base_url": "https://x.example",
        "auth": {"type": "bearer", "token": {"env": "T"}},
        "page_size": 5,
    }
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "auth": {"type": "bearer", "token": "inline-secret"}}))
    assert list(validator.iter_errors({**good, "verify_tls": False}))
    assert list(validator.iter_errors({**good, "base_url": "ftp://x"}))


def test_every_request_is_recorded_with_its_body(client: HttpClient, server: LocalServer) -> None:
    client.post("/items", json={"name": "printer"})
    request: RecordedRequest = server.requests[-1]
    assert (request.method, request.path, request.json()) == ("POST", "/items", {"name": "printer"})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Date": "Mon, 07 Dec 2026 17:00:00 GMT"}, "2026-12-07T17:00:00+00:00"),
        ({"date": "Mon, 07 Dec 2026 17:00:00"}, "2026-12-07T17:00:00+00:00"),  # no zone: GMT
        ({"Date": "Mon, 07 Dec 2026 17:00:00 -0000"}, "2026-12-07T17:00:00+00:00"),
        ({"Date": "Mon, 07 Dec 2026 18:00:00 +0100"}, "2026-12-07T17:00:00+00:00"),
        (
            {"Date": "Mon, 07 Dec 2026 17:00:00 GMT, Mon, 07 Dec 2026 17:00:09 GMT"},
            "2026-12-07T17:00:00+00:00",
        ),
        ({"Date": "soon, 99 Foo, Mon, 07 Dec 2026 17:00:00 GMT"}, "2026-12-07T17:00:00+00:00"),
        ({"Date": "yesterday"}, None),
        ({"Date": ""}, None),
        ({}, None),
    ],
)
def test_header_date_reads_what_proxies_send_and_never_raises(
    headers: dict[str, str], expected: str | None
) -> None:
    """Issue 13 item 9: the shared base reads dates defensively for every adapter (aware UTC or None)."""
    got = header_date(requests.structures.CaseInsensitiveDict(headers))
    assert (got.isoformat() if got else None) == expected
    assert header_date(headers) == got  # a plain mapping too


def test_header_is_case_insensitive_and_empty_is_none() -> None:
    assert header({"x-total-count": " 12 "}, "X-Total-Count") == "12"
    assert header({"X-Total-Count": "  "}, "X-Total-Count") is None
    assert header(None, "Date") is None
