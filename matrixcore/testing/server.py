"""A real HTTP server on 127.0.0.1 for adapter tests: routes, scripted faults, and a request log.

Adapters are tested over real sockets, not mocks of ``requests``: timeouts, dropped connections and
truncated bodies then behave as they do in production. Register handlers for an emulator of your
tool's API, script faults ("the next 2 requests to /api/tickets answer 429 with Retry-After: 1"),
and afterwards read ``server.requests`` to prove what was, and was not, sent.

    with LocalServer() as server:
        server.route("GET", "/api/tickets/{id}")(lambda request: {"id": request.params["id"]})
        server.inject(Fault.too_many_requests(retry_after=1), path="/api/tickets/{id}", times=2)
        ...
        assert [r.method for r in server.requests] == ["GET", "GET", "GET"]
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["Fault", "FaultRule", "Handler", "LocalServer", "RecordedRequest", "Reply", "compile_route"]

_LOG: Final = logging.getLogger("matrixcore.testing.server")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    #: Values of ``{name}`` placeholders in the matched route.
    params: Mapping[str, str] = field(default_factory=dict)
    #: The fault that answered this request, if one did (``"429"``, ``"drop"``, …).
    fault: str | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, by case-insensitive name."""
        lower = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lower), default)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body decoded as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """``(username, password)`` from an ``Authorization: Basic`` header."""
        scheme, _, value = (self.header("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if sep else None

    @property
    def bearer_token(self) -> str | None:
        """The token from an ``Authorization: Bearer`` header."""
        scheme, _, value = (self.header("Authorization") or "").partition(" ")
        return value if scheme.lower() == "bearer" and value else None

    @property
    def form(self) -> Mapping[str, str]:
        """An ``application/x-www-form-urlencoded`` body, first value per key."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: a status, a body (JSON-able, text or bytes) and headers."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if self.body is None:
            return b"", headers
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode(), headers


#: A route handler: gets the request, returns a ``Reply``, a JSON-able value (200), or ``None`` (204).
Handler = Callable[[RecordedRequest], Any]


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted misbehaviour. Build one with the class methods; ``inject`` it into a server."""

    name: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    #: Seconds to wait before answering (then answer normally unless ``status`` is set).
    delay: float = 0.0
    #: Reset the connection without answering.
    drop: bool = False
    #: Answer 200 with a body that is not valid JSON.
    malformed_json: bool = False
    #: Answer normally but cut the body short and close the connection.
    truncate: bool = False
    #: Send ``Retry-After`` this many seconds ahead as an HTTP date instead of delta seconds.
    retry_after_date: float | None = None
    #: Let the route act on the request first, then misbehave: the tool did the work, and the
    #: answer that says so is lost or unreadable (see ``after_applying``).
    apply: bool = False

    @classmethod
    def too_many_requests(cls, retry_after: float | str | None = 1, *, as_http_date: bool = False) -> Fault:
        """429; ``Retry-After`` in seconds, or as an HTTP date ``retry_after`` seconds ahead."""
        return cls._refusal(429, retry_after, as_http_date)

    @classmethod
    def server_error(
        cls, status: int = 500, retry_after: float | str | None = None, *, as_http_date: bool = False
    ) -> Fault:
        """A 5xx answer (500, 502, 503, 504), optionally with ``Retry-After``."""
        return cls._refusal(status, retry_after, as_http_date)

    @classmethod
    def _refusal(cls, status: int, retry_after: float | str | None, as_http_date: bool) -> Fault:
        if retry_after is not None and as_http_date:
            return cls(
                str(status),
                status=status,
                body={"error": f"scripted {status}"},
                retry_after_date=float(retry_after),
            )
        headers = {} if retry_after is None else {"Retry-After": _seconds(retry_after)}
        return cls(str(status), status=status, headers=headers, body={"error": f"scripted {status}"})

    @classmethod
    def status_code(cls, status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Fault:
        """Any answer instead of the route's (``404``, ``401``, ``422`` with a body)."""
        return cls(str(status), status=status, headers=dict(headers or {}), body=body)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering normally (exceeds a read timeout)."""
        return cls("slow", delay=seconds)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Reset the connection (TCP RST) without an answer."""
        return cls("drop", drop=True)

    @classmethod
    def malformed(cls) -> Fault:
        """200 with ``Content-Type: application/json`` and a broken JSON body."""
        return cls("malformed-json", malformed_json=True)

    @classmethod
    def lost_answer(cls) -> Fault:
        """The request is carried out, then the connection is reset before any answer."""
        return cls("lost-answer", drop=True, apply=True)

    def after_applying(self) -> Fault:
        """This fault, but only after the route has acted on the request (a proxy in front of a
        tool that did the write, then answered with a maintenance page, cut JSON or nothing)."""
        return replace(self, name=f"{self.name}-after-applying", apply=True)

    @classmethod
    def truncated(cls) -> Fault:
        """The route's answer with the body cut in half under the full ``Content-Length``."""
        return cls("truncated", truncate=True)


def _seconds(value: float | str) -> str:
    return value if isinstance(value, str) else (str(int(value)) if float(value).is_integer() else str(value))


@dataclass(slots=True)
class FaultRule:
    """An injected fault, where it applies and how many more times (``None``: until cleared)."""

    fault: Fault
    pattern: re.Pattern[str] | None
    method: str | None
    remaining: int | None
    #: How many requests it answered.
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            (self.remaining is None or self.remaining > 0)
            and (self.method is None or self.method == method)
            and (self.pattern is None or self.pattern.fullmatch(path) is not None)
        )


def compile_route(pattern: str) -> re.Pattern[str]:
    """``/api/tickets/{id}`` -> a regex with a named group per placeholder."""
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(regex)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, timed out) is routine for a test server: log it at
        debug level instead of printing a traceback; anything else is printed as before."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            _LOG.debug("client %s went away: %s", client_address, sys.exc_info()[1])
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: Headers and body leave in separate writes; without this, Nagle plus delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    server: _Server
    #: Idle keep-alive connections end after this many seconds, so threads don't pile up.
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:
        _LOG.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with an ephemeral port. Thread-safe."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("LocalServer listens on loopback only")
        self._host = host
        self._lock = threading.Lock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[FaultRule] = []
        self._log: list[RecordedRequest] = []
        #: Exceptions raised by handlers (answered as 500); the pytest fixture fails the test on them.
        self.errors: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is None:
            server = _Server((self._host, 0), _RequestHandler)
            server.owner = self
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="LocalServer", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    # -- routes and faults -------------------------------------------------------------------------

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator: handle ``method`` requests to paths matching ``pattern`` (``/x/{id}``)."""

        def register(handler: Handler) -> Handler:
            self.add_route(method, pattern, handler)
            return handler

        return register

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        with self._lock:
            self._routes.append((method.upper(), compile_route(pattern), handler))

    def inject(
        self, fault: Fault, *, path: str | None = None, method: str | None = None, times: int | None = 1
    ) -> FaultRule:
        """Answer the next ``times`` matching requests with ``fault`` (``times=None``: every one).

        ``path`` is a route pattern (``/api/tickets/{id}``) or ``None`` for any path. Faults apply
        in the order injected.
        """
        rule = FaultRule(
            fault, None if path is None else compile_route(path), method and method.upper(), times
        )
        with self._lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- the request log ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._log)

    def requests_to(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """The requests whose path matches the pattern ``path`` and whose method is ``method``."""
        pattern = None if path is None else compile_route(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.fullmatch(r.path) is not None)
        ]

    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # -- serving -----------------------------------------------------------------------------------

    def _handle(self, handler: _RequestHandler) -> None:
        method = handler.command.upper()
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            rule = next((r for r in self._faults if r.matches(method, split.path)), None)
            if rule is not None:
                rule.used += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
            route = next(
                (
                    (h, m)
                    for (meth, p, h) in self._routes
                    if meth == method and (m := p.fullmatch(split.path))
                ),
                None,
            )
            request = RecordedRequest(
                method=method,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers=dict(handler.headers.items()),
                body=body,
                params=route[1].groupdict() if route else {},
                fault=rule.fault.name if rule else None,
            )
            self._log.append(request)
        fault = rule.fault if rule else None
        try:
            applied = None
            if fault is not None and fault.apply:
                applied = self._dispatch(request, route[0] if route else None)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.drop:
                self._reset(handler)
                return
            if fault is not None and fault.malformed_json:
                self._send(handler, Reply(200, b'{"items": [{"id": 1,', {"Content-Type": "application/json"}))
                return
            if fault is not None and fault.status is not None:
                headers = dict(fault.headers)
                now = int(time.time())
                if fault.retry_after_date is not None:
                    headers["Retry-After"] = formatdate(now + fault.retry_after_date, usegmt=True)
                self._send(handler, Reply(fault.status, fault.body, headers), now=now)
                return
            reply = applied or self._dispatch(request, route[0] if route else None)
            self._send(handler, reply, truncate=fault is not None and fault.truncate)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up (a timeout); nothing to answer

    def _dispatch(self, request: RecordedRequest, handler: Handler | None) -> Reply:
        if handler is None:
            allowed = sorted({m for (m, p, _) in self._routes if p.fullmatch(request.path)})
            if allowed:
                return Reply(
                    405,
                    {"error": f"{request.method} not allowed on {request.path}"},
                    {"Allow": ", ".join(allowed)},
                )
            return Reply(404, {"error": f"no route for {request.method} {request.path}"})
        try:
            result = handler(request)
        except Exception as exc:  # an emulator bug: answer 500 and let the fixture report it
            detail = "".join(traceback.format_exception(exc))
            with self._lock:
                self.errors.append(f"{request.method} {request.path}: {detail}")
            return Reply(500, {"error": f"emulator error: {type(exc).__name__}: {exc}"})
        if isinstance(result, Reply):
            return result
        if result is None:
            return Reply(204)
        return Reply(200, result)

    @staticmethod
    def _send(
        handler: _RequestHandler, reply: Reply, *, truncate: bool = False, now: float | None = None
    ) -> None:
        body, headers = reply.encode()
        handler.send_response_only(reply.status)
        if not any(name.lower() == "date" for name in headers):  # a fault may send odd dates
            handler.send_header("Date", formatdate(time.time() if now is None else now, usegmt=True))
        handler.send_header("Server", "matrixcore-testing")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        if truncate:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body[: len(body) // 2] if truncate else body)
        handler.wfile.flush()

    @staticmethod
    def _reset(handler: _RequestHandler) -> None:
        """Close with SO_LINGER 0: the client sees 'connection reset by peer'."""
        handler.close_connection = True
        connection: socket.socket = handler.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
