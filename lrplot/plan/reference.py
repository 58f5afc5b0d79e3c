"""Comparing a simulated curve with what really happened: an lr column from a training log.

Reads a CSV such as Lightning's CSVLogger ``metrics.csv`` (LearningRateMonitor's
``lr-<Optimizer>`` column), a W&B or TensorBoard CSV export: a step column and an lr
column, with blank cells and one row per logging interval being normal. The figure draws
it dashed over the simulated curve; the summary reports the largest difference and the
first step where the two disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrplot.errors import KeyPath, LrplotError
from lrplot.read.logs import named_column, opened_log

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
    if not path.is_absolute():
        path = base_dir / path
    rtol = spec.get("rtol", DEFAULT_RTOL)
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)) or rtol < 0:
        raise LrplotError(f"reference rtol should be a number >= 0, got {rtol!r}", key_path=key_path)
    with opened_log(path, "reference log", key_path) as reader:
        columns = list(reader.fieldnames or [])
        step_column = _pick_step(spec.get("step"), columns, path, key_path)
        lr_column = _pick_lr(spec.get("column"), columns, path, key_path)
        values: dict[int, float] = {}
        for row in reader:
            step_cell = (row.get(step_column) or "").strip()
            lr_cell = (row.get(lr_column) or "").strip()
            if not step_cell or not lr_cell:
                continue  # loggers write other metrics on rows of their own
            try:
                step = int(float(step_cell))
                lr = float(lr_cell)
            except ValueError:
                raise LrplotError(
                    f"{path}:{reader.line_num}: {step_column}={step_cell!r}, {lr_column}={lr_cell!r} "
                    "are not numbers",
                    key_path=key_path,
                ) from None
            if step >= 0 and math.isfinite(lr):
                values.setdefault(step, lr)
    if not values:
        raise LrplotError(
            f"reference log {path}: no rows with both {step_column} and {lr_column}", key_path=key_path
        )
    steps = np.array(sorted(values), dtype=np.int64)
    return ReferenceLog(
        description=f"{spec['csv']}:{lr_column}",
        steps=steps,
        lr=np.array([values[s] for s in steps.tolist()], dtype=np.float64),
        group=spec.get("group", 0),
        rtol=float(rtol),
    )


def _pick_step(chosen: Any, columns: list[str], path: Path, key_path: KeyPath) -> str:
    if chosen is not None:
        return named_column(chosen, columns, path, key_path, what="step column")
    for name in STEP_COLUMNS:
        if name in columns:
            return name
    raise LrplotError(
        f"{path}: no step column ({', '.join(STEP_COLUMNS)}); name it with step:; "
        f"columns: {', '.join(columns)}",
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
            f"{path}: no lr column found (lr, lr-<Optimizer>, .../lr, Value); name it with column:; "
            f"columns: {', '.join(columns)}",
            key_path=key_path,
        )
    raise LrplotError(
        f"{path}: several lr columns ({', '.join(candidates)}); choose one with column:", key_path=key_path
    )
