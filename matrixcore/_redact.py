"""Scrub credentials out of every log line and error message.

A ``Secret`` prints as ``***`` by itself, but its revealed value can still leak: in an echoed request
body, in a vendor's error page, in the ``Authorization`` header of a debug dump, as the base64 of a
Basic login or as the percent-encoded value in a URL. The ``Redactor`` knows every revealed value and
its encoded forms and replaces them, plus anything that looks like an authorization header or a
credential in a URL, whatever the source of the text.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Final
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from ._config import Secret

__all__ = [
    "MASK",
    "RedactingFilter",
    "Redactor",
    "default_redactor",
    "guard_loggers",
    "install_redaction",
    "safe_url",
    "truncate",
]

MASK: Final = "***"

#: ``Authorization: Basic abc``, ``'authorization': 'Bearer x'``, ``Proxy-Authorization=...``.
_AUTH_HEADER: Final = re.compile(
    r"""(?i)(\b(?:proxy-)?authorization\b['"]?\s*[:=]\s*['"]?)(?:(basic|bearer|token|digest)\s+)?[^\s'",}]+"""
)
#: A bare scheme-and-credential pair in free text.
#: On one line only: a YAML dump's ``type: basic`` followed by ``username:`` on the next is no credential.
_SCHEME_CREDENTIAL: Final = re.compile(r"(?i)\b(basic|bearer)[ \t]+[A-Za-z0-9._~+/=-]{8,}(?![\w:])")
#: Query or form parameter names whose value is a credential.
_SECRET_NAME: Final = (
    r"(?:[\w.-]*[-_])?(?:token|access_token|refresh_token|id_token|api_?key|apikey|key|secret|client_secret|"
    r"password|passwd|pwd|auth|signature|sig|code|session)"
)
_SECRET_PARAM: Final = re.compile(rf"(?i)^{_SECRET_NAME}$")
#: The same parameters inside free text (a URL in a library's log line, a form body).
_SECRET_PARAM_IN_TEXT: Final = re.compile(rf"(?i)([?&]{_SECRET_NAME}=)[^&\s\"'#]+")
#: Loggers of the HTTP stack that print URLs (urllib3 logs every request line at DEBUG).
_LIBRARY_LOGGERS: Final = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "requests")


class Redactor:
    """Remembers credential values and removes them (and their encodings) from text.

    Thread-safe; values only accumulate (a rotated token's old value stays masked). Empty values are
    ignored, since masking an empty string would mask everything; values under six characters are
    masked where they stand as a word of their own.
    """

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: Secret | str) -> None:
        """Mask these values from now on (a ``Secret`` is revealed here only to learn its value)."""
        found: set[str] = set()
        for secret in secrets:
            value = secret.reveal() if isinstance(secret, Secret) else secret
            if value:
                found.update(_encodings(value))
        with self._lock:
            if found <= self._values:
                return
            self._values |= found
            # Longest first, so a value that contains another is masked whole. Short values are
            # masked only as whole words: a 2-letter secret must not blank every "ab" in a log.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(_as_pattern(v) for v in ordered))

    def add_basic(self, username: str, password: Secret | str) -> None:
        """Mask a Basic login: the password and the base64 of ``username:password`` as sent."""
        plain = password.reveal() if isinstance(password, Secret) else password
        if plain:
            token = base64.b64encode(f"{username}:{plain}".encode()).decode("ascii")
            self.add(plain, token)

    def redact(self, text: str) -> str:
        """``text`` with every known secret, authorization header and URL credential masked."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2) + ' ' if m.group(2) else ''}{MASK}", text)
        text = _SECRET_PARAM_IN_TEXT.sub(lambda m: f"{m.group(1)}{MASK}", text)
        return _SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)} {MASK}", text)

    def __contains__(self, value: str) -> bool:
        return value in self._values

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Forget, on exit, the values learnt inside: one test's secrets must not mask the next's text."""
        with self._lock:
            saved = self._values, self._pattern
        try:
            yield
        finally:
            with self._lock:
                self._values, self._pattern = saved


#: Values shorter than this are matched only between non-word characters.
_SHORT: Final = 6


def _as_pattern(value: str) -> str:
    escaped = re.escape(value)
    return escaped if len(value) >= _SHORT else rf"(?<!\w){escaped}(?!\w)"


def _encodings(value: str) -> set[str]:
    """The forms a value takes on the wire: as is, percent-encoded, form-encoded."""
    return {value, quote(value, safe=""), quote_plus(value)}


#: The process-wide redactor: HTTP clients register their credentials here, and ``RedactingFilter``
#: consults it by default, so one filter on a handler covers every adapter.
default_redactor: Final = Redactor()


class RedactingFilter(logging.Filter):
    """A logging filter that masks credentials in the final message and in exception text.

    Put it on a handler (``install_redaction``) to cover records from every library, or on a logger
    for records made on that logger.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or default_redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: logging reports those itself, keep the record
            message = str(record.msg)
        clean = self.redactor.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_text:
            # Already formatted (and redacted) by an earlier filter: redact further, never re-format,
            # which would bring back what that filter's redactor masked.
            record.exc_text = self.redactor.redact(record.exc_text)
        elif record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted; handlers reuse ``exc_text`` instead of re-formatting.
            record.exc_text = self.redactor.redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_redaction(logger: logging.Logger | None = None, redactor: Redactor | None = None) -> None:
    """Add a ``RedactingFilter`` to every handler of ``logger`` (root by default) and to the logger.

    Idempotent. Call it after configuring logging; the CLI does.
    """
    target = logger or logging.getLogger()
    for holder in [target, *target.handlers]:
        if not any(isinstance(f, RedactingFilter) for f in holder.filters):
            holder.addFilter(RedactingFilter(redactor))


def guard_loggers(logger: logging.Logger, redactor: Redactor | None = None) -> None:
    """Filter ``logger`` and the HTTP libraries' loggers through ``redactor`` (once each).

    Logger filters see only records made on that very logger, so each one that may print a URL or
    a header gets its own; handler-wide filtering is ``install_redaction``.
    """
    redactor = redactor or default_redactor
    for target in (logger, *(logging.getLogger(name) for name in _LIBRARY_LOGGERS)):
        if not any(isinstance(f, RedactingFilter) and f.redactor is redactor for f in target.filters):
            target.addFilter(RedactingFilter(redactor))


def safe_url(url: str, redactor: Redactor | None = None) -> str:
    """``url`` fit for a log or an error: no user info, credential-named query values masked."""
    redactor = redactor or default_redactor
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if _SECRET_PARAM.match(k) else v) for k, v in pairs], safe="*:,/", quote_via=quote
        )
    return redactor.redact(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


def truncate(text: str, limit: int = 500) -> str:
    """At most ``limit`` characters, whitespace collapsed, saying how much was cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit} more characters)"
