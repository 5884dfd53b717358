"""Whole generated functions: a logic's value, a condition's verdict, a ruleset's decisions.

``_codegen`` turns one tree into one expression; this module wraps expressions into functions,
compiles them with ``compile``/``exec`` into a namespace holding only our helpers and the rule's
constants, and lays a ruleset out as one if/elif chain per dimension.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._codegen import Env, Generator
from ._jsvalues import BOOL, truthy
from ._logicast import Const, Node
from ._operators import CompileContext

__all__ = ["compile_ruleset", "compile_test", "compile_value"]


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


def compile_ruleset(
    conditions: Sequence[Node],
    sets: Sequence[Mapping[str, Any]],
    dimensions: Sequence[str],
    upfront: bool = True,
) -> Callable[[Any], tuple[Any, ...]]:
    """``evaluate(t)``: per dimension the value of the first matching rule that sets it, and its index.

    Each dimension is an if/elif chain over the rules that set it, so a rule is only evaluated while
    one of its dimensions is undecided, by construction. A rule setting several dimensions is
    evaluated at most once: later chains reuse its result when an earlier chain got that far.
    """
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
            lines += (
                ["    else:", f"        {v} = None", f"        {i} = -1"]
                if chain
                else [
                    f"    {v} = None",
                    f"    {i} = -1",
                ]
            )
        if env_chain is not None:
            env = env_chain
    lines.append(f"    return ({', '.join(f'_v{j}, _i{j}' for j in range(len(dimensions)))},)")
    return _build("\n".join(lines) + "\n", gen.ns, "evaluate")
