"""Read YAML, JSON and TOML files into plain data, remembering where every value stood.

Every error matrixcore reports about a file names the line and column, so the loader keeps a map from
each value's path (``("rules", 3, "when")``) to its position. YAML is read with YAML 1.2 scalars
(``on``/``no``/``NO`` stay strings, ``08:30`` stays a string, dates stay strings), because rules files
are full of channel names, country codes and clock times that YAML 1.1 would silently turn into
booleans, integers and dates.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._errors import Problem, RulesetError

__all__ = ["Document", "load_document", "parse_document"]

Path_ = tuple[str | int, ...]


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 core-schema scalars and no duplicate keys."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _regex, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
):
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regex), list(_first))
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


@dataclass(slots=True)
class Document:
    """A parsed file: its data and where each value came from."""

    data: Any
    file: str = ""
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``path``, or of its nearest located parent."""
        probe = tuple(path)
        while True:
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return None, None
            probe = probe[:-1]

    def problem(self, path: Path_, message: str, severity: str = "error") -> Problem:
        line, column = self.locate(path)
        return Problem(tuple(path), message, self.file, line, column, severity)


def _walk_yaml(node: yaml.Node, path: Path_, positions: dict[Path_, tuple[int, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            # Point at the key: "rules[3].when" is found where "when:" is written.
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk_yaml(value_node, child, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            positions[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _walk_yaml(item, child, positions)


def _duplicate_keys(node: yaml.Node, path: Path_, doc: Document, out: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                out.append(Problem((*path, key), f"duplicate key {key!r}", doc.file, line, column))
            seen.add(key)
            _duplicate_keys(value_node, (*path, key), doc, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _duplicate_keys(item, (*path, index), doc, out)


def _parse_yaml(text: str, doc: Document) -> None:
    try:
        loader = _Yaml12Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                doc.data = None
                return
            doc.data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        reason = " ".join(filter(None, [exc.context, exc.problem]))
        raise RulesetError(
            [Problem((), f"not valid YAML: {reason}", doc.file, line, column)], doc.file
        ) from None
    except yaml.YAMLError as exc:
        raise RulesetError([Problem((), f"not valid YAML: {exc}", doc.file)], doc.file) from None
    _walk_yaml(node, (), doc.positions)
    duplicates: list[Problem] = []
    _duplicate_keys(node, (), doc, duplicates)
    if duplicates:
        raise RulesetError(duplicates, doc.file)


def _parse_json(text: str, doc: Document) -> None:
    try:
        doc.data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesetError(
            [Problem((), f"not valid JSON: {exc.msg}", doc.file, exc.lineno, exc.colno)], doc.file
        ) from None
    try:  # JSON is YAML 1.2 flow style: borrow the YAML composer for positions only.
        loader = _Yaml12Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is not None:
            _walk_yaml(node, (), doc.positions)
    except yaml.YAMLError:
        pass


def _locate_toml(data: Any, lines: list[str], path: Path_, doc: Document) -> None:
    """TOML parsers give no positions: find each key's first line after its parent's, best effort."""
    if isinstance(data, Mapping):
        start = doc.positions.get(path, (1, 1))[0] - 1
        for key, value in data.items():
            pattern = re.compile(
                rf"^\s*(?:\[+\s*)?(?:[\w.\"'-]*\.)?[\"']?{re.escape(str(key))}[\"']?\s*[=\].]"
            )
            for number in range(start, len(lines)):
                if pattern.search(lines[number]):
                    doc.positions[(*path, key)] = (number + 1, lines[number].find(str(key)) + 1)
                    break
            _locate_toml(value, lines, (*path, key), doc)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            doc.positions.setdefault((*path, index), doc.positions.get(path, (1, 1)))
            _locate_toml(item, lines, (*path, index), doc)


def _parse_toml(text: str, doc: Document) -> None:
    try:
        doc.data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, column = (int(match[1]), int(match[2])) if match else (None, None)
        raise RulesetError(
            [Problem((), f"not valid TOML: {exc}", doc.file, line, column)], doc.file
        ) from None
    _locate_toml(doc.data, text.splitlines(), (), doc)


_PARSERS = {".yaml": _parse_yaml, ".yml": _parse_yaml, ".json": _parse_json, ".toml": _parse_toml}


def parse_document(text: str, file: str = "", kind: str | None = None) -> Document:
    """Parse ``text``; ``kind`` is ``"yaml"``, ``"json"`` or ``"toml"`` (default: from ``file``'s suffix)."""
    suffix = f".{kind}" if kind else Path(file).suffix.lower()
    parser = _PARSERS.get(suffix, _parse_yaml)
    doc = Document(data=None, file=file)
    parser(text, doc)
    return doc


def load_document(path: str | Path) -> Document:
    """Read and parse a file; an unreadable file is a ``RulesetError`` too, never a traceback."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesetError([Problem((), f"cannot read file: {exc.strerror or exc}", name)], name) from None
    except UnicodeDecodeError as exc:
        raise RulesetError([Problem((), f"not UTF-8 text: {exc.reason}", name)], name) from None
    return parse_document(text, name)
