"""Logs a service operator can read, and JSON lines a log shipper can index, with no secret in either.

Every record made while the daemon works on a connection carries its ``connection``, ``cycle`` and
(while a ticket is being processed) ``ticket`` id, whichever logger made it: the HTTP client's retry
warnings and a plugin's own lines included. The ids live in a context variable (``bound``), so each
connection's worker thread has its own and no call has to pass them along.

Two formats: ``text`` for people (``2026-11-23 09:00:01 WARNING [helpdesk cycle=ab12 ticket=42]
...``) and ``json``, one object per line (python-json-logger), with the same ids as fields. Both
pass through the ``RedactingFilter``, so a credential never reaches a log.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, TextIO

from pythonjsonlogger.json import JsonFormatter

from ._redact import default_redactor, install_redaction

__all__ = ["CONTEXT_FIELDS", "LOG_FORMATS", "ContextFilter", "bound", "configure_logging", "current_context"]

#: The ids every line carries when they are known.
CONTEXT_FIELDS: Final = ("connection", "cycle", "ticket")
LOG_FORMATS: Final = ("text", "json")

_NOTHING: Final[Mapping[str, str]] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "matrixcore_log", default=_NOTHING
)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Within the block, every log record of this thread (or task) carries these fields."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, str]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (a field set explicitly with ``extra`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class _TextFormatter(logging.Formatter):
    """``time LEVEL [connection cycle=… ticket=…] message``; the bracket only when ids are known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(where)s%(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        connection = getattr(record, "connection", None)
        if connection:
            parts.append(str(connection))
        for name in ("cycle", "ticket"):
            value = getattr(record, name, None)
            if value:  # a number with spaces (TOPdesk's "I 2311 042") stays one readable field
                text = str(value)
                parts.append(f'{name}="{text}"' if any(c.isspace() for c in text) else f"{name}={text}")
        record.where = f"[{' '.join(parts)}] " if parts else ""
        return super().format(record)


class _JsonFormatter(JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the ids, extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
            json_default=str,
        )

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]
        # python-json-logger formats the traceback itself instead of reusing the filtered exc_text.
        return _redacted(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str | list[str]:  # type: ignore[override]
        return _redacted(super().formatStack(stack_info))

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)


def _redacted(text: str | list[str]) -> str | list[str]:
    if isinstance(text, str):
        return default_redactor.redact(text)
    return [default_redactor.redact(line) for line in text]


def configure_logging(fmt: str = "text", level: str | int = "INFO", stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) in ``fmt``, with the ids and redaction.

    Replaces handlers an earlier call installed, so a reload or a test can call it again.
    """
    if fmt not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (choose from {', '.join(LOG_FORMATS)})")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_matrixcore", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._matrixcore = True  # type: ignore[attr-defined]
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Library chatter below WARNING says nothing an operator needs (urllib3 logs every request).
    logging.getLogger("urllib3").setLevel(max(root.level, logging.WARNING))
    install_redaction(root)
