"""pytest plugin for adapter authors: ``pytest_plugins = ["matrixcore.testing.plugin"]`` in your conftest.

Fixtures:

- ``local_server``: a started ``LocalServer`` on 127.0.0.1; the test fails if a handler raised.
- ``fake_clock``: a ``FakeClock``; ``fast_retry``: a ``RetryPolicy`` sleeping on it (3 attempts).
- ``adapter_context``: an ``AdapterContext`` with its own ``requests.Session`` and ``fast_retry``.
- ``read_only_context``: the same, read-only (dry run).

Every test also runs with the process-wide redactor isolated: the credentials one test registers are
forgotten after it, so a short test password never masks text in a later test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from matrixcore._adapter import AdapterContext
from matrixcore._redact import default_redactor
from matrixcore._retry import RetryPolicy

from .clock import FakeClock
from .server import LocalServer

__all__ = [
    "adapter_context",
    "fake_clock",
    "fast_retry",
    "isolated_redactor",
    "local_server",
    "read_only_context",
]


@pytest.fixture(autouse=True)
def isolated_redactor() -> Iterator[None]:
    """The process-wide redactor forgets, after each test, the secrets that test registered."""
    with default_redactor.isolated():
        yield


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with an ephemeral port, stopped after the test."""
    with LocalServer() as server:
        yield server
        if server.errors:
            pytest.fail("the local server's handlers raised:\n" + "\n".join(server.errors), pytrace=False)


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that sleeps instantly and records each wait."""
    return FakeClock()


@pytest.fixture
def fast_retry(fake_clock: FakeClock) -> RetryPolicy:
    """Three attempts, waits recorded on ``fake_clock`` instead of spent."""
    return fake_clock.retry_policy()


def _context(read_only: bool, retry: RetryPolicy) -> Iterator[AdapterContext]:
    session = requests.Session()
    try:
        yield AdapterContext(read_only=read_only, session=session, retry=retry, user_agent="matrixcore-tests")
    finally:
        session.close()


@pytest.fixture
def adapter_context(fast_retry: RetryPolicy) -> Iterator[AdapterContext]:
    """What matrixcore hands an adapter factory, wired for tests."""
    yield from _context(False, fast_retry)


@pytest.fixture
def read_only_context(fast_retry: RetryPolicy) -> Iterator[AdapterContext]:
    """A dry-run context: the adapter must send no request that changes anything."""
    yield from _context(True, fast_retry)
