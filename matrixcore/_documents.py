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
from typing import Any, Final

import yaml

from ._errors import Problem, RulesetError

__all__ = ["MAX_ALIAS_VALUES", "MAX_DEPTH", "MAX_FILE_BYTES", "Document", "load_document", "parse_document"]

Path_ = tuple[str | int, ...]

#: The largest rules or config file read. Real ones are a few kilobytes; a file this size is a mistake
#: (or an attack), and reading it must not be what stops a daemon.
MAX_FILE_BYTES: Final = 4 * 1024 * 1024
#: How many values YAML aliases (``*name``) may add beyond what is written: anchors save typing, but
#: nine nested aliases of nine ("billion laughs") expand to a billion values from nine lines.
MAX_ALIAS_VALUES: Final = 100_000
#: How deeply values may nest. Rules nest a few levels (rules[3].when.any[1].all[0]); the checks and
#: the compiled conditions recurse, so a file nested thousands deep is refused before they run.
MAX_DEPTH: Final = 64


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


def _expanded_size(root: yaml.Node, doc: Document) -> None:
    """Refuse aliases that expand beyond ``MAX_ALIAS_VALUES``, recursive ones, and nesting beyond
    ``MAX_DEPTH``, before anything walks the expanded tree; counted over the composed graph, where an
    alias is the same node object again, so the count itself costs one visit per written value."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    written = 0
    # Iterative post-order: a hostile file must not exhaust the stack of the check meant to stop it.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if depths[key] > MAX_DEPTH:
                _refuse(doc, node, f"values nest deeper than {MAX_DEPTH} levels")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            _refuse(doc, node, "an alias refers to the value that contains it (a recursive alias)")
        open_nodes.add(key)
        written += 1
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    total = sizes.get(id(root), 0)
    if total - written > MAX_ALIAS_VALUES:
        _refuse(
            doc,
            root,
            f"its aliases expand to {total:,} values from {written:,} written; at most "
            f"{MAX_ALIAS_VALUES:,} more than written are read (write the values out, or use fewer aliases)",
        )


def _refuse(doc: Document, node: yaml.Node, message: str) -> None:
    mark = node.start_mark
    raise RulesetError([Problem((), message, doc.file, mark.line + 1, mark.column + 1)], doc.file)


def _parse_yaml(text: str, doc: Document) -> None:
    try:
        loader = _Yaml12Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                doc.data = None
                return
            _expanded_size(node, doc)
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


def _depth(data: Any) -> int:
    """How deeply ``data`` nests, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping | list):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend(
                    (v, depth + 1) for v in (value.values() if isinstance(value, Mapping) else value)
                )
    return deepest


def parse_document(text: str, file: str = "", kind: str | None = None) -> Document:
    """Parse ``text``; ``kind`` is ``"yaml"``, ``"json"`` or ``"toml"`` (default: from ``file``'s suffix).

    Whatever ``text`` holds, the only exception is a ``RulesetError`` naming the file.
    """
    suffix = f".{kind}" if kind else Path(file).suffix.lower()
    parser = _PARSERS.get(suffix, _parse_yaml)
    doc = Document(data=None, file=file)
    try:
        parser(text, doc)
    except RecursionError:
        raise RulesetError([Problem((), f"values nest deeper than {MAX_DEPTH} levels", file)], file) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a parser's own limits (TOML dates, ...)
        raise RulesetError([Problem((), f"cannot be read: {exc}", file)], file) from None
    if _depth(doc.data) > MAX_DEPTH:
        raise RulesetError([Problem((), f"values nest deeper than {MAX_DEPTH} levels", file)], file)
    return doc


def load_document(path: str | Path, limit: int = MAX_FILE_BYTES) -> Document:
    """Read and parse a file; an unreadable or oversized file is a ``RulesetError`` too, never a traceback."""
    name = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise RulesetError([Problem((), f"cannot read file: {exc.strerror or exc}", name)], name) from None
    if len(raw) > limit:
        message = f"larger than {limit // 1024 // 1024} MiB: not read (is it the right file?)"
        raise RulesetError([Problem((), message, name)], name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesetError([Problem((), f"not UTF-8 text: {exc.reason}", name)], name) from None
    return parse_document(text, name)
