"""The built-in file source: a CSV or JSON Lines ticket export, read as an adapter that never writes.

It is the first thing a new user points matrixcore at (``matrixcore report`` over last quarter's
export), so it takes exports as tools make them: a preset per tool says which column holds which
field (``_presets``), the config's ``columns`` and ``values`` adjust it, times without an
offset are read in a configured zone, and Dutch ``dd-mm-jjjj`` dates work as well as ISO 8601.

It streams: one record in memory at a time, whatever the export's size. A row it cannot read (a
time that is not a time, a line that is not JSON, too few cells) is skipped, reported with its line
number and counted; the run goes on. Statistics and the first problems are kept in ``stats``.

It is registered like any adapter, through ``matrixcore_adapters`` (the built-in plugin
``matrixcore.file_source``), so ``connections: {export: {adapter: file, path: ...}}`` works too; its
writes raise ``ReadOnlyError``: an export is never changed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matrixcore._adapter import AdapterContext, AdapterError, AdapterSpec, Batch, PostedMessage, ReadOnlyError
from matrixcore._schemas import load_schema
from matrixcore._ticket import EMPTY_MAPPING, Requester, Ticket
from matrixcore.hookspecs import hookimpl

from ._presets import COMMON_DATE_FORMATS, COMMON_NULLS, PRESETS, TARGETS, Preset

if TYPE_CHECKING:
    from matrixcore._adapter import PriorityChange
    from matrixcore._config import ConnectionConfig
    from matrixcore._ruleset import Ruleset

__all__ = [
    "ExportError",
    "FileSource",
    "RowProblem",
    "SourceStats",
    "ValueMapping",
    "file_source_schema",
    "level_of",
]

#: Problems kept verbatim (all are counted); enough to see the pattern, never O(rows).
MAX_PROBLEMS: Final = 100
#: Distinct unmapped or guessed level values remembered per dimension.
MAX_VALUES: Final = 200
_TRUE: Final = frozenset({"1", "true", "yes", "y", "ja", "j", "waar", "t", "x"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "nee", "onwaar", "f"})
_LEADING_NUMBER: Final = re.compile(r"^\s*(\d+)(?:\s*[-.:)]|\s*$)")
_INT: Final = re.compile(r"^-?\d{1,15}$")
_FLOAT: Final = re.compile(r"^-?\d{1,15}[.,]\d+$")
_SUFFIX_FORMAT: Final = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_LEVELS: Final = ("impact", "urgency", "priority")
#: Record shapes (key sets) of a JSON Lines export whose column plans are kept.
_SHAPES: Final = 256
#: Records read ahead to infer the date format of an export that configures none.
_SAMPLE_ROWS: Final = 1000
#: Distinct time texts tried against every candidate format (enough to meet a day above 12).
_SAMPLE_VALUES: Final = 400
#: Words that mean "no value" in some tool, for the hint (not read as such unless configured).
_NULL_LIKE: Final = frozenset(
    {"none", "null", "nil", "n/a", "na", "nvt", "n.v.t.", "unknown", "empty", "(empty)"}
)
#: Distinct time texts remembered (cleared when full: memory stays flat).
_TIMES_KEPT: Final = 4096
_TIME_TARGETS: Final = frozenset(t for t, how in TARGETS.items() if how == "time")


class ExportError(AdapterError):
    """The export cannot be read at all (missing file, no header, a column mapping that finds
    nothing): invalid input, not an unreachable tool. Single bad rows never raise this."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that was skipped, and why, at the line it starts on."""

    line: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass(slots=True)
class ValueMapping:
    """How one export value of impact, urgency or priority was read (every distinct value once)."""

    value: str
    level: str | None
    #: ``configured`` (source.values), ``name``, ``label``, ``position`` (a guess), ``unmapped``.
    how: str
    count: int = 0
    first_line: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "level": self.level,
            "how": self.how,
            "rows": self.count,
            "first_line": self.first_line,
        }


