"""matrixcore.testing: what adapter authors test with, the way pytest ships ``pytester``.

- ``LocalServer``, ``Fault``, ``Reply``, ``RecordedRequest``: a real HTTP server on 127.0.0.1 for an
  emulator of your tool's API, with scripted faults and a log of every request.
- ``FakeClock``: retries and request budgets wait on it instantly; tests assert on the waits.
- ``AdapterContractSuite``: the checks every adapter must pass; subclass it in a ``Test…`` class.
- ``matrixcore.testing.plugin``: pytest fixtures (``local_server``, ``fake_clock``, ``adapter_context``);
  opt in with ``pytest_plugins = ["matrixcore.testing.plugin"]``.

``AdapterContractSuite`` needs pytest; the rest does not (an emulator can serve outside tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .clock import FakeClock
from .server import Fault, FaultRule, LocalServer, RecordedRequest, Reply

if TYPE_CHECKING:
    from .contract import AdapterContractSuite

__all__ = [
    "AdapterContractSuite",
    "FakeClock",
    "Fault",
    "FaultRule",
    "LocalServer",
    "RecordedRequest",
    "Reply",
]


def __getattr__(name: str) -> Any:
    if name == "AdapterContractSuite":  # imported lazily: it needs pytest
        from .contract import AdapterContractSuite

        return AdapterContractSuite
    raise AttributeError(f"module 'matrixcore.testing' has no attribute {name!r}")
