"""The config file: which rules, which ITSM connections, and how the daemon runs.

Validated like the rules: the config schema first, then every connection's settings against the
JSON Schema its adapter publishes, so a typo in a TOPdesk section gets the same path-and-line error
as one in the rules. Secrets are never written inline: ``{env: NAME}`` or ``{file: PATH}`` become
``Secret`` values that print as ``***`` and are revealed only where a request is made.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ._documents import Document, load_document, parse_document
from ._errors import ConfigError, Problem, RulesetError
from ._schemas import schema_problems

__all__ = ["Config", "ConnectionConfig", "Secret", "load_config", "parse_config", "resolve_secrets"]


class Secret:
    """A credential that never shows itself in a log, an error or a repr; ``reveal()`` to use it."""

    __slots__ = ("_source", "_value")

    def __init__(self, value: str, source: str = "") -> None:
        self._value = value
        self._source = source

    def reveal(self) -> str:
        return self._value

    @property
    def source(self) -> str:
        """Where it came from (``env:TOPDESK_PASSWORD``), safe to show."""
        return self._source

    def __repr__(self) -> str:
        return f"Secret({self._source or '***'})"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _is_secret_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("env", "file")


def resolve_secrets(
    value: Any, path: tuple[str | int, ...], base: Path, problems: list[tuple[tuple[str | int, ...], str]]
) -> Any:
    """Replace every ``{env: NAME}`` / ``{file: PATH}`` in ``value`` by a ``Secret``; collect problems."""
    if _is_secret_ref(value):
        kind, ref = next(iter(value.items()))
        if kind == "env":
            if str(ref) not in os.environ:
                problems.append((path, f"environment variable {ref} is not set"))
                return Secret("", f"env:{ref}")
            return Secret(os.environ[str(ref)], f"env:{ref}")
        file = (base / str(ref)).expanduser()
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append((path, f"cannot read secret file {file}: {exc.strerror or exc}"))
            return Secret("", f"file:{ref}")
        return Secret(text.splitlines()[0].strip() if text.strip() else "", f"file:{ref}")
    if isinstance(value, Mapping):
        return {k: resolve_secrets(v, (*path, k), base, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, (*path, i), base, problems) for i, v in enumerate(value)]
    return value


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """One configured ITSM connection: its name, adapter and the adapter's settings (secrets resolved)."""

    name: str
    adapter: str
    settings: Mapping[str, Any]
    #: The config file's directory: relative paths in the settings (an export file) resolve against it.
    directory: Path | None = None


@dataclass(frozen=True, slots=True)
class Config:
    file: str
    rules_path: Path
    connections: Mapping[str, ConnectionConfig]
    #: The whole validated document, for sections later features read (state, sync, logging, metrics).
    data: Mapping[str, Any] = field(default_factory=dict)
    document: Document | None = field(default=None, repr=False, compare=False)
    #: What ``matrixcore report`` reads: the ``source`` section as a connection (an inline export is
    #: a connection of the built-in ``file`` adapter), or ``None`` when the config has none.
    source: ConnectionConfig | None = None

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, Mapping) else {}


def config_from_document(
    doc: Document, adapter_schemas: Mapping[str, Mapping[str, Any]] | None = None, *, secrets: bool = True
) -> Config:
    """Validate ``doc`` as a config; ``adapter_schemas`` maps adapter names to their settings schema.

    With ``adapter_schemas=None`` the adapters are not checked (no plugins loaded yet); with a
    mapping, an unknown adapter is an error naming the known ones. With ``secrets=False`` a secret
    that cannot be resolved is left empty instead of being an error (nothing will be connected).
    """
    problems: list[Problem] = schema_problems(doc, "config")
    data: Mapping[str, Any] = doc.data if isinstance(doc.data, Mapping) else {}
    base = Path(doc.file).resolve().parent if doc.file else Path.cwd()
    connections: dict[str, ConnectionConfig] = {}
    raw_connections = data.get("connections")
    for name, raw in (raw_connections if isinstance(raw_connections, Mapping) else {}).items():
        if not isinstance(raw, Mapping) or not isinstance(raw.get("adapter"), str):
            continue
        path: tuple[str | int, ...] = ("connections", name)
        adapter = raw["adapter"]
        settings = {k: v for k, v in raw.items() if k != "adapter"}
        if adapter_schemas is not None:
            if adapter not in adapter_schemas:
                close = difflib.get_close_matches(adapter, list(adapter_schemas), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                known = ", ".join(sorted(adapter_schemas)) or "none installed"
                problems.append(
                    doc.problem((*path, "adapter"), f"unknown adapter {adapter!r}{hint} (installed: {known})")
                )
            else:
                validator = Draft202012Validator(
                    adapter_schemas[adapter], format_checker=Draft202012Validator.FORMAT_CHECKER
                )
                sub = Document(
                    settings, doc.file, {k[2:]: v for k, v in doc.positions.items() if k[:2] == path}
                )
                for problem in schema_problems(sub, validator):
                    problems.append(doc.problem((*path, *problem.path), problem.message))
        found: list[tuple[tuple[str | int, ...], str]] = []
        settings = resolve_secrets(settings, path, base, found)
        if secrets:
            problems += [doc.problem(where, message) for where, message in found]
        connections[name] = ConnectionConfig(str(name), adapter, settings, base)
    source = _source(doc, data.get("source"), connections, base, problems)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems, doc.file)
    rules = Path(str(data.get("rules")))
    return Config(
        file=doc.file,
        rules_path=rules if rules.is_absolute() else base / rules,
        connections=connections,
        data=data,
        document=doc,
        source=source,
    )


def _source(
    doc: Document,
    raw: Any,
    connections: Mapping[str, ConnectionConfig],
    base: Path,
    problems: list[Problem],
) -> ConnectionConfig | None:
    """The ``source`` section: a named connection, or an inline export for the ``file`` adapter
    (already checked against its schema, ``$defs.file_source``, with the rest of the config)."""
    if not isinstance(raw, Mapping):
        return None
    if "connection" in raw:
        name = raw["connection"]
        if name in connections:
            return connections[name]
        if isinstance(name, str):
            close = difflib.get_close_matches(name, list(connections), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(connections)) or "none configured"
            problems.append(
                doc.problem(("source", "connection"), f"no connection {name!r}{hint} (connections: {known})")
            )
        return None
    if not isinstance(raw.get("path"), str):
        return None
    return ConnectionConfig(Path(raw["path"]).stem or "source", "file", dict(raw), base)


def load_config(
    path: str | Path, adapter_schemas: Mapping[str, Mapping[str, Any]] | None = None, *, secrets: bool = True
) -> Config:
    """Load and validate a config file; raise ``ConfigError`` listing every problem with its line.

    A file that cannot be read or parsed is a ``ConfigError`` too, so every caller that refuses a bad
    config (a command's exit 2, a daemon's reload) refuses a missing one the same way.
    """
    try:
        doc = load_document(path)
    except ConfigError:
        raise
    except RulesetError as exc:
        raise ConfigError(exc.problems, exc.file) from None
    return config_from_document(doc, adapter_schemas, secrets=secrets)


def parse_config(
    text: str, file: str = "matrixcore.yaml", adapter_schemas: Mapping[str, Mapping[str, Any]] | None = None
) -> Config:
    try:
        doc = parse_document(text, file)
    except ConfigError:
        raise
    except RulesetError as exc:
        raise ConfigError(exc.problems, exc.file) from None
    return config_from_document(doc, adapter_schemas)
