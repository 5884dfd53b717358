"""How the daemon runs: the config file's ``state``, ``sync``, ``logging`` and ``metrics`` sections,
with the command line's options on top, and the effective config it prints at start-up.

Durations are written as in the rules (``30s``, ``5m``, ``1h``) or as seconds; a bad one is a config
error with its line, like any other. Relative paths count from the config file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from ._config import Config, Secret, resolve_secrets
from ._documents import Document
from ._durations import format_duration, parse_duration
from ._errors import ConfigError, Problem
from ._logging import LOG_FORMATS
from ._metrics import parse_address
from .state import Retention, is_postgres_url, redact_url

__all__ = [
    "DEFAULT_STATE_FILE",
    "STATE_ENV",
    "DaemonSettings",
    "effective_config",
    "format_duration_s",
    "secrets_of",
]

DEFAULT_STATE_FILE: Final = "matrixcore-state.sqlite3"
#: 90 days of decisions, pruned hourly.
DEFAULT_RETENTION: Final = Retention()
#: Overrides ``state.path`` (what a container sets).
STATE_ENV: Final = "MATRIXCORE_STATE"


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    """Everything ``matrixcore run`` needs besides the connections and the rules."""

    state_path: Path
    #: Seconds between two polls of one connection.
    interval: float = 60.0
    dry_run: bool = False
    respect_agents: bool = True
    trace_notes: bool = False
    #: The first wait after a failed cycle, doubled per failure up to ``backoff_max``.
    backoff_initial: float = 10.0
    backoff_max: float = 900.0
    #: ``/healthz`` turns 503 when a connection has had no successful cycle for this long.
    healthy_within: float = 900.0
    metrics_address: tuple[str, int] | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    #: How often the rules and config files are checked for changes (0: only on SIGHUP).
    watch_interval: float = 2.0
    #: The shortest time between two cycles of one connection, however early a timer falls due.
    min_gap: float = 1.0
    #: How often waiting tickets are re-evaluated between polls for predicted misses (from the state).
    predict_interval: float = 300.0
    #: What the decision log keeps (``state.retention``; ``None``: everything).
    retention: Retention | None = DEFAULT_RETENTION
    #: A PostgreSQL state shared with other daemons (``state.url``) instead of the file.
    state_url: Secret | None = None
    #: How long a lease on a connection lasts unless renewed (PostgreSQL state only).
    lease_ttl: float = 30.0

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> DaemonSettings:
        """The settings from ``config``'s sections; ``overrides`` (the command line) win when not None.

        Raises ``ConfigError`` naming the line of a bad duration or address.
        """
        problems: list[Problem] = []
        doc = config.document or Document(config.data, config.file, {})
        base = Path(config.file).resolve().parent if config.file else Path.cwd()

        def duration(section: str, key: str, default: float, *path: str) -> float:
            value: Any = config.section(section)
            for step in (*path, key):
                value = value.get(step) if isinstance(value, Mapping) else None
            if value is None:
                return default
            try:
                return parse_duration(value).total_seconds()
            except ValueError as exc:
                problems.append(doc.problem((section, *path, key), str(exc)))
                return default

        sync, state, logs, metrics = (config.section(n) for n in ("sync", "state", "logging", "metrics"))
        interval = duration("sync", "interval", 60.0)
        state_path = Path(os.environ.get(STATE_ENV) or str(state.get("path") or DEFAULT_STATE_FILE))
        retention = _retention(state.get("retention", {}), duration)
        state_url = _state_url(state, base, doc, problems)
        lease_ttl = duration("state", "ttl", 30.0, "lease")
        address = None
        if metrics.get("address"):
            try:
                address = parse_address(str(metrics["address"]))
            except ValueError as exc:
                problems.append(doc.problem(("metrics", "address"), str(exc)))
        settings = cls(
            state_path=state_path if state_path.is_absolute() else base / state_path,
            interval=interval,
            respect_agents=bool(sync.get("respect_agents", True)),
            trace_notes=bool(sync.get("trace_notes", False)),
            backoff_initial=duration("sync", "initial", 10.0, "backoff"),
            backoff_max=duration("sync", "max", 900.0, "backoff"),
            healthy_within=duration("sync", "healthy_within", max(3 * interval, 900.0)),
            predict_interval=duration("sync", "predict_interval", 300.0),
            metrics_address=address,
            log_format=str(logs.get("format", "text")),
            log_level=str(logs.get("level", "info")).upper(),
            retention=retention,
            state_url=state_url,
            lease_ttl=lease_ttl,
        )
        if problems:
            raise ConfigError(problems, config.file)
        return settings.override(**overrides)

    def override(self, **values: Any) -> DaemonSettings:
        """These settings with the given values (``None`` leaves one as it is), checked."""
        chosen = {k: v for k, v in values.items() if v is not None}
        if "metrics_address" in chosen and isinstance(chosen["metrics_address"], str):
            chosen["metrics_address"] = parse_address(chosen["metrics_address"])
        if "state_path" in chosen and is_postgres_url(str(chosen["state_path"])):
            chosen["state_url"] = Secret(str(chosen.pop("state_path")), "--state")
        elif "state_path" in chosen:
            chosen["state_path"] = Path(chosen["state_path"])
            chosen["state_url"] = None  # a file given on the command line wins over state.url
        updated = replace(self, **chosen)
        if updated.log_format not in LOG_FORMATS:
            raise ValueError(f"unknown log format {updated.log_format!r}")
        if updated.interval <= 0:
            raise ValueError("the interval must be more than 0 seconds")
        if updated.predict_interval <= 0:
            raise ValueError("the predict interval must be more than 0 seconds")
        return updated

    @property
    def state_shown(self) -> str:
        """Where the state is, safe to log: the file, or the URL without its password."""
        if self.state_url is None:
            return str(self.state_path)
        return redact_url(self.state_url.reveal())

    def as_dict(self) -> dict[str, Any]:
        address = self.metrics_address
        return {
            "state": self.state_shown,
            "dry_run": self.dry_run,
            "interval": format_duration_s(self.interval),
            "respect_agents": self.respect_agents,
            "trace_notes": self.trace_notes,
            "backoff": {
                "initial": format_duration_s(self.backoff_initial),
                "max": format_duration_s(self.backoff_max),
            },
            "healthy_within": format_duration_s(self.healthy_within),
            "predict_interval": format_duration_s(self.predict_interval),
            "metrics": f"{address[0]}:{address[1]}" if address else None,
            "logging": {"format": self.log_format, "level": self.log_level},
            "retention": _retention_dict(self.retention),
        }


def _retention(value: Any, duration: Callable[..., float]) -> Retention | None:
    """``state.retention``: false keeps everything; ``decisions: forever`` keeps every decision."""
    if value is False:
        return None
    default = Retention()
    every = timedelta(seconds=duration("state", "every", default.every.total_seconds(), "retention"))
    if isinstance(value, Mapping) and value.get("decisions") == "forever":
        return Retention(decisions=None, every=every)
    days90 = (default.decisions or timedelta(days=90)).total_seconds()
    return Retention(
        decisions=timedelta(seconds=duration("state", "decisions", days90, "retention")), every=every
    )


def _state_url(state: Mapping[str, Any], base: Path, doc: Document, problems: list[Problem]) -> Secret | None:
    """``state.url`` (or a postgresql:// ``MATRIXCORE_STATE``) as a secret: it may hold a password."""
    env = os.environ.get(STATE_ENV, "")
    if is_postgres_url(env):
        return Secret(env, f"env:{STATE_ENV}")
    if env or state.get("url") is None:  # a file in MATRIXCORE_STATE wins over state.url
        return None
    found: list[tuple[tuple[str | int, ...], str]] = []
    url = resolve_secrets(state["url"], ("state", "url"), base, found)
    problems.extend(doc.problem(where, message) for where, message in found)
    if isinstance(url, Secret):
        if not found and not is_postgres_url(url.reveal()):
            problems.append(doc.problem(("state", "url"), f"{url.source} does not hold a postgresql:// URL"))
        return url
    text = str(url)
    if not is_postgres_url(text):
        problems.append(doc.problem(("state", "url"), "not a postgresql:// URL"))
    elif redact_url(text) != text:  # said without repeating the URL: it holds a password
        problems.append(
            doc.problem(
                ("state", "url"),
                "holds a password: give the whole URL as a secret ({env: NAME} or {file: PATH}) "
                "or the password through PGPASSWORD or ~/.pgpass",
            )
        )
    return Secret(text, "state.url")


def _retention_dict(retention: Retention | None) -> Any:
    if retention is None:
        return False
    return {
        "decisions": format_duration_s(retention.decisions.total_seconds())
        if retention.decisions is not None
        else "forever",
        "every": format_duration_s(retention.every.total_seconds()),
    }


def format_duration_s(seconds: float) -> str:
    """``90.0`` -> ``1m30s``; fractions of a second as ``0.25s``."""
    if seconds < 1:
        return f"{seconds:g}s"
    return format_duration(timedelta(seconds=seconds))


def _shown(value: Any) -> Any:
    """Settings fit to print: a secret as ``*** (env:NAME)``, never its value."""
    if isinstance(value, Secret):
        return f"*** ({value.source})" if value.source else "***"
    if isinstance(value, Mapping):
        return {str(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value


def effective_config(config: Config, settings: DaemonSettings) -> dict[str, Any]:
    """What the daemon runs with: files, settings (defaults filled in) and each connection, redacted."""
    return {
        "config": config.file,
        "rules": str(config.rules_path),
        **settings.as_dict(),
        "connections": {
            name: {"adapter": connection.adapter, **_shown(dict(connection.settings))}
            for name, connection in config.connections.items()
        },
    }


def secrets_of(value: Any) -> list[Secret]:
    """Every ``Secret`` in a connection's settings, for the redactor."""
    if isinstance(value, Secret):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in secrets_of(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in secrets_of(v)]
    return []
