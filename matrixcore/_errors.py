"""Errors users see: every problem with its place, never a traceback for bad input."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "MatrixcoreError",
    "Problem",
    "RulesetError",
    "format_path",
    "whole_file_problem",
]


class MatrixcoreError(Exception):
    """Base of every error matrixcore raises on purpose."""


def format_path(path: Sequence[str | int]) -> str:
    """``("rules", 3, "when")`` -> ``rules[3].when``; the root is ``(root)``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, where it is and how bad it is."""

    path: tuple[str | int, ...]
    message: str
    file: str = ""
    line: int | None = None
    column: int | None = None
    #: ``"error"`` makes the file invalid; ``"warning"`` is shown but accepted.
    severity: str = "error"

    @property
    def dotted_path(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        label = "" if self.severity == "error" else f"{self.severity}: "
        # A problem with the whole file (unreadable, not YAML) has no path worth printing.
        path = f"{self.dotted_path}: " if self.path else ""
        return f"{where}: {label}{path}{self.message}"


class RulesetError(MatrixcoreError):
    """A rules or config file is invalid; ``problems`` lists every error found, in file order."""

    def __init__(self, problems: Iterable[Problem], file: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.line if p.line is not None else 1 << 30, p.column or 0))
        )
        self.file = file
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{file or 'input'} is invalid: {len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class ConfigError(RulesetError):
    """The daemon's config file (connections, state, logging) is invalid."""


def whole_file_problem(problems: Sequence[Problem]) -> Problem | None:
    """The one problem when it concerns the file as a whole (it cannot be read, or is too large):
    commands print it as one line instead of a header and a list."""
    if len(problems) == 1 and not problems[0].path and problems[0].line is None:
        return problems[0]
    return None
