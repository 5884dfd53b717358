"""Authentication for HTTP adapters: Basic, bearer token and OAuth2 client credentials.

Each is a ``requests`` auth object that reveals its ``Secret`` only while building a request and
registers every credential (and every access token it obtains) with the redactor, so none of them
can appear in a log or an error. The OAuth2 flow caches its token, renews it shortly before it
expires, and when the server still answers 401 renews it once and resends the request.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import requests
from requests.auth import AuthBase

from ._adapter import AdapterError
from ._config import Secret, resolve_secrets
from ._redact import Redactor, default_redactor, safe_url, truncate
from ._session import Session

__all__ = [
    "AUTH_SCHEMA",
    "SECRET_SCHEMA",
    "BasicAuth",
    "BearerAuth",
    "OAuth2ClientCredentials",
    "as_secret",
    "auth_from_settings",
]

#: JSON Schema of a secret reference, for adapters' settings schemas.
SECRET_SCHEMA: Final[Mapping[str, Any]] = {
    "description": "{env: NAME} reads an environment variable, {file: PATH} the first line of a file.",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "file": {"type": "string"},
    },
}

#: JSON Schema of the ``auth`` section every HTTP adapter understands.
AUTH_SCHEMA: Final[Mapping[str, Any]] = {
    "description": "How to log in: basic, bearer (API token) or oauth2 (client credentials).",
    "type": "object",
    "required": ["type"],
    "oneOf": [
        {
            "properties": {
                "type": {"const": "basic"},
                "username": {"type": "string", "minLength": 1},
                "password": SECRET_SCHEMA,
            },
            "required": ["type", "username", "password"],
            "additionalProperties": False,
        },
        {
            "properties": {
                "type": {"const": "bearer"},
                "token": SECRET_SCHEMA,
                "header": {"type": "string", "minLength": 1, "default": "Authorization"},
                "scheme": {"type": "string", "default": "Bearer"},
            },
            "required": ["type", "token"],
            "additionalProperties": False,
        },
        {
            "properties": {
                "type": {"const": "oauth2"},
                "token_url": {"type": "string", "pattern": "^https?://"},
                "client_id": {"type": "string", "minLength": 1},
                "client_secret": SECRET_SCHEMA,
                "scope": {"type": "string"},
                "client_auth": {"enum": ["basic", "body"], "default": "basic"},
            },
            "required": ["type", "token_url", "client_id", "client_secret"],
            "additionalProperties": False,
        },
    ],
}


def as_secret(
    value: Secret | str | Mapping[str, str], name: str = "secret", base: Path | None = None
) -> Secret:
    """A ``Secret`` from a resolved one, a plain string, or an unresolved ``{env:}``/``{file:}`` ref."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value, name)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    resolved = resolve_secrets(value, (name,), base or Path.cwd(), problems)
    if problems:
        raise AdapterError(f"{name}: {problems[0][1]}")
    if not isinstance(resolved, Secret):
        raise AdapterError(f"{name}: expected a secret ({{env: NAME}} or {{file: PATH}})")
    return resolved


class BasicAuth(AuthBase):
    """HTTP Basic, UTF-8 (RFC 7617); the password is revealed per request, never kept in plain text."""

    def __init__(self, username: str, password: Secret | str, redactor: Redactor | None = None) -> None:
        self.username = username
        self.password = as_secret(password, "password")
        (redactor or default_redactor).add_basic(username, self.password)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        login = f"{self.username}:{self.password.reveal()}".encode()
        r.headers["Authorization"] = "Basic " + base64.b64encode(login).decode("ascii")
        return r

    def __repr__(self) -> str:
        return f"BasicAuth({self.username!r}, {self.password!r})"


class BearerAuth(AuthBase):
    """An API token in ``Authorization: Bearer …`` (or any header and scheme: ``X-API-Key``, ``Token``)."""

    def __init__(
        self,
        token: Secret | str,
        *,
        header: str = "Authorization",
        scheme: str = "Bearer",
        redactor: Redactor | None = None,
    ) -> None:
        self.token = as_secret(token, "token")
        self.header = header
        self.scheme = scheme
        (redactor or default_redactor).add(self.token)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        value = self.token.reveal()
        r.headers[self.header] = f"{self.scheme} {value}" if self.scheme else value
        return r

    def __repr__(self) -> str:
        return f"BearerAuth({self.token!r}, header={self.header!r})"


