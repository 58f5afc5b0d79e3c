"""The calls the Python-config reader evaluates: ``dict(...)``, pure builtins and ``math``.

Each is computed by lrplot on plain values it already read, so no code from the file
runs; any other call leaves the value unread (see :class:`~lrplot.read.python_eval.Unreadable`).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

from lrplot.errors import LrplotError
from lrplot.expressions import ALLOWED_FUNCTIONS, safe_round
from lrplot.read.python.values import (
    Evaluating,
    ImportedName,
    Lines,
    Skip,
    Unreadable,
    failure,
    prefixed,
    short,
)

MAX_NUMBER_TEXT = 40  # characters of a string passed to int() or float()
# The numeric math functions lrplot's expressions allow (nothing that iterates or grows unbounded).
MATH_FUNCTIONS = frozenset(n for n in ALLOWED_FUNCTIONS if hasattr(math, n)) - {
    "min",
    "max",
    "abs",
    "round",
    "int",
    "float",
}


def _number_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise Skip(f"converting a {len(value)}-character string to a number is not read by lrplot")
    return value


def _sequence(value: Any) -> Any:
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple, str)):
        return value
    raise Skip(f"converting a {type(value).__name__} is not read by lrplot")


def _numbers(args: list[Any]) -> list[Any]:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    if not values or not all(isinstance(v, (int, float)) for v in values):
        raise Skip("min/max/sum of anything but numbers is not read by lrplot")
    return values


def _text(value: Any) -> str:
    if not isinstance(value, (str, int, float, bool, type(None))):
        raise Skip(f"str() of a {type(value).__name__} is not read by lrplot")
    return str(value)


_BUILTINS: dict[str, Callable[[list[Any]], Any]] = {
    "list": lambda a: list(_sequence(*a)),
    "tuple": lambda a: tuple(_sequence(*a)),
    "int": lambda a: int(*(_number_text(v) for v in a)),
    "float": lambda a: float(*(_number_text(v) for v in a)),
    "str": lambda a: _text(*a),
    "bool": lambda a: bool(*a),
    "abs": lambda a: abs(*a),
    "round": lambda a: safe_round(*a),  # |ndigits| bounded as in expressions
    "len": lambda a: len(*a),
    "min": lambda a: min(_numbers(a)),
    "max": lambda a: max(_numbers(a)),
    "sum": lambda a: sum(_numbers(a)),
}


def call(evaluator: Evaluating, node: ast.Call, depth: int) -> tuple[Any, Lines]:
    """Evaluate an allowed call, or raise Skip naming the call that is not read."""
    function = node.func
    if isinstance(function, ast.Name) and function.id not in evaluator.names:
        if function.id == "dict":
            return _dict_call(evaluator, node, depth)
        builtin = _BUILTINS.get(function.id)
        if builtin is not None:
            return _apply(evaluator, node, builtin, _arguments(evaluator, node, depth)), {}
    if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
        module, _ = evaluator.lookup(function.value)
        if isinstance(module, ImportedName) and module.dotted == "math" and function.attr in MATH_FUNCTIONS:
            math_function = getattr(math, function.attr)
            return _apply(
                evaluator, node, lambda a: math_function(*a), _arguments(evaluator, node, depth)
            ), {}
    raise Skip(f"calling {short(function)}() is not read by lrplot, which runs no code from configs")


def _arguments(evaluator: Evaluating, node: ast.Call, depth: int) -> list[Any]:
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise Skip(f"keyword or * arguments to {short(node.func)}() are not read by lrplot")
    return [evaluator.scalar(arg, depth) for arg in node.args]


def _apply(
    evaluator: Evaluating, node: ast.Call, function: Callable[[list[Any]], Any], args: list[Any]
) -> Any:
    try:
        return function(args)
    except (ArithmeticError, TypeError, ValueError) as exc:
        evaluator.refuse(node, f"{short(node)!r} fails in Python too ({failure(exc)})")
    except LrplotError as error:  # a bound shared with expressions (round's ndigits)
        evaluator.refuse(node, f"{short(node)!r}: {error.message}")


def _dict_call(evaluator: Evaluating, node: ast.Call, depth: int) -> tuple[Any, Lines]:
    """``dict(mapping_or_pairs, key=value, **other)`` with the line of every key."""
    result: dict[Any, Any] = {}
    lines: Lines = {}
    if len(node.args) > 1 or any(isinstance(arg, ast.Starred) for arg in node.args):
        evaluator.refuse(node, "dict() takes at most one positional argument (Python would fail too)")
    if node.args:
        first, first_lines = evaluator.evaluate(node.args[0], depth)
        if isinstance(first, Unreadable):
            raise Skip(first.reason)
        if isinstance(first, dict):
            evaluator.merge_into(result, lines, first, first_lines, node.args[0])
        elif isinstance(first, (list, tuple)) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in first
        ):
            for key, value in first:
                result[key] = value
                lines[(key,)] = (evaluator.name, node.args[0].lineno)
        else:
            raise Skip(f"dict() of a {type(first).__name__} is not read by lrplot")
    for keyword in node.keywords:
        value, value_lines = evaluator.item(keyword.value, depth)
        if keyword.arg is None:
            evaluator.merge_into(result, lines, value, value_lines, keyword.value)
            continue
        result[keyword.arg] = value
        lines = {path: origin for path, origin in lines.items() if path[:1] != (keyword.arg,)}
        lines[(keyword.arg,)] = (evaluator.name, keyword.lineno)
        lines.update(prefixed(value_lines, keyword.arg))
    return result, lines