@dataclass(slots=True)
class SourceStats:
    """What reading the export found: counts, the columns used and the first problems."""

    file: str
    format: str
    preset: str
    rows: int = 0
    tickets: int = 0
    skipped: int = 0
    #: Rows that repeated the ticket id of the row before: folded into that ticket (last row wins).
    merged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    #: Ticket field -> the export column that filled it.
    columns: dict[str, str] = field(default_factory=dict)
    #: Dimension -> export value -> how it was read (counted in rows, before history is folded).
    values: dict[str, dict[str, ValueMapping]] = field(default_factory=dict)
    #: The ``strptime`` formats times were read with besides ISO 8601, and how they were chosen:
    #: ``configured``, ``inferred`` (from the first rows) or ``none`` (every time was ISO 8601).
    date_formats: tuple[str, ...] = ()
    date_formats_how: str = "none"
    #: Ticket field -> the columns the preset looks for, none of them in the export.
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Cell values read as "no value".
    nulls: tuple[str, ...] = ()

    def problem(self, line: int, message: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(RowProblem(line, message))

    def provides(self, target: str) -> bool:
        """Whether the export carries ``target`` at all (a column for it, or a derived one)."""
        derived = {"first_response": "first_response_minutes", "resolved": "resolution_minutes"}
        return target in self.columns or derived.get(target, "") in self.columns

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "preset": self.preset,
            "rows": self.rows,
            "tickets": self.tickets,
            "skipped": self.skipped,
            "merged": self.merged,
            "problems": [p.as_dict() for p in self.problems],
            "columns": dict(self.columns),
            "missing_columns": {target: list(names) for target, names in self.missing.items()},
            "date_formats": list(self.date_formats),
            "date_formats_how": self.date_formats_how,
            "null_values": list(self.nulls),
            "values": {
                dim: [v.as_dict() for v in values.values()] for dim, values in self.values.items() if values
            },
        }


class _BadValue(ValueError):
    pass


def file_source_schema() -> dict[str, Any]:
    """The settings schema of the file source: ``$defs.file_source`` of the config schema (one
    definition, so editors, ``source:`` and ``connections.*`` with ``adapter: file`` agree)."""
    config = load_schema("config")
    return {
        "$schema": config["$schema"],
        **config["$defs"]["file_source"],
        "$defs": config["$defs"],
    }


