"""``matrixcore new-adapter``: a new adapter package, written from the template in the wheel."""

from __future__ import annotations

from ._render import AdapterNames, ScaffoldError, leftovers, template_root, write_adapter

__all__ = ["AdapterNames", "ScaffoldError", "leftovers", "template_root", "write_adapter"]
