"""The emulated TOPdesk on a real HTTP server: matrixcore's ``LocalServer`` (loopback only).

    with TopdeskServer() as topdesk:
        incident = topdesk.store.add_incident("Printer kapot", impact="Persoon")
        settings = {"base_url": topdesk.url, "auth": topdesk.auth_settings("TOPDESK_PASSWORD"), ...}
        ...
        topdesk.inject(Fault.too_many_requests(retry_after=2), path="/tas/api/incidents")
        assert [r.method for r in topdesk.requests] == [...]

Every request goes through ``TopdeskEmulator.handle``; ``LocalServer`` adds the sockets, the
scripted faults and the request log, and ``exchanges`` keeps each emulator answer beside its request
so tests can check both against TOPdesk's API description.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from matrixcore.testing import LocalServer, RecordedRequest, Reply

from ._emulator import ROUTES, RateLimit, TopdeskEmulator
from ._store import IncidentStore, Operator

__all__ = ["Exchange", "TopdeskServer"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request the emulator answered, and its answer (scripted faults are not exchanges)."""

    request: RecordedRequest
    target: str
    status: int
    body: bytes
    headers: Mapping[str, str]


class TopdeskServer(LocalServer):
    """A ``TopdeskEmulator`` served on ``127.0.0.1``; a context manager."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        operators: Iterable[Operator] | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        super().__init__()
        self.emulator = TopdeskEmulator(clock=clock, operators=operators, rate_limit=rate_limit)
        #: Every request the emulator answered, with the answer, in order.
        self.exchanges: list[Exchange] = []
        self._emulator_lock = threading.Lock()
        for method, template, _ in ROUTES:
            self.add_route(method, template, self._answer)

    def _answer(self, request: RecordedRequest) -> Reply:
        target = request.path + ("?" + urlencode(request.query, doseq=True) if request.query else "")
        with self._emulator_lock:  # the emulator is single-threaded state; the server is threaded
            response = self.emulator.handle(request.method, target, request.headers, request.body or None)
            self.exchanges.append(
                Exchange(request, target, response.status, response.content(), dict(response.headers))
            )
        return Reply(response.status, response.body, dict(response.headers))

    @property
    def store(self) -> IncidentStore:
        return self.emulator.store

    def operator(self, login: str | None = None) -> Operator:
        """An API operator (the first one by default)."""
        operators = self.emulator.operators
        return operators[login] if login is not None else next(iter(operators.values()))

    def auth_settings(self, password_env: str, login: str | None = None) -> Mapping[str, Any]:
        """The connection's ``auth`` section for an operator, the password read from ``password_env``."""
        return {"type": "basic", "username": self.operator(login).login, "password": {"env": password_env}}

    def start(self) -> TopdeskServer:
        super().start()
        return self

    def __enter__(self) -> TopdeskServer:
        return self.start()
