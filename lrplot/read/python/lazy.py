"""Read a detectron2 LazyConfig ``.py`` file (and the config files it imports) as data.

detectron2's ``LazyConfig.load`` runs the file with a patched ``import`` (facebookresearch/
detectron2 ``detectron2/config/lazy.py`` at commit 02b5c4e295e990042a714712c21dc79b731e8833):
a relative import (``from ..common.optim import SGD as optimizer``) runs the named file
afresh, found purely by its place (``level`` dots up from the importing file, the dotted
parts as folders, ``.py`` added), and the imported dicts become ``omegaconf.DictConfig``s;
``LazyCall(X)(**kw)`` (``L(X)(...)``) returns ``DictConfig(kw, _target_=X)`` instead of
calling ``X``. lrplot reads the same files without running them, on top of the plain reader
(:mod:`lrplot.read.python`), adding what those files do:

- ``L(X)(key=value, ...)`` is the dict ``{"key": value, ..., "_target_": "X's dotted name"}``
  (X is never imported; a target the reader cannot name is :class:`Unreadable`);
- ``a.b.c = value`` / ``a.b += value`` on such dicts, and ``a.b`` read from them, as
  ``DictConfig`` does (a key that is not there is refused: OmegaConf raises too);
- relative imports, resolved as detectron2 resolves them and read under the policy for
  files a config names (confined like ``_BASE_``/``_base_``); a file that is not there is
  one line naming it;
- functions the file defines (``def default_X_scheduler(num_X)`` in ``common/
  coco_schedule.py``), evaluated when called if their body is assignments, ``if``/``else``
  and ``return`` only; anything else in the body leaves the call's value unreadable;
- list comprehensions with one ``for`` (``[m * 2 for m in lr_multiplier.scheduler.milestones]``);
- ``model_zoo.get_config("common/train.py")``: the packaged config comes from
  ``package_file`` (the format's ``--file-for``), else the value is unreadable, naming it.

Everything it cannot read stays :class:`Unreadable` and is an error only where a format
needs that value. Files, calls and nesting are bounded.
"""

from __future__ import annotations

import ast
import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.read.files import read_text
from lrplot.read.python import PythonSource, _parse, bound_values
from lrplot.read.python.lazy_values import (
    ConfigDict,
    Function,
    as_config,
    call_function,
    missing_attribute,
)
from lrplot.read.python.statements import ModuleReader
from lrplot.read.python.values import (
    MAX_SEQUENCE,
    ImportedName,
    Lines,
    Skip,
    Unreadable,
    below,
    describe,
    prefixed,
    short,
)

LAZY_CALLS = frozenset({"detectron2.config.LazyCall", "detectron2.config.lazy.LazyCall"})
GET_CONFIG = frozenset({"detectron2.model_zoo.get_config", "detectron2.model_zoo.model_zoo.get_config"})
MAX_FILES = 64  # config files read for one config (each import reads its file afresh, as detectron2 does)
MAX_IMPORT_DEPTH = 16
MAX_COMPREHENSION_STEPS = 100_000  # items all list comprehensions of one config go through
PackageFile = Callable[[str], "Path | None"]


@dataclass
class _Context:
    """What every file of one config shares: the files read, the import chain, the call depth."""

    package_file: PackageFile
    files: list[Path] = field(default_factory=list)
    chain: list[Path] = field(default_factory=list)
    calls: int = 0  # nested calls of the config's own functions (lazy_values.MAX_CALL_DEPTH)
    total_calls: int = 0  # all of them (lazy_values.MAX_CALLS)
    steps: int = 0  # items list comprehensions went through (MAX_COMPREHENSION_STEPS)


def read_lazy_config(
    path: Path, package_file: PackageFile = lambda _: None
) -> tuple[PythonSource, list[Path]]:
    """``LazyConfig.load(path)`` read as data: every name the file binds, and the files read.

    ``package_file(config_path)`` is where ``model_zoo.get_config(config_path)``'s file is,
    if the user said so.
    """
    context = _Context(package_file)
    reader = _read_file(path, Path(os.path.abspath(path)), context, confined=False)
    values, origins = bound_values(reader, reader.name)
    return PythonSource(data=values, name=str(path), origins=origins, path=path), context.files


