"""Expressions of sweep specs (filter, derived): arithmetic and comparisons over dotted parameter names, nothing else;
parsed once into closures, never evaluated with ``eval``.

Bounded before and during evaluation, so no spec can hang or exhaust memory: the text is at most
:data:`MAX_CHARS` characters, its tree at most :data:`MAX_DEPTH` deep and :data:`MAX_NODES` nodes (checked without
recursion, before any closure is built); every intermediate integer is at most :data:`MAX_BITS` bits (about a
float's range, 1.8e308) and every string or list at most :data:`MAX_LENGTH` long. The operations whose result can
outgrow their operands (``a ** b``, ``s * n``, ``round(x, n)``) are refused from the operands' sizes before they
run. Subtrees without parameter names are evaluated once, when the expression is made. Every refusal is one line
naming the expression (cut when long) and the rule.

Light (no design model, no kernel): :func:`precheck_spec` checks a spec's expressions as soon as its TOML is read.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from .errors import ParameterError

MAX_CHARS = 2_000
"""Longest expression text (characters)."""
MAX_DEPTH = 100
"""Deepest expression tree (a sum of n terms is n deep)."""
MAX_NODES = 1_000
"""Most nodes of an expression tree."""
MAX_BITS = 1_024
"""Largest intermediate integer, in bits (2**1024 is just past the largest float)."""
MAX_LENGTH = 10_000
"""Longest intermediate string or list."""
MAX_NDIGITS = 308
"""Largest ``ndigits`` magnitude of ``round`` (a float's decimal range)."""


def num(v: Any) -> str:
    """A value for a message: floats as %g, integers of more than 64 bits by their size (never their digits)."""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 64:
        return f"an integer of {v.bit_length()} bits"
    return repr(v)


def rounded(v: float) -> float:
    """Floats of computed values rounded to 12 significant digits: 0.1 + 0.2 is 0.3, hashes stay stable."""
    return float(f"{v:.12g}")


def shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, control characters escaped, cut to about ``limit`` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit - 20]!r}... ({len(text)} characters)"


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _size(v: Any) -> tuple[str, int, int] | None:
    """(what, size, limit) of a value that has a size rule, None otherwise."""
    if _int(v):
        return "integer", v.bit_length(), MAX_BITS
    if isinstance(v, (str, list, tuple)):
        return type(v).__name__, len(v), MAX_LENGTH
    return None


_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}


_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


_FUNCS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max, "round": round, "sqrt": math.sqrt}


