"""mmengine's ``param_scheduler`` types, read from ``mmengine/optim/scheduler/*.py``.

A type is a class registered with ``@PARAM_SCHEDULERS.register_module()`` (the registry
lrplot's mmengine driver builds from); its keywords are those of the first ``__init__``
along its bases that names them, as the driver checks them (``init_parameters``).
"""

from __future__ import annotations

import ast

from lrplot.commands.catalog import source
from lrplot.commands.catalog.model import Entry, Section

USAGE = "param_scheduler = [dict(type=NAME, ...)]"
MISSING = "pip install 'lrplot[mmengine]'"
# LRSchedulerMixin and MomentumSchedulerMixin pass param_name themselves (as the driver knows).
_SUPPLIED = {"self", "optimizer", "param_name"}
_GROUPS = (
    ("LR", "lr schedulers"),
    ("Momentum", "momentum schedulers"),
    ("ParamScheduler", "schedulers of any param_name"),
)
_NOTE = (
    "end defaults to the train loop's length (Runner.build_param_scheduler); "
    "convert_to_iter_based=True turns an epoch-based one into iterations"
)


def sections() -> list[Section]:
    """One section per group: lr, momentum, and generic ``*ParamScheduler`` types."""
    mmengine = source.package("mmengine")
    if mmengine is None:
        return [Section("mmengine", "mmengine param_scheduler types", "", missing=MISSING)]
    folder = mmengine.path / "optim" / "scheduler"
    files = [(path, f"mmengine.optim.scheduler.{path.stem}") for path in sorted(folder.glob("*.py"))]
    table = source.classes(files)
    registered = sorted(name for name, found in table.items() if _registered(found.node))
    sections = []
    for suffix, what in _GROUPS:
        names = [name for name in registered if name.endswith(suffix)]
        registered = [name for name in registered if name not in names]
        entries = [_entry(name, table) for name in names]
        sections.append(Section("mmengine", f"mmengine {mmengine.version} {what}", USAGE, entries))
    if registered:  # a type of no known group, in a newer mmengine
        entries = [_entry(name, table) for name in registered]
        sections.append(Section("mmengine", f"mmengine {mmengine.version} other schedulers", USAGE, entries))
    return sections


def _entry(name: str, table: dict[str, source.ClassSource]) -> Entry:
    found = table[name]
    supplied = _SUPPLIED - {"param_name"} if name.endswith("ParamScheduler") else _SUPPLIED
    # lrplot's mmengine driver refuses them (check_entry): a config holds no validation metrics.
    refused = "ReduceOnPlateau" in name
    return Entry(
        name=name,
        kind="scheduler",
        module=found.module,
        parameters=source.init_parameters(name, table, supplied),
        summary=source.first_paragraph(found.node),
        ecosystem="mmengine",
        aliases=(f"mmengine.optim.{name}", f"{found.module}.{name}"),
        note="not drawn: it follows validation metrics, which a config does not hold" if refused else _NOTE,
        drawn=not refused,
        usage=USAGE.replace("NAME", repr(name)),
    )


def _registered(node: ast.ClassDef) -> bool:
    """Decorated ``@PARAM_SCHEDULERS.register_module()``."""
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (
            isinstance(call, ast.Attribute)
            and call.attr == "register_module"
            and isinstance(call.value, ast.Name)
            and call.value.id == "PARAM_SCHEDULERS"
        ):
            return True
    return False