# --- reading values -----------------------------------------------------------------------------


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        if isinstance(value, Mapping) and "name" in value:  # a TOPdesk lookup {id, name}
            return _text_of(value["name"])
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Values:
    """The value readers of one export, configured once: null words, time zone, date formats."""

    def __init__(
        self,
        nulls: frozenset[str],
        zone: tzinfo,
        formats: Sequence[str],
        channels: Mapping[str, str],
    ) -> None:
        self.nulls, self.zone, self.formats, self.channels = nulls, zone, tuple(formats), channels
        #: Times already read, by their text: an event log repeats a ticket's times on every row.
        self._times: dict[str, datetime] = {}

    def text(self, value: Any) -> str:
        text = value.strip() if type(value) is str else _text_of(value)
        return "" if text in self.nulls else text

    def channel(self, value: Any) -> str:
        text = self.text(value).casefold()
        return self.channels.get(text, text)

    def time(self, value: Any) -> datetime | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        text = self.text(value)
        if not text:
            return None
        known = self._times.get(text)
        if known is not None:
            return known
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            for fmt in self.formats:
                try:
                    instant = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise _BadValue(self._not_a_time(text)) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=self.zone)
        if len(self._times) >= _TIMES_KEPT:
            self._times.clear()
        self._times[text] = instant
        return instant

    def _not_a_time(self, text: str) -> str:
        """The hint names the value; it suggests what would read it (a null marker, a format)."""
        if (len(text) <= 4 and not any(c.isalnum() for c in text)) or text.casefold() in _NULL_LIKE:
            return (
                f"{text!r} is not a time; if the export writes it for a missing value, add it to "
                "source.null_values"
            )
        tried = ", ".join(["ISO 8601", *self.formats])
        if not any(c.isdigit() for c in text):
            return f"{text!r} is not a time (read as {tried})"
        return f"{text!r} is not a time (read as {tried}); set source.date_format"

    def number(self, value: Any) -> float | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        else:
            text = self.text(value)
            if not text:
                return None
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                hint = "" if any(c.isdigit() for c in text) else "; if it means none, add it to null_values"
                raise _BadValue(f"{text!r} is not a number{hint}") from None
        if number < 0:
            raise _BadValue(f"cannot be negative: {number:g}")
        return number

    def flag(self, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        text = self.text(value).casefold()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _BadValue(f"not yes or no: {text!r}")

    def custom(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text in self.nulls:
            return None
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text.replace(",", "."))
        return text


class _Levels:
    """Export values of one dimension -> the ruleset's names, each distinct value decided once."""

    def __init__(
        self,
        dimension: str,
        stats: SourceStats,
        configured: Mapping[str, str],
        ordinals: Sequence[str],
        ruleset: Ruleset | None,
    ) -> None:
        self.dimension = dimension
        self.configured = {k.casefold(): v for k, v in configured.items()}
        self.ordinals = [o.casefold() for o in ordinals]
        self.levels: tuple[str, ...] = ()
        self.names: dict[str, str] = {}
        if ruleset is not None:
            self.levels = {
                "impact": ruleset.impact_levels,
                "urgency": ruleset.urgency_levels,
                "priority": tuple(ruleset.priorities),
            }[dimension]
            self.names = {name.casefold(): name for name in self.levels}
        self.labels: dict[str, str] = {}
        if ruleset is not None and dimension == "priority":
            self.labels = {p.label.casefold(): name for name, p in ruleset.priorities.items() if p.label}
        self.cache: dict[str, str | None] = {}
        self.seen = stats.values.setdefault(dimension, {})

    def __call__(self, text: str, line: int) -> str | None:
        if not text:
            return None
        try:
            level = self.cache[text]
        except KeyError:
            level, how = self._decide(text)
            if len(self.cache) < 10 * MAX_VALUES:
                self.cache[text] = level
            if len(self.seen) < MAX_VALUES:
                self.seen[text] = ValueMapping(text, level, how, 0, line)
        mapping = self.seen.get(text)
        if mapping is not None:
            mapping.count += 1
        return level

    def _decide(self, text: str) -> tuple[str | None, str]:
        folded = text.casefold()
        if folded in self.configured:
            return self.configured[folded], "configured"
        if not self.levels:  # no ruleset to match against: keep the value as the export has it
            return text, "name"
        if folded in self.names:
            return self.names[folded], "name"
        if folded in self.labels:
            return self.labels[folded], "label"
        # Positions only where the tool's scale has as many steps as the ruleset's.
        number = _LEADING_NUMBER.match(text)
        if number and (not self.ordinals or len(self.ordinals) == len(self.levels)):
            index = int(number.group(1)) - 1
            if 0 <= index < len(self.levels):
                return self.levels[index], "position"
        if folded in self.ordinals and len(self.ordinals) == len(self.levels):
            return self.levels[self.ordinals.index(folded)], "position"
        return None, "unmapped"


def level_of(
    ruleset: Ruleset, dimension: str, value: str, configured: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """``value`` (a tool's impact, urgency or priority) as the ruleset names it, and how it was read
    (``configured``, ``name``, ``label``, ``position`` or ``unmapped``), exactly as an export's value
    is: rule examples written with the export's values (``1 - High``) read the same way."""
    levels = _Levels(dimension, SourceStats("", "", ""), configured or {}, (), ruleset)
    return levels._decide(value)


# --- the plan: which column fills which field ----------------------------------------------------

#: A field reader: the record and its line -> the field's value (raises _BadValue).
_Get = Callable[[Any], Any]


@dataclass(slots=True)
class _Field:
    target: str
    column: str
    get: _Get


def _path_getter(key: str) -> _Get:
    """A JSON record's value at ``key``: the literal key first, else a dotted path into objects."""
    parts = key.split(".")

    def get(record: Any) -> Any:
        value = record.get(key)
        if value is not None or len(parts) == 1:
            return value
        value = record
        for part in parts:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    return get


def _has_path(record: Mapping[str, Any], key: str) -> bool:
    if key in record:
        return True
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return True


class FileSource:
    """A ticket export as an adapter: ``check()`` reads the header, ``fetch()`` streams tickets."""

    def __init__(self, connection: ConnectionConfig, context: AdapterContext | None = None) -> None:
        settings = connection.settings
        self.name = connection.name
        directory = getattr(connection, "directory", None) or Path.cwd()
        path = Path(str(settings["path"])).expanduser()
        self.path = path if path.is_absolute() else Path(directory) / path
        self.format = str(settings.get("format") or _SUFFIX_FORMAT.get(self.path.suffix.lower(), ""))
        if self.format not in ("csv", "jsonl"):
            raise ExportError(
                f"source {self.name!r}: cannot tell the format of {self.path.name!r} from its name; "
                "set format: csv or format: jsonl"
            )
        self.preset: Preset = PRESETS[str(settings.get("preset") or "matrixcore")]
        self.source_name = str(settings.get("name") or connection.name)
        self.encoding = str(settings.get("encoding") or "utf-8-sig")
        self.delimiter = settings.get("delimiter")
        self.batch_size = int(settings.get("batch_size") or 500)
        zone_name = str(settings.get("timezone") or "UTC")
        try:
            zone: tzinfo = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ExportError(f"source {self.name!r}: timezone: unknown time zone {zone_name!r}") from None
        formats = settings.get("date_format") or ()
        formats = [formats] if isinstance(formats, str) else list(formats)
        #: Configured formats are used as they are; else the first rows decide (``_decide_dates``).
        self._formats_configured = bool(formats)
        #: The preset's formats first (it knows its tool: TOPdesk writes days first), then any.
        self._candidates = (self.preset.date_formats, COMMON_DATE_FORMATS)
        self._formats_decided: tuple[str, ...] | None = (
            tuple(dict.fromkeys([*formats, *self.preset.date_formats])) if formats else None
        )
        self._formats_how = "configured" if formats else "none"
        channels = {**self.preset.channels}
        configured_values: Mapping[str, Mapping[str, str]] = settings.get("values") or {}
        channels.update({str(k).casefold(): str(v) for k, v in configured_values.get("channel", {}).items()})
        configured_nulls = [str(v) for v in settings.get("null_values") or ()]
        self._nulls = tuple(dict.fromkeys([*configured_nulls, *self.preset.nulls, *COMMON_NULLS]))
        self._values = _Values(frozenset(self._nulls) | {""}, zone, self._formats_decided or (), channels)
        self._configured_levels = {
            dim: {str(k): str(v) for k, v in configured_values.get(dim, {}).items()} for dim in _LEVELS
        }
        columns: dict[str, tuple[str, ...]] = {_target(t): c for t, c in self.preset.columns.items()}
        for target, names in (settings.get("columns") or {}).items():
            if names is None:
                columns.pop(_target(str(target)), None)
            else:
                names = (names,) if isinstance(names, str) else tuple(map(str, names))
                columns[_target(str(target))] = names
        self._columns = columns
        self._ruleset: Ruleset | None = None
        self.read_only = True
        self.stats = self._new_stats()
        self._size = 0
        self._position: Callable[[], int] = lambda: 0

    def _new_stats(self) -> SourceStats:
        stats = SourceStats(str(self.path), self.format, self.preset.name, nulls=self._nulls)
        if self._formats_decided is not None:
            stats.date_formats = self._formats_decided
            stats.date_formats_how = "configured" if self._formats_configured else self._formats_how
        return stats

    def use_ruleset(self, ruleset: Ruleset) -> None:
        """Map impact, urgency and priority values to ``ruleset``'s names (by name, label or
        configuration); without it they pass through as the export has them.

        Raises ``ExportError`` when ``source.values`` names a level the ruleset lacks.
        """
        known = {
            "impact": ruleset.impact_levels,
            "urgency": ruleset.urgency_levels,
            "priority": tuple(ruleset.priorities),
        }
        for dim, mapping in self._configured_levels.items():
            for value, level in mapping.items():
                if level not in known[dim]:
                    raise ExportError(
                        f"source {self.name!r}: values.{dim}: {value!r} maps to {level!r}, which is not "
                        f"a{'n' if dim == 'impact' else ''} {dim} of the rules ({', '.join(known[dim])})"
                    )
        self._ruleset = ruleset

    # --- the Adapter contract ---------------------------------------------------------------------

    def check(self) -> None:
        """The file exists and its header (or first record) has an id and a creation time column."""
        with self._records(self._new_stats()) as (records, plan, fields):
            wanted = {f.target for f in fields}
            for needed, alternatives in (("id", ("id", "number")), ("created", ("created",))):
                if not wanted & set(alternatives):
                    tried = ", ".join(repr(c) for a in alternatives for c in self._columns.get(a, ()))
                    raise ExportError(
                        f"{self.path}: no column for {needed!r} (preset {self.preset.name!r} looks for "
                        f"{tried or 'nothing'}); name it under source.columns.{needed}"
                    )
            self._decide_dates(records, plan)

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        """Tickets in file order, in batches; the cursor is the number of records read so far.

        Consecutive rows with one ticket id are one ticket, as its last row has it (``stats.merged``).
        """
        skip = int(cursor) if cursor and cursor.isdigit() else 0
        self.stats = stats = self._new_stats()
        with self._records(stats) as (records, plan, _):
            records = self._decide_dates(records, plan)
            stats.date_formats, stats.date_formats_how = self._values.formats, self._formats_how
            convert = self._converter(plan, stats)
            batch: list[Ticket] = []
            index = 0
            # Rows in a row with one ticket id are one ticket's history (an event log, an audit
            # export): the last row, its latest state, stands for it. Only the ticket at hand is
            # held, so memory stays flat; the cursor never falls inside a ticket's rows.
            held: Ticket | None = None
            held_to = skip
            for index, (line, record) in enumerate(records, 1):
                if index <= skip:
                    continue
                ticket = convert(line, record)
                if ticket is None:
                    continue
                if held is not None and ticket.id == held.id:
                    stats.merged += 1
                    stats.tickets -= 1
                elif held is not None:
                    batch.append(held)
                    if len(batch) >= self.batch_size:
                        yield Batch(batch, str(held_to))
                        batch = []
                held, held_to = ticket, index
            if held is not None:
                batch.append(held)
            yield Batch(batch, str(max(index, skip)))

    def _decide_dates(
        self, records: Iterator[tuple[int, Any]], plan: Callable[[Any], list[_Field]]
    ) -> Iterator[tuple[int, Any]]:
        """With no ``date_format`` configured, the formats that read the times of the first rows,
        where they leave no doubt (``_infer_formats``); the records come back unconsumed."""
        if self._formats_decided is not None:
            return records
        head = list(itertools.islice(records, _SAMPLE_ROWS))
        texts: dict[str, None] = {}
        nulls = self._values.nulls
        for _, record in head:
            if isinstance(record, str):
                continue
            for f in plan(record):
                if f.target not in _TIME_TARGETS:
                    continue
                raw = f.get(record)
                text = raw.strip() if isinstance(raw, str) else ""
                if not text or text in nulls:
                    continue
                try:
                    datetime.fromisoformat(text)
                except ValueError:
                    texts[text] = None
            if len(texts) >= _SAMPLE_VALUES:
                break
        formats = _infer_formats(list(texts), self._candidates, str(self.path))
        self._formats_decided = self._values.formats = formats
        self._formats_how = "inferred" if formats else "none"
        return itertools.chain(head, records)

    def set_priority(self, ticket: Ticket, change: PriorityChange) -> None:
        raise ReadOnlyError(f"source {self.name!r} is a file export: matrixcore never writes to it")

    def post_message(self, ticket: Ticket, text: str, visible_to_requester: bool) -> PostedMessage:
        raise ReadOnlyError(f"source {self.name!r} is a file export: matrixcore never writes to it")

    def list_messages(self, ticket: Ticket) -> Sequence[PostedMessage]:
        return ()

    def close(self) -> None:
        """Nothing stays open between fetches."""

    def progress(self) -> tuple[int, int]:
        """Bytes read so far and the file's size, for a progress bar."""
        return self._position(), self._size

    def provides(self, target: str) -> bool:
        """Whether the export being read carries ``target`` (``SourceStats.provides``)."""
        return self.stats.provides(target)

    def describe(self) -> str:
        return f"{self.path.name} ({self.format}, preset {self.preset.name})"

    # --- reading ----------------------------------------------------------------------------------

    def _open(self) -> IO[str]:
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot read the export: {exc.strerror or exc}") from None
        self._size = self.path.stat().st_size
        self._position = raw.tell
        return io.TextIOWrapper(raw, encoding=self.encoding, errors="replace", newline="")

    def _records(self, stats: SourceStats) -> _Records:
        return _Records(self, stats)

    def _plan_csv(self, header: Sequence[str], stats: SourceStats) -> list[_Field]:
        positions: dict[str, int] = {}
        for position, title in enumerate(header):
            title = title.strip()
            if title and title in positions:
                raise ExportError(
                    f"{self.path}:1: the header names column {title!r} twice (columns "
                    f"{positions[title] + 1} and {position + 1}); rename one of them, or export it once"
                )
            positions[title] = position
        index = {name.strip(): i for i, name in reversed(list(enumerate(header)))}
        folded = {name.strip().casefold(): i for i, name in reversed(list(enumerate(header)))}
        fields: list[_Field] = []
        used: set[int] = set()
        for target, candidates in self._columns.items():
            for column in candidates:
                i = index.get(column, folded.get(column.casefold()))
                if i is not None:
                    fields.append(_Field(target, header[i].strip(), _cell(i)))
                    used.add(i)
                    stats.columns[target] = header[i].strip()
                    break
        for i, name in enumerate(header):
            if i not in used and name.strip() and name.strip() not in TARGETS:
                fields.append(_Field(f"custom.{name.strip()}", name.strip(), _cell(i)))
        self._missing(stats)
        return fields

    def _missing(self, stats: SourceStats) -> None:
        """The preset's fields with none of their columns in the export (the report lists them)."""
        stats.missing = {
            target: names
            for target, names in self._columns.items()
            if target not in stats.columns and names and not target.startswith("custom.")
        }

    def _plan_jsonl(self, record: Mapping[str, Any], stats: SourceStats) -> list[_Field]:
        """The fields of records shaped like ``record``: the candidates it has, its other keys as
        custom fields. A later shape that carries a field the first lacked adds it to the export's
        columns from then on."""
        fields: list[_Field] = []
        roots: set[str] = {"custom", "raw"}
        for target, candidates in self._columns.items():
            roots.update(c.split(".")[0] for c in candidates)
            present = [c for c in candidates if _has_path(record, c)]
            if present:
                stats.columns.setdefault(target, present[0])
                fields.append(_Field(target, present[0], _first_of([_path_getter(c) for c in present])))
        for key in record:
            if key not in roots and key not in self._columns:
                fields.append(_Field(f"custom.{key}", key, _path_getter(key)))
        if isinstance(record.get("custom"), Mapping):
            fields.append(_Field("custom.*", "custom", _path_getter("custom")))
        return fields

    def _converter(
        self, plan_for: Callable[[Any], list[_Field]], stats: SourceStats
    ) -> Callable[[int, Any], Ticket | None]:
        values = self._values
        levels = {
            dim: _Levels(
                dim, stats, self._configured_levels[dim], self.preset.ordinals.get(dim, ()), self._ruleset
            )
            for dim in _LEVELS
        }
        readers: dict[str, Callable[[Any], Any]] = {
            "text": values.text,
            "channel": values.channel,
            "time": values.time,
            "bool": values.flag,
            "minutes": values.number,
            "seconds": values.number,
            "level": values.text,
        }
        #: (ticket field or custom name, column, getter, reader, where: 0 field, 1 custom, 2 all custom)
        _Step = tuple[str, str, _Get, Callable[[Any], Any], int]
        compiled: dict[int, tuple[list[_Field], list[_Step]]] = {}

        def steps(fields: list[_Field]) -> list[_Step]:
            entry = compiled.get(id(fields))
            if entry is not None and entry[0] is fields:
                return entry[1]
            built = [
                (
                    f.target.removeprefix("custom."),
                    f.column,
                    f.get,
                    readers.get(TARGETS.get(f.target, "custom"), values.custom),
                    2 if f.target == "custom.*" else 1 if f.target.startswith("custom.") else 0,
                )
                for f in fields
            ]
            if len(compiled) < _SHAPES:  # holding the plan keeps its id from being reused
                compiled[id(fields)] = (fields, built)
            return built

        source = self.source_name

        def convert(line: int, record: Any) -> Ticket | None:
            stats.rows += 1
            if isinstance(record, str):  # the reader's own complaint about this record
                stats.problem(line, record)
                return None
            got: dict[str, Any] = {}
            custom: dict[str, Any] = {}
            try:
                for name, column, get, read, where in steps(plan_for(record)):
                    raw = get(record)
                    if raw is None:
                        continue
                    try:
                        value = read(raw)
                    except _BadValue as exc:
                        target = name if where == 0 else f"custom.{name}"
                        raise _BadValue(f"column {column!r} ({target}): {exc}") from None
                    if where == 0:
                        got[name] = value
                    elif where == 1:
                        if value is not None and value != "":
                            custom[name] = value
                    elif isinstance(raw, Mapping):
                        custom.update(raw)
                ticket = _ticket(source, got, custom, levels, line)
            except _BadValue as exc:
                stats.problem(line, str(exc))
                return None
            stats.tickets += 1
            return ticket

        return convert


def _target(name: str) -> str:
    """A column mapping's key as a ticket field: a known field, else a custom field."""
    return name if name in TARGETS or name.startswith("custom.") else f"custom.{name}"


def _cell(index: int) -> _Get:
    def get(row: Any) -> Any:
        return row[index]

    return get


def _first_of(getters: Sequence[_Get]) -> _Get:
    if len(getters) == 1:
        return getters[0]

    def get(record: Any) -> Any:
        for getter in getters:
            value = getter(record)
            if value is not None:
                return value
        return None

    return get


def _ticket(
    source: str, got: dict[str, Any], custom: dict[str, Any], levels: Mapping[str, _Levels], line: int
) -> Ticket:
    ticket_id = got.get("id") or got.get("number")
    if not ticket_id:
        raise _BadValue("no ticket id (the id and number columns are empty)")
    created = got.get("created")
    if created is None:
        raise _BadValue("no creation time (the created column is empty)")
    first_response = got.get("first_response")
    if first_response is None and got.get("first_response_minutes") is not None:
        first_response = created + timedelta(minutes=got["first_response_minutes"])
    resolved = got.get("resolved")
    if resolved is None and got.get("resolution_minutes") is not None:
        resolved = created + timedelta(minutes=got["resolution_minutes"])
    paused = got.get("paused_seconds") or 0.0
    if got.get("paused_minutes"):
        paused += got["paused_minutes"] * 60
    if got.get("sla_met") is not None:
        custom["sla_met"] = got["sla_met"]
    if got.get("target_date") is not None:
        custom["target_date"] = got["target_date"].isoformat()
    if got.get("closed") is not None:
        custom["closed_at"] = got["closed"].isoformat()
    requester = Requester(
        name=got.get("requester.name", ""),
        address=got.get("requester.address", ""),
        language=got.get("requester.language", ""),
        vip=bool(got.get("requester.vip")),
        timezone=got.get("requester.timezone", ""),
    )
    return Ticket(
        source=source,
        id=ticket_id,
        created=created,
        number=got.get("number", ""),
        subject=got.get("subject", ""),
        description=got.get("description", ""),
        channel=got.get("channel", ""),
        requester=requester,
        category=got.get("category", ""),
        subcategory=got.get("subcategory", ""),
        service=got.get("service", ""),
        impact=levels["impact"](got.get("impact", ""), line),
        urgency=levels["urgency"](got.get("urgency", ""), line),
        priority=levels["priority"](got.get("priority", ""), line),
        status=got.get("status", ""),
        updated=got.get("updated"),
        first_response=first_response,
        resolved=resolved,
        paused_seconds=paused,
        custom=MappingProxyType(custom) if custom else EMPTY_MAPPING,
    )


class _Records:
    """``with source._records(stats) as (records, fields)``: the open export, its column plan and
    an iterator of ``(line, record)``; a record the reader cannot split is a string saying why."""

    def __init__(self, source: FileSource, stats: SourceStats) -> None:
        self.source, self.stats = source, stats
        self.file: IO[str] | None = None

    def __enter__(self) -> tuple[Iterator[tuple[int, Any]], Callable[[Any], list[_Field]], list[_Field]]:
        self.file = self.source._open()
        try:
            if self.source.format == "csv":
                return self._csv(self.file)
            return self._jsonl(self.file)
        except BaseException:
            self.file.close()
            raise

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()

    def _csv(
        self, file: IO[str]
    ) -> tuple[Iterator[tuple[int, Any]], Callable[[Any], list[_Field]], list[_Field]]:
        source = self.source
        first = file.readline()
        header_lines = 1
        while first and not first.strip():
            first = file.readline()
            header_lines += 1
        if not first:
            raise ExportError(f"{source.path}: the export is empty (no header row)")
        delimiter = source.delimiter or _sniff_delimiter(first)
        header_reader = csv.reader([first], delimiter=delimiter)
        header = next(header_reader)
        if len(header) < 2:
            raise ExportError(
                f"{source.path}:1: the header has one column; set source.delimiter if it is not ','"
            )
        fields = source._plan_csv(header, self.stats)
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
        reader = csv.reader(file, delimiter=delimiter)
        width = len(header)

        def records() -> Iterator[tuple[int, Any]]:
            last = header_lines
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield last + 1, f"not a CSV row: {exc}"
                    last = reader.line_num + header_lines
                    continue
                line = last + 1
                last = reader.line_num + header_lines
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != width:
                    yield line, f"has {len(row)} cells, the header has {width}"
                    continue
                yield line, row

        return records(), lambda _row: fields, fields

    def _jsonl(
        self, file: IO[str]
    ) -> tuple[Iterator[tuple[int, Any]], Callable[[Any], list[_Field]], list[_Field]]:
        source = self.source
        lines = enumerate(file, 1)
        first: Any = None
        first_line = 0
        pending: list[tuple[int, Any]] = []
        for number, text in lines:
            if not text.strip():
                continue
            parsed = _json_record(text)
            if isinstance(parsed, str):
                pending.append((number, parsed))
                continue
            first, first_line = parsed, number
            break
        if first is None:
            if pending:
                raise ExportError(f"{source.path}:{pending[0][0]}: {pending[0][1]}: no ticket in the export")
            raise ExportError(f"{source.path}: the export is empty")
        stats = self.stats
        shapes: dict[tuple[str, ...], list[_Field]] = {}

        def plan(record: Mapping[str, Any]) -> list[_Field]:
            """One plan per shape of record (its keys): exports repeat a handful of shapes."""
            shape = tuple(record)
            fields = shapes.get(shape)
            if fields is None:
                fields = source._plan_jsonl(record, stats)
                if len(shapes) < _SHAPES:
                    shapes[shape] = fields
            return fields

        def records() -> Iterator[tuple[int, Any]]:
            yield from pending
            yield first_line, first
            for number, text in lines:
                if text.strip():
                    yield number, _json_record(text)

        fields = plan(first)
        source._missing(stats)
        return records(), plan, fields


def _infer_formats(texts: Sequence[str], tiers: Sequence[Sequence[str]], where: str) -> tuple[str, ...]:
    """The formats that read ``texts`` (the first rows' times), most texts first, from the first
    tier of candidates that reads any; an error where two formats read the same texts into
    different times (``03/04/2016``: April or March?)."""
    chosen: list[str] = []
    left = list(texts)
    while left and len(chosen) < 3:
        readings: dict[str, dict[str, datetime]] = {}
        for candidates in tiers:
            for fmt in candidates:
                if fmt in chosen:
                    continue
                parsed: dict[str, datetime] = {}
                for text in left:
                    try:
                        parsed[text] = datetime.strptime(text, fmt)
                    except ValueError:
                        continue
                if parsed:
                    readings[fmt] = parsed
            if readings:
                break
        if not readings:
            break
        most = max(len(parsed) for parsed in readings.values())
        best, *others = [fmt for fmt, parsed in readings.items() if len(parsed) == most]
        read = readings[best]
        for other in others:
            differs = next((t for t in read if readings[other].get(t) != read[t]), None)
            if differs is not None:
                one, two = read[differs], readings[other][differs]
                raise ExportError(
                    f"{where}: the first rows' times read two ways: {differs!r} is "
                    f"{one:%Y-%m-%d %H:%M} as {best!r} and {two:%Y-%m-%d %H:%M} "
                    f"as {other!r}, and no row tells them apart; set source.date_format"
                )
        chosen.append(best)
        left = [t for t in left if t not in read]
    return tuple(chosen)


def _json_record(text: str) -> Any:
    try:
        record = json.loads(text)
    except ValueError as exc:
        return f"not JSON: {exc}"
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    return record


def _sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: the most frequent of , ; tab | outside quotes (Excel in a
    Dutch locale writes ';')."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _factory(connection: ConnectionConfig, context: AdapterContext) -> FileSource:
    return FileSource(connection, context)


@hookimpl
def matrixcore_adapters() -> Sequence[AdapterSpec]:
    """The built-in plugin "matrixcore.file_source": ticket exports, registered like any adapter."""
    from matrixcore import __version__

    return [
        AdapterSpec(
            "file",
            _factory,
            file_source_schema(),
            __version__,
            "CSV or JSON Lines ticket exports, read-only; presets for ServiceNow, TOPdesk and Zendesk",
        )
    ]
