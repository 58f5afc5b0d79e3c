"""transformers' schedule functions and the Hugging Face Trainer's ``lr_scheduler_type`` names.

Read from transformers' source (``optimization.py``, ``trainer_utils.py``): the
``get_*schedule*`` functions a config may name (lrplot allows them by default), the
``SchedulerType`` values, which function ``TYPE_TO_SCHEDULER_FUNCTION`` maps each to, and
whether ``get_scheduler`` passes the Trainer's ``lr_scheduler_kwargs`` on to it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lrplot.commands.catalog import source
from lrplot.commands.catalog.model import Entry, Parameter, Section

# The names lrplot.plan.classes.SCHEDULE_FACTORIES allows (that module imports the planner,
# too slow for `list`; tests/test_catalog.py checks every entry resolves there).
_FACTORY = re.compile(r"get_\w*schedul\w*")
_SUPPLIED = {"optimizer"}
# What Trainer.create_scheduler passes get_scheduler itself; the rest is lr_scheduler_kwargs.
_TRAINER_SUPPLIED = {"optimizer", "num_warmup_steps", "num_training_steps"}
FUNCTION_USAGE = "scheduler: {name: transformers.NAME, ...}"
# Names transformers does not export at its top level are named through their module.
MODULE_USAGE = "scheduler: {name: transformers.optimization.NAME, ...}"
TRAINER_USAGE = "lr_scheduler_type: NAME, lr_scheduler_kwargs: {...}"
_MISSING = {
    "transformers": "pip install 'lrplot[transformers]'",
    "huggingface": "pip install 'lrplot[huggingface]'",
}


def functions() -> list[Section]:
    """``transformers.get_*schedule*``, each with the parameters besides the optimizer."""
    transformers = source.package("transformers")
    if transformers is None:
        return [
            Section("transformers", "transformers schedule functions", "", missing=_MISSING["transformers"])
        ]
    tree = source.parse(transformers.path / "optimization.py")
    exported = _top_level_exports(source.parse(transformers.path / "__init__.py"))
    refused = {function: reason for _, function, _, reason in _trainer_types(transformers.path) if reason}
    entries = []
    for name, node in source.functions(tree).items():
        if not _FACTORY.fullmatch(name):
            continue
        parameters, note = _parameters(transformers.path, node, _SUPPLIED)
        if name in refused:
            note = f"not drawn: {refused[name]}" + (f"; {note}" if note else "")
        entries.append(
            Entry(
                name=name,
                kind="scheduler",
                module="transformers.optimization",
                parameters=parameters,
                summary=source.first_paragraph(node),
                ecosystem="transformers",
                aliases=(f"transformers.{name}", f"transformers.optimization.{name}"),
                note=note,
                drawn=name not in refused,
                usage=(FUNCTION_USAGE if name in exported else MODULE_USAGE).replace("NAME", name),
            )
        )
    heading = f"transformers {transformers.version} schedule functions"
    return [Section("transformers", heading, FUNCTION_USAGE, sorted(entries, key=lambda e: e.name))]


def trainer_types() -> list[Section]:
    """The Trainer's ``lr_scheduler_type`` names: the function each is, and its lr_scheduler_kwargs."""
    transformers = source.package("transformers")
    if transformers is None:
        return [
            Section(
                "huggingface",
                "Hugging Face Trainer lr_scheduler_type names",
                "",
                missing=_MISSING["huggingface"],
            )
        ]
    folder = transformers.path
    functions_by_name = source.functions(source.parse(folder / "optimization.py"))
    entries = []
    for value, function, passes_kwargs, reason in _trainer_types(folder):
        node = functions_by_name.get(function)
        parameters, passed = (
            _parameters(folder, node, _TRAINER_SUPPLIED) if node and passes_kwargs else ([], "")
        )
        if reason:
            note = f"not drawn: {reason}"
        elif not passes_kwargs:
            note = f"get_scheduler calls {function} without lr_scheduler_kwargs: they are ignored"
        else:
            note = (
                "the Trainer passes num_warmup_steps and num_training_steps; "
                f"lr_scheduler_kwargs go to {function}"
            )
            note += f" ({passed})" if passed else ""
        entries.append(
            Entry(
                name=value,
                kind="scheduler",
                module="transformers.optimization",
                parameters=parameters,
                summary=source.first_paragraph(node) if node else "",
                ecosystem="huggingface",
                tag=function + ("" if passes_kwargs else ", lr_scheduler_kwargs ignored"),
                note=note,
                drawn=not reason,
                defined_by=f"transformers.optimization.{function}",
                usage=f"lr_scheduler_type: {value}" + (", lr_scheduler_kwargs: {...}" if parameters else ""),
            )
        )
    heading = f"Hugging Face Trainer lr_scheduler_type names, transformers {transformers.version}"
    return [Section("huggingface", heading, TRAINER_USAGE, entries)]


