"""Proxy settings are read from the environment once per session and host, and still decided per host.

Real HTTP on loopback: an API server (which also issues OAuth2 tokens) and a forwarding proxy that
records every request it relays. ``NO_PROXY`` names the API's host (127.0.0.1) and not the token
URL's (localhost), so the API requests go direct and the token request goes through the proxy.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from matrixcore._auth import OAuth2ClientCredentials
from matrixcore._http import HttpClient
from matrixcore._session import Session

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class _Api(BaseHTTPRequestHandler):
    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer({"path": self.path, "authorization": self.headers.get("Authorization")})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer({"access_token": "token-1", "token_type": "bearer", "expires_in": 3600})

    def log_message(self, *args: Any) -> None:
        pass


class _Proxy(BaseHTTPRequestHandler):
    """A forwarding HTTP proxy: relays absolute-URI requests and records them."""

    seen: list[tuple[str, str]]

    def _relay(self) -> None:
        self.seen.append((self.command, self.path))
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=5)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")}
        upstream.request(self.command, target.path or "/", body=body or None, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = _relay

    def log_message(self, *args: Any) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api() -> Iterator[int]:
    yield from _serve(_Api)


@pytest.fixture
def proxy() -> Iterator[tuple[int, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    handler = type("RecordingProxy", (_Proxy,), {"seen": seen})
    for port in _serve(handler):
        yield port, seen


def _environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in _PROXY_VARIABLES:
        for spelling in (name, name.upper()):
            if name in values:
                monkeypatch.setenv(spelling, values[name])
            else:
                monkeypatch.delenv(spelling, raising=False)


def _client(api: int) -> HttpClient:
    auth = OAuth2ClientCredentials(f"http://localhost:{api}/token", "client", "secret")
    return HttpClient(f"http://127.0.0.1:{api}/api/", auth=auth)


def test_no_proxy_sends_the_api_direct_and_the_token_url_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch, api: int, proxy: tuple[int, list[tuple[str, str]]]
) -> None:
    port, seen = proxy
    _environment(monkeypatch, http_proxy=f"http://127.0.0.1:{port}", no_proxy="127.0.0.1")
    client = _client(api)
    try:
        assert isinstance(client.session, Session)
        answer = client.get_json("tickets")
        assert answer == {"path": "/api/tickets", "authorization": "Bearer token-1"}
        assert seen == [("POST", f"http://localhost:{api}/token")]  # the token via the proxy, the API not
    finally:
        client.close()


def test_the_environment_is_read_once_per_session_and_again_by_a_new_one(
    monkeypatch: pytest.MonkeyPatch, api: int, proxy: tuple[int, list[tuple[str, str]]]
) -> None:
    port, seen = proxy
    _environment(monkeypatch, http_proxy=f"http://127.0.0.1:{port}", no_proxy="127.0.0.1,localhost")
    client = _client(api)
    try:
        client.get_json("first")
        assert seen == []
        # The environment changes under a running session: it keeps what it resolved at its start.
        _environment(monkeypatch, http_proxy=f"http://127.0.0.1:{port}")
        client.get_json("second")
        assert seen == []
    finally:
        client.close()
    fresh = _client(api)  # a new session (the daemon reopening its adapter) reads it again
    try:
        assert fresh.get_json("third")["path"] == "/api/third"
        assert seen == [
            ("POST", f"http://localhost:{api}/token"),
            ("GET", f"http://127.0.0.1:{api}/api/third"),
        ]
    finally:
        fresh.close()


def test_explicit_proxies_and_verify_still_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _environment(monkeypatch, https_proxy="http://env-proxy:3128", no_proxy="internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/env-bundle.pem")
    session = Session()
    settings = session.merge_environment_settings(
        "https://desk.example/api", {"https": "http://mine:8080"}, None, "/my/ca.pem", None
    )
    assert settings["proxies"]["https"] == "http://mine:8080"
    assert settings["verify"] == "/my/ca.pem"
    settings = session.merge_environment_settings("https://desk.example/api", {}, None, True, None)
    assert settings["proxies"]["https"] == "http://env-proxy:3128"
    assert settings["verify"] == "/etc/ssl/env-bundle.pem"
    bypassed = session.merge_environment_settings("https://internal.example/x", {}, None, True, None)
    assert "https" not in bypassed["proxies"]
    session.trust_env = False
    assert (
        session.merge_environment_settings("https://desk.example/api", {}, None, True, None)["proxies"] == {}
    )
