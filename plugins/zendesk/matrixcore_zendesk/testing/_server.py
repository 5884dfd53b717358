"""The Zendesk emulator served over real HTTP on 127.0.0.1, on matrixcore's ``LocalServer``.

``ZendeskServer`` is what the contract suite and the plugin's tests talk to: the test kit's server
(scripted faults, a request log) with every ``/api/v2/...`` path answered by ``ZendeskEmulator``.
Its clock is real time plus an offset the test moves forward, because Zendesk holds the last minute
back from the incremental export: ``advance(61)`` makes a change that was just made exportable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from matrixcore.testing import LocalServer, RecordedRequest, Reply

from ._routes import EmulatorResponse, ZendeskEmulator
from ._state import ZendeskState

__all__ = ["EmulatorClock", "ZendeskServer"]

#: Deepest Zendesk path the emulator answers: /api/v2/tickets/{id}/comments is three below /api/v2.
_DEPTH = 4


class EmulatorClock:
    """Wall-clock time plus an offset that only moves forward, and optionally a fake clock's waits."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._follow: Callable[[], float] | None = None
        self._followed_from = 0.0

    def __call__(self) -> datetime:
        now = datetime.now(UTC) + self.offset
        if self._follow is not None:
            now += timedelta(seconds=self._follow() - self._followed_from)
        return now

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def follow(self, monotonic: Callable[[], float]) -> None:
        """Also move by what ``monotonic`` (a test's fake clock) moves: its sleeps pass here too."""
        self._follow, self._followed_from = monotonic, monotonic()


class ZendeskServer(LocalServer):
    """A running Zendesk emulator: ``state`` is the account, ``emulator`` its endpoints.

    ``answers`` keeps every request the emulator answered with its answer (scripted faults are
    the test kit's, not Zendesk's, and are not in it), so a test can check both against
    Zendesk's published description.
    """

    def __init__(self, *, plan: str = "enterprise", job_polls: int = 2) -> None:
        super().__init__()
        self.clock = EmulatorClock()
        self.state = ZendeskState(now=self.clock, job_polls=job_polls)
        self.emulator = ZendeskEmulator(self.state, plan=plan)
        self.answers: list[tuple[RecordedRequest, EmulatorResponse]] = []
        for method in ("GET", "PUT", "POST", "DELETE"):
            for depth in range(1, _DEPTH + 1):
                pattern = "/api/v2" + "".join(f"/{{p{n}}}" for n in range(depth))
                self.add_route(method, pattern, self._serve)

    def start(self) -> ZendeskServer:
        super().start()
        self.state.base_url = self.url
        return self

    def __enter__(self) -> ZendeskServer:
        return self.start()

    def advance(self, seconds: float = 61) -> None:
        """Move the emulator's clock forward (default: past Zendesk's one-minute export hold-back)."""
        self.clock.advance(seconds)

    def _serve(self, request: RecordedRequest) -> Reply:
        query = urlencode(request.query, doseq=True)
        target = request.path + (f"?{query}" if query else "")
        answer = self.emulator.handle(request.method, target, request.headers, request.body)
        self.answers.append((request, answer))
        return Reply(answer.status, answer.body, answer.headers)
