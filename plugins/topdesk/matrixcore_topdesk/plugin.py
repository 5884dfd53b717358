"""Entry point of the ``matrixcore`` group: registers the ``topdesk`` adapter and its sandbox."""

from __future__ import annotations

from collections.abc import Sequence

from matrixcore import AdapterSpec, hookimpl
from matrixcore.sandbox import SandboxSpec

from ._spec import TOPDESK_ADAPTER


@hookimpl
def matrixcore_adapters() -> Sequence[AdapterSpec]:
    return [TOPDESK_ADAPTER]


@hookimpl
def matrixcore_sandboxes() -> Sequence[SandboxSpec]:
    from .sandbox import SANDBOX  # the emulator is needed by 'matrixcore sandbox' only

    return [SANDBOX]
