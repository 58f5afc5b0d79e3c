"""A NeMo 2.0 recipe script (``nemo/collections/llm/recipes/*.py``) read as data: parsed, never run.

A recipe builds its run with ``run.Partial(pretrain, trainer=..., optim=...)`` (NVIDIA/NeMo at
8cfedd7203462cb251a914e700e5605444277561). Its lr schedule is written as one of:

- an optim factory of ``nemo/collections/llm/recipes/optim/adam.py`` / ``sgd.py``
  (``distributed_fused_adam_with_cosine_annealing(max_lr=3e-4)``): a ``CosineAnnealingScheduler``
  with the factory's ``warmup_steps``, ``constant_steps`` and ``min_lr`` (its own rule for a
  missing ``min_lr``: ``0.1 * max_lr``) over an optimizer of lr ``max_lr``;
- ``run.Config(XScheduler, ...)`` (or ``XScheduler(...)``) of
  ``nemo/lightning/pytorch/optim/lr_scheduler.py``, with the lr of a ``run.Config(OptimizerConfig,
  lr=...)`` in the same function: the wrapper builds ``nemo.core.optim`` class X from the keys
  it passes (:data:`WRAPPERS`, its ``__init__`` defaults).

Lightning steps it after every optimizer step (the wrappers' ``interval='step'``,
``frequency=1``) and ``MegatronStrategy.setup`` (nemo/lightning/pytorch/strategies/
megatron_strategy.py 484) sets its ``max_steps`` to the trainer's ``max_steps``: the
``max_steps=`` of the ``run.Config(nl.Trainer, ...)`` or of the recipe's ``trainer(...)`` call,
else that ``def trainer``'s default. A keyword's value is read when it is a literal or a
parameter of the enclosing function with a literal default (the recipe's own default); later
``recipe.trainer.max_steps = N`` / ``recipe.optim.config.lr = X`` /
``recipe.optim.lr_scheduler.KEY = V`` statements of that function replace them. Anything else
(a value computed when the recipe runs) is refused naming its file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError, printable
from lrplot.limits import MAX_PYTHON_NODES, in_range
from lrplot.read.files import read_text
from lrplot.read.nemo_recipe_names import FACTORIES, FLAT, MARKERS, WRAPPERS

_MAX_BYTES = 400_000
_COUNTS = ("warmup_steps", "constant_steps", "hold_steps", "max_steps", "d_model")


@dataclass
class RecipeSchedule:
    """What the recipe's run gives NeMo's scheduler class: its name, keywords, lr and length."""

    scheduler: str  # the nemo.core.optim.lr_scheduler class
    arguments: dict[str, Any]  # its keywords but max_steps
    lr: float
    max_steps: int | None  # None: no trainer max_steps in the file
    written_as: str  # the factory or wrapper, for the label
    lines: dict[str, int] = field(default_factory=dict)  # lr / max_steps / a keyword -> its line
    notes: list[str] = field(default_factory=list)
    missing_length: tuple[str, str] | None = None  # why max_steps is not in the file, and where


def is_recipe(text: str) -> bool:
    """A NeMo 2.0 script: imports NeMo's llm or lightning optim and names a schedule maker."""
    imports = (
        "nemo.collections.llm" in text
        or "nemo.lightning" in text
        or "from nemo.collections import llm" in text
    )
    return imports and any(marker in text for marker in MARKERS)