_CONTEXT = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
"""Tree nodes that are markers of their parent (Load, Add, ...), not counted as nodes."""


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` of a Name/Attribute chain, without recursion; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def tree_rule(root: ast.AST) -> str | None:
    """The rule an expression tree breaks (deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES` nodes), or
    None; walked with a stack, so a tree of any depth is measured without recursion."""
    stack, nodes = [(root, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} levels deep"
        if nodes > MAX_NODES:
            return f"has more than {MAX_NODES} terms"
        stack.extend((c, depth + 1) for c in ast.iter_child_nodes(node) if not isinstance(c, _CONTEXT))
    return None


class Expression:
    """A safe expression such as ``solder_balls.diameter < 0.9 * solder_balls.pitch``: numbers, strings, dotted
    parameter names, + - * / // % **, comparisons, and/or/not, ``x if c else y``, abs/min/max/round/sqrt."""

    def __init__(self, text: str, where: str):
        self.text, self.where = text, where
        if len(text) > MAX_CHARS:
            raise self._refuse(f"is longer than the {MAX_CHARS} characters allowed")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise self._refuse(f"is not a valid expression: {e.msg}") from None
        except ValueError as e:  # a NUL character (Python 3.11)
            raise self._refuse(f"is not a valid expression: {e}") from None
        except (RecursionError, MemoryError):
            raise self._refuse(f"is nested too deeply to parse (at most {MAX_DEPTH} levels)") from None
        broken = tree_rule(tree.body)
        if broken:
            raise self._refuse(broken)
        self.names: list[str] = []
        self._fn = self._compile(tree.body)

    def _refuse(self, rule: str) -> ParameterError:
        return ParameterError(f"{self.where} {shown(self.text)} {rule}")

    def _bad(self, what: str) -> ParameterError:
        return self._refuse(f"uses {what}, which is not allowed: only numbers, parameter names, arithmetic, "
                            "comparisons, and/or/not and abs/min/max/round/sqrt")

    def _bounded(self, v: Any) -> Any:
        """``v`` when within the size rules; else the refusal."""
        size = _size(v)
        if size is not None and size[1] > size[2]:
            what, n, limit = size
            unit = "bits" if what == "integer" else "items" if what != "str" else "characters"
            raise self._refuse(f"makes {'an' if what == 'integer' else 'a'} {what} of {n} {unit}, more than the "
                               f"{limit} allowed")
        return v

    def _power(self, x: Any, y: Any) -> Any:
        """``x ** y``, refused first when the result would pass :data:`MAX_BITS` (about bits(x) * y bits)."""
        if _int(x) and _int(y) and y > 0 and abs(x) > 1 and (abs(x).bit_length() - 1) * y > MAX_BITS:
            raise self._refuse(f"raises {num(x)} to the power {num(y)}: the result would pass {MAX_BITS} bits")
        return x**y

    def _times(self, x: Any, y: Any) -> Any:
        """``x * y``, a string or list repeated only up to :data:`MAX_LENGTH`."""
        for seq, n in ((x, y), (y, x)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_LENGTH:
                raise self._refuse(f"repeats a {type(seq).__name__} of {len(seq)} {num(n)} times: more than "
                                   f"{MAX_LENGTH} long")
        return x * y

    def _modulo(self, x: Any, y: Any) -> Any:
        """``x % y`` of numbers only: ``"%.999999999f" % 1`` would format a string of a billion characters."""
        if isinstance(x, (str, bytes)):
            raise self._refuse("formats a string with %, which is not allowed")
        return x % y

    def _round(self, *args: Any) -> Any:
        """``round(x[, n])`` with ``|n| <= MAX_NDIGITS`` (``round(1, -10**9)`` would compute 10**(10**9))."""
        if len(args) == 2 and _int(args[1]) and abs(args[1]) > MAX_NDIGITS:
            raise self._refuse(f"rounds to {num(args[1])} digits: round's ndigits must lie within "
                               f"+-{MAX_NDIGITS}")
        return round(*args)

    def _compile(self, n: ast.AST) -> Callable[[Callable[[str], Any]], Any]:
        """The closure of node ``n``; a subtree without parameter names is evaluated here, once (constant
        folding), so a hostile constant such as ``10**10**10`` is refused when the spec is read."""
        before = len(self.names)
        fn = self._closure(n)
        if len(self.names) > before or isinstance(n, ast.Constant):
            return fn
        v = self._evaluate(fn, None)
        return lambda get: v

    def _closure(self, n: ast.AST) -> Callable[[Callable[[str], Any]], Any]:
        c, bounded = self._compile, self._bounded
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float, str, bool)):
            v = bounded(n.value)
            return lambda get: v
        name = _dotted(n)
        if name is not None:
            if name in ("True", "False"):
                return (lambda get: True) if name == "True" else (lambda get: False)
            self.names.append(name)
            return lambda get: bounded(get(name))
        if isinstance(n, ast.BinOp) and type(n.op) in _BIN:
            op = {ast.Pow: self._power, ast.Mult: self._times, ast.Mod: self._modulo}.get(type(n.op),
                                                                                         _BIN[type(n.op)])
            a, b = c(n.left), c(n.right)
            return lambda get: bounded(op(a(get), b(get)))
        if isinstance(n, ast.UnaryOp) and type(n.op) in _UNARY:
            op, a = _UNARY[type(n.op)], c(n.operand)
            return lambda get: op(a(get))
        if isinstance(n, ast.BoolOp):
            parts = [c(v) for v in n.values]
            if isinstance(n.op, ast.And):
                return lambda get: all(p(get) for p in parts)
            return lambda get: any(p(get) for p in parts)
        if isinstance(n, ast.Compare) and all(type(o) in _CMP for o in n.ops):
            first, ops, rest = c(n.left), [_CMP[type(o)] for o in n.ops], [c(v) for v in n.comparators]

            def compare(get):
                left = first(get)
                for op, r in zip(ops, rest, strict=True):
                    right = r(get)
                    if not op(left, right):
                        return False
                    left = right
                return True
            return compare
        if isinstance(n, ast.IfExp):
            t, body, other = c(n.test), c(n.body), c(n.orelse)
            return lambda get: body(get) if t(get) else other(get)
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _FUNCS and not n.keywords):
            fn = self._round if n.func.id == "round" else _FUNCS[n.func.id]
            args = [c(a) for a in n.args]
            return lambda get: bounded(fn(*(a(get) for a in args)))
        if isinstance(n, (ast.BinOp, ast.UnaryOp)):
            raise self._bad(f"the operator {type(n.op).__name__}")
        if isinstance(n, ast.Compare):
            raise self._bad(f"the comparison {next(type(o).__name__ for o in n.ops if type(o) not in _CMP)}")
        raise self._bad(type(n).__name__)

    def __call__(self, get: Callable[[str], Any]) -> Any:
        return self._evaluate(self._fn, get)

    def _evaluate(self, fn: Callable[[Any], Any], get: Any) -> Any:
        try:
            return fn(get)
        except ParameterError:
            raise
        except Exception as e:  # noqa: BLE001 - any evaluation error is a bad spec
            raise self._refuse(f"cannot be evaluated: {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None

    def value(self, get: Callable[[str], Any], name: str) -> Any:
        """The value of a derived parameter ``name``: a finite number (integers are within :data:`MAX_BITS` by
        then), a string or a bool; refused by the parameter's name otherwise (inf, nan)."""
        v = self(get)
        if isinstance(v, (bool, int, str)) or (isinstance(v, float) and math.isfinite(v)):
            return v
        raise ParameterError(f"derived.{name} = {shown(self.text)} gives {num(v)}: a derived value must be a "
                             "finite number")


def precheck_spec(data: Mapping[str, Any]) -> None:
    """Check the ``filter`` and ``derived`` expressions of a sweep spec as read from TOML (before any design model or
    the kernel is loaded): every rule of :class:`Expression`, and each derived expression without parameter names
    evaluated to a finite value. Raises :class:`ParameterError` naming the first expression refused; values of
    other types are left to the spec's validation."""
    if isinstance(data.get("filter"), str):
        Expression(data["filter"], "filter")
    stack = [("", data.get("derived"))]
    while stack:
        prefix, table = stack.pop()
        if not isinstance(table, Mapping):
            continue
        for key, text in table.items():
            path = f"{prefix}{key}"
            if isinstance(text, Mapping):
                stack.append((f"{path}.", text))
            elif isinstance(text, str):
                e = Expression(text, f"derived.{path}")
                if not e.names:
                    e.value(lambda name: None, path)
