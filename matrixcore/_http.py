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

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Self
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase
from tenacity import RetryCallState, RetryError
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._adapter import AdapterContext, AdapterError, ReadOnlyError
from ._auth import AUTH_SCHEMA, auth_from_settings
from ._config import ConnectionConfig
from ._ratelimit import RequestBudget
from ._redact import Redactor, default_redactor, guard_loggers, safe_url, truncate
from ._retry import RetryPolicy, parse_retry_after
from ._session import Session

__all__ = [
    "HTTP_SETTINGS_PROPERTIES",
    "HttpAdapter",
    "HttpClient",
    "HttpError",
    "http_settings_schema",
]

#: Methods a read-only connection may send.
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Methods that may be repeated with the same effect (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS: Final = SAFE_METHODS | {"PUT", "DELETE"}
#: Statuses worth another try. 501 (not implemented) and 505 will not change on their own.
RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
#: Statuses that mean the server did not act on the request, so even a POST may be sent again.
NOT_PROCESSED_STATUSES: Final = frozenset({429, 503})


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
        #: (refused, reset, cut short), ``malformed`` (not JSON) or ``request`` (could not be sent).
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
    ) -> requests.Response:
        """Send with retries; return the response (status < 400) or raise ``HttpError``.

        ``idempotent`` (default: by method) allows retrying after the server may have acted: pass
        ``True`` for a POST that carries an idempotency key.
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

        retrying = self.retry.retrying(should_retry, self._log_retry)
        try:
            response: requests.Response = retrying(
                self._send, method, url, params=params, json=json, data=data, headers=headers
            )
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
        if self.budget is not None:
            self.budget.acquire()
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
        retry_after = parse_retry_after(response.headers.get("Retry-After"), response.headers.get("Date"))
        raise HttpError(
            f"{method} {shown} -> {status} {response.reason}" + (f": {body}" if body else ""),
            method=method,
            url=shown,
            status=status,
            body=body,
            retryable=status in RETRY_STATUSES,
            retry_after=retry_after if status in (429, 503) else None,
        )

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
            **kwargs,
        )
        client.auth = auth_from_settings(
            settings.get("auth"), session=client.session, timeout=timeout, clock=retry.clock
        )
        return client


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
