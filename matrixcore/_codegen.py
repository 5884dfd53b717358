"""Python source from parsed JsonLogic: the compiler behind conditions and rulesets.

Generated source runs at the speed of hand-written Python because it *is* the Python a person would
write: ``t.channel == _c3``, ``_c4 in t.subject``, ``_re5.search(t.subject)``. Three techniques get it
there, all decided once at compile time:

* **Values never become code.** Every constant of the rule (strings, numbers, lists, compiled regexes,
  operator functions) lives in the function's namespace under a name we pick (``_c0``, ``_re1``,
  ``_op2``); the source text only ever contains our identifiers, keywords and Ticket attribute names
  taken from the dataclass itself.
* **Type specialisation.** ``CORE_FIELDS`` declares each field's type, so where JavaScript's loose
  semantics coincide with Python's for the operand types (str == str, number < number, truthiness of
  a str) the plain operation is emitted, and the ``_jsvalues`` helper everywhere else.
* **Each field read once, each test computed once.** Fields read more than once are read into
  locals up front (measured as fast as binding them at their first read, and simpler). Tests that
  recur (the same regex search in three rules) are bound to a local by an assignment expression
  where first computed, and reused wherever that local is definitely assigned (a test in the first
  operand of an ``and`` is; one in its second operand is not), so nothing is computed eagerly.

Two kinds of expression are generated per node: a *value* (the JavaScript value) and a *test* (any
Python value whose truthiness is the JsonLogic truthiness of the value), which lets ``and``/``or``/
``!``/``if`` in conditions compile to plain Python ``and``/``or``/``not``/``if``.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Final

from . import _jsdata as data
from . import _jsvalues as js
from ._jsvalues import BOOL, NULL, NUM, OBJECT, STR, truthy
from ._kinds import (
    BOOL_FUNCTIONS,
    MATCHES,
    PARENTS,
    PLAIN_TRUTH,
    READ_ORDER,
    Kinds,
    field_key,
    node_kinds,
    plain_loose_eq,
    plain_order,
    plain_strict_eq,
)
from ._logicast import SCOPED_OPERATIONS, Arr, Const, Extra, Node, Op, Var
from ._operators import DYNAMIC
from ._patterns import BoundedPattern

__all__ = ["Env", "Generator"]

Env = frozenset[str]  # locals definitely assigned at this point of the generated code

_HELPERS: Final[dict[str, Any]] = {
    "_truthy": js.truthy,
    "_var": data.var_lookup,
    "_is_missing": data.is_missing,
    "_missing": data.js_missing,
    "_missing_some": data.js_missing_some,
    "_map": data.scoped_map,
    "_filter": data.scoped_filter,
    "_all": data.scoped_all,
    "_some": data.scoped_some,
    "_none": data.scoped_none,
    "_reduce": data.scoped_reduce,
}
#: Operation -> (helper name, function, how many operands it uses; None: all).
_CALLS: Final[dict[str, tuple[str, Callable[..., Any], int | None]]] = {
    "==": ("_eq", js.js_eq, 2),
    "!=": ("_ne", js.js_ne, 2),
    "===": ("_seq", js.js_strict_eq, 2),
    "!==": ("_sne", js.js_strict_ne, 2),
    "<": ("_lt", js.js_lt, 3),
    "<=": ("_le", js.js_le, 3),
    ">": ("_gt", js.js_gt, 2),
    ">=": ("_ge", js.js_ge, 2),
    "in": ("_in", js.js_in, 2),
    "cat": ("_cat", js.js_cat, None),
    "substr": ("_substr", js.js_substr, 3),
    "+": ("_add", js.js_add, None),
    "*": ("_mul", js.js_mul, None),
    "-": ("_sub", js.js_sub, 2),
    "/": ("_div", js.js_div, 2),
    "%": ("_mod", js.js_mod, 2),
    "min": ("_min", js.js_min, None),
    "max": ("_max", js.js_max, None),
    "merge": ("_merge", js.js_merge, None),
    "log": ("_log", data.js_log, 1),
}
_HELPERS.update({name: function for name, function, _ in _CALLS.values()})
_HELPERS["_neg"] = js.js_neg
_HELPERS["_num"] = js.to_number

_CSE_OPS: Final = frozenset(["==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "missing"])
#: Compiled rule patterns: ``matches`` gives ``BoundedPattern``; a plugin may still prepare ``re``.
_PATTERNS: Final = (re.Pattern, BoundedPattern)
_WALRUS: Final = re.compile(r"\((_[fs]\d+) := ")


def _encloses(code: str) -> bool:
    """The first parenthesis of ``code`` closes at its very end (the code is one parenthesised unit)."""
    depth = 0
    for i, char in enumerate(code):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return i == len(code) - 1
    return False


def _prepared_key(value: Any) -> Any:
    if value is DYNAMIC:
        return "dynamic"
    if isinstance(value, _PATTERNS):
        return ("re", value.pattern, value.flags)
    t = type(value)
    return (t, value) if t in (str, int, float, bool) or value is None else ("id", id(value))


def _is_null(node: Node) -> bool:
    return isinstance(node, Const) and node.value is None


class Generator:
    """Builds the source of one generated function and the namespace it runs in."""

    def __init__(self, ticket: bool) -> None:
        self.ns: dict[str, Any] = dict(_HELPERS)
        self.ticket = ticket
        self._consts: dict[Any, str] = {}
        self._ids = itertools.count()
        self._scopes: list[str] = ["t" if ticket else "d"]
        self._locals: dict[tuple[str, str], str] = {}
        self._keys: dict[int, Any] = {}
        self._repeats: Counter[Any] = Counter()
        self._cse: dict[tuple[Any, bool], str] = {}

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def const(self, value: Any, prefix: str = "_c") -> str:
        """The namespace name holding ``value`` (``None``/``True``/``False`` are written as such)."""
        if value is None or value is True or value is False:
            return repr(value)
        t = type(value)
        key: Any = (t, value) if t in (str, int, float) else ("id", id(value))
        if isinstance(value, _PATTERNS):
            key = ("re", value.pattern, value.flags)
        name = self._consts.get(key)
        if name is None:
            name = self._consts[key] = self.fresh(prefix)
            self.ns[name] = value
        return name

    # --- field reads and hoisting ------------------------------------------------------------------

    def plan(self, nodes: Sequence[Node]) -> None:
        """Give a local to every field read more than once (and to ``t.requester``/``t.custom`` when
        two different fields are read through them)."""
        uses: Counter[tuple[str, str]] = Counter()
        children: defaultdict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)

        def count(path: Any) -> None:
            found = field_key(path) if isinstance(path, str) and path else None
            if found is not None:
                key = found[0]
                uses[key] += 1
                if key[0] in PARENTS:
                    children[PARENTS[key[0]]].add(key)

        def walk(node: Node, depth: int) -> None:
            if isinstance(node, Var):
                if self.ticket and depth == 0 and isinstance(node.path, Const):
                    count(node.path.value)
                for part in (node.path, node.default):
                    if part is not None:
                        walk(part, depth)
                return
            if isinstance(node, Const):
                return
            candidate = isinstance(node, Extra) or (isinstance(node, Op) and node.name in _CSE_OPS)
            if self.ticket and depth == 0 and candidate:
                self._repeats[self._key(node)] += 1
                view = self._numeric_operand(node) if isinstance(node, Op) else None
                if view is not None:
                    uses[("n", view[0])] += 1
            parts = node.items if isinstance(node, Arr) else node.args
            if isinstance(node, Op) and node.name == "missing" and self.ticket and depth == 0:
                for key in self._missing_keys(node.args) or ():
                    count(key)
            scoped = isinstance(node, Op) and node.name in SCOPED_OPERATIONS
            for i, part in enumerate(parts):
                walk(part, depth + 1 if scoped and i == 1 else depth)

        for node in nodes:
            walk(node, 0)
        for key, n in uses.items():
            if n > 1:
                self._locals[key] = self.fresh("_f")
        for parent, kids in children.items():
            if len(kids) > 1:
                self._locals[parent] = self.fresh("_f")

    def access(self, key: tuple[str, str], env: Env) -> tuple[str, Env]:
        """Code reading a field (or a numeric view of one), through its local where it has one."""
        local = self._locals.get(key)
        if local is not None and local in env:
            return local, env
        code, env = self._read(key, env)
        if local is None:
            return code, env
        return f"({local} := {code})", env | {local}

    def _read(self, key: tuple[str, str], env: Env) -> tuple[str, Env]:
        tag, name = key
        if tag == "a":
            return f"t.{name}", env  # name is a Ticket dataclass field, never text from the rules
        if tag == "r":
            return "t.requester", env
        if tag == "c":
            return "t.custom", env
        if tag == "ra":
            parent, env = self.access(("r", ""), env)
            return f"{parent}.{name}", env  # a Requester dataclass field
        if tag == "cg":
            parent, env = self.access(("c", ""), env)
            return f"{parent}.get({self.const(name)})", env
        # "n": a custom field as a JavaScript number; comparing it with a number is then plain Python
        # (``x < 5`` is ``Number(x) < 5`` in JavaScript, whatever ``x`` is).
        code, env = self.access(("cg", name), env)
        first, again = self.twice(code)
        return f"({again} if type({first}) is int else _num({again}))", env

    def prelude(self) -> tuple[list[str], Env]:
        """Statements reading every hoisted field up front, and the locals they define."""
        lines, env = [], frozenset[str]()
        for key in sorted(self._locals, key=lambda k: READ_ORDER.index(k[0])):
            if self._locals[key] not in env:
                code, env = self._read(key, env)
                lines.append(f"    {self._locals[key]} = {code}")
                env |= {self._locals[key]}
        return lines, env

    def field(self, path: str, env: Env) -> tuple[str, Kinds, Env]:
        """Read a field of the ticket by its constant path, as ``Ticket.get`` would."""
        if path == "":
            return "t", frozenset({OBJECT}), env
        found = field_key(path)
        if found is None:
            return f"t.get({self.const(path)})", None, env
        code, env = self.access(found[0], env)
        return code, found[1], env

    @property
    def at_ticket(self) -> bool:
        return self.ticket and len(self._scopes) == 1

    def _key(self, node: Node) -> Any:
        """A hashable identity of what a node computes, for finding repeated tests."""
        key = self._keys.get(id(node))
        if key is None:
            if isinstance(node, Const):
                t = type(node.value)
                key = ("c", t, node.value) if t in (str, int, float, bool) else ("c", t, repr(node.value))
            elif isinstance(node, Var):
                parts = (node.path, node.default) if node.default is not None else (node.path,)
                key = ("v", node.scope, *map(self._key, parts))
            elif isinstance(node, Arr):
                key = ("a", *map(self._key, node.items))
            elif isinstance(node, Op):
                key = ("o", node.name, *map(self._key, node.args))
            else:
                key = (
                    "x",
                    id(node.operator.function),
                    *map(self._key, node.args),
                    *map(_prepared_key, node.prepared),
                )
            self._keys[id(node)] = key
        return key

    def _numeric_operand(self, node: Op) -> tuple[str, int] | None:
        """For ``custom_field <op> number``: the custom key and the field's position (0 or 1)."""
        if node.name not in ("<", "<=", ">", ">=") or (len(node.args) != 2 and node.name in ("<", "<=")):
            return None
        for i in (0, 1):
            field, const = node.args[i], node.args[1 - i]
            if (
                isinstance(field, Var)
                and field.default is None
                and field.scope == 0
                and isinstance(field.path, Const)
                and isinstance(field.path.value, str)
                and isinstance(const, Const)
                and type(const.value) in (int, float)
            ):
                found = field_key(field.path.value) if field.path.value else None
                if found is not None and found[0][0] == "cg":
                    return found[0][1], i
        return None

    def computed(self, node: Op | Extra, env: Env, test: bool) -> tuple[str, Env]:
        """An operation's code; one computed more than once is kept in a local and reused where the
        local is definitely assigned."""
        key = self._key(node) if self.at_ticket else None
        if key is None or self._repeats[key] < 2:
            return self.extra(node, env, test) if isinstance(node, Extra) else self.op(node, env, test)
        local = self._cse.get((key, test))
        if local is None:
            local = self._cse[key, test] = self.fresh("_s")
        elif local in env:
            return local, env
        code, env = self.extra(node, env, test) if isinstance(node, Extra) else self.op(node, env, test)
        if code.isidentifier() or (_WALRUS.match(code) and _encloses(code)):
            return code, env  # already just a (hoisted) field
        return f"({local} := {code})", env | {local}

    def twice(self, code: str) -> tuple[str, str]:
        """``code`` for a first use that assigns, and a name for a second use of the same value."""
        if code.isidentifier():
            return code, code
        walrus = _WALRUS.match(code)
        if walrus is not None and _encloses(code):
            return code, walrus[1]
        temp = self.fresh("_t")
        return f"({temp} := {code})", temp

    def guarded(self, op: str, a: Node, b: Node, ca: str, cb: str) -> str | None:
        """``x op const`` for a value of unknown type: the plain operation when its type makes it
        exact (a str against a str, a number against a number), the helper otherwise."""
        for unknown, known, code, const in ((a, b, ca, cb), (b, a, cb, ca)):
            if self.kinds(unknown) is None and isinstance(known, Const):
                t = type(known.value)
                if t is str or t is int or t is float:
                    first, again = self.twice(code)
                    check = (
                        f"type({first}) is str"
                        if t is str
                        else f"(type({first}) is int or type({again}) is float)"
                    )
                    left, right = (again, const) if unknown is a else (const, again)
                    plain = {"===": "==", "!==": "!="}.get(op, op)
                    return f"({left} {plain} {right} if {check} else {_CALLS[op][0]}({left}, {right}))"
        return None

    # --- types -------------------------------------------------------------------------------------

    def kinds(self, node: Node) -> Kinds:
        return node_kinds(node, self.ticket)

    def _truth(self, code: str, kinds: Kinds) -> str:
        return code if kinds is not None and kinds <= PLAIN_TRUTH else f"_truthy({code})"

    # --- expressions -------------------------------------------------------------------------------

    def value(self, node: Node, env: Env) -> tuple[str, Env]:
        """Python expression computing the node's JavaScript value."""
        if isinstance(node, Const):
            return self.const(node.value), env
        if isinstance(node, Var):
            return self.var(node, env)
        if isinstance(node, Arr):
            codes, env = self.sequence(node.items, env)
            return f"[{', '.join(codes)}]", env
        return self.computed(node, env, test=False)

    def test(self, node: Node, env: Env) -> tuple[str, Env]:
        """Python expression whose truthiness is the node's JsonLogic truthiness."""
        if isinstance(node, Const):
            return repr(truthy(node.value)), env
        if isinstance(node, Extra | Op):
            return self.computed(node, env, test=True)
        code, env = self.value(node, env)
        return self._truth(code, self.kinds(node)), env

    def sequence(self, nodes: Sequence[Node], env: Env) -> tuple[list[str], Env]:
        codes = []
        for node in nodes:
            code, env = self.value(node, env)
            codes.append(code)
        return codes, env

    def var(self, node: Var, env: Env) -> tuple[str, Env]:
        data = self._scopes[-1]
        path = node.path.value if isinstance(node.path, Const) else DYNAMIC
        if path is None or (isinstance(path, str) and path == ""):
            return data, env
        default = None if node.default is None or _is_null(node.default) else node.default
        if self.at_ticket and isinstance(path, str):
            if default is None:
                code, _, env = self.field(path, env)
                return code, env
            found = field_key(path)
            if found is not None and found[0][0] in ("a", "ra"):
                return self.access(found[0], env)  # always defined: the default cannot apply
            fallback, env = self.value(default, env)
            if found is not None:
                custom, env = self.access(("c", ""), env)
                return f"{custom}.get({self.const(found[0][1])}, {fallback})", env
            return f"t.get({self.const(path)}, {fallback})", env
        codes, env = self.sequence([node.path] if default is None else [node.path, default], env)
        return f"_var({data}, {', '.join(codes)})", env

    def call(self, name: str, args: Sequence[Node], env: Env) -> tuple[str, Env]:
        helper, _, used = _CALLS[name]
        codes, env = self.sequence(args if used is None else args[:used], env)
        return f"{helper}({', '.join(codes)})", env

    def op(self, node: Op, env: Env, test: bool) -> tuple[str, Env]:
        name, args = node.name, node.args
        if name in ("and", "or"):
            return self.logical(name, args, env, test)
        if name in ("if", "?:"):
            return self.conditional(args, env, test)
        if name in SCOPED_OPERATIONS:
            return self.scoped(name, args, env, test)
        if name in ("!", "!!"):
            if not args:
                return repr(name == "!"), env
            code, env = self.test(args[0], env)
            return (f"(not {code})" if name == "!" else code if test else f"(not not {code})"), env
        if name == "missing" and test and self.at_ticket:
            keys = self._missing_keys(args)
            if keys is not None:
                return self.missing_test(keys, env)
        if name in ("==", "!=", "===", "!==") and len(args) >= 2:
            code, env = self.equality(name, args[0], args[1], env)
        elif name in ("<", "<=", ">", ">=") and len(args) >= 2:
            code, env = self.order(name, args, env)
        elif name == "in" and len(args) >= 2:
            code, env = self.membership(args[0], args[1], env)
        elif name in ("missing", "missing_some"):
            codes, env = self.sequence(args, env)
            code = f"_{name}({', '.join([self._scopes[-1], *codes])})"
        elif name == "-" and len(args) < 2:
            codes, env = self.sequence(args, env)
            code = f"_neg({', '.join(codes)})"
        else:
            code, env = self.call(name, args, env)
        return (self._truth(code, self.kinds(node)) if test else code), env

    def logical(self, name: str, args: Sequence[Node], env: Env, test: bool) -> tuple[str, Env]:
        if not args:
            return ("False" if test else "None"), env
        if test or all((k := self.kinds(arg)) is not None and k <= PLAIN_TRUTH for arg in args[:-1]):
            # Python's and/or return the operand JavaScript's would when truthiness agrees.
            codes: list[str] = []
            env_first: Env | None = None
            for arg in args:
                code, env = (self.test if test else self.value)(arg, env)
                codes.append(code)
                env_first = env if env_first is None else env_first
            assert env_first is not None
            return f"({f' {name} '.join(codes)})", env_first
        code, env = self.value(args[0], env)
        if len(args) == 1:
            return code, env
        temp = self.fresh("_t")
        condition = self._truth(f"({temp} := {code})", self.kinds(args[0]))
        rest, _ = self.logical(name, args[1:], env, test=False)
        if name == "and":
            return f"({rest} if {condition} else {temp})", env
        return f"({temp} if {condition} else {rest})", env

    def conditional(self, args: Sequence[Node], env: Env, test: bool) -> tuple[str, Env]:
        branch = self.test if test else self.value
        n = len(args)
        if n == 0:
            return ("False" if test else "None"), env
        if n == 1:
            return branch(args[0], env)
        condition, env = self.test(args[0], env)
        then, _ = branch(args[1], env)
        other = self.conditional(args[2:], env, test)[0] if n > 2 else ("False" if test else "None")
        return f"({then} if {condition} else {other})", env

    def scoped(self, name: str, args: Sequence[Node], env: Env, test: bool) -> tuple[str, Env]:
        items, env = self.value(args[0], env) if args else ("None", env)
        param = self.fresh("_d")
        self._scopes.append(param)
        body = args[1] if len(args) > 1 else Const(None)
        code, _ = (self.value if name in ("map", "reduce") else self.test)(body, frozenset())
        self._scopes.pop()
        if name == "reduce":
            initial, env = self.value(args[2], env) if len(args) > 2 else ("None", env)
            return f"_reduce({items}, lambda {param}: {code}, {initial})", env
        return f"_{name}({items}, lambda {param}: {code})", env

    def equality(self, name: str, a: Node, b: Node, env: Env) -> tuple[str, Env]:
        negate = name in ("!=", "!==")
        ca, env = self.value(a, env)
        cb, env = self.value(b, env)
        if _is_null(a) or _is_null(b):
            return f"({ca if _is_null(b) else cb} is {'not ' if negate else ''}None)", env
        ka, kb = self.kinds(a), self.kinds(b)
        for x, kx, other in ((ca, ka, b), (cb, kb, a)):
            if kx == frozenset({BOOL}) and isinstance(other, Const) and type(other.value) is bool:
                return (x if other.value != negate else f"(not {x})"), env  # a bool field == true
        if (plain_loose_eq if name in ("==", "!=") else plain_strict_eq)(ka, kb):
            return f"({ca} {'!=' if negate else '=='} {cb})", env
        return self.guarded(name, a, b, ca, cb) or f"{_CALLS[name][0]}({ca}, {cb})", env

    def order(self, name: str, args: Sequence[Node], env: Env) -> tuple[str, Env]:
        numeric = self._numeric_operand(Op(name, tuple(args))) if self.at_ticket else None
        if numeric is not None:
            view, env = self.access(("n", numeric[0]), env)
            const = self.const(args[1 - numeric[1]].value)  # type: ignore[union-attr]
            return (f"({view} {name} {const})" if numeric[1] == 0 else f"({const} {name} {view})"), env
        kinds = [self.kinds(arg) for arg in args[:3]]
        if len(args) == 2 or name in (">", ">="):
            (ca, cb), env_ab = self.sequence(args[:2], env)
            if plain_order(kinds[0], kinds[1]):
                return f"({ca} {name} {cb})", env_ab
            guarded = self.guarded(name, args[0], args[1], ca, cb)
            if guarded is not None:
                return guarded, env_ab
        elif plain_order(kinds[0], kinds[1]) and plain_order(kinds[1], kinds[2]):
            (ca, cb), env = self.sequence(args[:2], env)
            cc, _ = self.value(args[2], env)  # a chained comparison may skip it
            return f"({ca} {name} {cb} {name} {cc})", env
        return self.call(name, args, env)

    def membership(self, needle: Node, haystack: Node, env: Env) -> tuple[str, Env]:
        kn, kh = self.kinds(needle), self.kinds(haystack)
        if isinstance(haystack, Const) and isinstance(haystack.value, list) and kn is not None:
            for group, types in (({STR, NULL}, (str,)), ({NUM}, (int, float)), ({BOOL}, (bool,))):
                if kn <= group:
                    members = frozenset(  # what strict equality can match for this needle
                        v for v in haystack.value if (type(v) in types and v == v) or v is None
                    )
                    code, env = self.value(needle, env)
                    return f"({code} in {self.const(members)})", env
        if isinstance(haystack, Const) and type(haystack.value) is str and kn is not None and kn <= {STR}:
            if not haystack.value:
                return "False", env  # json-logic-js: nothing is in an empty string
            code, env = self.value(needle, env)
            return f"({code} in {self.const(haystack.value)})", env
        if isinstance(needle, Const) and type(needle.value) is str and needle.value and kh is not None:
            (cn, ch), env = self.sequence([needle, haystack], env)
            if kh <= {STR}:
                return f"({cn} in {ch})", env
            if kh <= {STR, NULL}:
                return f"({cn} in ({ch} or ''))", env
        (cn, ch), env = self.sequence([needle, haystack], env)
        return f"_in({cn}, {ch})", env

    def _missing_keys(self, args: Sequence[Node]) -> list[str] | None:
        if len(args) == 1 and isinstance(args[0], Const) and isinstance(args[0].value, list):
            keys: list[Any] = args[0].value
        elif args and all(isinstance(a, Const) for a in args):
            keys = [a.value for a in args if isinstance(a, Const)]
        else:
            return None
        return keys if all(type(k) is str and k for k in keys) else None

    def missing_test(self, keys: list[str], env: Env) -> tuple[str, Env]:
        if not keys:
            return "False", env
        parts, env_first = [], None
        for key in keys:
            code, kinds, env = self.field(key, env)
            if kinds is not None and kinds <= {STR, NULL}:
                parts.append(f"(not {code})")
            elif kinds is not None and STR not in kinds:
                parts.append(f"({code} is None)")
            else:
                first, again = self.twice(code)
                parts.append(f"({first} is None or {again} == '')")
            env_first = env if env_first is None else env_first
        assert env_first is not None
        return (parts[0] if len(parts) == 1 else f"({' or '.join(parts)})"), env_first

    def extra(self, node: Extra, env: Env, test: bool) -> tuple[str, Env]:
        codes = []
        for arg, prepared in zip(node.args, node.prepared, strict=True):
            if prepared is DYNAMIC:
                code, env = self.value(arg, env)
            else:
                code = self.const(prepared, "_re" if isinstance(prepared, _PATTERNS) else "_c")
            codes.append(code)
        function = node.operator.function
        if (
            function is MATCHES
            and len(codes) == 2
            and isinstance(node.prepared[1], _PATTERNS)
            and (subject := self.kinds(node.args[0])) is not None
            and subject <= {STR}
        ):
            search = f"{codes[1]}.search({codes[0]})"
            return (search if test else f"({search} is not None)"), env
        call = f"{self.const(function, '_op')}({', '.join(codes)})"
        return (f"_truthy({call})" if test and function not in BOOL_FUNCTIONS else call), env
