"""The module matrixcore loads through the ``matrixcore`` entry-point group (``servicenow``)."""

from __future__ import annotations

from matrixcore import AdapterSpec, hookimpl

from ._adapter import SPEC

__all__ = ["matrixcore_adapters"]


@hookimpl
def matrixcore_adapters() -> list[AdapterSpec]:
    """The ServiceNow adapter: configs select it with ``adapter: servicenow``."""
    return [SPEC]
