"""Expressions of sweep specs (filter, derived): arithmetic and comparisons over dotted parameter names, nothing else;
parsed once into closures, never evaluated with ``eval``."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from ..core.params import ParameterError


def num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else repr(v)


def rounded(v: float) -> float:
    """Floats of computed values rounded to 12 significant digits: 0.1 + 0.2 is 0.3, hashes stay stable."""
    return float(f"{v:.12g}")


_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}


_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


_FUNCS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max, "round": round, "sqrt": math.sqrt}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


class Expression:
    """A safe expression such as ``solder_balls.diameter < 0.9 * solder_balls.pitch``: numbers, strings, dotted
    parameter names, + - * / // % **, comparisons, and/or/not, ``x if c else y``, abs/min/max/round/sqrt."""

    def __init__(self, text: str, where: str):
        self.text, self.where = text, where
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ParameterError(f"{where} {text!r} is not a valid expression: {e.msg}") from None
        self.names: list[str] = []
        self._fn = self._compile(tree.body)

    def _bad(self, what: str) -> ParameterError:
        return ParameterError(f"{self.where} {self.text!r} uses {what}, which is not allowed: only numbers, "
                              "parameter names, arithmetic, comparisons, and/or/not and abs/min/max/round/sqrt")

    def _compile(self, n: ast.AST) -> Callable[[Callable[[str], Any]], Any]:
        c = self._compile
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float, str, bool)):
            v = n.value
            return lambda get: v
        name = _dotted(n)
        if name is not None:
            if name in ("True", "False"):
                return (lambda get: True) if name == "True" else (lambda get: False)
            self.names.append(name)
            return lambda get: get(name)
        if isinstance(n, ast.BinOp) and type(n.op) in _BIN:
            op, a, b = _BIN[type(n.op)], c(n.left), c(n.right)
            if isinstance(n.op, ast.Pow):
                def power(get):
                    x, y = a(get), b(get)
                    if abs(y) > 64:
                        raise ParameterError(f"{self.where} {self.text!r}: exponent {num(y)} is too large")
                    return x**y
                return power
            return lambda get: op(a(get), b(get))
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
            fn, args = _FUNCS[n.func.id], [c(a) for a in n.args]
            return lambda get: fn(*(a(get) for a in args))
        raise self._bad(type(n).__name__)

    def __call__(self, get: Callable[[str], Any]) -> Any:
        try:
            return self._fn(get)
        except ParameterError:
            raise
        except Exception as e:  # noqa: BLE001 - any evaluation error is a bad spec
            raise ParameterError(f"{self.where} {self.text!r} cannot be evaluated: {type(e).__name__}: {e}") from None
