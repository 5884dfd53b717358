"""The module matrixcore loads through the ``matrixcore`` entry-point group (``servicenow``)."""

from __future__ import annotations

from matrixcore import AdapterSpec, hookimpl
from matrixcore.sandbox import SandboxSpec

from ._adapter import SPEC

__all__ = ["matrixcore_adapters", "matrixcore_sandboxes"]


@hookimpl
def matrixcore_adapters() -> list[AdapterSpec]:
    """The ServiceNow adapter: configs select it with ``adapter: servicenow``."""
    return [SPEC]


@hookimpl
def matrixcore_sandboxes() -> list[SandboxSpec]:
    from .sandbox import SANDBOX  # the emulator is needed by 'matrixcore sandbox' only

    return [SANDBOX]
