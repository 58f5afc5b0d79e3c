"""The installed ``TrainingArguments``' own checks on the schedule keys, before anything is drawn.

``TrainingArguments.__post_init__`` turns ``lr_scheduler_type`` and ``optim`` into its enums
(``SchedulerType(...)``, ``OptimizerNames(...)``): a name it does not know stops the run
before training (``optim: adamw_fooo`` was drawn as AdamW with a note). Constructing a real
``TrainingArguments`` here imports torch and transformers' integrations (2.5-4 s on these
machines, where the format layer is torch-free), so the enums' values are read from the
installed transformers' own source (``trainer_utils.py`` ``class SchedulerType``,
``training_args.py`` ``class OptimizerNames``) without importing it, and looked up as
``ExplicitEnum`` looks a value up (exact string). ``_validate_args``' other schedule check,
``warmup_steps < 0``, is :func:`trainer_args.number`'s minimum; its eval-strategy checks on
``reduce_lr_on_plateau`` and ``greedy`` are moot (lrplot refuses both schedules).
tests/test_trainer_checks.py compares every verdict with a real ``TrainingArguments``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

from lrplot.errors import LrplotError
from lrplot.formats.trainer_args import TrainerArgs

# the TrainingArguments field, the enum it becomes, the file of the installed package that declares it
_ENUMS = {
    "lr_scheduler_type": ("SchedulerType", "trainer_utils.py"),
    "optim": ("OptimizerNames", "training_args.py"),
}
_MAX_SOURCE = 2_000_000  # characters: transformers' training_args.py is ~150,000


@functools.lru_cache(maxsize=4)
def enum_values(class_name: str, file_name: str) -> tuple[str, ...] | None:
    """The string values of ``class_name`` in the installed transformers' ``file_name`` (None: unknown)."""
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / file_name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if len(text) > _MAX_SOURCE:
        return None
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            values = [
                statement.value.value
                for statement in node.body
                if isinstance(statement, ast.Assign)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ]
            return tuple(values) or None
    return None


def check_trainer_args(args: TrainerArgs, version: str) -> None:
    """Refuse, in one line naming the key, a value the installed ``TrainingArguments`` refuses."""
    for field_name, (class_name, file_name) in _ENUMS.items():
        key_path = args.key(field_name)
        if key_path is None:
            continue  # the Trainer's own default
        values = enum_values(class_name, file_name)
        value = getattr(args, field_name)
        if values is not None and value not in values:
            shown = ", ".join(values[:12]) + (", ..." if len(values) > 12 else "")
            raise LrplotError(
                f"transformers {version} refuses {field_name} {value!r}: not a valid {class_name} "
                f"(one of {shown})",
                key_path=key_path,
            )
