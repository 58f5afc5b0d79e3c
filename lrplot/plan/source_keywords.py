"""The installed torch's scheduler signatures, read from its source files without importing torch.

A keyword expression (``T_max: "total_step - 500"``) is an int or a float as the keyword's
parameter says (lrplot.plan.run_numbers.numeric_kind): torch 2.4 leaves ``eta_min``
unannotated with the default ``0`` (an int), 2.8 annotates it ``float``. The torch path reads
that from ``inspect.signature``; the torch-free planner reads the same from the parsed
sources lrplot.plan.releases fingerprints, so both evaluate an expression alike on every
release (tests/test_free_expressions.py compares the two on each installed torch).
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import math
import operator
from typing import Any

from lrplot.plan import releases
from lrplot.plan.classes import SUPPLIED

Parameters = dict[str, inspect.Parameter]


def parameters(kind: str) -> Parameters | None:
    """``kind``'s ``__init__`` keywords as the installed torch's source declares them (the
    annotation as its text, a literal default as its value), or None when not readable.

    The sources are parsed once per torch (lrplot.plan.releases.from_sources keeps the
    signatures, as JSON, in the user's cache folder); later runs only read them back.
    """
    folder = releases.torch_folder()
    if folder is None:
        return None
    found = releases.from_sources(folder, "signatures", _signatures_json, __file__)
    if not isinstance(found, dict):
        return None
    return _decoded(kind, json.dumps(found.get(kind)))


@functools.cache
def _decoded(kind: str, text: str) -> Parameters | None:
    """The Parameters of one class's JSON signature (None when the sources have no such class)."""
    listed = json.loads(text)
    if not isinstance(listed, list):
        return None
    result: Parameters = {}
    for entry in listed:
        name, annotation, default = entry
        result[name] = inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=_from_json(default),
            annotation=_NO_DEFAULT if annotation is None else annotation,
        )
    return result


def _signatures_json(trees: tuple[ast.Module, ...]) -> dict[str, Any]:
    """Every class's ``__init__`` keywords as JSON: [name, annotation text or None, default]."""
    return {
        kind: [[name, _annotation_json(p.annotation), _to_json(p.default)] for name, p in signature.items()]
        for kind, signature in _classes(trees).items()
    }


def _annotation_json(annotation: Any) -> str | None:
    return None if annotation is _NO_DEFAULT else str(annotation)


def _to_json(value: Any) -> Any:
    """A default as JSON that :func:`_from_json` reads back as the same value (type included)."""
    if value is _NO_DEFAULT:
        return {"empty": True}
    if value is None or isinstance(value, (bool, str)):
        return {"value": value}
    if isinstance(value, (int, float)):
        return {"value": value} if isinstance(value, int) or math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (tuple, list)):
        return {"tuple" if isinstance(value, tuple) else "list": [_to_json(v) for v in value]}
    return {"unreadable": True}


def _from_json(data: Any) -> Any:
    if not isinstance(data, dict):
        return _Unreadable()
    if "empty" in data:
        return _NO_DEFAULT
    if "value" in data:
        return data["value"]
    if "float" in data:
        return float(data["float"])
    for kind, build in (("tuple", tuple), ("list", list)):
        if isinstance(data.get(kind), list):
            return build(_from_json(v) for v in data[kind])
    return _Unreadable()


@functools.cache
def _classes(trees: tuple[ast.Module, ...]) -> dict[str, Parameters]:
    found: dict[str, Parameters] = {}
    for tree in trees:
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            init = next(
                (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
            )
            if init is not None:
                signature = _signature(init.args)
                if signature is not None:
                    found[node.name] = signature
    return found


_NO_DEFAULT = inspect.Parameter.empty


def _signature(args: ast.arguments) -> Parameters | None:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Any] = [_NO_DEFAULT] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, [d if d is not None else _NO_DEFAULT for d in args.kw_defaults], strict=True),
    ]
    result: Parameters = {}
    for arg, default in pairs:
        if arg.arg in SUPPLIED:
            continue
        value = _NO_DEFAULT
        if default is not _NO_DEFAULT:
            value = _default(default)
        annotation = ast.unparse(arg.annotation) if arg.annotation is not None else _NO_DEFAULT
        result[arg.arg] = inspect.Parameter(
            arg.arg, inspect.Parameter.KEYWORD_ONLY, default=value, annotation=annotation
        )
    return result


_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}


def _default(node: ast.expr) -> Any:
    """A default's value: a literal, or arithmetic on numbers (``factor=1.0 / 3`` in torch 2.4);
    anything else is no number (an object the source computes)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _default(node.left), _default(node.right)
        if _is_number(left) and _is_number(right):
            try:
                return _ARITHMETIC[type(node.op)](left, right)
            except ArithmeticError:
                return _Unreadable()
        return _Unreadable()
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _default(node.operand)
        if _is_number(operand):
            return -operand if isinstance(node.op, ast.USub) else +operand
        return _Unreadable()
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _Unreadable()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Unreadable:
    """A default the source computes (numeric_kind takes it as no number, as torch's own object
    would be no int or float)."""
