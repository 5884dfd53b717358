"""The base every HTTP adapter shares: one client that is safe, patient and honest about failures.

``HttpClient`` sends each request through the request budget, with connect and read timeouts, and
retries (tenacity, see ``RetryPolicy``) on 429, 5xx, timeouts and dropped connections, honouring
``Retry-After``. Requests that are not idempotent (POST, PATCH) are retried only when the server
certainly did not act on them (429, 503, no connection made), so a message is never posted twice.
Other 4xx answers fail at once. Every error names the method, the URL (credentials masked), the
status and the start of the body, and passes through the redactor.

A read-only (dry-run) client refuses every non-GET request *before* anything is sent.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Self
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase
from tenacity import RetryCallState, RetryError
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._adapter import AdapterContext, AdapterError, Cancelled, ReadOnlyError
from ._auth import AUTH_SCHEMA, auth_from_settings
from ._config import ConnectionConfig
from ._ratelimit import RequestBudget
from ._redact import Redactor, default_redactor, guard_loggers, safe_url, truncate
from ._retry import RetryPolicy, parse_http_date, parse_retry_after
from ._session import Session

__all__ = [
    "HTTP_SETTINGS_PROPERTIES",
    "HttpAdapter",
    "HttpClient",
    "HttpError",
    "header",
    "header_date",
    "http_settings_schema",
]

#: Methods a read-only connection may send.
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Methods that may be repeated with the same effect (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS: Final = SAFE_METHODS | {"PUT", "DELETE"}
#: Statuses worth another try. 501 (not implemented) and 505 will not change on their own.
RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
#: Pages one listing reads at most unless the connection's ``max_pages`` says otherwise.
DEFAULT_MAX_PAGES: Final = 1000
#: Statuses that mean the server did not act on the request, so even a POST may be sent again.
NOT_PROCESSED_STATUSES: Final = frozenset({429, 503})


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A response header read defensively: case-insensitive, ``None`` when missing or empty.

    A header sent twice arrives joined with ``", "`` (``requests``); readers of numbers and dates
    (``header_date``) take the first readable value from it.
    """
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    value = value.strip() if isinstance(value, str) else None
    return value or None


def header_date(headers: Mapping[str, str] | None, name: str = "Date") -> datetime | None:
    """A date header (``Date``, ``Last-Modified``) as an aware UTC time, or ``None``: never an exception.

    Without a zone or with ``-0000`` it is read as GMT (what HTTP dates are); sent twice, the
    first readable one counts (see ``parse_http_date``).
    """
    return parse_http_date(header(headers, name))


