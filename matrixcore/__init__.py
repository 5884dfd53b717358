"""matrixcore: a priority-matrix rule engine beside your ITSM tool.

The public facade. Everything a user or plugin author needs is importable from here; the private
modules behind it (``matrixcore._engine`` and friends) may change without notice.
"""

from __future__ import annotations

from ._calendar import BusinessCalendar
from ._decision import Decision, DueMessages, Evaluation, Message, SentMessage, TraceStep
from ._durations import format_duration, parse_duration
from ._engine import Engine
from ._errors import ConfigError, MatrixcoreError, Problem, RulesetError
from ._operators import CompileContext, DuplicateOperatorError, Operator, OperatorRegistry
from ._ruleset import Ruleset, load_ruleset, parse_ruleset
from ._ticket import Requester, Ticket

__version__ = "0.1.0"

__all__ = [
    "BusinessCalendar",
    "CompileContext",
    "ConfigError",
    "Decision",
    "DueMessages",
    "DuplicateOperatorError",
    "Engine",
    "Evaluation",
    "MatrixcoreError",
    "Message",
    "Operator",
    "OperatorRegistry",
    "Problem",
    "Requester",
    "Ruleset",
    "RulesetError",
    "SentMessage",
    "Ticket",
    "TraceStep",
    "__version__",
    "format_duration",
    "load_ruleset",
    "parse_duration",
    "parse_ruleset",
]