def read_recipe(path: Path) -> RecipeSchedule:
    """The recipe's lr schedule, or one line naming ``file:line`` of what is not literal."""
    text = read_text(path, limit=_MAX_BYTES, what="NeMo recipe")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise LrplotError(
            f"invalid Python: {error.msg}", where=f"{printable(str(path))}:{error.lineno}"
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise LrplotError("Python too deeply nested to read", where=printable(str(path))) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_PYTHON_NODES:
        raise LrplotError(
            f"more than {MAX_PYTHON_NODES:,} syntax nodes: not read", where=printable(str(path))
        )
    return _Reader(path, tree).schedule()


def _name(node: ast.AST) -> str | None:
    """The last name of ``a.b.c`` or ``c``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Reader:
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path, self.tree = path, tree
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}

    def at(self, node: ast.AST) -> str:
        return f"{printable(str(self.path))}:{getattr(node, 'lineno', 1)}"

    def refuse(self, message: str, node: ast.AST) -> LrplotError:
        return LrplotError(message, where=self.at(node))

    def schedule(self) -> RecipeSchedule:
        scope, call, kind = self._schedule_call()
        defaults = _parameter_defaults(scope) if isinstance(scope, ast.FunctionDef) else {}
        if kind in FLAT:
            raise self.refuse(f"{kind}: a flat lr, no schedule to draw", call)
        if kind in FACTORIES:
            found = self._factory(call, kind, defaults)
        else:
            found = self._wrapper(call, kind, defaults, scope)
        found.max_steps = self._max_steps(scope, defaults, found)
        self._assignments(scope, defaults, found)
        if found.max_steps is not None:
            found.missing_length = None
        elif found.missing_length is None:
            found.missing_length = (
                "NeMo recipe: the trainer's max_steps (the scheduler's max_steps, as MegatronStrategy sets "
                "it) is not written in the file: give it with --set lrplot.total_step=N",
                self.at(call),
            )
        return found

    def _schedule_call(self) -> tuple[ast.AST, ast.Call, str]:
        """The one schedule call (``pretrain_recipe``'s when several functions have one)."""
        found: list[tuple[ast.AST, ast.Call, str]] = []
        scopes: list[ast.AST] = [*self.functions.values(), self.tree]
        for scope in scopes:
            for node in _own_nodes(scope):
                if isinstance(node, ast.Call):
                    kind = _schedule_kind(node)
                    if kind is not None:
                        found.append((scope, node, kind))
        if not found:
            raise LrplotError(
                "NeMo recipe: no optim factory (distributed_fused_adam_with_cosine_annealing, ...) or "
                "run.Config(XScheduler, ...) written in the file; a recipe that calls another recipe "
                "(llm.llama3_8b.pretrain_recipe()) has its schedule in that file: plot it",
                where=f"{printable(str(self.path))}:1",
            )
        pretrain = [item for item in found if getattr(item[0], "name", "") == "pretrain_recipe"]
        chosen = pretrain or found
        if len(chosen) > 1:
            lines = ", ".join(str(call.lineno) for _, call, _ in chosen[:6])
            raise self.refuse(
                f"NeMo recipe: {len(chosen)} lr schedules (lines {lines}); lrplot draws one", chosen[1][1]
            )
        return chosen[0]

    def value(self, node: ast.AST, defaults: dict[str, ast.AST], what: str) -> Any:
        """A literal, or a parameter of the function with a literal default."""
        if isinstance(node, ast.Name) and node.id in defaults:
            node = defaults[node.id]
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            shown = _source(node)
            raise self.refuse(
                f"NeMo recipe: {what}={shown} is computed when the recipe runs; lrplot reads literal "
                "values only: write the number there",
                node,
            ) from None
        in_range(value, what, where=self.at(node), count=what.rsplit(".", 1)[-1] in _COUNTS)
        return value

    def _keywords(self, call: ast.Call, order: list[str], skip: int, kind: str) -> dict[str, ast.AST]:
        given: dict[str, ast.AST] = {}
        for index, argument in enumerate(call.args[skip:]):
            if isinstance(argument, ast.Starred) or index >= len(order):
                raise self.refuse(f"NeMo recipe: {kind}(...) with *args or extra positional arguments", call)
            given[order[index]] = argument
        for keyword in call.keywords:
            if keyword.arg is None:
                raise self.refuse(f"NeMo recipe: {kind}(**...) is known only when the recipe runs", call)
            if keyword.arg not in order:
                raise self.refuse(f"NeMo recipe: {kind} has no parameter {keyword.arg!r}", keyword.value)
            given[keyword.arg] = keyword.value
        return given

    def _factory(self, call: ast.Call, kind: str, defaults: dict[str, ast.AST]) -> RecipeSchedule:
        parameters, not_none = FACTORIES[kind]
        given = self._keywords(call, list(parameters), 0, kind)
        values = {k: self.value(given[k], defaults, k) if k in given else v for k, v in parameters.items()}
        max_lr, min_lr = values["max_lr"], values["min_lr"]
        for key, number in (("max_lr", max_lr), ("min_lr", min_lr)):
            if (
                isinstance(number, bool)
                or not isinstance(number, (int, float, type(None)))
                or (key == "max_lr" and number is None)
            ):
                raise self.refuse(
                    f"NeMo recipe: {kind}'s {key} should be a number, got {number!r}"[:120],
                    given.get(key, call),
                )
        if not not_none:  # pytorch_adam_with_cosine_annealing: ``min_lr or (0.1 * max_lr)``
            min_lr = min_lr or None
        min_lr = min_lr if min_lr is not None else (0.1 * max_lr)
        arguments = {
            "warmup_steps": values["warmup_steps"],
            "constant_steps": values["constant_steps"],
            "min_lr": min_lr,
        }
        lines = {k: getattr(given[k], "lineno", call.lineno) for k in given}
        lines.setdefault("max_lr", call.lineno)
        lines["lr"] = lines["max_lr"]
        for key in arguments:
            lines.setdefault(key, call.lineno)
        return RecipeSchedule("CosineAnnealing", arguments, float(max_lr), None, kind, lines)

    def _wrapper(
        self, call: ast.Call, kind: str, defaults: dict[str, ast.AST], scope: ast.AST
    ) -> RecipeSchedule:
        cls, parameters, passed = WRAPPERS[kind]
        skip = 1 if _name(call.func) in ("Config", "Partial") else 0
        given = self._keywords(call, list(parameters), skip, kind)
        values = {k: self.value(given[k], defaults, k) if k in given else v for k, v in parameters.items()}
        if values["interval"] != "step" or values["frequency"] != 1:
            raise self.refuse(
                f"NeMo recipe: {kind} with interval {values['interval']!r}, "
                f"frequency {values['frequency']!r}: "
                "lrplot draws the wrappers' interval 'step', frequency 1",
                given.get("interval") or given.get("frequency") or call,
            )
        if cls == "NoamAnnealing" and values["d_model"] is None:
            raise self.refuse("NeMo recipe: NoamAnnealingScheduler needs d_model", call)
        lines = {k: getattr(v, "lineno", call.lineno) for k, v in given.items()}
        lr, lr_line = self._optimizer_lr(scope, defaults, call)
        lines["lr"] = lr_line
        return RecipeSchedule(cls, {k: values[k] for k in passed}, lr, None, kind, lines)

    def _optimizer_lr(self, scope: ast.AST, defaults: dict[str, ast.AST], near: ast.AST) -> tuple[float, int]:
        """The ``lr=`` of the ``run.Config(OptimizerConfig, ...)`` (or torch optimizer partial) there."""
        found = []
        for node in _own_nodes(scope):
            if (
                isinstance(node, ast.Call)
                and _name(node.func) in ("Config", "Partial")
                and node.args
                and _name(node.args[0]) in ("OptimizerConfig", "Adam", "AdamW", "SGD", "FusedAdam")
            ):
                found.extend(k for k in node.keywords if k.arg == "lr")
        if len(found) != 1:
            raise self.refuse(
                "NeMo recipe: the optimizer's lr (run.Config(OptimizerConfig, lr=...) in the same "
                f"function) is {'not written' if not found else 'written more than once'} there",
                near,
            )
        lr = self.value(found[0].value, defaults, "lr")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)):
            raise self.refuse(f"NeMo recipe: lr should be a number, got {lr!r}"[:100], found[0].value)
        return float(lr), found[0].value.lineno

    def _max_steps(self, scope: ast.AST, defaults: dict[str, ast.AST], found: RecipeSchedule) -> int | None:
        """``trainer.max_steps``: the trainer's ``max_steps=``, else its ``def trainer`` default."""
        for node in _own_nodes(scope):
            if not isinstance(node, ast.Call):
                continue
            if _name(node.func) in ("Config",) and node.args and _name(node.args[0]) == "Trainer":
                return self._steps_keyword(node, defaults, found)
            trainer = next((k.value for k in node.keywords if k.arg == "trainer"), None)
            if isinstance(trainer, ast.Call) and isinstance(trainer.func, ast.Name):
                steps = next((k.value for k in trainer.keywords if k.arg == "max_steps"), None)
                if steps is not None:
                    return self._int(self.value(steps, defaults, "max_steps"), steps, found)
                helper = self.functions.get(trainer.func.id)
                if helper is None:
                    found.missing_length = (
                        f"NeMo recipe: the trainer comes from {trainer.func.id}(...), which is not defined "
                        "in this file (imported), so its max_steps is not here: give it with --set "
                        "lrplot.total_step=N",
                        self.at(trainer),
                    )
                    return None
                if helper is not None:
                    own = _parameter_defaults(helper)
                    if "max_steps" in own:
                        return self._int(
                            self.value(own["max_steps"], own, "max_steps"), own["max_steps"], found
                        )
                    for inner in _own_nodes(helper):
                        if isinstance(inner, ast.Call) and inner.args and _name(inner.args[0]) == "Trainer":
                            return self._steps_keyword(inner, own, found)
        return None

    def _steps_keyword(
        self, call: ast.Call, defaults: dict[str, ast.AST], found: RecipeSchedule
    ) -> int | None:
        steps = next((k.value for k in call.keywords if k.arg == "max_steps"), None)
        if steps is None:
            return None
        return self._int(self.value(steps, defaults, "max_steps"), steps, found)

    def _int(self, value: Any, node: ast.AST, found: RecipeSchedule) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.refuse(
                f"NeMo recipe: trainer max_steps should be a positive integer, got {value!r}"[:100], node
            )
        found.lines["max_steps"] = node.lineno
        return value

    def _assignments(self, scope: ast.AST, defaults: dict[str, ast.AST], found: RecipeSchedule) -> None:
        """``recipe.trainer.max_steps = N`` and the like, in the order the function runs them."""
        body = scope.body if isinstance(scope, (ast.FunctionDef, ast.Module)) else []
        for statement in body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                self._assign(statement.targets[0], statement.value, defaults, found)
        for node in _own_nodes(scope):  # the same inside if/for/with: known only when it runs
            if isinstance(node, ast.Assign) and node not in body and _chain_key(node.targets[0]) is not None:
                raise self.refuse(
                    f"NeMo recipe: {_source(node.targets[0])} is set inside a block that runs "
                    "only when the recipe does; lrplot reads it only at the function's top level",
                    node,
                )

    def _assign(
        self, target: ast.AST, value: ast.AST, defaults: dict[str, ast.AST], found: RecipeSchedule
    ) -> None:
        key = _chain_key(target)
        if key is None:
            return
        read = self.value(value, defaults, _source(target))
        if key == "max_steps":
            found.max_steps = self._int(read, value, found)
        elif key == "lr":
            if isinstance(read, bool) or not isinstance(read, (int, float)):
                raise self.refuse(f"NeMo recipe: lr should be a number, got {read!r}"[:100], value)
            found.lr, found.lines["lr"] = float(read), value.lineno
        else:
            if key not in found.arguments:
                raise self.refuse(
                    f"NeMo recipe: {found.written_as}'s scheduler {found.scheduler} does not take {key!r}",
                    target,
                )
            found.arguments[key], found.lines[key] = read, value.lineno