class HttpError(AdapterError):
    """An HTTP request failed: refused with a status, timed out, or the connection broke."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status: int | None = None,
        body: str = "",
        retryable: bool = False,
        retry_after: float | None = None,
        sent: bool = True,
        attempts: int = 1,
        kind: str = "",
    ) -> None:
        super().__init__(message, retryable=retryable, status=status)
        #: What went wrong, for metrics: ``status`` (an error answer), ``timeout``, ``connection``
        #: (refused, reset, cut short), ``malformed`` (not JSON), ``unconfirmed`` (a write answered
        #: without showing it was done) or ``request`` (could not be sent).
        self.kind = kind or ("status" if status is not None else "request")
        self.method = method
        #: The URL with credentials masked.
        self.url = url
        #: The start of the response body, redacted.
        self.body = body
        #: Seconds the server asked us to wait (``Retry-After``), if it did.
        self.retry_after = retry_after
        #: ``False`` when the request certainly never reached the server (no connection made).
        self.sent = sent
        self.attempts = attempts


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason: object = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


class HttpClient:
    """Requests to one base URL with timeouts, retries, a request budget, auth and redaction.

    ``session`` is used as given (tests inject one; it is then not closed here). Relative paths are
    joined to ``base_url``; absolute URLs (``Link`` headers) must stay on the same origin, so
    credentials never travel to another host.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        auth: AuthBase | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        budget: RequestBudget | None = None,
        read_only: bool = False,
        logger: logging.Logger | None = None,
        user_agent: str = "matrixcore",
        headers: Mapping[str, str] | None = None,
        verify: bool | str = True,
        redactor: Redactor | None = None,
        max_body: int = 500,
        on_retry: Callable[[BaseException | None, float], None] | None = None,
        cancel: threading.Event | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._origin = urlsplit(self.base_url)[:2]
        self._owns_session = session is None
        self.session = session or Session()
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.budget = budget
        self.read_only = read_only
        self.redactor = redactor or default_redactor
        self.logger = logger or logging.getLogger("matrixcore.http")
        guard_loggers(self.logger, self.redactor)
        self.headers = {"User-Agent": user_agent, "Accept": "application/json", **(headers or {})}
        self.verify = verify
        self.max_body = max_body
        self.on_retry = on_retry
        #: Set when the run stops: no request is sent after it (``Cancelled``).
        self.cancel = cancel
        #: Pages one listing may read (``paginate_*``, an adapter's own loop) before it ends early.
        self.max_pages = max_pages

    def url(self, path: str) -> str:
        """The absolute URL of ``path``; refuses an absolute URL on another origin."""
        url = urljoin(self.base_url, path.lstrip("/") if not urlsplit(path).scheme else path)
        if urlsplit(url)[:2] != self._origin:
            raise AdapterError(
                f"refusing to send credentials to {safe_url(url, self.redactor)}: not on {self.base_url}"
            )
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        done: Callable[[Any], bool] | None = None,
    ) -> requests.Response:
        """Send with retries; return the response (status < 400) or raise ``HttpError``.

        ``idempotent`` (default: by method) allows retrying after the server may have acted: pass
        ``True`` for a POST that carries an idempotency key.

        ``done`` makes a write count only on an answer that shows it was done: the body must be JSON
        and ``done(body)`` true. Anything else (a proxy's HTML page, broken or cut JSON, an answer
        about something else) fails the attempt with ``HttpError`` of kind ``unconfirmed``: retried
        like a 5xx when the write is idempotent, otherwise raised at once as retryable, so the caller
        treats the write as not done and settles it by a later read (``write_json``).
        """
        method = method.upper()
        url = self.url(path)
        if self.read_only and method not in SAFE_METHODS:
            raise ReadOnlyError(
                f"read-only connection: refused {method} {safe_url(url, self.redactor)}; nothing was sent"
            )
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent

        def should_retry(exc: BaseException) -> bool:
            if not isinstance(exc, AdapterError) or not exc.retryable:
                return False
            if repeatable:
                return True
            return (exc.status in NOT_PROCESSED_STATUSES) or (isinstance(exc, HttpError) and not exc.sent)

        def attempt() -> requests.Response:
            sent = self._send(method, url, params=params, json=json, data=data, headers=headers)
            if done is not None:
                self._confirm(sent, done)
            return sent

        retrying = self.retry.retrying(should_retry, self._log_retry)
        try:
            response: requests.Response = retrying(attempt)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            attempts = exc.last_attempt.attempt_number
            if isinstance(last, HttpError):
                raise HttpError(
                    f"{last} (gave up after {attempts} attempts)",
                    method=last.method,
                    url=last.url,
                    status=last.status,
                    body=last.body,
                    retryable=True,
                    retry_after=last.retry_after,
                    sent=last.sent,
                    attempts=attempts,
                    kind=last.kind,
                ) from None
            raise AdapterError(f"{last} (gave up after {attempts} attempts)", retryable=True) from None
        return response

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Any,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        self.check_cancelled()
        if self.budget is not None:
            self.budget.acquire()
            self.check_cancelled()
        shown = safe_url(url, self.redactor)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers={**self.headers, **(headers or {})},
                auth=self.auth,
                timeout=self.timeout,
                verify=self.verify,
            )
        except requests.Timeout as exc:
            what = "connecting" if isinstance(exc, requests.ConnectTimeout) else "waiting for the answer"
            raise HttpError(
                f"{method} {shown}: timed out {what} (timeout {self.timeout})",
                method=method,
                url=shown,
                retryable=True,
                sent=not _never_sent(exc),
                kind="timeout",
            ) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise HttpError(
                f"{method} {shown}: connection failed: {self.redactor.redact(str(exc))}",
                method=method,
                url=shown,
                retryable=True,
                sent=not _never_sent(exc),
                kind="connection",
            ) from None
        except requests.RequestException as exc:
            raise HttpError(
                f"{method} {shown}: {self.redactor.redact(str(exc))}", method=method, url=shown
            ) from None
        shown = safe_url(response.url or url, self.redactor)
        self.logger.debug(
            "%s %s -> %s (%.0f ms)", method, shown, response.status_code, (time.monotonic() - started) * 1000
        )
        if self.budget is not None:
            self.budget.observe(response.headers, response.status_code)
        if response.status_code < 400:
            return response
        status = response.status_code
        body = self.redactor.redact(truncate(response.text[: self.max_body * 4], self.max_body))
        retry_after = parse_retry_after(
            header(response.headers, "Retry-After"), header(response.headers, "Date")
        )
        raise HttpError(
            f"{method} {shown} -> {status} {response.reason}" + (f": {body}" if body else ""),
            method=method,
            url=shown,
            status=status,
            body=body,
            retryable=status in RETRY_STATUSES,
            retry_after=retry_after if status in (429, 503) else None,
        )

    def check_cancelled(self) -> None:
        """Raise ``Cancelled`` once the run is stopping (before a request, after a wait)."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"stopping: no further request to {self.base_url}")

    def _confirm(self, response: requests.Response, done: Callable[[Any], bool]) -> None:
        """Raise ``HttpError`` (kind ``unconfirmed``) unless the answer shows the write was done."""
        try:
            data = response.json()
            shown = bool(done(data))
            why = "it does not show the write was done"
        except ValueError as exc:
            shown, why = False, f"it is not valid JSON ({exc})"
        if shown:
            return
        url = safe_url(response.url, self.redactor)
        method = response.request.method or "?"
        body = self.redactor.redact(truncate(response.text[: self.max_body * 4], self.max_body))
        raise HttpError(
            f"{method} {url} -> {response.status_code}, but {why}; the write is taken as not done: {body}",
            method=method,
            url=url,
            status=response.status_code,
            body=body,
            retryable=True,
            kind="unconfirmed",
        )

    def write_json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        done: Callable[[Any], bool] = lambda data: isinstance(data, Mapping),
        **kwargs: Any,
    ) -> Any:
        """A write whose answer must show it was done (see ``request``'s ``done``); returns its JSON."""
        response = self.request(
            method, path, json=json, params=params, idempotent=idempotent, done=done, **kwargs
        )
        return response.json()

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        hint = " (Retry-After)" if getattr(error, "retry_after", None) is not None else ""
        if self.on_retry is not None:
            self.on_retry(error, wait)
        self.logger.warning(
            "%s; attempt %d of %d failed, retrying in %.1fs%s",
            error,
            state.attempt_number,
            self.retry.max_attempts,
            wait,
            hint,
        )

    def json(self, response: requests.Response) -> Any:
        """The response body as JSON, or an ``HttpError`` that shows what came instead."""
        try:
            return response.json()
        except ValueError as exc:
            shown = safe_url(response.url, self.redactor)
            method = response.request.method or "GET"
            body = self.redactor.redact(truncate(response.text[: self.max_body * 4], self.max_body))
            raise HttpError(
                f"{method} {shown} -> {response.status_code}: the answer is not valid JSON ({exc}): {body}",
                method=method,
                url=shown,
                status=response.status_code,
                body=body,
                kind="malformed",
            ) from None

    def get(self, path: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, params=params, **kwargs)

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.json(self.request("GET", path, params=params, **kwargs))

    def post(self, path: str, *, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, *, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, *, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        """Close the session if this client made it (an injected one belongs to its owner)."""
        if self._owns_session:
            self.session.close()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], context: AdapterContext, **kwargs: Any) -> HttpClient:
        """A client configured by the common HTTP settings (``HTTP_SETTINGS_PROPERTIES``) and the context.

        ``context.retry`` wins over the ``retry`` settings; the budget sleeps on the same clock.
        """
        timeout_setting = settings.get("timeout", {})
        timeout: float | tuple[float, float] = (
            float(timeout_setting)
            if isinstance(timeout_setting, int | float)
            else (float(timeout_setting.get("connect", 5.0)), float(timeout_setting.get("read", 30.0)))
        )
        retry = context.retry or RetryPolicy.from_settings(settings.get("retry", {}))
        if context.cancel is not None:  # back-off and budget waits end when the run stops
            retry = dataclasses.replace(retry, sleep=_cancellable(retry.sleep, context.cancel))
        rate = settings.get("rate_limit", {})
        budget = RequestBudget(
            rate.get("per_minute"),
            burst=rate.get("burst"),
            clock=retry.clock,
            sleep=retry.sleep,
            logger=context.logger,
        )
        client = cls(
            str(settings["base_url"]),
            session=context.session,
            timeout=timeout,
            retry=retry,
            budget=budget,
            read_only=context.read_only,
            logger=context.logger,
            user_agent=context.user_agent,
            verify=str(settings["ca_bundle"]) if settings.get("ca_bundle") else True,
            on_retry=context.on_retry,
            cancel=context.cancel,
            max_pages=int(settings.get("max_pages", DEFAULT_MAX_PAGES)),
            **kwargs,
        )
        client.auth = auth_from_settings(
            settings.get("auth"), session=client.session, timeout=timeout, clock=retry.clock
        )
        return client


