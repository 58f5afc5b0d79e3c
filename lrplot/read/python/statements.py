"""Module-level statements of a Python config, read as data: assignments bind, the rest taints.

Assignments (``x = ...``, ``a = b = ...``, ``a, b = ...``, ``x: int = ...``, ``x += ...``
on numbers and strings, ``d[key] = ...`` on a dict or list), imports (bound to markers,
never imported), ``del`` and docstrings are understood. Any other statement (a loop, an
``if``, a function, a call) is not run: every name it mentions, and every name sharing an
object with those, becomes :class:`Unreadable`, so a value it might have changed is never
read as if it had not.
"""

from __future__ import annotations

import ast
from typing import Any

from lrplot.errors import LrplotError
from lrplot.read.python.evaluate import Evaluator
from lrplot.read.python.values import (
    MAX_VALUES,
    ImportedName,
    Lines,
    Skip,
    Unreadable,
    below,
    container_ids,
    describe,
    expanded_size,
    hashable,
    shares,
    short,
)


class ModuleReader(Evaluator):
    """Runs through one file's module-level statements, binding names to values."""

    def __init__(self, *args: Any, ignore: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ignore = ignore  # names whose assignments are not read (mmengine's _base_ list)
        self.bound_here: dict[str, int] = {}  # name -> line of its binding in this file

    def run(self, module: ast.Module) -> None:
        for statement in module.body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Pass, ast.Expr)) and isinstance(
            getattr(node, "value", None), (ast.Constant, type(None))
        ):
            return  # docstrings, stray literals, pass
        if isinstance(node, ast.Assign):
            if not (isinstance(node.targets[0], ast.Name) and node.targets[0].id in self.ignore):
                self.assign(node.targets, node.value, node)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and node.simple:
            self.assign([node.target], node.value, node)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self.augmented(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and all(a.name != "*" for a in node.names):
            self.imports(node)
        elif isinstance(node, ast.Delete) and all(isinstance(t, ast.Name) for t in node.targets):
            for target in node.targets:
                self.names.pop(target.id, None)
                self.bound_here.pop(target.id, None)
        else:
            self.taint(node, f"{describe(node)} at line {node.lineno}, which lrplot does not run")

    def assign(self, targets: list[ast.expr], value_node: ast.expr, node: ast.stmt) -> None:
        value, lines = self.item(value_node, 0)
        for target in targets:
            self.bind_target(target, value, lines, node)

    def bind_target(self, target: ast.expr, value: Any, lines: Lines, node: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value, lines, target.lineno)
        elif isinstance(target, (ast.Tuple, ast.List)) and not any(
            isinstance(e, ast.Starred) for e in target.elts
        ):
            if isinstance(value, Unreadable):
                parts: list[Any] = [value] * len(target.elts)
            elif isinstance(value, (list, tuple)) and len(value) == len(target.elts):
                parts = list(value)
            else:
                self.refuse(
                    node, "cannot unpack this value into the names on the left (Python would fail too)"
                )
            for index, (element, part) in enumerate(zip(target.elts, parts, strict=True)):
                self.bind_target(element, part, below(lines, index), node)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            self.set_item(target, value, node)
        else:
            self.taint(
                node, f"an assignment to {describe(target)} at line {node.lineno}, which lrplot does not run"
            )

    def set_item(self, target: ast.Subscript, value: Any, node: ast.stmt) -> None:
        """``d[key] = value`` on a dict or list, in place, as Python does."""
        container, lines = self.lookup(target.value)
        try:
            key = self.scalar(target.slice, 1)
        except Skip as skip:
            return self.taint(node, skip.reason)
        inside: set[int] = set()
        container_ids(value, inside)
        if isinstance(container, (dict, list)) and id(container) in inside:  # d['self'] = d
            self.refuse(
                node,
                f"{short(target)} = ... puts {target.value.id!r} inside itself; a value that contains "
                "itself has no end and is refused",
            )
        if isinstance(container, dict) and hashable(key):
            container[key] = value
        elif isinstance(container, list) and isinstance(key, int) and not isinstance(key, bool):
            if not -len(container) <= key < len(container):
                self.refuse(node, f"list index {key} is out of range (Python would fail too)")
            key %= len(container)
            container[key] = value
        else:
            return self.taint(node, f"an item assignment at line {node.lineno}, which lrplot does not run")
        name = target.value.id
        changed = {path: origin for path, origin in lines.items() if path[:1] != (key,)}
        changed[(key,)] = (self.name, node.lineno)
        self.bind(name, container, changed, self.bound_here.get(name, node.lineno))

    def augmented(self, node: ast.AugAssign) -> None:
        current, _ = self.lookup(node.target)
        if isinstance(current, (list, dict)):  # += changes the object in place, for every alias
            return self.taint(node, f"an in-place change at line {node.lineno}, which lrplot does not run")
        load = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node.target)
        binary = ast.copy_location(ast.BinOp(left=load, op=node.op, right=node.value), node)
        self.assign([node.target], binary, node)

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        """Bind imported names to markers; nothing is imported."""
        for alias in node.names:
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                dotted, bound = f"{module}.{alias.name}", alias.asname or alias.name
            elif alias.asname:
                dotted, bound = alias.name, alias.asname
            else:
                dotted = bound = alias.name.split(".")[0]
            self.bind(bound, ImportedName(dotted), {}, node.lineno)

    def bind(self, name: str, value: Any, lines: Lines, line: int) -> None:
        if expanded_size(value) > MAX_VALUES:
            raise LrplotError(
                f"{name!r} expands to more than {MAX_VALUES:,} values (repeated references); refusing it",
                where=f"{self.name}:{line}",
            )
        self.names[name] = (value, lines)
        self.bound_here[name] = line

    def taint(self, node: ast.stmt, reason: str) -> None:
        """Mark every name the statement mentions (and every name sharing their objects) unreadable."""
        defined: set[str] = set()
        for part in ast.walk(node):
            if isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(part.name)
            elif isinstance(part, ast.alias) and part.name != "*":
                defined.add((part.asname or part.name).split(".")[0])
            elif isinstance(part, ast.Name) and isinstance(part.ctx, (ast.Store, ast.Del)):
                defined.add(part.id)
        mentioned = defined | {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if isinstance(node, ast.ImportFrom):  # ``from m import *`` may rebind any name
            mentioned |= set(self.names)
        touched: set[int] = set()
        for name in mentioned & set(self.names):
            container_ids(self.names[name][0], touched)
        marker = Unreadable(reason, self.where(node))
        for name, (value, _) in list(self.names.items()):
            if name in mentioned or shares(value, touched):
                self.bind(name, marker, {}, node.lineno)
        for name in defined - set(self.names):
            self.bind(name, marker, {}, node.lineno)