class OAuth2ClientCredentials(AuthBase):
    """OAuth2 client credentials grant (RFC 6749 §4.4) with a cached, self-renewing access token.

    The token is renewed ``refresh_margin`` seconds before ``expires_in`` runs out, and once more
    when the server answers 401 to a request that carried it (revoked early, clock skew). The token
    request is a POST even on a read-only connection: it asks for a credential and changes nothing.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Secret | str,
        *,
        scope: str | None = None,
        client_auth: str = "basic",
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        redactor: Redactor | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if client_auth not in ("basic", "body"):
            raise ValueError(f"client_auth must be 'basic' or 'body', got {client_auth!r}")
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = as_secret(client_secret, "client_secret")
        self.scope = scope
        self.client_auth = client_auth
        self.session = session or Session()
        self.timeout = timeout
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._redactor = redactor or default_redactor
        self._redactor.add(self.client_secret)
        self._redactor.add_basic(client_id, self.client_secret)
        self._logger = logger or logging.getLogger("matrixcore.http")
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._expires_at: float | None = None
        #: How many tokens were obtained (operators and tests read it).
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({safe_url(self.token_url)!r}, client_id={self.client_id!r})"

    def access_token(self) -> str:
        """A valid access token, from the cache or freshly obtained."""
        with self._lock:
            if self._token is None or (self._expires_at is not None and self._clock() >= self._expires_at):
                self._token = self._fetch()
            return self._token.reveal()

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (if it is still the cached one) so the next request gets a new one."""
        with self._lock:
            if self._token is not None and self._token.reveal() == token:
                self._token = None

    def _fetch(self) -> Secret:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        auth: tuple[str, str] | None = None
        if self.client_auth == "basic":
            auth = (self.client_id, self.client_secret.reveal())
        else:
            data |= {"client_id": self.client_id, "client_secret": self.client_secret.reveal()}
        from ._http import HttpError  # here: _http builds on this module

        shown = safe_url(self.token_url, self._redactor)
        where = f"OAuth2 token request POST {shown}"
        # The API request waits for this token, so it was never sent: any retryable failure here
        # may be retried, whatever the API request's method.
        try:
            response = self.session.post(
                self.token_url,
                data=data,
                auth=auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise HttpError(
                f"{where} failed: {self._redactor.redact(str(exc))}",
                method="POST",
                url=shown,
                retryable=True,
                sent=False,
            ) from None
        if response.status_code != 200:
            body_text = self._redactor.redact(truncate(response.text))
            raise HttpError(
                f"{where} -> {response.status_code} {response.reason}: {body_text}",
                method="POST",
                url=shown,
                status=response.status_code,
                body=body_text,
                retryable=response.status_code in (408, 429) or response.status_code >= 500,
                sent=False,
            )
        try:
            body = response.json()
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise AdapterError(f"{where}: the answer has no access_token", status=200) from None
        self._redactor.add(token)
        try:
            lifetime: float | None = float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            lifetime = None  # no stated lifetime: use it until the server answers 401
        self._expires_at = (
            None if lifetime is None else self._clock() + max(lifetime - self.refresh_margin, 0.0)
        )
        self.tokens_fetched += 1
        self._logger.debug("obtained an OAuth2 access token for client %s", self.client_id)
        return Secret(token, "oauth2:access_token")

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.access_token()
        r.headers["Authorization"] = f"Bearer {token}"
        r.register_hook("response", self._renew_on_401)  # type: ignore[no-untyped-call]
        return r

    def _renew_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        # Session.send runs response hooks only for the first response, so this resends at most once.
        if response.status_code != 401:
            return response
        sent = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        self.invalidate(sent)
        response.content  # noqa: B018 - read the body so the connection can be reused
        response.close()
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {self.access_token()}"
        self._logger.info("the server refused the OAuth2 token (401); sending again with a new one")
        adapter = response.connection
        renewed: requests.Response = adapter.send(retry, **kwargs)
        renewed.history.append(response)
        renewed.request = retry
        return renewed


def auth_from_settings(
    settings: Mapping[str, Any] | None,
    *,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = (5.0, 30.0),
    redactor: Redactor | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AuthBase | None:
    """The auth object an ``auth`` settings section (see ``AUTH_SCHEMA``) describes; ``None`` for none."""
    if not settings:
        return None
    kind = settings.get("type")
    if kind == "basic":
        return BasicAuth(str(settings["username"]), as_secret(settings["password"], "password"), redactor)
    if kind == "bearer":
        return BearerAuth(
            as_secret(settings["token"], "token"),
            header=str(settings.get("header", "Authorization")),
            scheme=str(settings.get("scheme", "Bearer")),
            redactor=redactor,
        )
    if kind == "oauth2":
        return OAuth2ClientCredentials(
            str(settings["token_url"]),
            str(settings["client_id"]),
            as_secret(settings["client_secret"], "client_secret"),
            scope=settings.get("scope"),
            client_auth=str(settings.get("client_auth", "basic")),
            session=session,
            timeout=timeout,
            redactor=redactor,
            clock=clock,
        )
    raise AdapterError(f"auth.type: unknown {kind!r} (use basic, bearer or oauth2)")
