"""The JSON Schemas of rules and config files, and validation that reports every error with its line.

The schemas live in ``schemas/`` at the repository root and ship inside the wheel as
``matrixcore/schemas`` so ``matrixcore schema`` and editors see exactly what the validator uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ._documents import Document
from ._errors import Problem

__all__ = ["SCHEMA_NAMES", "load_schema", "schema_problems", "validator_for"]

SCHEMA_NAMES = ("rules", "config", "report", "forecast")


def _schema_text(name: str) -> str:
    filename = f"{name}.schema.json"
    packaged = resources.files("matrixcore").joinpath("schemas", filename)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # A source checkout or editable install: the schemas sit beside the package.
    return (Path(__file__).resolve().parent.parent / "schemas" / filename).read_text(encoding="utf-8")


@cache
def load_schema(name: str) -> Mapping[str, Any]:
    """The JSON Schema called ``name`` (``"rules"``, ``"config"`` or ``"report"``, the JSON report's)."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"no schema called {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    schema: Mapping[str, Any] = json.loads(_schema_text(name))
    return schema


@cache
def validator_for(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors: for ``anyOf``/``oneOf`` the branch that got furthest, not a wall of text."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            for sub in error.context:
                if len(sub.absolute_path) == deepest:
                    yield from _leaves(sub)
            return
    yield error


def _message(error: ValidationError) -> str:
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if set(schema.get("properties") or ()) == {"env", "file"} and not isinstance(error.instance, Mapping):
        # A secret written inline: say so without echoing it (jsonschema's message would).
        return "a secret is given as {env: NAME} or {file: PATH}, never inline (the value is not shown)"
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if allowed and extra:
            return (
                f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}; allowed: "
                + ", ".join(sorted(allowed))
            )
    if error.validator in ("anyOf", "oneOf") and "description" in schema:
        return f"{error.instance!r} is not valid here: expected {schema['description']}"
    if error.validator == "enum" and isinstance(error.validator_value, list):
        return f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    return str(error.message)


#: Validators that judge the keys around a value, not the value itself: the value is still usable.
_AROUND_THE_VALUE: Final = frozenset(
    {
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "dependentRequired",
        "unevaluatedProperties",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)


def schema_problems(
    doc: Document, schema: str | Draft202012Validator, rejected: set[tuple[str | int, ...]] | None = None
) -> list[Problem]:
    """Every violation of ``schema`` (a name from ``SCHEMA_NAMES``, or a validator) in ``doc``, located.

    ``rejected``, if given, receives the path of every value of the wrong type or shape, so the
    logical checks that follow can leave those values out instead of tripping over them.
    """
    validator = validator_for(schema) if isinstance(schema, str) else schema
    problems: list[Problem] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    for error in validator.iter_errors(doc.data):
        for leaf in _leaves(error):
            path = tuple(leaf.absolute_path)
            if rejected is not None and leaf.validator not in _AROUND_THE_VALUE:
                rejected.add(path)
            message = _message(leaf)
            if (path, message) not in seen:
                seen.add((path, message))
                problems.append(doc.problem(path, message))
    return problems
