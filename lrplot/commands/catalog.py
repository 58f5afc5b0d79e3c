"""What schedulers and optimizers exist, with their parameters, read from torch's source.

``lrplot list`` must answer instantly, and importing torch takes seconds. So the catalog
is read from the source files of the installed torch (found without importing it) with
``ast``: class names, ``__init__`` parameters with their defaults as written, and the
docstring's first paragraph. These are torch's own signatures, just not executed.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
from dataclasses import dataclass, field
from pathlib import Path

from lrplot.errors import LrplotError


@dataclass
class Parameter:
    name: str
    default: str | None  # source text of the default; None when required
    annotation: str | None = None


@dataclass
class Entry:
    """One scheduler or optimizer class."""

    name: str
    kind: str  # "scheduler" or "optimizer"
    module: str
    parameters: list[Parameter] = field(default_factory=list)
    summary: str = ""


_SCHEDULER_BASES = {"LRScheduler", "_LRScheduler"}
_HIDDEN = {"LRScheduler", "_LRScheduler", "Optimizer"}
_SUPPLIED = {"self", "optimizer", "params"}


def torch_optim_dir() -> Path:
    """torch/optim of the installed torch, found without importing torch."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        raise LrplotError("torch is not installed (pip install torch)")
    return Path(next(iter(spec.submodule_search_locations))) / "optim"


def catalog() -> list[Entry]:
    """Every scheduler (torch.optim.lr_scheduler + SWALR) and optimizer, sorted by kind and name."""
    folder = torch_optim_dir()
    entries = _classes(folder / "lr_scheduler.py", "torch.optim.lr_scheduler", "scheduler", _SCHEDULER_BASES)
    entries += [
        e for e in _classes(folder / "swa_utils.py", "torch.optim.swa_utils", "scheduler", _SCHEDULER_BASES)
    ]
    exported = _exported(folder / "__init__.py")
    optimizer_names = {"Optimizer"}
    files = [
        path
        for path in sorted(folder.glob("*.py"))
        if path.stem not in {"__init__", "lr_scheduler", "swa_utils", "optimizer"}
    ]
    for _ in range(2):  # a second pass finds subclasses of optimizers in other files (AdamW(Adam))
        found = [e for path in files for e in _classes(path, _module(path), "optimizer", optimizer_names)]
        optimizer_names |= {e.name for e in found}
    entries += [e for e in found if not exported or e.name in exported]
    unique = {(e.kind, e.name): e for e in entries if e.name not in _HIDDEN and not e.name.startswith("_")}
    return sorted(unique.values(), key=lambda e: (e.kind != "scheduler", e.name.lower()))


def find(name: str) -> Entry:
    """One entry by name (case-insensitive), or an error suggesting the closest."""
    import difflib

    entries = {e.name.lower(): e for e in catalog()}
    if name.lower() in entries:
        return entries[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(entries), n=1)
    hint = f" (did you mean {entries[close[0]].name!r}?)" if close else ""
    raise LrplotError(f"no scheduler or optimizer named {name!r}{hint}; see lrplot list")


def _module(path: Path) -> str:
    return "torch.optim" if path.stem.startswith("_") else f"torch.optim.{path.stem}"


def _exported(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                return set(ast.literal_eval(node.value))
            except ValueError:
                return set()
    return set()


def _classes(path: Path, module: str, kind: str, bases: set[str]) -> list[Entry]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    known: dict[str, ast.ClassDef] = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def derives(node: ast.ClassDef, seen: frozenset[str] = frozenset()) -> bool:
        for base in node.bases:
            name = (
                base.id
                if isinstance(base, ast.Name)
                else base.attr
                if isinstance(base, ast.Attribute)
                else ""
            )
            if name in bases or (name in known and name not in seen and derives(known[name], seen | {name})):
                return True
        return False

    entries = []
    for node in known.values():
        if (kind == "scheduler" and node.name == "ReduceLROnPlateau") or derives(node):
            entries.append(
                Entry(
                    name=node.name,
                    kind=kind,
                    module=module,
                    parameters=_init_parameters(node),
                    summary=_first_paragraph(ast.get_docstring(node) or ""),
                )
            )
    return entries


def _init_parameters(node: ast.ClassDef) -> list[Parameter]:
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return []
    args = init.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    found = []
    for arg, default in pairs:
        if arg.arg in _SUPPLIED:
            continue
        found.append(
            Parameter(
                name=arg.arg,
                default=ast.unparse(default) if default is not None else None,
                annotation=ast.unparse(arg.annotation) if arg.annotation is not None else None,
            )
        )
    return found


def _first_paragraph(docstring: str) -> str:
    text = inspect.cleandoc(docstring)
    paragraph = text.split("\n\n", 1)[0]
    return " ".join(paragraph.split())
