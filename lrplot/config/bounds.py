"""Bounds on what a config's curves cost, counted from the config data before anything is built.

``MAX_CURVES`` is checked arithmetically before a sweep is expanded, ``MAX_PARAM_GROUPS`` and
``MAX_SCHEDULERS`` as each curve is read, ``MAX_VALUES`` once every curve's length is known
and before any log is read or anything is planned (:mod:`lrplot.limits`; ``--force`` lifts them).
"""

from __future__ import annotations

from lrplot.config.models import ConfigFile, Curve, CurveSpec, SchedulerSpec, Segment
from lrplot.config.validation import check_text
from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import MAX_CURVES, MAX_PARAM_GROUPS, MAX_SCHEDULERS, MAX_VALUES, check
from lrplot.overrides import sweep_size


def count_curves(top: ConfigFile) -> int:
    """How many curves the config stands for, counted before any is built: ``MAX_CURVES``
    bounds the sum over ``curves:`` of each entry's sweep size (``--force`` lifts it)."""
    check("the config has {} curves", len(top.curves), MAX_CURVES, key_path=("curves",), liftable=True)
    defaults = top.defaults if isinstance(top.defaults, dict) else {}
    total = 0
    for raw in top.curves:
        sweep = dict(top.sweep) if isinstance(top.sweep, dict) else {}
        for level in (defaults, raw if isinstance(raw, dict) else {}):
            if isinstance(level.get("sweep"), dict):
                sweep.update(level["sweep"])
        try:
            total += sweep_size(sweep or None, ())
        except LrplotError:
            total += 1  # expanding the curve reports what is wrong with its sweep
    if total > len(top.curves):
        many = f"the config expands to {{}} curves ({len(top.curves):,} in curves:, swept)"
        check(
            "sweep makes {} curves" if len(top.curves) == 1 else many,
            total,
            MAX_CURVES,
            key_path=("sweep",) if top.sweep else ("curves",),
            liftable=True,
        )
    return total


def check_shape(
    spec: CurveSpec, segments: list[Segment] | None, scheduler: SchedulerSpec, key_path: KeyPath
) -> None:
    """Bound what multiplies a curve's cost: param groups (tensors, lines, values) and
    schedulers (constructed and stepped each step); group names are drawn, so bounded too."""
    groups = spec.optimizer.param_groups or []
    groups_path = (*key_path, "optimizer", "param_groups")
    check(
        "the optimizer has {} param groups",
        len(groups),
        MAX_PARAM_GROUPS,
        key_path=groups_path,
        liftable=True,
    )
    for index, group in enumerate(groups):
        if isinstance(group, dict) and isinstance(group.get("name"), str):
            check_text(group["name"], "param group name", (*groups_path, index, "name"))
    roots = [segment.scheduler for segment in segments] if segments else [scheduler]
    count = sum(_scheduler_count(root) for root in roots)
    check("the curve has {} schedulers (nested, segments and side by side)", count, MAX_SCHEDULERS,
          key_path=(*key_path, "segments" if segments else "scheduler"), liftable=True)  # fmt: skip


def _scheduler_count(spec: SchedulerSpec) -> int:
    return 1 + sum(_scheduler_count(child) for child in spec.schedulers or [])


def count_values(curves: list[Curve]) -> int:
    """Values the curves record (total_step x param groups, summed), bounded by ``MAX_VALUES``
    before anything is planned or stepped (``--force`` lifts it)."""
    groups_by_label: dict[str, int] = {}
    total, largest = 0, None
    for curve in curves:
        if curve.optimizer.from_ is not None:
            groups = groups_by_label.get(str(curve.optimizer.from_), 1)
        else:
            groups = max(1, len(curve.optimizer.param_groups or []))
        groups_by_label[curve.label] = groups
        total += curve.total_step * groups
        if largest is None or curve.total_step * groups > largest[0]:
            largest = (curve.total_step * groups, curve.index)
    if largest is not None:
        where = ("curves", largest[1], "total_step")
        summed = f", summed over {len(curves):,} curves" if len(curves) > 1 else ""
        check(f"the curves record {{}} values (total_step x param groups{summed})", total, MAX_VALUES,
              key_path=where, liftable=True)  # fmt: skip
    return total