def _top_level_exports(init: ast.Module) -> set[str]:
    """``_import_structure["optimization"] = [...]``: what ``transformers.NAME`` finds lazily."""
    for node in ast.walk(init):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.List)
            and any(
                isinstance(t, ast.Subscript)
                and isinstance(t.value, ast.Name)
                and t.value.id == "_import_structure"
                and isinstance(t.slice, ast.Constant)
                and t.slice.value == "optimization"
                for t in node.targets
            )
        ):
            return {
                e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
    return set()


def _parameters(folder: Path, function: ast.FunctionDef, supplied: set[str]) -> tuple[list[Parameter], str]:
    """A function's parameters; for ``(optimizer, **kwargs)`` ones, those of the class it builds
    with them (``get_greedy_schedule`` -> ``GreedyLR``), with a note saying so."""
    parameters = source.function_parameters(function, supplied)
    passed_to = _passes_keywords_to(function)
    if not passed_to or not parameters or not parameters[-1].variadic:
        return parameters, ""
    table = source.classes([(folder / "optimization.py", "transformers.optimization")])
    if passed_to in table:
        keywords = source.init_parameters(passed_to, table, {"self", "optimizer"})
        return keywords, f"its keywords are {passed_to}'s (transformers.optimization.{passed_to})"
    return parameters, f"its keywords are {passed_to}'s (lrplot list {passed_to})"


def _trainer_types(folder: Path) -> list[tuple[str, str, bool, str]]:
    """(lr_scheduler_type, function, whether get_scheduler passes it lr_scheduler_kwargs, refusal)."""
    from lrplot.formats.trainer_args import REFUSED_SCHEDULERS

    values = _scheduler_type_values(source.parse(folder / "trainer_utils.py"))
    tree = source.parse(folder / "optimization.py")
    mapping = _type_to_function(tree)
    ignoring = _types_called_without_kwargs(source.functions(tree).get("get_scheduler"))
    return [
        (value, mapping[member], member not in ignoring, REFUSED_SCHEDULERS.get(value, ""))
        for member, value in values.items()
        if member in mapping
    ]


def _scheduler_type_values(tree: ast.Module) -> dict[str, str]:
    """``class SchedulerType``'s members: ``COSINE = "cosine"`` -> {"COSINE": "cosine"}."""
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "SchedulerType"), None)
    if node is None:
        raise LookupError("class SchedulerType not found in transformers/trainer_utils.py")
    return {
        target.id: statement.value.value
        for statement in node.body
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }


def _type_to_function(tree: ast.Module) -> dict[str, str]:
    """``TYPE_TO_SCHEDULER_FUNCTION``: SchedulerType member -> function name."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == "TYPE_TO_SCHEDULER_FUNCTION" for t in node.targets)
        ):
            return {
                key.attr: value.id
                for key, value in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(key, ast.Attribute) and isinstance(value, ast.Name)
            }
    raise LookupError("TYPE_TO_SCHEDULER_FUNCTION not found in transformers/optimization.py")


def _types_called_without_kwargs(get_scheduler: ast.FunctionDef | None) -> set[str]:
    """Members ``get_scheduler`` special-cases with a call that passes no ``**scheduler_specific_kwargs``
    (``if name == SchedulerType.CONSTANT: return schedule_func(optimizer)``)."""
    ignoring: set[str] = set()
    for node in ast.walk(get_scheduler) if get_scheduler else ():
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
            continue
        compared = node.test.comparators[0]
        returned = node.body[-1]
        if (
            isinstance(compared, ast.Attribute)
            and isinstance(returned, ast.Return)
            and isinstance(returned.value, ast.Call)
            and not any(keyword.arg is None for keyword in returned.value.keywords)
        ):
            ignoring.add(compared.attr)
    return ignoring


def _passes_keywords_to(function: ast.FunctionDef) -> str:
    """The class a ``(optimizer, **kwargs)`` function returns built with those keywords, if any."""
    if function.args.kwarg is None:
        return ""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Return)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and any(keyword.arg is None for keyword in node.value.keywords)
        ):
            return node.value.func.id
    return ""
