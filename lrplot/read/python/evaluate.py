"""Expressions of a Python config evaluated as data: literals, arithmetic, indexing, names.

Each ``value_<Node>`` method returns the value and the lines of the keys inside it, or
raises :class:`~lrplot.read.python.values.Skip` for what lrplot does not read. A result
that would be a huge integer or sequence is refused before it is computed, and an
operation that fails in Python too (``1 / 0``) is refused with its line.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any, NoReturn

from lrplot.errors import LrplotError
from lrplot.expressions import MAX_INT_BITS
from lrplot.read.python.calls import call
from lrplot.read.python.values import (
    MAX_DEPTH,
    MAX_SEQUENCE,
    SCALARS,
    ImportedName,
    Lines,
    Skip,
    StringHook,
    Unreadable,
    below,
    describe,
    failure,
    hashable,
    prefixed,
    short,
)

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip
MATH_CONSTANTS = ("pi", "e", "tau", "inf", "nan")


class Evaluator:
    """Evaluates expressions against ``names`` (each name's value and the lines inside it)."""

    def __init__(
        self,
        name: str,
        names: dict[str, tuple[Any, Lines]] | None = None,
        *,
        string_hook: StringHook | None = None,
        attribute_roots: frozenset[str] = frozenset(),
    ) -> None:
        self.name = name
        self.names: dict[str, tuple[Any, Lines]] = dict(names or {})
        self.string_hook = string_hook  # may replace a string constant (mmengine's {{_base_.x}})
        self.attribute_roots = attribute_roots  # names whose dicts allow ``a.b`` (mmengine's _base_)

    def where(self, node: ast.AST) -> str:
        return f"{self.name}:{getattr(node, 'lineno', 0)}"

    def refuse(self, node: ast.AST, message: str) -> NoReturn:
        raise LrplotError(message, where=self.where(node))

    def lookup(self, node: ast.Name) -> tuple[Any, Lines]:
        if node.id in self.names:
            return self.names[node.id]
        return Unreadable(f"name {node.id!r} is not defined before line {node.lineno}", self.where(node)), {}

    def evaluate(self, node: ast.expr, depth: int) -> tuple[Any, Lines]:
        """The value of an expression and the lines of the keys inside it; raises Skip."""
        if depth > MAX_DEPTH:
            self.refuse(node, f"the value is nested too deeply (limit {MAX_DEPTH} levels)")
        method = getattr(self, f"value_{type(node).__name__}", None)
        if method is None:
            raise Skip(f"{describe(node)} is not read by lrplot")
        return method(node, depth + 1)

    def scalar(self, node: ast.expr, depth: int) -> Any:
        """A value that must have been read (an operand): Unreadable becomes Skip."""
        value, _ = self.evaluate(node, depth)
        if isinstance(value, Unreadable):
            raise Skip(value.reason)
        if isinstance(value, ImportedName):
            raise Skip(f"uses the imported {value.dotted}, which lrplot does not import")
        return value

    def item(self, node: ast.expr, depth: int) -> tuple[Any, Lines]:
        """A container element: one lrplot does not read becomes Unreadable in place."""
        try:
            return self.evaluate(node, depth)
        except Skip as skip:
            return Unreadable(skip.reason, self.where(node)), {}

    def value_Constant(self, node: ast.Constant, depth: int) -> tuple[Any, Lines]:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            self.refuse(
                node, f"an integer of {value.bit_length():,} bits is too large (limit {MAX_INT_BITS:,})"
            )
        if isinstance(value, str) and self.string_hook is not None:
            replaced = self.string_hook(value, (self.name, node.lineno))
            if replaced is not None:
                return replaced
        if not isinstance(value, SCALARS):
            raise Skip(f"a {type(value).__name__} literal is not read by lrplot")
        return value, {}

    def value_Name(self, node: ast.Name, depth: int) -> tuple[Any, Lines]:
        return self.lookup(node)

    def value_Dict(self, node: ast.Dict, depth: int) -> tuple[Any, Lines]:
        result: dict[Any, Any] = {}
        lines: Lines = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            value, value_lines = self.item(value_node, depth)
            if key_node is None:  # {**other}
                self.merge_into(result, lines, value, value_lines, value_node)
                continue
            key = self.scalar(key_node, depth)
            if not hashable(key):
                raise Skip(f"a dict key of type {type(key).__name__} is not read by lrplot")
            self.put(result, lines, key, value, value_lines, key_node.lineno)
        return result, lines

    def put(self, result: dict, lines: Lines, key: Any, value: Any, value_lines: Lines, line: int) -> None:
        """``result[key] = value``, replacing the lines an earlier value of the key left."""
        result[key] = value
        for path in [p for p in lines if p[:1] == (key,)]:
            del lines[path]
        lines[(key,)] = (self.name, line)
        lines.update(prefixed(value_lines, key))

    def merge_into(self, result: dict, lines: Lines, value: Any, value_lines: Lines, node: ast.expr) -> None:
        """``{**value}`` / ``dict(**value)``."""
        if isinstance(value, Unreadable):
            raise Skip(value.reason)
        if not isinstance(value, dict):
            self.refuse(node, f"** needs a mapping, got {type(value).__name__} (Python would fail too)")
        for key, item in value.items():
            result[key] = item
            for path in [p for p in lines if p[:1] == (key,)]:
                del lines[path]
            lines.update({path: origin for path, origin in value_lines.items() if path[:1] == (key,)})

    def value_List(self, node: ast.List, depth: int) -> tuple[Any, Lines]:
        return self.sequence(node.elts, depth)

    def value_Tuple(self, node: ast.Tuple, depth: int) -> tuple[Any, Lines]:
        items, lines = self.sequence(node.elts, depth)
        return tuple(items), lines

    def sequence(self, elements: list[ast.expr], depth: int) -> tuple[list[Any], Lines]:
        items: list[Any] = []
        lines: Lines = {}
        for element in elements:
            if isinstance(element, ast.Starred):
                spread = self.scalar(element.value, depth)
                if not isinstance(spread, (list, tuple)):
                    raise Skip("*unpacking of anything but a list or tuple is not read by lrplot")
                items.extend(spread)
                continue
            value, value_lines = self.item(element, depth)
            lines[(len(items),)] = (self.name, element.lineno)
            lines.update(prefixed(value_lines, len(items)))
            items.append(value)
        if len(items) > MAX_SEQUENCE:
            self.refuse(elements[0], f"a list of over {MAX_SEQUENCE:,} items; refused")
        return items, lines

    def value_Attribute(self, node: ast.Attribute, depth: int) -> tuple[Any, Lines]:
        base, lines = self.evaluate(node.value, depth)
        if isinstance(base, ImportedName):
            if base.dotted == "math" and node.attr in MATH_CONSTANTS:
                return getattr(math, node.attr), {}
            return ImportedName(f"{base.dotted}.{node.attr}"), {}
        if isinstance(base, Unreadable):
            raise Skip(base.reason)
        if _root_name(node) in self.attribute_roots and isinstance(base, dict):
            if node.attr not in base:
                self.refuse(node, f"'{short(node)}' is not defined in the inherited configs")
            return base[node.attr], below(lines, node.attr)
        raise Skip(f"attribute access ('{short(node)}') is not read by lrplot")

    def value_Subscript(self, node: ast.Subscript, depth: int) -> tuple[Any, Lines]:
        base, lines = self.evaluate(node.value, depth)
        if isinstance(base, Unreadable):
            raise Skip(base.reason)
        if isinstance(base, ImportedName):
            raise Skip(f"uses the imported {base.dotted}, which lrplot does not import")
        if isinstance(node.slice, ast.Slice):
            return self.sliced(base, node.slice, depth, node), {}
        key = self.scalar(node.slice, depth)
        if isinstance(base, dict) and hashable(key):
            if key not in base:
                self.refuse(node, f"key {key!r} is not in the dict (Python would fail too)")
            return base[key], below(lines, key)
        if isinstance(base, (list, tuple, str)) and isinstance(key, int) and not isinstance(key, bool):
            if not -len(base) <= key < len(base):
                self.refuse(node, f"index {key} is out of range (Python would fail too)")
            return base[key], below(lines, key % len(base))
        raise Skip(f"indexing a {type(base).__name__} is not read by lrplot")

    def sliced(self, base: Any, part: ast.Slice, depth: int, node: ast.AST) -> Any:
        bounds = [None if b is None else self.scalar(b, depth) for b in (part.lower, part.upper, part.step)]
        plain = all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds)
        if not isinstance(base, (list, tuple, str)) or not plain:
            raise Skip("this slice is not read by lrplot")
        if bounds[2] == 0:
            self.refuse(node, "slice step cannot be zero (Python would fail too)")
        return base[slice(*bounds)]

    def value_UnaryOp(self, node: ast.UnaryOp, depth: int) -> tuple[Any, Lines]:
        operand = self.scalar(node.operand, depth)
        if isinstance(node.op, ast.Not):
            return not operand, {}
        if not isinstance(operand, (int, float)) or isinstance(node.op, ast.Invert):
            raise Skip(f"'{short(node)}' is not read by lrplot")
        return (-operand if isinstance(node.op, ast.USub) else +operand), {}

    def value_BinOp(self, node: ast.BinOp, depth: int) -> tuple[Any, Lines]:
        function = _BINARY.get(type(node.op))
        if function is None:
            raise Skip(f"operator {type(node.op).__name__} is not read by lrplot")
        left, right = self.scalar(node.left, depth), self.scalar(node.right, depth)
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            raise Skip("%-formatting is not read by lrplot")
        self.check_size(node, left, right)
        try:
            result = function(left, right)
        except (ArithmeticError, TypeError, ValueError) as exc:
            self.refuse(node, f"{short(node)!r} fails in Python too ({failure(exc)})")
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            self.refuse(node, f"{short(node)!r} is an integer over {MAX_INT_BITS:,} bits; refused")
        return result, {}

    def check_size(self, node: ast.BinOp, left: Any, right: Any) -> None:
        """Refuse, before computing, results that would be huge integers or sequences."""
        too_big = f"{short(node)!r} would be an integer over {MAX_INT_BITS:,} bits; refused"
        ints = all(isinstance(v, int) for v in (left, right))
        # right * (bits - 1) is a lower bound of the power's size
        if (
            isinstance(node.op, ast.Pow)
            and ints
            and right > 1
            and right * (abs(left).bit_length() - 1) > MAX_INT_BITS
        ):
            self.refuse(node, too_big)
        if isinstance(node.op, ast.Mult):
            if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                self.refuse(node, too_big)
            for sequence, count in ((left, right), (right, left)):
                repeated = isinstance(sequence, (str, list, tuple)) and isinstance(count, int)
                if repeated and len(sequence) * max(count, 0) > MAX_SEQUENCE:
                    self.refuse(node, f"{short(node)!r} would have over {MAX_SEQUENCE:,} items; refused")
        joined = isinstance(left, (str, list, tuple)) and isinstance(right, type(left))
        if isinstance(node.op, ast.Add) and joined and len(left) + len(right) > MAX_SEQUENCE:
            self.refuse(node, f"{short(node)!r} would have over {MAX_SEQUENCE:,} items; refused")

    def value_BoolOp(self, node: ast.BoolOp, depth: int) -> tuple[Any, Lines]:
        result: Any = None
        for value_node in node.values:
            result = self.scalar(value_node, depth)
            if (isinstance(node.op, ast.And) and not result) or (isinstance(node.op, ast.Or) and result):
                break
        return result, {}

    def value_Compare(self, node: ast.Compare, depth: int) -> tuple[Any, Lines]:
        left = self.scalar(node.left, depth)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.scalar(right_node, depth)
            if isinstance(op, (ast.Is, ast.IsNot)):
                if left is not None and right is not None:
                    raise Skip("'is' between values other than None is not read by lrplot")
                outcome = (left is right) == isinstance(op, ast.Is)
            else:
                try:
                    outcome = _COMPARE[type(op)](left, right)
                except TypeError as exc:
                    self.refuse(node, f"{short(node)!r} fails in Python too ({failure(exc)})")
            if not outcome:
                return False, {}
            left = right
        return True, {}

    def value_IfExp(self, node: ast.IfExp, depth: int) -> tuple[Any, Lines]:
        return self.evaluate(node.body if self.scalar(node.test, depth) else node.orelse, depth)

    def value_Call(self, node: ast.Call, depth: int) -> tuple[Any, Lines]:
        return call(self, node, depth)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