def _read_file(shown: Path, real: Path, context: _Context, *, confined: bool, at: str = "") -> LazyReader:
    """Read one config file: the one the user named, or one a config imports (``confined``)."""
    resolved = real.resolve()
    if resolved in context.chain:
        names = " -> ".join(p.name for p in (*context.chain, resolved))
        raise LrplotError(f"imports itself ({names}); Python would fail too", where=at or str(shown))
    if len(context.chain) >= MAX_IMPORT_DEPTH:
        raise LrplotError(f"imports nested deeper than {MAX_IMPORT_DEPTH} files; refusing them", where=at)
    context.files.append(shown)
    if len(context.files) > MAX_FILES:
        raise LrplotError(f"more than {MAX_FILES} config files read through imports; refusing them", where=at)
    # An imported config is a file the config names: read under the same policy as _BASE_ files.
    including: dict[str, Any] = {}
    if confined and context.chain:
        including = {"what": "imported config", "config_dir": context.chain[-1].parent}
    try:
        text = read_text(real, **including)
    except LrplotError as error:
        error.where = error.where or at or None  # a file that cannot be read: the line importing it
        raise
    module = _parse(text, str(shown))
    reader = LazyReader(str(shown), shown, context)
    context.chain.append(resolved)
    try:
        reader.run(module)
    finally:
        context.chain.pop()
    return reader


