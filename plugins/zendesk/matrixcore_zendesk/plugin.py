"""The module matrixcore loads through the ``matrixcore`` entry-point group (``zendesk``)."""

from __future__ import annotations

from matrixcore import AdapterSpec, hookimpl
from matrixcore.sandbox import SandboxSpec

from . import __version__
from ._adapter import ZendeskAdapter
from ._settings import connection_schema

__all__ = ["SPEC", "matrixcore_adapters", "matrixcore_sandboxes"]

SPEC = AdapterSpec(
    name="zendesk",
    factory=ZendeskAdapter,
    config_schema=connection_schema(),
    version=__version__,
    description="Zendesk Support: incremental export, safe ticket updates, public replies and internal notes",
)


@hookimpl
def matrixcore_adapters() -> list[AdapterSpec]:
    """Configs select this adapter with ``adapter: zendesk``."""
    return [SPEC]


@hookimpl
def matrixcore_sandboxes() -> list[SandboxSpec]:
    from .sandbox import SANDBOX  # the emulator is needed by 'matrixcore sandbox' only

    return [SANDBOX]