def _cancellable(sleep: Callable[[float], None], cancel: threading.Event) -> Callable[[float], None]:
    """``sleep`` that a stopping run cuts short: the real clock's waits on ``cancel`` instead, an
    injected one (a test's fake clock) is asked first; either way ``Cancelled`` once it is set."""

    def wait(seconds: float) -> None:
        if not cancel.is_set():
            if sleep is time.sleep:
                cancel.wait(seconds)
            else:
                sleep(seconds)
        if cancel.is_set():
            raise Cancelled("stopping: a wait was cut short")

    return wait


#: JSON Schema properties of the settings every ``HttpAdapter`` reads; merge them into yours with
#: ``http_settings_schema``.
HTTP_SETTINGS_PROPERTIES: Final[Mapping[str, Any]] = {
    "base_url": {"type": "string", "pattern": "^https?://", "description": "The API's base URL."},
    "auth": AUTH_SCHEMA,
    "timeout": {
        "description": "Seconds to wait for a connection and for an answer (one number: both).",
        "oneOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "connect": {"type": "number", "exclusiveMinimum": 0, "default": 5},
                    "read": {"type": "number", "exclusiveMinimum": 0, "default": 30},
                },
            },
        ],
    },
    "retry": {
        "description": "Retries on 429, 5xx, timeouts and dropped connections.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
            "backoff_base": {"type": "number", "minimum": 0, "default": 0.5},
            "max_wait": {"type": "number", "minimum": 0, "default": 60},
        },
    },
    "rate_limit": {
        "description": "Our own request budget; the server's rate limit headers tighten it.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "per_minute": {"type": "number", "exclusiveMinimum": 0},
            "burst": {"type": "number", "minimum": 1},
        },
    },
    "max_pages": {
        "type": "integer",
        "minimum": 1,
        "default": 1000,
        "description": "Pages one listing (a cycle's fetch, a ticket's messages) may read; past it the "
        "cycle ends early with a warning and the cursor kept, so a tool that says 'more pages' "
        "forever cannot keep a run going.",
    },
    "ca_bundle": {
        "type": "string",
        "minLength": 1,
        "description": "A CA bundle file for a private certificate authority (TLS is always verified).",
    },
}


