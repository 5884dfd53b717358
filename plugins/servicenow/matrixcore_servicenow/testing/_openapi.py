"""Requests and responses checked against ServiceNow's own Table API description.

The descriptions real instances export (``now-Table_API.*.json``) describe requests only: paths,
methods, query parameters and media types, with empty schemas and a bare "200 ok" response.
``openapi-core`` does the standard part (server and path-template matching, operation lookup,
required parameters, request media type, declared status codes); because OpenAPI lets a client
send parameters a description does not declare, this module also rejects undeclared query
parameters and repeated ones, which is what catches a misspelt ``sysparm_`` name.

One parameter is allowed although the exported descriptions leave it out: ``sysparm_offset``. The
Table API reference documents it for paging and the server's own ``Link`` URLs carry it.

Real exports are not always valid OpenAPI (the Australia one has empty ``responses`` objects), so
the description is used without validating it first; ``spec_problems`` says what is wrong with it,
and ``describes_responses`` whether a response can be checked at all.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

__all__ = ["UNDECLARED_BUT_DOCUMENTED", "TableApiDescription"]

#: Query parameters the Table API takes and documents, missing from the exported descriptions.
UNDECLARED_BUT_DOCUMENTED: Final = frozenset({"sysparm_offset"})


class TableApiDescription:
    """One exported Table API description, its servers pointed at ``base_url`` (the emulator)."""

    def __init__(self, spec: Mapping[str, Any], base_url: str) -> None:
        self.spec: dict[str, Any] = copy.deepcopy(dict(spec))
        self.spec["servers"] = [{"url": base_url.rstrip("/")}]
        self.base_url = base_url.rstrip("/")

    @classmethod
    def load(cls, path: Path, base_url: str) -> TableApiDescription:
        return cls(json.loads(path.read_text(encoding="utf-8")), base_url)

    @cached_property
    def _openapi(self) -> OpenAPI:
        # None turns spec validation off, as openapi-core documents (its annotation omits it).
        return OpenAPI.from_dict(self.spec, config=Config(spec_validator_cls=None))  # type: ignore[arg-type]

    @cached_property
    def spec_problems(self) -> list[str]:
        """Where the description itself breaks the OpenAPI 3.0 rules (empty when it is valid)."""
        try:
            validate(self.spec)
        except OpenAPIValidationError as exc:
            return [f"{'/'.join(str(p) for p in exc.absolute_path)}: {exc.message}"]
        return []

    def describes_responses(self, method: str, url: str) -> bool:
        operation = self._operation(method, urlsplit(url).path)
        return bool(operation and operation.get("responses"))

    @cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        out = []
        for template in self.spec.get("paths", {}):
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            out.append((re.compile(f"^{pattern}$"), template))
        return out

    def _operation(self, method: str, path: str) -> Mapping[str, Any] | None:
        for pattern, template in self._templates:
            if pattern.match(path):
                operation: Mapping[str, Any] | None = self.spec["paths"][template].get(method.lower())
                return operation
        return None

    def _declared(self, method: str, path: str) -> set[str]:
        operation = self._operation(method, path) or {}
        return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}

    def _mock_request(self, method: str, url: str, body: bytes, content_type: str) -> MockRequest:
        split = urlsplit(url)
        return MockRequest(
            self.base_url,
            method.lower(),
            split.path,
            args=dict(parse_qsl(split.query, keep_blank_values=True)),
            data=body or None,
            content_type=content_type or "application/json",
        )

    def request_problems(self, method: str, url: str, body: bytes = b"", content_type: str = "") -> list[str]:
        """What is wrong with this request by the description (empty when it conforms)."""
        split = urlsplit(url)
        where = f"{method.upper()} {split.path}"
        problems: list[str] = []
        try:
            self._openapi.validate_request(self._mock_request(method, url, body, content_type))
        except OpenAPIError as exc:
            problems.append(f"{where}: {type(exc).__name__}: {exc}")
            return problems
        names = [name for name, _ in parse_qsl(split.query, keep_blank_values=True)]
        declared = self._declared(method, split.path)
        for name in sorted(set(names) - declared - UNDECLARED_BUT_DOCUMENTED):
            problems.append(f"{where}: query parameter {name!r} is not in the description")
        for name, count in sorted(Counter(names).items()):
            if count > 1:
                problems.append(f"{where}: query parameter {name!r} is sent {count} times")
        return problems

    def response_problems(
        self, method: str, url: str, status: int, body: bytes, content_type: str, request_body: bytes = b""
    ) -> list[str]:
        """What is wrong with a response by the description (status code and media type)."""
        request = self._mock_request(method, url, request_body, "application/json")
        response = MockResponse(body, status_code=status, content_type=content_type.split(";")[0].strip())
        try:
            self._openapi.validate_response(request, response)
        except OpenAPIError as exc:
            return [f"{method.upper()} {urlsplit(url).path} -> {status}: {type(exc).__name__}: {exc}"]
        return []
