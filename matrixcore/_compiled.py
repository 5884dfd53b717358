"""Whole generated functions: a logic's value, a condition's verdict, a ruleset's decisions.

``_codegen`` turns one tree into one expression; this module wraps expressions into functions,
compiles them with ``compile``/``exec`` into a namespace holding only our helpers and the rule's
constants, and lays a ruleset out as one if/elif chain per dimension.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._codegen import Env, Generator
from ._jsvalues import BOOL, truthy
from ._logicast import Const, Node
from ._operators import CompileContext
from ._ticket import Ticket

__all__ = ["Finish", "compile_ruleset", "compile_test", "compile_value"]


def _build(source: str, namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    code = compile(source, f"<matrixcore {name}>", "exec")
    exec(code, namespace)
    function: Callable[..., Any] = namespace[name]
    function.__matrixcore_source__ = source  # type: ignore[attr-defined]
    return function


def compile_value(node: Node, context: CompileContext, *, ticket: bool) -> Callable[[Any], Any]:
    """A function of the data returning the logic's value."""
    gen = Generator(ticket)
    gen.plan([node])
    code, _ = gen.value(node, frozenset())
    return _build(f"def logic({gen._scopes[0]}):\n    return {code}\n", gen.ns, "logic")


def compile_test(node: Node, context: CompileContext) -> Callable[[Any], bool]:
    """A function of a Ticket returning whether the logic is truthy for it, as a bool."""
    gen = Generator(ticket=True)
    gen.plan([node])
    reads, env = gen.prelude()
    if gen.kinds(node) == frozenset({BOOL}):
        code, _ = gen.value(node, env)
        body = f"return {code}"
    else:
        code, _ = gen.test(node, env)
        body = f"return True if {code} else False"
    return _build("\n".join(["def condition(t):", *reads, f"    {body}\n"]), gen.ns, "condition")


@dataclass(frozen=True)
class Finish:
    """What the engine does after the rules, generated into the same function (no second call).

    ``defaults`` replace ``None`` for a dimension no rule decided; ``derived`` computes a dimension
    no rule decided from two earlier ones through a table (priority from the impact x urgency
    matrix); ``record`` is the tuple subclass returned (``Evaluation``); ``aliases`` maps channel
    spellings to the canonical name the rules see (the ticket is evolved first, as the engine did);
    ``trace=False`` leaves the rule indices out (only to measure what the trace costs); ``keep``
    names dimensions that, where no rule decides, keep the ticket's own value when it is one of
    the given levels (index -2, ``FROM_SOURCE``), the default otherwise.
    """

    defaults: Mapping[str, Any] = field(default_factory=dict)
    keep: Mapping[str, frozenset[Any]] = field(default_factory=dict)
    derived: tuple[str, Mapping[tuple[Any, Any], Any], str, str] | None = None
    record: type[tuple[Any, ...]] | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    trace: bool = True


def compile_ruleset(
    conditions: Sequence[Node],
    sets: Sequence[Mapping[str, Any]],
    dimensions: Sequence[str],
    upfront: bool = True,
    finish: Finish | None = None,
) -> Callable[[Any], tuple[Any, ...]]:
    """``evaluate(t)``: per dimension the value of the first matching rule that sets it, and its index.

    Each dimension is an if/elif chain over the rules that set it, so a rule is only evaluated while
    one of its dimensions is undecided, by construction. A rule setting several dimensions is
    evaluated at most once: later chains reuse its result when an earlier chain got that far. With
    ``finish``, defaults, the matrix and the record are part of the same function.
    """
    finish = finish if finish is not None else Finish()
    gen = Generator(ticket=True)
    gen.plan(conditions)
    chains: list[list[int]] = []
    for dim in dimensions:
        chain = []
        for r, (condition, values) in enumerate(zip(conditions, sets, strict=True)):
            if dim in values and not (isinstance(condition, Const) and not truthy(condition.value)):
                chain.append(r)
                if isinstance(condition, Const):
                    break  # always matches: nothing after it can decide this dimension
        chains.append(chain)
    shared = {r for r, n in Counter(r for chain in chains for r in chain).items() if n > 1}
    earlier: defaultdict[int, list[int]] = defaultdict(list)
    lines = ["def evaluate(t):"]
    if finish.aliases:
        gen.ns["_aliases"], gen.ns["_evolve"] = dict(finish.aliases), Ticket.evolve
        lines += [
            "    _a = _aliases.get(t.channel)",
            "    if _a is not None:",
            "        t = _evolve(t, channel=_a)",
        ]
    env: Env = frozenset()
    if upfront:
        reads, env = gen.prelude()
        lines += reads
    for j, (dim, chain) in enumerate(zip(dimensions, chains, strict=True)):
        v, i = f"_v{j}", f"_i{j}"
        env_chain: Env | None = None
        for pos, r in enumerate(chain):
            condition, value = conditions[r], gen.const(sets[r][dim])
            if isinstance(condition, Const):
                indent = "    " if pos == 0 else "        "
                lines += [] if pos == 0 else ["    else:"]
                lines += [f"{indent}{v} = {value}", f"{indent}{i} = {r}"]
                break
            code, after = gen.test(condition, env)
            if r in shared:
                if any(chains[k][0] == r for k in earlier[r]):
                    code, after = f"_m{r}", env  # first of an earlier chain: always evaluated there
                elif earlier[r]:
                    reached = " or ".join(f"_i{k} < 0 or _i{k} >= {r}" for k in earlier[r])
                    code, after = f"(_m{r} if ({reached}) else (_m{r} := {code}))", env
                else:
                    code = f"(_m{r} := {code})"
                earlier[r].append(j)
            lines += [
                f"    {'if' if pos == 0 else 'elif'} {code}:",
                f"        {v} = {value}",
                f"        {i} = {r}",
            ]
            env_chain = after if env_chain is None else env_chain
            env = after
        else:
            if finish.derived is not None and finish.derived[0] == dim:
                _, table, a, b = finish.derived
                gen.ns["_table"] = table
                fallback = f"_table[_v{dimensions.index(a)}, _v{dimensions.index(b)}]"
            else:
                fallback = gen.const(finish.defaults.get(dim))
            indent = "        " if chain else "    "
            lines += ["    else:"] if chain else []
            if dim in finish.keep:  # the ticket's own value where it is a level, else the default
                gen.ns[f"_keep{j}"] = finish.keep[dim]
                lines += [
                    f"{indent}{v} = t.{dim}",
                    f"{indent}{i} = -2",
                    f"{indent}if {v} not in _keep{j}:",
                    f"{indent}    {v} = {fallback}",
                    f"{indent}    {i} = -1",
                ]
            else:
                lines += [f"{indent}{v} = {fallback}", f"{indent}{i} = -1"]
        if env_chain is not None:
            env = env_chain
    fields = [f"_v{j}, _i{j}" if finish.trace else f"_v{j}" for j in range(len(dimensions))]
    result = f"({', '.join(fields)},)"
    if finish.record is not None:
        gen.ns["_new"], gen.ns["_record"] = tuple.__new__, finish.record
        result = f"_new(_record, {result})"
    lines.append(f"    return {result}")
    if not finish.trace:  # drop the indices nothing reads (later chains may read an earlier one's)
        source = "\n".join(lines)
        unread = {f"_i{j}" for j in range(len(dimensions)) if f"_i{j} <" not in source}
        lines = [line for line in lines if line.strip().partition(" = ")[0] not in unread]
    return _build("\n".join(lines) + "\n", gen.ns, "evaluate")
