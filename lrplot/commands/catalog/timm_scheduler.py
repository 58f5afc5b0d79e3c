"""timm's scheduler classes and the train.py ``sched:`` names that build them, read from timm's source.

``timm/scheduler/__init__.py`` says which classes timm exports (and from which file);
``create_scheduler_v2`` in ``scheduler_factory.py`` says which ``sched`` name builds which
class (``if sched == 'cosine': lr_scheduler = CosineLRScheduler(...)``).
"""

from __future__ import annotations

import ast

from lrplot.commands.catalog import source
from lrplot.commands.catalog.model import Entry, Section

PREFIX = "timm.scheduler"
USAGE = f"train.py args sched: NAME, or scheduler: {{name: {PREFIX}.CLASS, ...}}"
MISSING = "pip install 'lrplot[timm]'"
# lrplot's timm format refuses these train.py schedules (lrplot/formats/timm.py).
_REFUSED = {"plateau": "it lowers the lr when the eval metric stalls"}


def sections() -> list[Section]:
    """timm's exported ``Scheduler`` subclasses by name, each tagged with its ``sched:`` names."""
    timm = source.package("timm")
    if timm is None:
        return [Section("timm", "timm schedulers", "", missing=MISSING)]
    folder = timm.path / "scheduler"
    files = {path.stem: path for path in sorted(folder.glob("*.py"))}
    table = source.classes((path, f"{PREFIX}.{stem}") for stem, path in files.items())
    exported = _exported_classes(source.parse(files["__init__"]))
    factory = source.functions(source.parse(files["scheduler_factory"]))["create_scheduler_v2"]
    sched_names = _sched_names(factory, set(table))
    entries = []
    for name in sorted(exported):
        if not source.derives(name, {"Scheduler"}, table):
            continue
        found = table[name]
        names = sched_names.get(name, [])
        refused = [
            f"sched: {n} is refused in train.py args: {_REFUSED[n]}; named as a class it is stepped "
            "without a metric, so only its warmup shows"
            for n in names
            if n in _REFUSED
        ]
        drawn_names = [n for n in names if n not in _REFUSED]
        entries.append(
            Entry(
                name=name,
                kind="scheduler",
                module=found.module,
                parameters=source.init_parameters(name, table, {"self", "optimizer"}),
                summary=source.first_paragraph(found.node),
                ecosystem="timm",
                aliases=(*names, f"{PREFIX}.{name}", f"{found.module}.{name}"),
                tag=f"sched: {', '.join(names)}" if names else "",
                note="; ".join(refused),
                usage=(f"sched: {drawn_names[0]} (train.py args), or " if drawn_names else "")
                + f"scheduler: {{name: {PREFIX}.{name}, ...}}",
            )
        )
    return [Section("timm", f"timm {timm.version} schedulers", USAGE, entries)]


def _exported_classes(init: ast.Module) -> set[str]:
    """``from .cosine_lr import CosineLRScheduler``: the names ``timm.scheduler`` exports."""
    return {
        alias.asname or alias.name
        for node in init.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names
    }


def _sched_names(factory: ast.FunctionDef, classes: set[str]) -> dict[str, list[str]]:
    """Class -> the ``sched`` values whose branch of ``create_scheduler_v2`` builds it."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(factory):
        if not isinstance(node, ast.If):
            continue
        values = _sched_values(node.test)
        built = next(
            (
                call.func.id
                for statement in node.body
                for call in ast.walk(statement)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in classes
            ),
            None,
        )
        if values and built:
            names = found.setdefault(built, [])
            names += [value for value in values if value not in names]
    return found


def _sched_values(test: ast.expr) -> list[str]:
    """``sched == 'cosine'`` -> ['cosine']; ``sched in ('wsd', 'rsqrt')`` -> ['wsd', 'rsqrt']."""
    if not (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "sched"
        and len(test.ops) == 1
    ):
        return []
    operator, compared = test.ops[0], test.comparators[0]
    if isinstance(operator, ast.Eq) and isinstance(compared, ast.Constant):
        return [compared.value]
    if isinstance(operator, ast.In) and isinstance(compared, ast.Tuple | ast.List | ast.Set):
        return [c.value for c in compared.elts if isinstance(c, ast.Constant)]
    return []
