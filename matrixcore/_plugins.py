"""Plugins: pluggy behind a typed facade, so no caller ever touches ``pm.hook``.

matrixcore's own features are plugins too (``BUILTIN_PLUGINS``), registered first and from an
explicit tuple; third-party plugins arrive through the ``matrixcore`` entry-point group. Loading fails
fast and says who is at fault: a plugin that cannot be imported, implements a hook that does not
exist, takes an argument a hook does not pass or returns records of the wrong kind is named with its
distribution and the reason, then skipped (or, with ``strict``, refused). Two plugins offering the
same adapter, operator or report format name is always an error naming both.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import logging
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, cast

import pluggy
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from . import hookspecs
from ._adapter import Adapter, AdapterContext, AdapterSpec, PriorityChange
from ._config import Config, ConnectionConfig, load_config
from ._decision import Decision, DueMessages, SentMessage
from ._engine import Engine
from ._errors import MatrixcoreError
from ._operators import DuplicateOperatorError, Operator, OperatorRegistry
from ._ruleset import Ruleset, load_ruleset
from ._ticket import Ticket
from .report._format import ReportFormat

if TYPE_CHECKING:
    from .forecast import ForecastModel

__all__ = [
    "AUTOLOAD_ENV",
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "HOOK_NAMES",
    "PluginError",
    "PluginInfo",
    "Plugins",
]

logger = logging.getLogger("matrixcore.plugins")

ENTRY_POINT_GROUP: Final = hookspecs.PROJECT
#: Set to 1 (or true/yes/on) to load no entry-point plugins, as pytest's PYTEST_DISABLE_PLUGIN_AUTOLOAD.
AUTOLOAD_ENV: Final = "MATRIXCORE_DISABLE_PLUGIN_AUTOLOAD"
#: matrixcore's own features, each the module ``matrixcore._<name>`` registered as ``matrixcore.<name>``.
#: Adding a feature that implements hooks is one line here.
BUILTIN_PLUGINS: Final = ("engine", "operators", "file_source", "report_formats", "forecast")
#: Built-in features that live in a subpackage rather than a ``matrixcore._<name>`` module.
_BUILTIN_MODULES: Final = {
    "file_source": "matrixcore.exports._source",
    "report_formats": "matrixcore.report._formats",
    "forecast": "matrixcore.forecast._plugin",
}
_PREFIX: Final = hookspecs.PROJECT + "_"
HOOK_NAMES: Final = tuple(sorted(name for name in hookspecs.__all__ if name.startswith(_PREFIX)))
#: Hooks whose implementations matrixcore calls one by one (to know each record's plugin, or to chain
#: tickets), so a wrapper around them would never run.
_ONE_BY_ONE: Final = frozenset(
    [
        "matrixcore_adapters",
        "matrixcore_conditions",
        "matrixcore_report_formats",
        "matrixcore_enrich_ticket",
        "matrixcore_sandboxes",
        "matrixcore_forecast_models",
    ]
)

_DECISION_HOOKS: Final = frozenset(["matrixcore_classify", "matrixcore_select_messages"])

Kind = Literal["built-in", "entry point", "registered"]
Status = Literal["loaded", "failed", "disabled", "blocked"]
_Record = TypeVar("_Record", AdapterSpec, Operator, ReportFormat)
#: Makes the error naming the plugin being registered from a reason.
_ErrorFactory = Callable[[str], "PluginError"]


class PluginError(MatrixcoreError):
    """A plugin could not be loaded or used; the message names it (and its distribution) and says why."""

    def __init__(self, message: str, *, plugin: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        #: The plugin at fault, when one is.
        self.plugin = plugin
        #: The message without the plugin's name in front.
        self.reason = reason or message


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One plugin as ``matrixcore plugins`` lists it: where it comes from and what it offers."""

    name: str
    kind: Kind
    status: Status
    distribution: str = ""
    version: str = ""
    #: The module or object registered (``acme_matrixcore.plugin``).
    target: str = ""
    hooks: tuple[str, ...] = ()
    adapters: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    report_formats: tuple[str, ...] = ()
    #: Why a plugin that is not loaded is not.
    error: str | None = None

    @property
    def label(self) -> str:
        """``plugin 'acme' (acme-matrixcore 1.2)``: how every message names the plugin."""
        if self.kind == "built-in":
            return f"built-in plugin {self.name!r}"
        dist = " ".join(part for part in (self.distribution, self.version) if part)
        return f"plugin {self.name!r}" + (f" ({dist})" if dist else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "distribution": self.distribution,
            "version": self.version,
            "target": self.target,
            "hooks": list(self.hooks),
            "adapters": list(self.adapters),
            "operators": list(self.operators),
            "report_formats": list(self.report_formats),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class _Offers:
    """The records one plugin returned from the registration hooks."""

    adapters: tuple[AdapterSpec, ...] = ()
    operators: tuple[Operator, ...] = ()
    report_formats: tuple[ReportFormat, ...] = ()


@dataclass(slots=True)
class _Catalog:
    """Every plugin's records merged by name; built on first use, dropped when a plugin registers."""

    adapters: dict[str, AdapterSpec] = field(default_factory=dict)
    adapter_owners: dict[str, str] = field(default_factory=dict)
    operators: OperatorRegistry = field(default_factory=OperatorRegistry)
    report_formats: dict[str, ReportFormat] = field(default_factory=dict)
    format_owners: dict[str, str] = field(default_factory=dict)


class _Manager(pluggy.PluginManager):
    """Also takes unmarked ``matrixcore_*`` functions as implementations, as pytest does for its own
    prefix: a forgotten ``@hookimpl`` must not make a hook (or a misspelt one) silently vanish."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(_PREFIX):
            found = inspect.getattr_static(plugin, name, None)
            if inspect.isfunction(found) or inspect.ismethod(found):
                return cast(pluggy.HookimplOpts, {})
        return opts


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class Plugins:
    """The loaded plugins, and every hook call matrixcore makes, as typed methods.

    ``Plugins()`` holds the built-in plugins only (what tests and embedding want: nothing from the
    environment); ``Plugins.load()`` adds the installed entry-point plugins, as the command line does.
    """

    def __init__(self, *, disabled: Collection[str] = ()) -> None:
        from . import __version__

        self._pm = _Manager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._disabled = frozenset(disabled)
        self._loaded: dict[str, PluginInfo] = {}
        self._offers: dict[str, _Offers] = {}
        self._unloaded: list[PluginInfo] = []
        self._catalog: _Catalog | None = None
        self._enrichers: tuple[pluggy.HookImpl, ...] | None = None
        self._engine_decides = False
        for feature in BUILTIN_PLUGINS:
            module = _BUILTIN_MODULES.get(feature, f"matrixcore._{feature}")
            info = PluginInfo(
                f"matrixcore.{feature}", "built-in", "loaded", "matrixcore", __version__, module
            )
            if info.name in self._disabled:
                self._unloaded.append(replace(info, status="disabled", error="disabled by the user"))
            else:
                self._register(importlib.import_module(module), info)

    @classmethod
    def load(
        cls, *, strict: bool = False, block_external: bool | None = None, disabled: Collection[str] = ()
    ) -> Plugins:
        """The built-in plugins and the installed entry-point plugins, checked and merged.

        A plugin that fails to load is logged and skipped; with ``strict`` it raises ``PluginError``.
        ``block_external`` (default: the ``MATRIXCORE_DISABLE_PLUGIN_AUTOLOAD`` environment variable)
        loads no entry-point plugin; ``disabled`` names plugins (built-in ones too) not to load.
        Clashing names raise ``PluginError`` here, not at first use.
        """
        plugins = cls(disabled=disabled)
        block = _env_flag(AUTOLOAD_ENV) if block_external is None else block_external
        plugins._load_entry_points(strict=strict, block=block)
        for name in sorted(plugins._disabled - {i.name for i in plugins._unloaded}):
            logger.warning("no plugin named %r to disable (see 'matrixcore plugins')", name)
        plugins._merged()
        return plugins

    # --- loading ------------------------------------------------------------------------------------

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (a module, a class instance) directly; raise ``PluginError`` if broken."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__qualname__
        target = getattr(plugin, "__name__", None) or type(plugin).__qualname__
        self._register(plugin, PluginInfo(name, "registered", "loaded", target=target))
        return name

    def _load_entry_points(self, *, strict: bool, block: bool) -> None:
        seen: dict[tuple[str, str], str] = {}
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=_entry_point_order):
            dist = ep.dist
            # One plugin module under two distribution names (a renamed distribution whose old metadata
            # pip left behind) is one plugin: load it once and say which name is stale.
            first = seen.setdefault((ep.name, ep.value), dist.name if dist else "")
            if dist and first != dist.name:
                logger.warning(
                    "plugin %r (%s) is installed twice, as %s and %s; loaded once (pip uninstall %s)",
                    ep.name,
                    ep.value,
                    first,
                    dist.name,
                    dist.name,
                )
                continue
            info = PluginInfo(
                ep.name,
                "entry point",
                "loaded",
                dist.name if dist else "",
                dist.version if dist else "",
                ep.value,
            )
            if block:
                self._unloaded.append(replace(info, status="blocked", error=f"{AUTOLOAD_ENV} is set"))
                continue
            if ep.name in self._disabled:
                self._unloaded.append(replace(info, status="disabled", error="disabled by the user"))
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._fail(info, f"cannot import {ep.value}: {_describe(exc)}", strict, exc)
                continue
            try:
                self._register(plugin, info)
            except PluginError as exc:
                self._fail(info, exc.reason, strict, exc)

    def _fail(self, info: PluginInfo, reason: str, strict: bool, exc: BaseException) -> None:
        if strict:
            raise PluginError(f"{info.label}: {reason}", plugin=info.name, reason=reason) from exc
        logger.error("%s skipped: %s", info.label, reason)
        logger.debug("%s failed to load", info.label, exc_info=exc)
        self._unloaded.append(replace(info, status="failed", error=reason))

    def _register(self, plugin: object, info: PluginInfo) -> None:
        def error(reason: str) -> PluginError:
            return PluginError(f"{info.label}: {reason}", plugin=info.name, reason=reason)

        if info.name in self._loaded:
            raise error(f"the name {info.name!r} is taken by {self._loaded[info.name].label}")
        try:
            self._pm.register(plugin, info.name)
        except pluggy.PluginValidationError as exc:
            raise error(_validation_reason(exc)) from exc
        except ValueError as exc:  # the same object registered twice under two names
            raise error(str(exc).splitlines()[0]) from exc
        try:
            hooks = self._check_hooks(plugin, info.label, error)
            offers = _Offers(
                self._records("matrixcore_adapters", plugin, AdapterSpec, error),
                self._records("matrixcore_conditions", plugin, Operator, error),
                self._records("matrixcore_report_formats", plugin, ReportFormat, error),
            )
            _check_offers(offers, info.label, error)
        except BaseException:
            self._pm.unregister(name=info.name)
            raise
        if not hooks:
            logger.warning("%s implements no matrixcore hook", info.label)
        self._loaded[info.name] = replace(
            info,
            hooks=hooks,
            adapters=tuple(spec.name for spec in offers.adapters),
            operators=tuple(op.name for op in offers.operators),
            report_formats=tuple(fmt.name for fmt in offers.report_formats),
        )
        self._offers[info.name] = offers
        self._changed()

    def _changed(self) -> None:
        """Drop what was derived from the registered plugins."""
        self._catalog = None
        self._enrichers = None
        # Only the engine decides: call it without the hook machinery (a quarter of a classification).
        self._engine_decides = all(
            [impl.plugin_name for impl in getattr(self._pm.hook, hook).get_hookimpls()]
            == ["matrixcore.engine"]
            for hook in ("matrixcore_classify", "matrixcore_select_messages")
        )

    def _check_hooks(self, plugin: object, label: str, error: _ErrorFactory) -> tuple[str, ...]:
        """Unknown hooks fail at load time, with the closest real name; wrappers where none can run too."""
        names = []
        for caller in self._pm.get_hookcallers(plugin) or ():
            mine = [impl for impl in caller.get_hookimpls() if impl.plugin is plugin]
            if not caller.has_spec():
                if all(impl.optionalhook for impl in mine):
                    continue
                close = difflib.get_close_matches(caller.name, HOOK_NAMES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise error(f"unknown hook {caller.name!r}{hint}")
            if caller.name in _ONE_BY_ONE and any(impl.wrapper or impl.hookwrapper for impl in mine):
                raise error(f"{caller.name} cannot be a wrapper: its implementations are called one by one")
            engine_decides = caller.name in _DECISION_HOOKS and "matrixcore.engine" in self._loaded
            if engine_decides and any(impl.trylast for impl in mine):
                logger.warning(
                    "%s: its trylast %s runs after matrixcore's own, which always decides, so it never "
                    "runs; drop trylast to decide first",
                    label,
                    caller.name,
                )
            names.append(caller.name)
        return tuple(sorted(names))

    def _records(
        self, hook: str, plugin: object, record: type[_Record], error: _ErrorFactory
    ) -> tuple[_Record, ...]:
        out: list[_Record] = []
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            if impl.plugin is not plugin:
                continue
            try:
                result = impl.function()
            except Exception as exc:
                raise error(f"{hook} failed: {_describe(exc)}") from exc
            if result is None:
                continue
            if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
                raise error(f"{hook} must return a list of {record.__name__}, not {type(result).__name__}")
            for item in result:
                if not isinstance(item, record):
                    raise error(f"{hook} returned {item!r}, which is not a {record.__name__}")
                out.append(item)
        return tuple(out)

    # --- what the plugins offer ---------------------------------------------------------------------

    def _merged(self) -> _Catalog:
        if self._catalog is not None:
            return self._catalog
        catalog = _Catalog()
        for name, offers in self._offers.items():
            label = self._loaded[name].label
            for spec in offers.adapters:
                _claim("adapter", spec.name, label, catalog.adapter_owners)
                catalog.adapters[spec.name] = spec
            for operator in offers.operators:
                try:
                    catalog.operators.register(operator, owner=label)
                except DuplicateOperatorError as exc:
                    raise PluginError(f"{exc}{_RESOLVE}") from None
            for fmt in offers.report_formats:
                _claim("report format", fmt.name, label, catalog.format_owners)
                catalog.report_formats[fmt.name] = fmt
        self._catalog = catalog
        return catalog

    def adapters(self) -> Mapping[str, AdapterSpec]:
        """Every adapter by the name configs use; ``PluginError`` if two plugins offer one name."""
        return MappingProxyType(self._merged().adapters)

    def adapter_schemas(self) -> dict[str, Mapping[str, Any]]:
        """Each adapter's connection settings schema, for ``load_config``."""
        return {name: spec.config_schema for name, spec in self._merged().adapters.items()}

    def operators(self) -> OperatorRegistry:
        """The condition operators of every plugin, for compiling rules (shared: do not register into it)."""
        return self._merged().operators

    def report_formats(self) -> Mapping[str, ReportFormat]:
        """Every report format by the name ``--format`` takes."""
        return MappingProxyType(self._merged().report_formats)

    def forecast_models(self) -> list[ForecastModel]:
        """Every forecast model, the built-ins first; ``PluginError`` for a broken or clashing one."""
        from .forecast import ForecastModel

        models: list[ForecastModel] = []
        owners: dict[str, str] = {}
        for impl in self._pm.hook.matrixcore_forecast_models.get_hookimpls():
            info = self._loaded.get(impl.plugin_name)
            label = info.label if info else repr(impl.plugin_name)
            try:
                offered = impl.function()
            except Exception as exc:
                raise PluginError(f"{label}: matrixcore_forecast_models failed: {_describe(exc)}") from exc
            for model in cast(Iterable[object], offered or ()):
                if not isinstance(model, ForecastModel) or not callable(model.predict):
                    raise PluginError(
                        f"{label}: matrixcore_forecast_models returned {model!r}, not a ForecastModel"
                    )
                _claim("forecast model", model.name, label, owners)
                models.append(model)
        return models

    def owner(self, kind: Literal["adapter", "report format"], name: str) -> str:
        """How messages name the plugin that offers an adapter or report format."""
        catalog = self._merged()
        owners = catalog.adapter_owners if kind == "adapter" else catalog.format_owners
        return owners[name]

    def info(self) -> list[PluginInfo]:
        """Every plugin seen: loaded ones in registration order, then failed, disabled and blocked."""
        return [*self._loaded.values(), *self._unloaded]

    @property
    def failures(self) -> tuple[PluginInfo, ...]:
        """The plugins that failed to load and were skipped."""
        return tuple(info for info in self._unloaded if info.status == "failed")

    def load_config(self, path: str | Path, *, secrets: bool = True) -> Config:
        """Load a config file, each connection validated against its adapter's settings schema.

        With ``secrets=False`` an unset ``{env: ...}`` or unreadable ``{file: ...}`` secret is no error
        (its ``Secret`` is empty): for commands that read local state and open no connection.
        """
        return load_config(path, self.adapter_schemas(), secrets=secrets)

    def load_ruleset(self, path: str | Path) -> Ruleset:
        """Load a rules file whose conditions may use every plugin's operators."""
        return load_ruleset(path, self.operators())

    def open_adapter(self, connection: ConnectionConfig, context: AdapterContext | None = None) -> Adapter:
        """Build the adapter of a configured connection with its plugin's factory."""
        catalog = self._merged()
        spec = catalog.adapters.get(connection.adapter)
        if spec is None:
            known = ", ".join(sorted(catalog.adapters)) or "none installed"
            raise PluginError(
                f"connection {connection.name!r}: unknown adapter {connection.adapter!r} (installed: {known})"
            )
        label = catalog.adapter_owners[spec.name]
        try:
            adapter = spec.factory(connection, context or AdapterContext())
        except MatrixcoreError:
            raise
        except Exception as exc:
            raise PluginError(
                f"connection {connection.name!r}: adapter {spec.name!r} of {label} failed to start: "
                f"{_describe(exc)}"
            ) from exc
        if not isinstance(adapter, Adapter):
            raise PluginError(
                f"connection {connection.name!r}: the factory of adapter {spec.name!r} of {label} returned "
                f"{type(adapter).__name__}, which lacks the Adapter methods"
            )
        return adapter

    def collect(self, hook: str) -> list[tuple[str, list[Any]]]:
        """Each plugin's records from a registration-style ``hook`` called on demand (sandboxes), with
        the label of the plugin that returned them; a failing implementation fails its plugin's part."""
        out: list[tuple[str, list[Any]]] = []
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            label = self._loaded[impl.plugin_name].label
            try:
                result = impl.function()
            except Exception as exc:
                raise PluginError(
                    f"{label}: {hook} failed: {_describe(exc)}", plugin=impl.plugin_name
                ) from exc
            if result is None:
                continue
            if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
                raise PluginError(f"{label}: {hook} must return a list, not {type(result).__name__}")
            out.append((label, list(result)))
        return out

    # --- hook calls ---------------------------------------------------------------------------------

    def classify(self, engine: Engine, ticket: Ticket, now: datetime) -> Decision:
        """The decision for ``ticket``: the first plugin that decides, else the engine's own."""
        if self._engine_decides:
            return engine.classify(ticket, now)
        decision = self._pm.hook.matrixcore_classify(engine=engine, ticket=ticket, now=now)
        if not isinstance(decision, Decision):
            raise PluginError(f"matrixcore_classify returned {decision!r}, not a Decision{self._no_engine()}")
        return decision

    def select_messages(
        self, engine: Engine, ticket: Ticket, decision: Decision, sent: Sequence[SentMessage], now: datetime
    ) -> DueMessages:
        """The messages due for ``ticket``: the first plugin that decides, else the engine's policies."""
        if self._engine_decides:
            return engine.due_messages(ticket, decision, sent, now)
        due = self._pm.hook.matrixcore_select_messages(
            engine=engine, ticket=ticket, decision=decision, sent=sent, now=now
        )
        if not isinstance(due, DueMessages):
            raise PluginError(
                f"matrixcore_select_messages returned {due!r}, not DueMessages{self._no_engine()}"
            )
        return due

    def _no_engine(self) -> str:
        if "matrixcore.engine" in self._loaded:
            return ""
        return (
            " (the built-in plugin 'matrixcore.engine', which decides when no other plugin does, is disabled)"
        )

    def enrich(self, ticket: Ticket) -> Ticket:
        """``ticket`` after every ``matrixcore_enrich_ticket`` implementation, applied in call order."""
        enrichers = self._enrichers
        if enrichers is None:  # pluggy calls the last of get_hookimpls() first
            enrichers = self._enrichers = tuple(
                reversed(self._pm.hook.matrixcore_enrich_ticket.get_hookimpls())
            )
        for impl in enrichers:
            try:
                result = impl.function(**dict.fromkeys(impl.argnames, ticket))
            except Exception as exc:
                exc.add_note(f"in matrixcore_enrich_ticket of {self._loaded[impl.plugin_name].label}")
                raise
            if result is not None:
                if not isinstance(result, Ticket):
                    raise PluginError(
                        f"{self._loaded[impl.plugin_name].label}: matrixcore_enrich_ticket returned "
                        f"{type(result).__name__}, not a Ticket or None",
                        plugin=impl.plugin_name,
                    )
                ticket = result
        return ticket

    def decision_recorded(
        self,
        *,
        connection: str,
        ticket: Ticket,
        decision: Decision,
        change: PriorityChange | None,
        dry_run: bool,
    ) -> None:
        self._pm.hook.matrixcore_decision_recorded(
            connection=connection, ticket=ticket, decision=decision, change=change, dry_run=dry_run
        )

    def sync_start(self, *, connection: str, cursor: str | None, dry_run: bool) -> None:
        self._pm.hook.matrixcore_sync_start(connection=connection, cursor=cursor, dry_run=dry_run)

    def sync_finish(
        self,
        *,
        connection: str,
        cursor: str | None,
        tickets: int,
        changed: int,
        messages: int,
        error: Exception | None,
        dry_run: bool,
    ) -> None:
        self._pm.hook.matrixcore_sync_finish(
            connection=connection,
            cursor=cursor,
            tickets=tickets,
            changed=changed,
            messages=messages,
            error=error,
            dry_run=dry_run,
        )


_RESOLVE: Final = "; uninstall one of the two or disable it (matrixcore --disable-plugin NAME)"


def _claim(kind: str, name: str, label: str, owners: dict[str, str]) -> None:
    taken_by = owners.get(name)
    if taken_by is not None:
        raise PluginError(
            f"{kind} {name!r} from {label} clashes with the {kind} of that name from {taken_by}{_RESOLVE}"
        )
    owners[name] = label


def _check_offers(offers: _Offers, label: str, error: _ErrorFactory) -> None:
    """Each record complete and each name once per plugin, so a broken record fails its own plugin."""
    for kind, names in (
        ("adapter", [spec.name for spec in offers.adapters]),
        ("report format", [fmt.name for fmt in offers.report_formats]),
    ):
        for name in names:
            if not isinstance(name, str) or not name or name != name.strip():
                raise error(
                    f"{kind} name must be a non-empty string without surrounding spaces, got {name!r}"
                )
            if names.count(name) > 1:
                raise error(f"offers {kind} {name!r} twice")
    for spec in offers.adapters:
        if not callable(spec.factory):
            raise error(f"the factory of adapter {spec.name!r} is not callable")
        try:
            Draft202012Validator.check_schema(spec.config_schema)
        except SchemaError as exc:
            raise error(
                f"the config schema of adapter {spec.name!r} is not a valid JSON Schema: {exc.message}"
            ) from None
    for fmt in offers.report_formats:
        if not callable(fmt.render):
            raise error(f"the render function of report format {fmt.name!r} is not callable")
    try:
        OperatorRegistry((operator, label) for operator in offers.operators)
    except ValueError as exc:
        raise error(str(exc).removeprefix(f"{label}: ")) from None


def _validation_reason(exc: pluggy.PluginValidationError) -> str:
    """pluggy's message without its first line (which names the plugin again), plus what the hook passes."""
    first, *rest = str(exc).splitlines()
    reason = "; ".join(line.strip() for line in rest) or first
    hook = re.search(r"for hook '(\w+)'", first)
    if hook and hook.group(1) in HOOK_NAMES:
        passes = ", ".join(inspect.signature(getattr(hookspecs, hook.group(1))).parameters) or "nothing"
        reason += f" ({hook.group(1)} passes: {passes})"
    return reason


def _entry_point_order(ep: metadata.EntryPoint) -> tuple[str, str]:
    return (ep.dist.name if ep.dist else "", ep.name)
