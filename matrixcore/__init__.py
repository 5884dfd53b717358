"""matrixcore: a priority-matrix rule engine beside your ITSM tool.

The public facade. Everything a user or plugin author needs is importable from here; the private
modules behind it (``matrixcore._engine`` and friends) may change without notice.
"""

from __future__ import annotations

from ._durations import format_duration, parse_duration
from ._errors import ConfigError, MatrixcoreError, Problem, RulesetError
from ._ticket import Requester, Ticket

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "MatrixcoreError",
    "Problem",
    "Requester",
    "RulesetError",
    "Ticket",
    "__version__",
    "format_duration",
    "parse_duration",
]