def http_settings_schema(
    properties: Mapping[str, Any] | None = None,
    required: tuple[str, ...] = ("base_url", "auth"),
    *,
    title: str = "",
    description: str = "",
) -> dict[str, Any]:
    """A settings schema: the common HTTP properties plus the adapter's own, unknown keys rejected."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": {**HTTP_SETTINGS_PROPERTIES, **(properties or {})},
    }
    if title:
        schema["title"] = title
    if description:
        schema["description"] = description
    return schema


class HttpAdapter:
    """Base class for adapters over HTTP: ``self.http`` is a ready ``HttpClient``.

    A subclass implements the ``Adapter`` methods (``check``, ``fetch``, ``set_priority``,
    ``post_message``, ``list_messages``) with ``self.http``; ``close`` is done. Its settings schema
    should start from ``http_settings_schema`` so ``base_url``, ``auth``, ``timeout``, ``retry``,
    ``rate_limit`` and ``ca_bundle`` mean the same for every adapter.
    """

    def __init__(self, config: ConnectionConfig, context: AdapterContext) -> None:
        self.name = config.name
        self.config = config
        self.settings: Mapping[str, Any] = config.settings
        self.context = context
        self.logger = context.logger
        self.http = HttpClient.from_settings(config.settings, context)

    @property
    def read_only(self) -> bool:
        return self.context.read_only

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.http.base_url!r})"