class LazyReader(ModuleReader):
    """The plain module reader plus what LazyConfig files do (see the module docstring)."""

    def __init__(self, name: str, path: Path, context: _Context, names: dict | None = None) -> None:
        super().__init__(name, names)
        self.path = path
        self.context = context

    # statements ---------------------------------------------------------------------------

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute):
            load = _as_load(node.target)
            binary = ast.copy_location(ast.BinOp(left=load, op=node.op, right=node.value), node)
            self.assign([node.target], binary, node)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            self.relative_import(node)
        elif isinstance(node, ast.FunctionDef) and not node.decorator_list:
            self.define(node)
        else:
            super().statement(node)

    def bind_target(self, target: ast.expr, value: Any, lines: Lines, node: ast.stmt) -> None:
        if isinstance(target, ast.Attribute):
            self.set_attribute(
                target, self.copied(value, node), lines, node
            )  # DictConfig copies what it holds
        else:
            super().bind_target(target, value, lines, node)

    def set_attribute(self, target: ast.Attribute, value: Any, lines: Lines, node: ast.stmt) -> None:
        """``a.b.c = value`` on a config dict, in place; on a value lrplot did not read, nothing is known."""
        parts: list[str] = [target.attr]
        base: ast.expr = target.value
        while isinstance(base, ast.Attribute):
            parts.insert(0, base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return self.taint(
                node, f"an assignment to {describe(target)} at line {node.lineno}, which lrplot does not run"
            )
        root = base.id
        if root not in self.names:
            self.refuse(node, f"name {root!r} is not defined (Python would fail too)")
        container, root_lines = self.names[root]
        for index, part in enumerate(parts[:-1]):
            if isinstance(container, (Unreadable, ImportedName)):
                return  # a module's attribute, or a value whose keys lrplot does not know
            if not isinstance(container, ConfigDict) or part not in container:
                shown = ".".join([root, *parts[: index + 1]])
                self.refuse(node, missing_attribute(shown, container))
            container = container[part]
        if isinstance(container, (Unreadable, ImportedName)):
            return
        if not isinstance(container, ConfigDict):
            self.refuse(node, missing_attribute(".".join([root, *parts]), container))
        container[parts[-1]] = value
        here = tuple(parts)
        changed = {p: o for p, o in root_lines.items() if p[: len(here)] != here}
        changed[here] = (self.name, node.lineno)
        changed.update({(*here, *p): o for p, o in lines.items()})
        self.bind(root, self.names[root][0], changed, self.bound_here.get(root, node.lineno))

    def relative_import(self, node: ast.ImportFrom) -> None:
        """``from ..common.optim import SGD as optimizer``: the file read afresh, as detectron2 does."""
        module = node.module or ""
        written = "." * node.level + module
        if not module:
            self.refuse(
                node,
                f"from {written} import ...: detectron2 does not import folders from a config, "
                "only other config files",
            )
        if any(alias.name == "*" for alias in node.names):
            self.refuse(
                node,
                f"from {written} import *: detectron2's LazyConfig cannot import '*' "
                "(it fails with KeyError: '*')",
            )
        folder = os.path.dirname(os.path.abspath(self.path))  # detectron2's find_relative_file
        for _ in range(node.level - 1):
            folder = os.path.dirname(folder)
        real = Path(os.path.join(folder, *module.split(".")) + ".py")
        shown = Path(_shown(str(real)))
        if not real.is_file() and not os.path.lexists(real):
            kind = "is a folder" if real.with_suffix("").is_dir() else "does not exist"
            self.refuse(
                node,
                f"from {written} import ...: {shown} {kind} (detectron2 looks for the "
                "imported config file relative to this one)",
            )
        reader = _read_file(shown, real, self.context, confined=True, at=self.where(node))
        for alias in node.names:
            if alias.name not in reader.names:
                self.refuse(node, f"cannot import name {alias.name!r} from {shown} (Python would fail too)")
            value, lines = reader.names[alias.name]
            value = (
                self.copied(value, node) if isinstance(value, dict) else value
            )  # lazy.py's _cast_to_config
            self.bind(alias.asname or alias.name, value, lines, node.lineno)

    def define(self, node: ast.FunctionDef) -> None:
        """A function the config defines: kept, to be evaluated when the config calls it."""
        arguments = node.args
        if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.posonlyargs:
            return super().statement(node)
        defaults = [self.item(default, 0) for default in arguments.defaults]
        self.bind(node.name, Function(node, self, defaults), {}, node.lineno)

    def copied(self, value: Any, node: ast.AST) -> Any:
        """:func:`as_config` of ``value``, a refusal naming this line when it is too large or deep."""
        try:
            return as_config(value)
        except LrplotError as error:
            error.where = error.where or self.where(node)
            raise

    # expressions --------------------------------------------------------------------------

    def value_Attribute(self, node: ast.Attribute, depth: int) -> tuple[Any, Lines]:
        base, lines = self.evaluate(node.value, depth)
        if isinstance(base, dict) and not isinstance(base, ConfigDict):
            self.refuse(node, missing_attribute(short(node), base))
        if isinstance(base, ConfigDict):
            if node.attr not in base:
                self.refuse(node, missing_attribute(short(node), base))
            return base[node.attr], below(lines, node.attr)
        return super().value_Attribute(node, depth)

    def value_Call(self, node: ast.Call, depth: int) -> tuple[Any, Lines]:
        function = node.func
        if isinstance(function, ast.Call):
            maker, _ = self.evaluate(function.func, depth)
            if isinstance(maker, ImportedName) and maker.dotted in LAZY_CALLS:
                return self.lazy_call(function, node, depth)
        called, _ = (
            self.evaluate(function, depth) if isinstance(function, (ast.Name, ast.Attribute)) else (None, {})
        )
        if isinstance(called, Function):
            return call_function(self, called, node, depth)
        if isinstance(called, ImportedName) and called.dotted in GET_CONFIG:
            return self.get_config(node, depth)
        return super().value_Call(node, depth)

    def lazy_call(self, maker: ast.Call, node: ast.Call, depth: int) -> tuple[Any, Lines]:
        """``L(X)(**kwargs)``: the dict detectron2's ``LazyCall.__call__`` returns, X named, not called."""
        if len(maker.args) != 1 or maker.keywords:
            self.refuse(maker, f"{short(maker)}: LazyCall takes exactly one target (Python would fail too)")
        if node.args:
            self.refuse(
                node,
                f"{short(node)}: LazyCall(...)() takes keyword arguments only "
                "(detectron2 fails on positional ones too)",
            )
        target, _ = self.item(maker.args[0], depth)
        if isinstance(target, ImportedName):
            named: Any = target.dotted
        elif isinstance(target, str):
            named = target
        else:
            why = (
                target.reason
                if isinstance(target, Unreadable)
                else f"{short(maker.args[0])} is defined in the config"
            )
            named = Unreadable(
                f"the LazyCall target is not a name lrplot can read ({why})", self.where(maker)
            )
        result: dict[str, Any] = ConfigDict()
        lines: Lines = {}
        for keyword in node.keywords:
            value, value_lines = self.item(keyword.value, depth)
            if keyword.arg is None:
                self.merge_into(result, lines, self.copied(value, keyword.value), value_lines, keyword.value)
                continue
            self.put(
                result, lines, keyword.arg, self.copied(value, keyword.value), value_lines, keyword.lineno
            )
        result["_target_"] = named
        lines[("_target_",)] = (self.name, maker.lineno)
        return result, lines

    def get_config(self, node: ast.Call, depth: int) -> tuple[Any, Lines]:
        """``model_zoo.get_config(path)``: the file the user gave for it, else unreadable, naming it."""
        if (
            not node.args
            or not isinstance(node.args[0], ast.Constant)
            or not isinstance(node.args[0].value, str)
        ):
            raise Skip(f"{short(node)}: a config path lrplot cannot read")
        config_path = node.args[0].value
        given = self.context.package_file(config_path)
        if given is None:
            raise Skip(
                f"model_zoo.get_config({config_path!r}) ({self.where(node)}) loads a config packaged inside "
                "detectron2, which "
                f"lrplot does not import: give that file (detectron2's configs/{config_path}) with "
                f"--file-for {config_path}=PATH"
            )
        if not config_path.endswith(".py"):
            raise Skip(f"model_zoo.get_config({config_path!r}) is a yacs config, not a LazyConfig file")
        reader = _read_file(
            given, Path(os.path.abspath(given)), self.context, confined=False, at=self.where(node)
        )
        loaded: dict[str, Any] = {}
        lines: Lines = {}
        for name, (value, value_lines) in reader.names.items():
            # LazyConfig.load keeps the dicts (and what may be one) not named _x
            if isinstance(value, (dict, Unreadable)) and not name.startswith("_"):
                loaded[name] = value
                lines[(name,)] = (reader.name, reader.bound_here.get(name, 0))
                lines.update(prefixed(value_lines, name))
        return self.copied(loaded, node), lines

    def value_ListComp(self, node: ast.ListComp, depth: int) -> tuple[Any, Lines]:
        """``[f(x) for x in items if ...]`` with one ``for`` over a list lrplot read."""
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise Skip("a comprehension with more than one for is not read by lrplot")
        generator = node.generators[0]
        if not isinstance(generator.target, ast.Name):
            raise Skip("a comprehension unpacking its items is not read by lrplot")
        items = self.scalar(generator.iter, depth)
        if isinstance(items, dict):
            items = list(items)
        if not isinstance(items, (list, tuple, str)):
            raise Skip(f"a comprehension over a {type(items).__name__} is not read by lrplot")
        if len(items) > MAX_SEQUENCE:
            self.refuse(node, f"a list of over {MAX_SEQUENCE:,} items; refused")
        name = generator.target.id
        saved = self.names.get(name)
        result: list[Any] = []
        try:
            for item in items:
                self.context.steps += 1
                if self.context.steps > MAX_COMPREHENSION_STEPS:
                    self.refuse(node, f"comprehensions going through more than {MAX_COMPREHENSION_STEPS:,} "
                                      "items; refusing them")  # fmt: skip
                self.names[name] = (item, {})
                if all(self.scalar(test, depth) for test in generator.ifs):
                    result.append(self.scalar(node.elt, depth))
        finally:
            if saved is None:
                self.names.pop(name, None)
            else:
                self.names[name] = saved
        return result, {(i,): (self.name, node.lineno) for i in range(len(result))}


def _as_load(node: ast.Attribute) -> ast.expr:
    """The attribute expression read instead of assigned (``a.b`` of ``a.b *= 2``)."""
    loaded = copy.deepcopy(node)
    for part in ast.walk(loaded):
        if hasattr(part, "ctx"):
            part.ctx = ast.Load()
    return loaded


def _shown(real: str) -> str:
    """A path for messages: relative to the working folder when it is inside it."""
    relative = os.path.relpath(real)
    return real if relative.startswith("..") else relative
