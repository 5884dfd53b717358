"""ServiceNow's OAuth 2.0 endpoint, ``POST /oauth_token.do``: password grant with refresh tokens,
and client credentials (Washington DC and later).

matrixcore's ``OAuth2ClientCredentials`` caches the access token, renews it before ``expires_in``
runs out and once more on a 401, and keeps every token out of logs. ServiceNow also issues access
tokens for a user's credentials (``grant_type=password``), with a refresh token that renews them
(``grant_type=refresh_token``) without sending the password again; the base has no such grant, so
this subclass supplies the form it posts, and falls back to the password when the refresh token is
refused (expired or revoked). The endpoint takes only form-encoded bodies with the client's id and
secret in the body.
"""

from __future__ import annotations

from typing import Any

import requests

from matrixcore import AdapterError, HttpError, OAuth2ClientCredentials, Secret
from matrixcore._http import RETRY_STATUSES
from matrixcore._retry import parse_retry_after

__all__ = ["ServiceNowOAuth"]


class ServiceNowOAuth(OAuth2ClientCredentials):
    """Bearer tokens from ``/oauth_token.do`` for a password or client-credentials grant."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        *,
        username: str = "",
        password: Secret | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(token_url, client_id, client_secret, client_auth="body", **kwargs)
        self.username = username
        self.password = password
        self._refresh: Secret | None = None
        if password is not None:
            self._redactor.add(password)

    def _fetch(self) -> Secret:
        if self.password is None:
            return self._grant({"grant_type": "client_credentials"})
        if self._refresh is not None:
            try:
                return self._grant({"grant_type": "refresh_token", "refresh_token": self._refresh.reveal()})
            except AdapterError as exc:
                if exc.status not in (400, 401):
                    raise
                self._logger.info("the ServiceNow refresh token was refused; logging in again")
                self._refresh = None
        return self._grant(
            {"grant_type": "password", "username": self.username, "password": self.password.reveal()}
        )

    def _grant(self, form: dict[str, str]) -> Secret:
        form |= {"client_id": self.client_id, "client_secret": self.client_secret.reveal()}
        where = f"ServiceNow token request ({form['grant_type']} grant) POST {self.token_url}"
        try:
            response = self.session.post(
                self.token_url, data=form, timeout=self.timeout, headers={"Accept": "application/json"}
            )
        except requests.RequestException as exc:
            raise AdapterError(f"{where} failed: {self._redactor.redact(str(exc))}", retryable=True) from None
        if response.status_code != 200:
            status = response.status_code
            raise HttpError(
                f"{where} -> {status}: {self._redactor.redact(response.text[:300])}",
                method="POST",
                url=self.token_url,
                status=status,
                retryable=status in RETRY_STATUSES,
                # A rate-limit rule covers the token endpoint too: wait as the server says.
                retry_after=parse_retry_after(
                    response.headers.get("Retry-After"), response.headers.get("Date")
                ),
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 0)) or None
        except (ValueError, KeyError, TypeError):
            raise AdapterError(f"{where}: the answer has no access_token", status=200) from None
        self._redactor.add(token)
        if body.get("refresh_token"):
            self._refresh = Secret(str(body["refresh_token"]), "servicenow:refresh_token")
            self._redactor.add(self._refresh)
        self._expires_at = (
            None if lifetime is None else self._clock() + max(lifetime - self.refresh_margin, 0.0)
        )
        self.tokens_fetched += 1
        return Secret(token, "servicenow:access_token")
