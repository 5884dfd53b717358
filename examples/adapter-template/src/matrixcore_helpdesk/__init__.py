"""matrixcore adapter for a small generic JSON REST helpdesk: the template for your own adapter."""

from __future__ import annotations

__version__ = "0.1.0"

from .adapter import CONFIG_SCHEMA, SPEC, HelpdeskAdapter

__all__ = ["CONFIG_SCHEMA", "SPEC", "HelpdeskAdapter", "__version__"]
