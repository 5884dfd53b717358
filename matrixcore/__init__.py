"""matrixcore: a priority-matrix rule engine beside your ITSM tool.

The public facade. Everything a user or plugin author needs is importable from here; the private
modules behind it (``matrixcore._engine`` and friends) may change without notice.
"""

from __future__ import annotations

from ._adapter import (
    Adapter,
    AdapterContext,
    AdapterError,
    AdapterSpec,
    Batch,
    PostedMessage,
    PriorityChange,
    ReadOnlyError,
)
from ._calendar import BusinessCalendar
from ._decision import Decision, DueMessages, Evaluation, Message, SentMessage, TraceStep
from ._durations import format_duration, parse_duration
from ._engine import Engine
from ._errors import ConfigError, MatrixcoreError, Problem, RulesetError
from ._operators import CompileContext, DuplicateOperatorError, Operator, OperatorRegistry
from ._plugins import PluginError, PluginInfo, Plugins
from ._report_format import ReportFormat
from ._ruleset import Ruleset, load_ruleset, parse_ruleset
from ._ticket import Requester, Ticket
from .hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = [
    "Adapter",
    "AdapterContext",
    "AdapterError",
    "AdapterSpec",
    "Batch",
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
    "PluginError",
    "PluginInfo",
    "Plugins",
    "PostedMessage",
    "PriorityChange",
    "Problem",
    "ReadOnlyError",
    "ReportFormat",
    "Requester",
    "Ruleset",
    "RulesetError",
    "SentMessage",
    "Ticket",
    "TraceStep",
    "__version__",
    "format_duration",
    "hookimpl",
    "load_ruleset",
    "parse_duration",
    "parse_ruleset",
]
