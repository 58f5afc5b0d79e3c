"""DeepSpeed's schedules, read from ``deepspeed/runtime/lr_schedules.py`` (never imported here:
importing deepspeed takes seconds and logs its accelerator choice)."""

from __future__ import annotations

import ast

from lrplot.commands.catalog import source
from lrplot.commands.catalog.model import Entry, Section

USAGE = '"scheduler": {"type": NAME, "params": {...}}, or a torch.optim.lr_scheduler NAME'
MISSING = "pip install 'lrplot[deepspeed]'"


def sections() -> list[Section]:
    """The schedules ``VALID_LR_SCHEDULES`` lists, in its order, with their classes' parameters."""
    from lrplot.formats.deepspeed import PARAMETERS  # the types lrplot's DeepSpeed format draws

    deepspeed = source.package("deepspeed")
    if deepspeed is None:
        return [Section("deepspeed", "DeepSpeed schedules", "", missing=MISSING)]
    path = deepspeed.path / "runtime" / "lr_schedules.py"
    module = "deepspeed.runtime.lr_schedules"
    tree = source.parse(path)
    table = source.classes([(path, module)])
    entries = []
    for name in _valid_schedules(tree) or sorted(PARAMETERS):
        if name not in table:
            continue
        drawn = name in PARAMETERS
        entries.append(
            Entry(
                name=name,
                kind="scheduler",
                module=module,
                parameters=source.init_parameters(name, table, {"self", "optimizer"}),
                summary=source.first_paragraph(table[name].node),
                ecosystem="deepspeed",
                aliases=(f"{module}.{name}",),
                note="" if drawn else "not drawn: this lrplot does not drive it yet",
                drawn=drawn,
                usage=f'"scheduler": {{"type": "{name}", "params": {{...}}}} in a DeepSpeed JSON',
            )
        )
    return [Section("deepspeed", f"DeepSpeed {deepspeed.version} schedules", USAGE, entries)]


def _valid_schedules(tree: ast.Module) -> list[str]:
    """``VALID_LR_SCHEDULES = [LR_RANGE_TEST, ONE_CYCLE, ...]`` with each constant's value."""
    names = {key: ast.literal_eval(text) for key, text in source.constants(tree).items()}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.List | ast.Tuple)
            and any(isinstance(t, ast.Name) and t.id == "VALID_LR_SCHEDULES" for t in node.targets)
        ):
            values = []
            for element in node.value.elts:
                value = names.get(element.id) if isinstance(element, ast.Name) else None
                value = element.value if isinstance(element, ast.Constant) else value
                if isinstance(value, str):
                    values.append(value)
            return values
    return []
