"""The plugin module matrixcore loads through the ``matrixcore`` entry point group.

``pyproject.toml`` names it (``[project.entry-points.matrixcore] helpdesk = "matrixcore_helpdesk.plugin"``);
matrixcore's plugin manager calls its hooks. Keep it small: import, and return records.
"""

from __future__ import annotations

from matrixcore import AdapterSpec, hookimpl

from .adapter import SPEC

__all__ = ["matrixcore_adapters"]


@hookimpl
def matrixcore_adapters() -> list[AdapterSpec]:
    """The adapters this plugin offers: configs select one with ``adapter: helpdesk``."""
    return [SPEC]
