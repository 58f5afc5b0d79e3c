"""The checks an OpenMMLab config gets before it is drawn, each naming its file and line.

What mmengine itself would refuse on the data alone (``end`` not after ``begin``, a
train loop with both ``type`` and ``by_epoch``) and what lrplot does not draw (a hook that
sets the lr itself, values it did not read) are refused here, with the line in whichever
``_base_`` file set them. Scheduler types and keywords are checked against mmengine's own
classes when the driver builds them (:mod:`lrplot.plan.drivers.mmengine`), which reads
no torch here.
"""

from __future__ import annotations

from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import in_range
from lrplot.read.python import first_unreadable

SOURCE_NOTE = (
    "lrplot draws configs with param_scheduler, optim_wrapper and train_cfg (mmengine, OpenMMLab 2.x)"
)
_LOOPS = {"EpochBasedTrainLoop": "epoch", "IterBasedTrainLoop": "iter"}


def readable(data: dict[str, Any], key_path: KeyPath, source: Any, *, required: bool = True) -> Any:
    """The value at ``key_path``, refusing it when something in it was not read (or is missing)."""
    value: Any = data
    for key in key_path:
        if not isinstance(value, dict) or key not in value:
            if required:
                raise LrplotError(f"{'.'.join(map(str, key_path))} is missing", where=source.name)
            return None
        value = value[key]
    found = first_unreadable(value, key_path)
    if found is not None:
        path, unreadable = found
        where = source.where(path)
        raise LrplotError(f"{_dotted(path)} cannot be read: {unreadable.explain(where)}", where=where)
    return value


def check_hook(data: dict[str, Any], source: Any) -> None:
    """Only mmengine's ParamSchedulerHook steps param_scheduler; mmyolo's hooks set the lr themselves."""
    hooks = data.get("default_hooks")
    hook = hooks.get("param_scheduler") if isinstance(hooks, dict) else None
    if not isinstance(hook, dict):
        return
    kind = readable(data, ("default_hooks", "param_scheduler"), source).get("type", "ParamSchedulerHook")
    if kind != "ParamSchedulerHook":
        raise LrplotError(
            f"default_hooks.param_scheduler is {kind}, which computes the lr in its own code; "
            "lrplot draws mmengine's ParamSchedulerHook stepping param_scheduler",
            where=source.where(("default_hooks", "param_scheduler", "type")),
        )


def check_loop(train_cfg: Any, source: Any) -> tuple[str, int]:
    """("epoch", max_epochs) or ("iter", max_iters), as ``Runner.build_train_loop`` decides."""
    where = source.where(("train_cfg",))
    if not isinstance(train_cfg, dict):
        raise LrplotError(f"train_cfg should be a dict, got {train_cfg!r}", where=where)
    if "type" in train_cfg and "by_epoch" in train_cfg:
        raise LrplotError("train_cfg has both type and by_epoch (mmengine refuses it too)", where=where)
    if "type" in train_cfg:
        loop = _LOOPS.get(train_cfg["type"])
        if loop is None:
            raise LrplotError(
                f"train_cfg type {train_cfg['type']!r} is not mmengine's EpochBasedTrainLoop or "
                "IterBasedTrainLoop; lrplot steps those two",
                where=source.where(("train_cfg", "type")),
            )
    elif "by_epoch" in train_cfg:
        loop = "epoch" if train_cfg["by_epoch"] else "iter"
    else:
        raise LrplotError("train_cfg needs type or by_epoch (mmengine fails without them)", where=where)
    key = "max_epochs" if loop == "epoch" else "max_iters"
    length = train_cfg.get(key)
    in_range(length, f"train_cfg.{key}", where=source.where(("train_cfg", key)))
    if isinstance(length, float) and length.is_integer():
        length = int(length)  # the loops accept a float equal to an integer
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise LrplotError(
            f"train_cfg.{key} should be a positive integer, got {length!r}",
            where=source.where(("train_cfg", key)),
        )
    return loop, length


def scheduler_entries(data: dict[str, Any], source: Any) -> list[tuple[KeyPath, dict[str, Any]]]:
    """The param_scheduler entries with their key paths, each checked against mmengine's class."""
    if data.get("param_scheduler") is None:
        return []
    value = readable(data, ("param_scheduler",), source)
    if isinstance(value, dict) and "type" not in value:
        raise LrplotError(
            "param_scheduler per optimizer (a dict of lists) is not drawn; lrplot draws one optimizer",
            where=source.where(("param_scheduler",)),
        )
    listed = isinstance(value, (list, tuple))
    entries = list(value) if listed else [value]
    checked = []
    for index, entry in enumerate(entries):
        path: KeyPath = ("param_scheduler", index) if listed else ("param_scheduler",)
        checked.append((path, _check_entry(entry, path, source)))
    return checked


def _check_entry(entry: Any, path: KeyPath, source: Any) -> dict[str, Any]:
    """What can be checked on the data alone; mmengine's own checks run when it is built."""
    shown = _dotted(path)
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise LrplotError(
            f"{shown} should be a dict(type='...', ...), got {entry!r}", where=source.where(path)
        )
    if entry.get("convert_to_iter_based") and not entry.get("by_epoch", True):
        raise LrplotError(
            f"{shown}: convert_to_iter_based needs by_epoch=True (mmengine refuses it too)",
            where=source.where((*path, "convert_to_iter_based")),
        )
    begin, end = entry.get("begin", 0), entry.get("end")
    if isinstance(begin, (int, float)) and isinstance(end, (int, float)) and end <= begin:
        raise LrplotError(
            f"{shown}: end ({end}) should be larger than begin ({begin}) (mmengine refuses it too)",
            where=source.where((*path, "end")),
        )
    return {key: value for key, value in entry.items() if key != "_scope_"}


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
