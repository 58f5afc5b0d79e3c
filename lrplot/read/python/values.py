"""The values a Python config reads to, and the small helpers the reader shares.

Values are plain Python data (dict, list, tuple, str, int, float, bool, None) plus two
markers: :class:`Unreadable` for a value lrplot did not evaluate (and why), and
:class:`ImportedName` for a name an ``import`` binds, which is never imported.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from lrplot import limits
from lrplot.errors import KeyPath

MAX_DEPTH = limits.MAX_YAML_DEPTH  # the same nesting as a YAML document
MAX_SEQUENCE = limits.MAX_PYTHON_ITEMS  # items (or characters) in one value built by arithmetic
MAX_VALUES = limits.MAX_PYTHON_VALUES  # one name's values, counting every repeated reference

Origin = tuple[str, int]  # (file name, 1-based line)
Lines = dict[KeyPath, Origin]  # key paths relative to a value -> where each was written
StringHook = Callable[[str, Origin], "tuple[Any, Lines] | None"]
SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Unreadable:
    """A value lrplot did not evaluate; an error only when a format needs it."""

    reason: str
    where: str

    def __repr__(self) -> str:
        return f"<unreadable: {self.reason} ({self.where})>"

    def explain(self, shown_at: str) -> str:
        """Why, and where the culprit is when that is not the line the message is shown at."""
        return self.reason if self.where == shown_at else f"{self.reason} (at {self.where})"


@dataclass(frozen=True)
class ImportedName:
    """A name bound by ``import``: the dotted path it names, never imported."""

    dotted: str


class Evaluating(Protocol):
    """What :mod:`.calls` needs of the evaluator (so the two modules do not import each other)."""

    name: str
    names: dict[str, tuple[Any, Lines]]

    def evaluate(self, node: ast.expr, depth: int) -> tuple[Any, Lines]: ...
    def scalar(self, node: ast.expr, depth: int) -> Any: ...
    def item(self, node: ast.expr, depth: int) -> tuple[Any, Lines]: ...
    def lookup(self, node: ast.Name) -> tuple[Any, Lines]: ...
    def refuse(self, node: ast.AST, message: str) -> NoReturn: ...
    def merge_into(
        self, result: dict, lines: Lines, value: Any, value_lines: Lines, node: ast.expr
    ) -> None: ...


class Skip(Exception):
    """Raised while evaluating a value lrplot does not read; it becomes :class:`Unreadable`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe(node: ast.AST) -> str:
    """A short name for a syntax node, for messages."""
    names = {
        ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.DictComp: "a comprehension",
        ast.SetComp: "a comprehension", ast.GeneratorExp: "a generator", ast.JoinedStr: "an f-string",
        ast.Set: "a set", ast.NamedExpr: "an assignment expression", ast.Starred: "*unpacking",
        ast.For: "a for loop", ast.While: "a while loop", ast.If: "an if block", ast.With: "a with block",
        ast.FunctionDef: "a function definition", ast.ClassDef: "a class definition", ast.Try: "a try block",
        ast.Expr: "a bare expression", ast.Attribute: "attribute access", ast.Await: "await",
        ast.ImportFrom: "a star import", ast.Global: "a global statement", ast.Assert: "an assert",
        ast.Raise: "a raise", ast.Match: "a match block", ast.AugAssign: "an in-place change",
    }  # fmt: skip
    return names.get(type(node), type(node).__name__)


def short(node: ast.AST, limit: int = 40) -> str:
    """The source of a node, on one line and cut to ``limit`` characters."""
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def failure(exc: BaseException) -> str:
    """``ZeroDivisionError: division by zero``, without errno tuples."""
    detail = exc.args[-1] if exc.args else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def hashable(key: Any) -> bool:
    return isinstance(key, SCALARS) or (isinstance(key, tuple) and all(hashable(k) for k in key))


def prefixed(lines: Lines, key: Any) -> Lines:
    """Lines of a value placed under ``key``."""
    return {(key, *path): origin for path, origin in lines.items()}


def below(lines: Lines, key: Any) -> Lines:
    """Lines of the value under ``key``, relative to it."""
    return {path[1:]: origin for path, origin in lines.items() if path[:1] == (key,) and len(path) > 1}


def expanded_size(value: Any) -> int:
    """How many values ``value`` holds, counting a shared container once per reference."""
    sizes: dict[int, int] = {}
    keep: list[Any] = []  # keeps the measured objects (and so their ids) alive
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, done = stack.pop()
        if not isinstance(item, (dict, list, tuple)) or (id(item) in sizes and not done):
            continue
        children = list(item.values()) if isinstance(item, dict) else list(item)
        if done:
            sizes[id(item)] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[id(item)] > MAX_VALUES:
                return sizes[id(item)]
            continue
        sizes[id(item)] = 0
        keep.append(item)
        stack.append((item, True))
        stack.extend((child, False) for child in children)
    return sizes.get(id(value), 1)


def container_ids(value: Any, into: set[int]) -> None:
    """Add the ids of every dict and list inside ``value`` (the objects an alias can change)."""
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, (dict, list, tuple)) or id(item) in seen:
            continue
        seen.add(id(item))
        if not isinstance(item, tuple):
            into.add(id(item))
        stack.extend(item.values() if isinstance(item, dict) else item)


def shares(value: Any, ids: set[int]) -> bool:
    """Whether ``value`` holds any of the containers in ``ids``."""
    if not ids:
        return False
    found: set[int] = set()
    container_ids(value, found)
    return bool(found & ids)
