"""Check requests and responses against TOPdesk's published incident API description (4.2.6).

Built on openapi-core, which does the parts that are easy to get subtly wrong by hand: matching a
URL to its path template, deserialising and type-checking query and path parameters, the security
requirement (Basic auth must be present), request bodies by media type, and a response's status
against the operation's declared ones. It needs ``pip install "plugins/topdesk[test]"``.

The description (``shared/research-data/topdesk/incident-4.2.6.openapi.json``) is a reconstruction,
so it is adjusted on load, each adjustment backed by TOPdesk's own text or recorded payloads:

- servers: any host under ``/tas/api`` (the emulator runs on loopback, over http);
- ``*/*`` media types are JSON (the reconstruction lost the media type; TOPdesk speaks JSON), and
  an empty ``content`` map means no body (as for 204);
- responses: every property may be ``null`` (the recorded incident has ``null`` for most lookups
  the description types as objects), and ``date-time`` accepts TOPdesk's default
  ``2024-01-01T10:00:00.000+0000`` (documented under ``dateFormat``);
- request bodies: the update body takes no undeclared fields (TOPdesk: 400 "The request contains a
  field that does not exist");
- query parameters the operation does not declare are reported (openapi-core ignores them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

__all__ = ["SPEC_NAME", "TopdeskOpenAPI", "find_research_data", "spec_path"]

SPEC_NAME: Final = "incident-4.2.6.openapi.json"
_TOPDESK_TIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_BASE: Final = "/tas/api"


def find_research_data() -> Path | None:
    """``$MATRIXCORE_RESEARCH_DATA``, else ``shared/research-data`` beside the repository checkout."""
    env = os.environ.get("MATRIXCORE_RESEARCH_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "research-data"
        if candidate.is_dir():
            return candidate
    return None


def spec_path() -> Path | None:
    """The TOPdesk description in the research data, or ``None`` where it is absent."""
    root = find_research_data()
    path = root / "topdesk" / SPEC_NAME if root else None
    return path if path is not None and path.is_file() else None


def _is_topdesk_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_TOPDESK_TIME.match(value))


def _schemas(schema: Any) -> Iterable[dict[str, Any]]:
    """Every schema object inside ``schema``, following the schema structure (a property may be
    called ``type``, so keys alone do not tell a schema from a ``properties`` map)."""
    if not isinstance(schema, dict):
        return
    yield schema
    for prop in (schema.get("properties") or {}).values():
        yield from _schemas(prop)
    for key in ("items", "additionalProperties", "not"):
        yield from _schemas(schema.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or ():
            yield from _schemas(sub)


def _response_schemas(doc: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for schema in doc["components"]["schemas"].values():
        yield from _schemas(schema)
    for operations in doc["paths"].values():
        for operation in operations.values():
            for response in (operation.get("responses") or {}).values():
                for media in (response.get("content") or {}).values():
                    yield from _schemas(media.get("schema"))


def _prepared(raw: Mapping[str, Any], *, nullable: bool) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(raw).replace('"*/*"', '"application/json"'))
    doc["servers"] = [{"url": _BASE}]
    for operations in doc["paths"].values():
        for operation in operations.values():
            for response in (operation.get("responses") or {}).values():
                if response.get("content") == {}:
                    del response["content"]  # "content": {} means no body, as for 204
    update_body = doc["components"]["schemas"].get("IncidentUpdateBody")
    if update_body is not None:
        update_body["additionalProperties"] = False
    if nullable:
        for schema in _response_schemas(doc):
            if "$ref" not in schema:
                schema["nullable"] = True
            if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
                schema["enum"] = [*schema["enum"], None]
    return doc


@dataclass(frozen=True, slots=True)
class _Operation:
    parameters: frozenset[str]


class TopdeskOpenAPI:
    """Validates one request or response at a time; each check returns a list of problems."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        config = Config(extra_format_validators={"date-time": _is_topdesk_time})
        self._strict = OpenAPI.from_dict(_prepared(document, nullable=False), config=config)
        self._lenient = OpenAPI.from_dict(_prepared(document, nullable=True), config=config)
        self._operations = self._declared_parameters(document)

    @classmethod
    @cache
    def load(cls, path: Path) -> TopdeskOpenAPI:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @staticmethod
    def _declared_parameters(document: Mapping[str, Any]) -> list[tuple[re.Pattern[str], str, _Operation]]:
        out = []
        for template, operations in document["paths"].items():
            pattern = re.compile(_BASE + re.sub(r"\{[^/}]+\}", "[^/]+", template))
            for method, operation in operations.items():
                names = frozenset(
                    p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"
                )
                out.append((pattern, method.upper(), _Operation(names)))
        return out

    @staticmethod
    def _request(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> MockRequest:
        split = urlsplit(url)
        content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"), "application/json"
        )
        return MockRequest(
            f"{split.scheme or 'http'}://{split.netloc or 'localhost'}",
            method.lower(),
            split.path,
            args=parse_qs(split.query, keep_blank_values=True),
            headers=dict(headers),
            data=body or None,
            content_type=content_type.split(";")[0].strip(),
        )

    def request_problems(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> list[str]:
        """What is wrong with a request by the description; ``[]`` when it conforms."""
        problems = _problems(lambda: self._strict.validate_request(self._request(method, url, headers, body)))
        split = urlsplit(url)
        for pattern, verb, operation in self._operations:
            if verb == method.upper() and pattern.fullmatch(split.path):
                undeclared = sorted(set(parse_qs(split.query, keep_blank_values=True)) - operation.parameters)
                if undeclared:
                    problems.append(f"query parameters not in the description: {', '.join(undeclared)}")
                break
        return problems

    def response_problems(
        self,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        status: int,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> list[str]:
        """What is wrong with a response (status, headers, body) to the given request."""
        request = self._request(method, url, request_headers, None)
        content_type = next(
            (v for k, v in (headers or {}).items() if k.lower() == "content-type"), "application/json"
        )
        response = MockResponse(
            body, status_code=status, headers=dict(headers or {}), content_type=content_type.split(";")[0]
        )
        return _problems(lambda: self._lenient.validate_response(request, response))


def _problems(check: Any) -> list[str]:
    try:
        check()
    except Exception as exc:  # openapi-core raises a family of unrelated error classes
        messages = [f"{type(exc).__name__}: {exc}"]
        cause = exc.__cause__
        for error in getattr(cause, "schema_errors", ()) or ():
            path = "/".join(str(p) for p in getattr(error, "absolute_path", ()))
            messages.append(f"  at {path or '(body)'}: {getattr(error, 'message', error)}")
        if cause is not None and not getattr(cause, "schema_errors", None):
            messages.append(f"  cause: {cause}")
        return messages
    return []
