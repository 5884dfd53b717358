"""The HTTP session every adapter and token request uses: the proxy environment read once per host.

requests reads ``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY`` and ``REQUESTS_CA_BUNDLE`` from the
environment on every request (``Session.merge_environment_settings``: a walk over all of
``os.environ`` and a parse of ``NO_PROXY``), which was a quarter of a daemon cycle's time. What it
finds depends only on the URL's scheme, host and port, so this session asks once per
(scheme, host, port) and keeps the answer for its life: ``NO_PROXY`` still decides per host (an
OAuth2 token URL on another host than the API gets its own answer), and a new session (the daemon
reopens adapters after a reload or a failure) reads the environment again.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies

if TYPE_CHECKING:
    from requests.sessions import _Settings

__all__ = ["Session"]

#: Distinct hosts remembered per session (an adapter talks to one or two; this only bounds memory).
_MAX_HOSTS: Final = 64

_Key = tuple[str, str | None, int | None, str | None]


class Session(requests.Session):
    """A ``requests.Session`` that resolves proxy settings once per host instead of per request."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[_Key, tuple[dict[str, str], str | None]] = {}

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: MutableMapping[str, str] | None,
        stream: bool | None,
        verify: bool | str | None,
        cert: Any,
    ) -> _Settings:
        if not self.trust_env or not isinstance(url, str):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        key = (parts.scheme, parts.hostname, parts.port, no_proxy)
        found = self._environment.get(key)
        if found is None:
            if len(self._environment) >= _MAX_HOSTS:
                self._environment.clear()
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = self._environment[key] = (get_environ_proxies(url, no_proxy=no_proxy), bundle)
        environ_proxies, bundle = found
        merged = dict(proxies or {})
        for scheme, proxy in environ_proxies.items():
            merged.setdefault(scheme, proxy)
        if (verify is True or verify is None) and bundle:
            verify = bundle
        merge: Any = merge_setting  # untyped in requests' stubs
        return {
            "proxies": merge(merged, self.proxies),
            "stream": merge(stream, self.stream),
            "verify": merge(verify, self.verify),
            "cert": merge(cert, self.cert),
        }