def _chain_key(target: ast.AST) -> str | None:
    """``x.trainer.max_steps`` → max_steps, ``x.optim.config.lr`` → lr, ``x.optim.lr_scheduler.K`` → K."""
    parts: list[str] = []
    while isinstance(target, ast.Attribute):
        parts.insert(0, target.attr)
        target = target.value
    if parts[-2:] == ["trainer", "max_steps"]:
        return "max_steps"
    if parts[-3:] == ["optim", "config", "lr"]:
        return "lr"
    if len(parts) >= 3 and parts[-3:-1] == ["optim", "lr_scheduler"]:
        return parts[-1]
    return None


def _schedule_kind(call: ast.Call) -> str | None:
    name = _name(call.func)
    if name in FACTORIES or name in FLAT or name in WRAPPERS:
        return name
    if name in ("Config", "Partial") and call.args and _name(call.args[0]) in WRAPPERS:
        return _name(call.args[0])
    return None


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a function (or the module outside its functions), nested functions left out."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(out, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))


def _parameter_defaults(function: ast.FunctionDef) -> dict[str, ast.AST]:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    named = [a.arg for a in positional[len(positional) - len(arguments.defaults) :]]
    pairs = dict(zip(named, arguments.defaults, strict=True))
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            pairs[argument.arg] = default
    return pairs


def _source(node: ast.AST) -> str:
    """The node as the file writes it, shortened and printable (a deep one too)."""
    try:
        return printable(ast.unparse(node), 60)
    except (RecursionError, ValueError):
        return "an expression"
