"""Reading an installed library's signatures from its source files, without importing it.

``lrplot list`` must answer in a blink, and importing torch, transformers, timm, mmengine or
DeepSpeed takes seconds (and prints warnings). Their schedulers' signatures are in their
source files, which ``ast`` reads in milliseconds: parameter names, defaults as written,
docstrings. These are the libraries' own signatures, just not executed; tests compare them
with ``inspect.signature`` of the imported objects.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.util
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lrplot.commands.catalog.model import Parameter


@dataclass(frozen=True)
class Package:
    """An installed top-level package: where its files are, and its distribution's version."""

    name: str
    path: Path
    version: str


def package(name: str, distribution: str | None = None) -> Package | None:
    """The installed package ``name``, found without importing it; None when not installed."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)))
    return Package(name, path, _version(distribution or name, path.parent))


def _version(distribution: str, folder: Path) -> str:
    """The installed distribution's version: from its ``NAME-VERSION.dist-info`` folder beside
    the package (one directory listing), else from ``importlib.metadata`` (~10 ms to import)."""
    for info in folder.glob(f"{distribution}-*.dist-info"):
        return info.name[len(distribution) + 1 : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


@functools.cache
def parse(path: Path) -> ast.Module:
    """A source file's syntax tree (read once per process); FileNotFoundError names the file."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = <literal>`` as source text, to show ``'log'`` where a default says
    ``WARMUP_LOG_RATE`` (DeepSpeed names its defaults by constants, torch's Muon too)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.UnaryOp | ast.Tuple):
            try:
                value = repr(ast.literal_eval(node.value))
            except ValueError:
                continue
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = value
    return found


def exported(tree: ast.Module) -> set[str]:
    """The names a module's ``__all__`` lists (empty when it has none)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                return set(ast.literal_eval(node.value))
            except ValueError:
                return set()
    return set()


@dataclass(frozen=True)
class ClassSource:
    """A class as written: its node and the module it is defined in."""

    node: ast.ClassDef
    module: str
    constants: dict[str, str]


def classes(files: Iterable[tuple[Path, str]]) -> dict[str, ClassSource]:
    """Every top-level class of these (path, dotted module) files, by name; later files win."""
    table = {}
    for path, module in files:
        tree = parse(path)
        names = constants(tree)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                table[node.name] = ClassSource(node, module, names)
    return table


def base_names(node: ast.ClassDef) -> list[str]:
    return [
        base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
        for base in node.bases
    ]


def derives(
    name: str, bases: set[str], table: dict[str, ClassSource], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether class ``name`` derives from one of ``bases``, following the classes in ``table``."""
    source = table.get(name)
    if source is None:
        return False
    for base in base_names(source.node):
        if base in bases or (base not in seen and derives(base, bases, table, seen | {base})):
            return True
    return False


def init_parameters(name: str, table: dict[str, ClassSource], supplied: set[str]) -> list[Parameter]:
    """The keywords class ``name`` takes: the first ``__init__`` along its bases that names them.

    As Python's MRO would, a class without ``__init__`` (or with a pass-through ``*args,
    **kwargs`` one, as mmengine's ``LRSchedulerMixin``) takes its bases' keywords: mmengine's
    ``CosineAnnealingLR`` is ``LRSchedulerMixin`` over ``CosineAnnealingParamScheduler``.
    """
    for source in _linear_bases(name, table):
        init = next(
            (n for n in source.node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
        )
        if init is not None and init.args.kwarg is None:
            return function_parameters(init, supplied, source.constants)
    return []


def _linear_bases(name: str, table: dict[str, ClassSource]) -> list[ClassSource]:
    """The class and its bases known in ``table``, depth first, left to right, each once."""
    order: list[ClassSource] = []
    pending = [name]
    while pending:
        current = pending.pop(0)
        source = table.get(current)
        if source is None or source in order:
            continue
        order.append(source)
        pending = [*base_names(source.node), *pending]
    return order


def function_parameters(
    function: ast.FunctionDef, supplied: set[str], names: dict[str, str] | None = None
) -> list[Parameter]:
    """A function's parameters as written, less those lrplot or the trainer ``supplied``.

    ``*args`` and ``**kwargs`` are kept (as ``**kwargs``, never required): they say the
    function passes keywords on. A default naming a module constant shows the constant's value.
    """
    names = names or {}
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs: list[tuple[ast.arg, ast.expr | None]] = list(zip(positional, defaults, strict=True))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    found = [
        Parameter(
            name=arg.arg,
            default=None if default is None else _default_text(default, names),
            annotation=ast.unparse(arg.annotation) if arg.annotation is not None else None,
        )
        for arg, default in pairs
        if arg.arg not in supplied
    ]
    for variadic, star in ((args.vararg, "*"), (args.kwarg, "**")):
        if variadic is not None and variadic.arg not in supplied:
            found.append(Parameter(name=star + variadic.arg, default=None, variadic=True))
    return found


def _default_text(default: ast.expr, names: dict[str, str]) -> str:
    """The default's source, with module constants replaced by their values
    (``(DEFAULT_A, DEFAULT_B)`` -> ``(3.4445, -4.775)``)."""

    if isinstance(default, ast.Constant):
        return repr(default.value)
    if not any(isinstance(node, ast.Name) and node.id in names for node in ast.walk(default)):
        return ast.unparse(default)

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            return ast.Name(id=names[node.id]) if node.id in names else node

    return ast.unparse(Substitute().visit(copy.deepcopy(default)))


def first_paragraph(node: ast.AST) -> str:
    """The docstring's first paragraph on one line: what the object is, in its authors' words."""
    docstring = ast.get_docstring(node) if isinstance(node, ast.ClassDef | ast.FunctionDef) else None
    text = inspect.cleandoc(docstring or "").strip()
    paragraph = text.split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """A module's top-level functions by name."""
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
