"""The emulated instance served over real HTTP on 127.0.0.1, on matrixcore's test-kit server.

``ServiceNowEmulator`` is a ``matrixcore.testing.LocalServer``: the contract suite and the plugin's
own tests can script faults into it (429, 5xx, dropped connections) and read its request log,
while every normal request goes to ``ServiceNowApi``. The instance's clock runs on real time (the
server's ``Date`` header is real time) and can be shifted: ``past(seconds)`` makes the changes
inside it happen that long ago, as an agent's change a moment before a sync would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from matrixcore.testing import LocalServer, RecordedRequest, Reply

from ._api import ApiResponse, ServiceNowApi
from ._instance import ServiceNowInstance

__all__ = ["Exchange", "RealClock", "ServiceNowEmulator"]

_TABLE_ROUTES = ("/api/now/table/{table}", "/api/now/v1/table/{table}", "/api/now/v2/table/{table}")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the emulator answered (faults excluded) and its answer."""

    method: str
    #: Path and query string, as sent.
    target: str
    body: bytes
    content_type: str
    response: ApiResponse


class RealClock:
    """Real UTC time, shifted by ``offset`` (so tests can place changes in the recent past)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class ServiceNowEmulator(LocalServer):
    """A running emulated ServiceNow instance; ``instance`` holds its state, ``api`` its REST logic.

    Seeds an ``admin`` (password ``admin``) and an ``integration`` user (password ``integration``)
    and an OAuth client ``matrixcore`` (secret ``matrixcore-secret``) whose client-credentials
    grant acts as ``integration``.
    """

    def __init__(self, instance: ServiceNowInstance | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.clock = RealClock()
        self.instance = instance or ServiceNowInstance(clock=self.clock)
        self.api = ServiceNowApi(self.instance)
        #: Every request the API answered, with its answer (for validation against the description).
        self.exchanges: list[Exchange] = []
        if instance is None:
            self.instance.add_user("admin", "admin", name="System Administrator")
            self.instance.add_user("integration", "integration", name="matrixcore Integration")
            self.instance.add_oauth_client("matrixcore", "matrixcore-secret", app_user="integration")
        self.add_route("POST", "/oauth_token.do", self._serve)
        for pattern in _TABLE_ROUTES:
            for method in ("GET", "POST"):
                self.add_route(method, pattern, self._serve)
            for method in ("GET", "PUT", "PATCH", "DELETE"):
                self.add_route(method, pattern + "/{sys_id}", self._serve)

    def start(self) -> ServiceNowEmulator:
        super().start()
        self.instance.base_url = self.url.rstrip("/")
        return self

    def __enter__(self) -> ServiceNowEmulator:
        return self.start()

    @contextmanager
    def past(self, seconds: float = 2.0) -> Iterator[None]:
        """Changes made inside happen ``seconds`` ago (a sync reads up to a second before now)."""
        self.clock.offset -= timedelta(seconds=seconds)
        try:
            yield
        finally:
            self.clock.offset += timedelta(seconds=seconds)

    def _serve(self, request: RecordedRequest) -> Reply:
        query = urlencode([(k, v) for k, values in request.query.items() for v in values])
        target = f"{request.path}?{query}" if query else request.path
        answer = self.api.handle(request.method, target, request.headers, request.body)
        content_type = request.header("Content-Type") or ""
        self.exchanges.append(Exchange(request.method, target, request.body, content_type, answer))
        # The test-kit server sends its own Date (real time, like the instance clock's base).
        headers: dict[str, Any] = {k: v for k, v in answer.headers.items() if k.lower() != "date"}
        return Reply(answer.status, answer.body or None, headers)
