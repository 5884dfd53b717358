"""Basic, bearer and OAuth2 client-credentials auth over real HTTP; credentials never shown."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from matrixcore import (
    AdapterError,
    BasicAuth,
    BearerAuth,
    HttpClient,
    HttpError,
    OAuth2ClientCredentials,
    RetryPolicy,
    Secret,
    auth_from_settings,
)
from matrixcore._auth import as_secret
from matrixcore.testing import FakeClock, Fault, LocalServer, RecordedRequest, Reply

CLIENT_SECRET = "cs-0b7f3e91d2a4"


class TokenServer:
    """An OAuth2 token endpoint and an API that accepts only the current token."""

    def __init__(self, server: LocalServer, expires_in: int | None = 60) -> None:
        self.server = server
        self.issued = 0
        self.current = ""
        self.expires_in = expires_in
        server.route("POST", "/oauth/token")(self.token)
        server.route("GET", "/api/thing")(self.api)
        server.route("POST", "/api/thing")(self.api)

    def token(self, request: RecordedRequest) -> Reply:
        form = request.form
        creds = request.basic_auth or (form.get("client_id", ""), form.get("client_secret", ""))
        if form.get("grant_type") != "client_credentials" or creds != ("matrixcore", CLIENT_SECRET):
            return Reply(401, {"error": "invalid_client"})
        self.issued += 1
        self.current = f"at-{self.issued}-5c1d9a"
        body: dict[str, object] = {"access_token": self.current, "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return Reply(200, body)

    def api(self, request: RecordedRequest) -> Reply:
        if request.bearer_token != self.current:
            return Reply(401, {"error": "invalid_token"})
        return Reply(200, {"ok": True, "token": request.bearer_token})

    def revoke(self) -> None:
        """The server forgets the token early (rotation, restart)."""
        self.current = "revoked"


@pytest.fixture
def tokens(local_server: LocalServer) -> TokenServer:
    return TokenServer(local_server)


def oauth(
    server: LocalServer, clock: FakeClock, secret: str = CLIENT_SECRET, **kwargs: object
) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        f"{server.url}/oauth/token",
        "matrixcore",
        Secret(secret, "env:CS"),
        clock=clock.monotonic,
        **kwargs,  # type: ignore[arg-type]
    )


def test_oauth2_token_is_fetched_once_and_cached(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    client = HttpClient(local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry)
    for _ in range(3):
        assert client.get_json("/api/thing")["token"] == "at-1-5c1d9a"
    assert tokens.issued == 1
    token_request = local_server.requests_to("/oauth/token")[0]
    assert token_request.form == {"grant_type": "client_credentials"}
    assert token_request.basic_auth == ("matrixcore", CLIENT_SECRET)


def test_oauth2_token_is_renewed_before_it_expires(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    auth = oauth(local_server, fake_clock, refresh_margin=30)
    client = HttpClient(local_server.url, auth=auth, retry=fast_retry)
    client.get("/api/thing")
    fake_clock.advance(29)
    client.get("/api/thing")
    assert tokens.issued == 1
    fake_clock.advance(2)  # 31 s: within the 30 s margin of the 60 s lifetime
    assert client.get_json("/api/thing")["token"] == "at-2-5c1d9a"
    assert tokens.issued == 2
    assert auth.tokens_fetched == 2


def test_a_401_renews_the_token_once_and_resends(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    client = HttpClient(local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry)
    client.get("/api/thing")
    tokens.revoke()
    response = client.post("/api/thing", json={"x": 1})
    assert response.json()["token"] == "at-2-5c1d9a"
    api = local_server.requests_to("/api/thing")
    assert [r.bearer_token for r in api] == ["at-1-5c1d9a", "at-1-5c1d9a", "at-2-5c1d9a"]
    assert api[2].json() == {"x": 1}  # the resent request kept its body


def test_a_token_the_api_keeps_refusing_fails_after_one_renewal(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    local_server.inject(
        Fault.status_code(401, {"error": "insufficient_scope"}), path="/api/thing", times=None
    )
    client = HttpClient(local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry)
    with pytest.raises(HttpError, match="-> 401") as caught:
        client.get("/api/thing")
    assert caught.value.status == 401
    assert len(local_server.requests_to("/api/thing")) == 2
    assert tokens.issued == 2


def test_client_secret_in_the_body_when_asked(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    client = HttpClient(
        local_server.url, auth=oauth(local_server, fake_clock, client_auth="body", scope="tickets")
    )
    client.get("/api/thing")
    request = local_server.requests_to("/oauth/token")[0]
    assert request.basic_auth is None
    assert request.form == {
        "grant_type": "client_credentials",
        "scope": "tickets",
        "client_id": "matrixcore",
        "client_secret": CLIENT_SECRET,
    }


def test_a_token_without_a_lifetime_is_used_until_refused(
    local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    tokens = TokenServer(local_server, expires_in=None)
    client = HttpClient(local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry)
    client.get("/api/thing")
    fake_clock.advance(86_400)
    client.get("/api/thing")
    assert tokens.issued == 1


def test_a_refused_client_secret_is_a_clear_error_without_the_secret(
    tokens: TokenServer,
    local_server: LocalServer,
    fake_clock: FakeClock,
    fast_retry: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-secret-77aa"
    client = HttpClient(
        local_server.url, auth=oauth(local_server, fake_clock, secret=wrong), retry=fast_retry
    )
    with pytest.raises(AdapterError) as caught:
        client.get("/api/thing")
    message = str(caught.value)
    assert message.startswith(f"OAuth2 token request POST {local_server.url}/oauth/token -> 401 ")
    assert "invalid_client" in message
    assert caught.value.status == 401
    assert local_server.requests_to("/api/thing") == []
    basic = base64.b64encode(f"matrixcore:{wrong}".encode()).decode()
    for leak in (wrong, basic):
        assert leak not in message
        assert leak not in caplog.text


def test_the_token_endpoint_is_retried_on_5xx(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    local_server.inject(Fault.server_error(503), path="/oauth/token")
    client = HttpClient(local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry)
    assert client.get_json("/api/thing")["ok"] is True
    assert [r.fault for r in local_server.requests_to("/oauth/token")] == ["503", None]


def test_a_read_only_client_may_still_get_a_token(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    client = HttpClient(
        local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry, read_only=True
    )
    assert client.get_json("/api/thing")["ok"] is True
    assert [(r.method, r.path) for r in local_server.requests] == [
        ("POST", "/oauth/token"),
        ("GET", "/api/thing"),
    ]


def test_basic_auth(local_server: LocalServer, fast_retry: RetryPolicy) -> None:
    local_server.route("GET", "/me")(lambda r: {"login": r.basic_auth})
    auth = BasicAuth("agent@example.com", Secret("p@ss:wörd", "file:pw"))
    client = HttpClient(local_server.url, auth=auth, retry=fast_retry)
    assert client.get_json("/me") == {"login": ["agent@example.com", "p@ss:wörd"]}
    assert "p@ss" not in repr(auth)


def test_bearer_in_a_custom_header(local_server: LocalServer, fast_retry: RetryPolicy) -> None:
    local_server.route("GET", "/me")(
        lambda r: {"key": r.header("X-API-Key"), "auth": r.header("Authorization")}
    )
    client = HttpClient(
        local_server.url, auth=BearerAuth("k-1", header="X-API-Key", scheme=""), retry=fast_retry
    )
    assert client.get_json("/me") == {"key": "k-1", "auth": None}


def test_auth_from_settings_resolves_env_and_file_secrets(
    local_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HD_TOKEN", "from-env-123")
    (tmp_path / "pw").write_text("from-file-456\nignored\n")
    bearer = auth_from_settings({"type": "bearer", "token": {"env": "HD_TOKEN"}})
    assert isinstance(bearer, BearerAuth)
    assert bearer.token.reveal() == "from-env-123"
    basic = auth_from_settings(
        {"type": "basic", "username": "u", "password": as_secret({"file": str(tmp_path / "pw")})}
    )
    assert isinstance(basic, BasicAuth)
    assert basic.password.reveal() == "from-file-456"
    flow = auth_from_settings(
        {
            "type": "oauth2",
            "token_url": f"{local_server.url}/t",
            "client_id": "c",
            "client_secret": Secret("oauth-secret-abc"),
        }
    )
    assert isinstance(flow, OAuth2ClientCredentials)
    assert auth_from_settings(None) is None


def test_auth_settings_errors_name_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HD_MISSING", raising=False)
    with pytest.raises(AdapterError, match="token: environment variable HD_MISSING is not set"):
        auth_from_settings({"type": "bearer", "token": {"env": "HD_MISSING"}})
    with pytest.raises(AdapterError, match="unknown 'digest'"):
        auth_from_settings({"type": "digest"})


def test_a_failing_token_endpoint_is_retried_even_for_a_post(
    tokens: TokenServer, local_server: LocalServer, fake_clock: FakeClock, fast_retry: RetryPolicy
) -> None:
    """The API POST waits for the token, so it was never sent: retrying cannot post twice."""
    local_server.inject(Fault.server_error(500), path="/oauth/token")
    client = HttpClient(local_server.url, auth=oauth(local_server, fake_clock), retry=fast_retry)
    assert client.post("/api/thing", json={"x": 1}).json()["ok"] is True
    assert [(r.method, r.path, r.fault) for r in local_server.requests] == [
        ("POST", "/oauth/token", "500"),
        ("POST", "/oauth/token", None),
        ("POST", "/api/thing", None),
    ]
