"""What a detectron2 LazyConfig's values are beyond plain data, and calls of the functions it defines.

:class:`ConfigDict` marks the dicts detectron2 holds as ``omegaconf.DictConfig`` (attribute
access works on them, not on a plain dict the file writes); :class:`Function` is a function
the config defines, evaluated by :func:`call_function` when the config calls it: its body
read as data in a scope of its own (assignments, ``if``/``else`` on readable tests,
``return``), never run. Used by :mod:`lrplot.read.python.lazy`.
"""

from __future__ import annotations

import ast
from typing import Any

from lrplot.errors import LrplotError
from lrplot.read.python.values import MAX_DEPTH, MAX_VALUES, Lines, Skip, describe

MAX_CALL_DEPTH = 8  # calls of the config's own functions inside each other
MAX_CALLS = 1_000  # calls of the config's own functions in one config, all files together


class ConfigDict(dict):
    """A dict detectron2 holds as an ``omegaconf.DictConfig``: ``a.b`` reads and sets its keys.

    ``LazyCall(X)(...)`` makes one, as does importing a dict from another config file
    (``_cast_to_config``) and ``model_zoo.get_config``; a dict the file itself writes
    (``train = dict(max_iter=10)``) stays a plain dict, whose ``train.max_iter`` Python refuses.
    """


class ConfigList(list):
    """A list detectron2 holds as an ``omegaconf.ListConfig``: ``+`` joins, ``*`` fails as OmegaConf's does.

    ``[m * 2 for m in milestones]`` and ``milestones + [x]`` work on it; ``milestones * 2``
    raises TypeError in OmegaConf 2.3 (``ListConfig`` has no ``__mul__``), so it does here too.
    """

    def __add__(self, other: Any) -> Any:
        return ConfigList(list(self) + other) if isinstance(other, list) else NotImplemented

    def __radd__(self, other: Any) -> Any:
        return ConfigList(other + list(self)) if isinstance(other, list) else NotImplemented

    def __mul__(self, other: Any) -> Any:
        raise TypeError(f"unsupported operand type(s) for *: 'ListConfig' and '{type(other).__name__}'")

    def __rmul__(self, other: Any) -> Any:
        raise TypeError(f"unsupported operand type(s) for *: '{type(other).__name__}' and 'ListConfig'")

    __hash__ = None  # type: ignore[assignment]


def as_config(value: Any) -> Any:
    """``value`` as OmegaConf holds it: dicts (at any depth) are :class:`ConfigDict`, all copies.

    A copy is made per reference (as OmegaConf copies), so the value's size (repeated
    references counted) and nesting are bounded first, without recursion: ``a = L(X)(x=a)``
    written a thousand times is refused, not a crash.
    """
    measure(value)
    return _copied(value)


def measure(value: Any) -> None:
    """Refuse a value of more than MAX_VALUES values (references counted) or MAX_DEPTH levels."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list, tuple)):
            continue
        count += len(item)
        if depth > MAX_DEPTH:
            raise LrplotError(f"a config value nested more than {MAX_DEPTH} levels deep; refusing it")
        if count > MAX_VALUES:
            raise LrplotError(
                f"a config value of more than {MAX_VALUES:,} values (repeated references); refusing it"
            )
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return ConfigDict({key: _copied(item) for key, item in value.items()})
    if isinstance(value, list):
        return ConfigList(_copied(item) for item in value)
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    return value


def plain(value: Any) -> Any:
    """A :class:`ConfigDict` tree as plain dicts and lists (what the rest of lrplot takes)."""
    measure(value)
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class Function:
    """A function the config defines: evaluated when called, never run (see the module docstring)."""

    def __init__(self, node: ast.FunctionDef, reader: Any, defaults: list[tuple[Any, Lines]]) -> None:
        self.node, self.reader, self.defaults = node, reader, defaults

    def __repr__(self) -> str:
        return f"<function {self.node.name} defined at {self.reader.name}:{self.node.lineno}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> Function:
        return self


class _Return(Exception):
    def __init__(self, value: tuple[Any, Lines]) -> None:
        super().__init__()
        self.value = value


def call_function(reader: Any, function: Function, node: ast.Call, depth: int) -> tuple[Any, Lines]:
    """Evaluate a call of a function the config defines, in a scope of its own."""
    definition = function.node
    if reader.context.calls >= MAX_CALL_DEPTH:
        reader.refuse(node, f"calls nested deeper than {MAX_CALL_DEPTH}; refusing them")
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise Skip(f"* or ** arguments to {definition.name}() are not read by lrplot")
    parameters = [a.arg for a in definition.args.args]
    if len(node.args) > len(parameters):
        reader.refuse(node, f"{definition.name}() takes {len(parameters)} arguments (Python would fail too)")
    bound: dict[str, tuple[Any, Lines]] = {}
    for name, argument in zip(parameters, node.args, strict=False):
        bound[name] = reader.item(argument, depth)
    for keyword in node.keywords:
        if keyword.arg not in parameters or keyword.arg in bound:
            reader.refuse(
                node,
                f"{definition.name}() got an unexpected or repeated argument "
                f"{keyword.arg!r} (Python would fail too)",
            )
        bound[str(keyword.arg)] = reader.item(keyword.value, depth)
    first_default = len(parameters) - len(function.defaults)
    for index, name in enumerate(parameters):
        if name not in bound:
            if index < first_default:
                reader.refuse(
                    node, f"{definition.name}() is missing the argument {name!r} (Python would fail too)"
                )
            bound[name] = function.defaults[index - first_default]
    defining = function.reader
    scope = type(defining)(defining.name, defining.path, defining.context, {**defining.names, **bound})
    reader.context.total_calls += 1
    if reader.context.total_calls > MAX_CALLS:
        reader.refuse(node, f"more than {MAX_CALLS:,} calls of the config's own functions; refusing them")
    reader.context.calls += 1
    try:
        run_body(scope, definition.body, definition.name)
    except _Return as returned:
        return returned.value
    finally:
        reader.context.calls -= 1
    return None, {}


def run_body(reader: Any, body: list[ast.stmt], function: str) -> None:
    """A function body: assignments, ``if``/``else`` on readable tests and ``return`` only."""
    for statement in body:
        if isinstance(statement, ast.Return):
            raise _Return(reader.item(statement.value, 0) if statement.value is not None else (None, {}))
        if isinstance(statement, ast.If):
            test = reader.scalar(statement.test, 0)
            run_body(reader, statement.body if test else statement.orelse, function)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Pass)) or (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        ):
            reader.statement(statement)
        else:
            raise Skip(
                f"{describe(statement)} at {reader.name}:{statement.lineno} inside {function}(), "
                "which lrplot does not run"
            )


def missing_attribute(shown: str, container: Any) -> str:
    """Why ``a.b`` fails: not set in a config, a plain dict, or not a mapping (Python fails too)."""
    if isinstance(container, ConfigDict):
        return f"{shown} is not set in the config (OmegaConf raises on a missing key too)"
    if isinstance(container, dict):
        return (
            f"{shown}: a dict the file writes itself has no attributes (Python would fail too; "
            "detectron2 makes dicts configs only when another file imports them): write it with [...]"
        )
    return f"{shown}: a {type(container).__name__} has no such attribute (Python would fail too)"
