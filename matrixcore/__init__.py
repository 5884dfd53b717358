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
    Cancelled,
    CombinedWriter,
    ConflictError,
    OutgoingMessage,
    PageLimitReached,
    PostedMessage,
    PriorityChange,
    ReadOnlyError,
    RulesetChecker,
)
from ._auth import (
    AUTH_SCHEMA,
    SECRET_SCHEMA,
    BasicAuth,
    BearerAuth,
    OAuth2ClientCredentials,
    auth_from_settings,
)
from ._calendar import BusinessCalendar
from ._config import ConnectionConfig, Secret
from ._decision import Decision, DueMessages, Evaluation, Message, SentMessage, TraceStep
from ._durations import format_duration, parse_duration
from ._engine import Engine
from ._errors import ConfigError, MatrixcoreError, Problem, RulesetError
from ._http import (
    HTTP_SETTINGS_PROPERTIES,
    HttpAdapter,
    HttpClient,
    HttpError,
    header,
    header_date,
    http_settings_schema,
)
from ._operators import CompileContext, DuplicateOperatorError, Operator, OperatorRegistry
from ._pagination import Page, json_path, paginate_cursor, paginate_links, paginate_offset, paginate_pages
from ._plugins import PluginError, PluginInfo, Plugins
from ._ratelimit import RequestBudget
from ._redact import RedactingFilter, Redactor, install_redaction
from ._retry import RetryPolicy
from ._ruleset import Ruleset, load_ruleset, parse_ruleset
from ._ticket import Requester, Ticket, parse_instant
from .exports._presets import PRESETS as EXPORT_PRESETS
from .hookspecs import hookimpl
from .report._format import ReportFormat

__version__ = "0.1.0"

__all__ = [
    "AUTH_SCHEMA",
    "EXPORT_PRESETS",
    "HTTP_SETTINGS_PROPERTIES",
    "SECRET_SCHEMA",
    "Adapter",
    "AdapterContext",
    "AdapterError",
    "AdapterSpec",
    "BasicAuth",
    "Batch",
    "BearerAuth",
    "BusinessCalendar",
    "Cancelled",
    "CombinedWriter",
    "CompileContext",
    "ConfigError",
    "ConflictError",
    "ConnectionConfig",
    "Decision",
    "DueMessages",
    "DuplicateOperatorError",
    "Engine",
    "Evaluation",
    "HttpAdapter",
    "HttpClient",
    "HttpError",
    "MatrixcoreError",
    "Message",
    "OAuth2ClientCredentials",
    "Operator",
    "OperatorRegistry",
    "OutgoingMessage",
    "Page",
    "PageLimitReached",
    "PluginError",
    "PluginInfo",
    "Plugins",
    "PostedMessage",
    "PriorityChange",
    "Problem",
    "ReadOnlyError",
    "RedactingFilter",
    "Redactor",
    "ReportFormat",
    "RequestBudget",
    "Requester",
    "RetryPolicy",
    "Ruleset",
    "RulesetChecker",
    "RulesetError",
    "Secret",
    "SentMessage",
    "Ticket",
    "TraceStep",
    "__version__",
    "auth_from_settings",
    "format_duration",
    "header",
    "header_date",
    "hookimpl",
    "http_settings_schema",
    "install_redaction",
    "json_path",
    "load_ruleset",
    "paginate_cursor",
    "paginate_links",
    "paginate_offset",
    "paginate_pages",
    "parse_duration",
    "parse_instant",
    "parse_ruleset",
]
