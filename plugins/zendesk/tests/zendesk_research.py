"""The research data beside the checkout: Zendesk's OpenAPI description and recorded exchanges.

The recordings are betamax cassettes (zenpy's test suite, recorded against a real account) whose
bodies are base64 + gzip. They are read in place and never copied into the repository; tests that
need them skip with a reason where the folder is absent (a user's own clone).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

if TYPE_CHECKING:
    from matrixcore_zendesk.testing import OpenApiValidator, ZendeskServer

    from matrixcore.testing import RecordedRequest

_REPO_ROOT = Path(__file__).resolve().parents[3]


def research_dir() -> Path:
    """``$MATRIXCORE_RESEARCH_DATA/zendesk`` or ``<repo>/../shared/research-data/zendesk``."""
    base = os.environ.get("MATRIXCORE_RESEARCH_DATA")
    root = Path(base) if base else _REPO_ROOT.parent / "shared" / "research-data"
    return root / "zendesk"


def require_research() -> Path:
    folder = research_dir()
    if not (folder / "support-oas.yaml").is_file():
        pytest.skip(f"Zendesk research data not found at {folder} (set MATRIXCORE_RESEARCH_DATA)")
    return folder


def _body(body: Mapping[str, Any]) -> str:
    encoded = body.get("base64_string")
    if encoded:
        raw = base64.b64decode(encoded)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode(body.get("encoding") or "utf-8")
    return str(body.get("string") or "")


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its response, bodies decoded."""

    cassette: str
    method: str
    uri: str
    request_headers: Mapping[str, str]
    request_body: str
    status: int
    response_headers: Mapping[str, str]
    response_body: str

    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body.strip() else None


def _headers(raw: Mapping[str, Any]) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) and v else str(v)) for k, v in raw.items()}


@cache
def exchanges() -> tuple[Exchange, ...]:
    """Every recorded exchange of every cassette, in recording order."""
    folder = require_research() / "zenpy-cassettes"
    found: list[Exchange] = []
    for path in sorted(folder.glob("*.json")):
        if path.name == "LICENSE":
            continue
        for item in json.loads(path.read_text(encoding="utf-8"))["http_interactions"]:
            request, response = item["request"], item["response"]
            found.append(
                Exchange(
                    cassette=path.stem,
                    method=request["method"],
                    uri=request["uri"],
                    request_headers=_headers(request["headers"]),
                    request_body=_body(request["body"]),
                    status=int(response["status"]["code"]),
                    response_headers=_headers(response["headers"]),
                    response_body=_body(response["body"]),
                )
            )
    return tuple(found)


def recorded_tickets() -> Iterator[tuple[Exchange, Mapping[str, Any]]]:
    """Every ticket object in every recorded response, with the exchange it came from."""
    for exchange in exchanges():
        try:
            data = exchange.response_json()
        except ValueError:
            continue
        if not isinstance(data, Mapping):
            continue
        for ticket in data.get("tickets") or ([data["ticket"]] if "ticket" in data else []):
            yield exchange, ticket


@cache
def validator(skip: str = "") -> OpenApiValidator:
    """The published description with every documented deviation but ``skip``."""
    from matrixcore_zendesk.testing import DEVIATIONS, OpenApiValidator

    folder = require_research()
    return OpenApiValidator(folder / "support-oas.yaml", [d for d in DEVIATIONS if d.name != skip])


def follows_the_published_api(server: ZendeskServer) -> int:
    """Validate every request sent to ``server`` and every answer its emulator gave against
    Zendesk's OpenAPI description; returns how many exchanges were checked (0 without the data).

    Called by the fixtures after each test that talks to the emulator, so whatever the adapter
    sends and whatever the emulator answers in any test is held to the published description.
    """
    if not (research_dir() / "support-oas.yaml").is_file():
        return 0
    pytest.importorskip("openapi_core")
    checker = validator()
    for sent in server.requests:
        checker.validate_request(sent.method, request_url(sent), dict(sent.headers), sent.body or None)
    for sent, answer in server.answers:
        checker.validate_response(
            sent.method,
            request_url(sent),
            answer.status,
            answer.headers,
            answer.content(),
            dict(sent.headers),
        )
    return len(server.answers)


def request_url(sent: RecordedRequest) -> str:
    """A request the test server received, as a URL on a Zendesk host (for the validator)."""
    query = urlencode([(k, v) for k, values in sent.query.items() for v in values])
    return f"https://acme.zendesk.com{sent.path}" + (f"?{query}" if query else "")
