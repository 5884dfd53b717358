"""Rule patterns (``matches``) that run in bounded time, and the check that spots risky ones.

A rule author's regular expression runs on text anyone on the internet writes, in every cycle. Python's
``re`` backtracks without limit: ``(a+)+$`` takes 40 seconds on a 41-character subject and stalls every
cycle. A linear-time engine (RE2) would end that, but it lacks what rule authors write against Dutch,
German and French subjects: its ``\\b``, ``\\w`` and ``\\s`` are ASCII-only, and it has no lookaround.
So patterns run on the ``regex`` module (``re``'s syntax and Unicode semantics). A pattern that can
backtrack catastrophically (nested or overlapping repeats, found by ``backtracking_risk``) searches
with a time limit: a search that exceeds it counts as no match and is logged. ``matrixcore check``
warns about those patterns, so authors can rewrite them before a requester's subject finds the
slow path. The check is a heuristic over the classic shapes, not a proof.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, Final

import regex

__all__ = ["SEARCH_TIMEOUT", "BoundedPattern", "backtracking_risk", "compile_pattern"]

logger = logging.getLogger("matrixcore.rules")

#: The longest one search of one rule pattern may take. A normal search takes microseconds; this
#: bounds what a pathological pattern and text can cost a cycle.
SEARCH_TIMEOUT: Final = 0.05


class BoundedPattern:
    """A compiled rule pattern. One that can backtrack catastrophically (``backtracking_risk``)
    searches with a time limit and gives up after ``SEARCH_TIMEOUT`` as no match; the others
    search on ``regex`` directly: its time limit costs more than the search itself (CPU time per
    search 2.7x of one without it), and ``regex`` already defuses some of ``re``'s slow paths."""

    __slots__ = ("_compiled", "flags", "pattern", "risk", "search", "timeouts")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled = regex.compile(pattern, regex.VERSION0)
        self.flags: int = self._compiled.flags
        #: Why a search could take exponential time, or ``None``.
        self.risk = backtracking_risk(pattern)
        #: Searches that gave up, since this pattern was compiled.
        self.timeouts = 0
        #: ``search(text)`` -> a match or ``None``; a C method where no time limit is needed.
        self.search: Callable[[str], Any] = self._bounded if self.risk else self._compiled.search

    def _bounded(self, text: str) -> Any:
        try:
            return self._compiled.search(text, timeout=SEARCH_TIMEOUT)
        except TimeoutError:
            self._gave_up(text)
            return None

    def _gave_up(self, text: str) -> None:
        with _LOCK:
            self.timeouts += 1
            first = self.timeouts == 1
        if first:
            logger.warning(
                "rule pattern %r gave up after %.0f ms on a %d-character text: counted as no match "
                "(it can backtrack catastrophically: 'matrixcore check' warns about it)",
                self.pattern,
                SEARCH_TIMEOUT * 1000,
                len(text),
            )

    def __repr__(self) -> str:
        return f"BoundedPattern({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BoundedPattern) and (other.pattern, other.flags) == (
            self.pattern,
            self.flags,
        )

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))


_LOCK = threading.Lock()


def compile_pattern(pattern: str) -> BoundedPattern:
    """Compile a rule pattern; ``ValueError`` with the reason if it is not a regular expression."""
    try:
        re.compile(pattern)  # the syntax rule authors were promised: Python's
        return BoundedPattern(pattern)
    except (re.error, regex.error) as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


_REPEATS: Final = (sre.MAX_REPEAT, sre.MIN_REPEAT)


def _first(items: Any) -> set[Any] | None:
    """What the first character of a match of ``items`` can be; ``None`` for "anything"."""
    for op, arg in items:
        if op is sre.LITERAL:
            return {arg}
        if op is sre.IN:
            out: set[Any] = set()
            for kind, value in arg:
                if kind is sre.LITERAL:
                    out.add(value)
                elif kind is sre.RANGE and value[1] - value[0] < 256:
                    out.update(range(value[0], value[1] + 1))
                else:
                    return None
            return out
        if op is sre.SUBPATTERN:
            return _first(arg[-1])
        if op in _REPEATS:
            if arg[0] == 0:
                return None  # optional: the next item may come first
            return _first(arg[2])
        if op in (sre.AT,):
            continue
        return None
    return set()


def _unbounded_inside(items: Any) -> bool:
    for op, arg in items:
        if op in _REPEATS and arg[1] is sre.MAXREPEAT:
            return True
        if op is sre.SUBPATTERN and _unbounded_inside(arg[-1]):
            return True
        if op is sre.BRANCH and any(_unbounded_inside(b) for b in arg[1]):
            return True
    return False


def _overlapping(branches: list[Any]) -> bool:
    firsts = [_first(branch) if branch else None for branch in branches]  # an empty branch: anything
    for i, a in enumerate(firsts):
        for b in firsts[i + 1 :]:
            if a is None or b is None or a & b:
                return True
    return False


def _branches(items: Any) -> list[Any]:
    """The alternations in ``items``, through groups but not into repeats (those are judged alone)."""
    out: list[Any] = []
    for op, arg in items:
        if op is sre.BRANCH:
            out.append(arg[1])
            for branch in arg[1]:
                out += _branches(branch)
        elif op is sre.SUBPATTERN:
            out += _branches(arg[-1])
    return out


def _risk(items: Any) -> str | None:
    for op, arg in items:
        if op in _REPEATS and (arg[1] is sre.MAXREPEAT or arg[1] > 10):
            body = arg[2]
            if _unbounded_inside(body):
                return "a repeated group holds another unbounded repeat (like '(a+)+')"
            if any(_overlapping(branches) for branches in _branches(body)):
                return "a repeated alternation whose branches can match the same text (like '(a|aa)+')"
        children: list[Any] = []
        if op is sre.SUBPATTERN:
            children = [arg[-1]]
        elif op in _REPEATS:
            children = [arg[2]]
        elif op is sre.BRANCH:
            children = list(arg[1])
        for child in children:
            found = _risk(child)
            if found:
                return found
    return None


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` can take exponential time on some texts, or ``None`` when it looks linear.

    A heuristic over the parsed pattern (nested unbounded repeats, repeated alternations whose
    branches overlap): it flags the classic shapes, not every slow pattern.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    return _risk(list(parsed))
