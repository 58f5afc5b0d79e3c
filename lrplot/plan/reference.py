"""Comparing a simulated curve with what really happened: an lr column from a training log.

Reads a CSV such as Lightning's CSVLogger ``metrics.csv`` (LearningRateMonitor's
``lr-<Optimizer>`` column), a W&B or TensorBoard CSV export: a step column and an lr
column, with blank cells and one row per logging interval being normal. The figure draws
it dashed over the simulated curve; the summary reports the largest difference and the
first step where the two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.limits import finite_number, log_limit
from lrplot.read.logs import named_column, number_cell, opened_log, shown_columns, step_cell

STEP_COLUMNS = ("step", "Step", "global_step", "trainer/global_step", "_step")
DEFAULT_RTOL = 1e-6


@dataclass
class ReferenceLog:
    """A logged lr series: steps (sorted, unique) and values."""

    description: str
    steps: np.ndarray
    lr: np.ndarray
    group: str | int = 0
    rtol: float = DEFAULT_RTOL

    def compare(self, simulated: np.ndarray) -> tuple[float | None, int | None]:
        """(largest |difference|, first step where they disagree) over the logged steps."""
        inside = self.steps < len(simulated)
        if not inside.any():
            return None, None
        steps, logged = self.steps[inside], self.lr[inside]
        ours = simulated[steps]
        with np.errstate(all="ignore"):  # inf - inf and overflow are differences, not warnings
            difference = np.abs(ours - logged)
            close = np.isclose(ours, logged, rtol=self.rtol, atol=0.0)
        first = int(steps[np.argmin(close)]) if not close.all() else None
        return float(difference.max()), first


def parse_reference(value: Any, key_path: KeyPath) -> dict[str, Any]:
    """A ``reference:`` value (a path, or a mapping) as a mapping with known keys."""
    if isinstance(value, str):
        return {"csv": value}
    if not isinstance(value, dict) or "csv" not in value:
        raise LrplotError(
            f"reference should be a CSV path or {{csv: FILE, column: NAME, step: NAME}}, got {value!r}",
            key_path=key_path,
        )
    unknown = set(value) - {"csv", "column", "step", "group", "rtol"}
    if unknown:
        raise LrplotError(
            f"unknown key {sorted(unknown)[0]!r} in reference; valid keys: csv, column, step, group, rtol",
            key_path=key_path,
        )
    return value


def read_reference(value: Any, base_dir: Path, key_path: KeyPath) -> ReferenceLog:
    """Read a training log's lr column (see the module docstring)."""
    spec = parse_reference(value, key_path)
    path = Path(str(spec["csv"]))
    rtol = finite_number(spec.get("rtol", DEFAULT_RTOL), "reference rtol", key_path=key_path)
    group = spec.get("group", 0)
    if isinstance(group, bool) or not isinstance(group, (str, int)):
        raise LrplotError(
            f"reference group should be a param group name or index, got {printable(repr(group), 80)}",
            key_path=key_path,
        )
    with opened_log(path, "reference log", key_path, config_dir=base_dir, limit=log_limit()) as reader:
        columns = list(reader.fieldnames or [])
        step_column = _pick_step(spec.get("step"), columns, path, key_path)
        lr_column = _pick_lr(spec.get("column"), columns, path, key_path)
        values: dict[int, float] = {}
        for row in reader:
            step_text = (row.get(step_column) or "").strip()
            lr_text = (row.get(lr_column) or "").strip()
            if not step_text or not lr_text:
                continue  # loggers write other metrics on rows of their own
            step = step_cell(step_text, path, reader.line_num, step_column, key_path)
            lr = number_cell(lr_text, path, reader.line_num, lr_column, key_path)
            if step >= 0 and abs(lr) != float("inf") and lr == lr:
                values.setdefault(step, lr)
    if not values:
        raise LrplotError(
            f"reference log {printable(str(path))}: no rows with both {printable(step_column, 40)} and "
            f"{printable(lr_column, 40)}",
            key_path=key_path,
        )
    steps = np.array(sorted(values), dtype=np.int64)
    return ReferenceLog(
        description=f"{spec['csv']}:{lr_column}",
        steps=steps,
        lr=np.array([values[s] for s in steps.tolist()], dtype=np.float64),
        group=group,
        rtol=rtol,
    )


def _pick_step(chosen: Any, columns: list[str], path: Path, key_path: KeyPath) -> str:
    if chosen is not None:
        return named_column(chosen, columns, path, key_path, what="step column")
    for name in STEP_COLUMNS:
        if name in columns:
            return name
    raise LrplotError(
        f"{printable(str(path))}: no step column ({', '.join(STEP_COLUMNS)}); name it with step:; "
        f"columns: {shown_columns(columns)}",
        key_path=key_path,
    )


def _pick_lr(chosen: Any, columns: list[str], path: Path, key_path: KeyPath) -> str:
    if chosen is not None:
        return named_column(chosen, columns, path, key_path)
    candidates = [
        c
        for c in columns
        if c == "lr" or c.startswith("lr-") or c.endswith(("/lr", "_lr", "learning_rate")) or c == "Value"
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise LrplotError(
            f"{printable(str(path))}: no lr column found (lr, lr-<Optimizer>, .../lr, Value); name it with "
            f"column:; columns: {shown_columns(columns)}",
            key_path=key_path,
        )
    raise LrplotError(
        f"{printable(str(path))}: several lr columns ({shown_columns(candidates)}); choose one with column:",
        key_path=key_path,
    )
