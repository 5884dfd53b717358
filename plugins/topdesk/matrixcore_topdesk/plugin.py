"""Entry point of the ``matrixcore`` group: registers the ``topdesk`` adapter."""

from __future__ import annotations

from collections.abc import Sequence

from matrixcore import AdapterSpec, hookimpl

from ._spec import TOPDESK_ADAPTER


@hookimpl
def matrixcore_adapters() -> Sequence[AdapterSpec]:
    return [TOPDESK_ADAPTER]
