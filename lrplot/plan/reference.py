"""Comparing a simulated curve with what really happened: the lr a training run logged.

A reference is any log :func:`lrplot.read.logged_runs.read_logged_run` reads (TensorBoard, a Hugging
Face ``trainer_state.json``, Lightning's ``metrics.csv``, a W&B CSV export, an MLflow run, a
plain CSV). This module picks the lr series (``tag``, or the one lr-like series there is),
matches each with a param group (Lightning's ``lr-<Optimizer>/pgN`` by order, ``/<name>`` by
name), and places each logged value at the optimizer step it belongs to (``offset``, chosen
per logger: see docs/references.md). Values are compared at the logged steps only, within
``rtol`` (float32 precision for TensorBoard, which stores float32); the first step where they
part is a :class:`Divergence` with what a message or a lint finding needs, including a hint
when the log looks like the plan shifted by k steps, stretched in steps, or scaled in value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.limits import finite_number, log_limit
from lrplot.plan.divergence import Divergence, close_to, hint_for
from lrplot.read.logged_runs import read_logged_run
from lrplot.read.logs import LoggedRun, Series, shown_columns

DEFAULT_RTOL = 1e-6  # text logs (CSV, JSON, MLflow) carry Python's repr of a double
FLOAT32_RTOL = 2.0**-22  # two float32 ulps: the double rounded once to float32, as TensorBoard stores it
KEYS = ("path", "csv", "tag", "column", "step", "group", "rtol", "offset")
# Which series a log's lr is when it has several lr-like ones, best first.
PREFERRED = ("train/learning_rate", "learning_rate", "train/lr", "lr")
# transformers logs the lr its optimizer step used from this release on (PR #36973); before,
# the lr of the next step (the scheduler had already stepped).
HF_LOGS_USED_LR = (4, 51)


@dataclass(frozen=True)
class Comparison:
    """One logged series against one param group's simulated lr."""

    series: str
    group: int  # index of the param group compared
    compared: int  # logged steps inside the simulated run
    max_difference: float | None  # None: no logged step inside the run
    divergence: Divergence | None


@dataclass
class LoggedLr:
    """One logged lr series placed on the plan's steps (``steps`` = logged step + offset)."""

    name: str
    group: str | int  # the param group it belongs to: a name or an index
    steps: np.ndarray  # the plan's steps, sorted, >= 0
    lr: np.ndarray
    logged_steps: np.ndarray
    float32: bool = False


@dataclass
class ReferenceLog:
    """A training log's lr series, ready to compare with a simulated curve."""

    description: str
    series: list[LoggedLr]
    logger: str = "csv"
    offset: int = 0
    rtol: float | None = None  # None: the series' own default (DEFAULT_RTOL, or FLOAT32_RTOL)
    writer_version: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def group(self) -> str | int:
        return self.series[0].group

    @property
    def steps(self) -> np.ndarray:
        return self.series[0].steps

    @property
    def lr(self) -> np.ndarray:
        return self.series[0].lr

    @property
    def from_hf(self) -> bool:
        """Whether a Hugging Face Trainer wrote it (the hint then names its versions' offsets)."""
        return self.logger == "huggingface" or any(s.name.endswith("learning_rate") for s in self.series)

    def tolerance(self, logged: LoggedLr) -> float:
        if self.rtol is not None:
            return self.rtol
        return FLOAT32_RTOL if logged.float32 else DEFAULT_RTOL

    def compare(self, simulated: np.ndarray, index: int = 0) -> tuple[float | None, int | None]:
        """(largest |difference|, first plan step where they disagree) over the logged steps."""
        result = self.comparison(simulated, index, 0, "")
        return result.max_difference, result.divergence.step if result.divergence else None

    def comparison(self, simulated: np.ndarray, index: int, group: int, group_name: str) -> Comparison:
        """Series ``index`` against a group's simulated lr: the largest difference, the first divergence."""
        logged = self.series[index]
        inside = logged.steps < len(simulated)
        if not inside.any():
            return Comparison(logged.name, group, 0, None, None)
        steps, values = logged.steps[inside], logged.lr[inside]
        rtol = self.tolerance(logged)
        ours = simulated[steps]
        close = close_to(ours, values, rtol, logged.float32)
        with np.errstate(all="ignore"):  # inf - inf and overflow are differences, not warnings
            largest = float(np.abs(ours - values).max())
        if close.all():
            return Comparison(logged.name, group, len(steps), largest, None)
        first = int(np.argmin(close))
        divergence = Divergence(
            series=logged.name,
            group=group_name,
            step=int(steps[first]),
            logged_step=int(logged.logged_steps[inside][first]),
            planned=float(ours[first]),
            logged=float(values[first]),
            rtol=rtol,
            max_difference=largest,
            compared=len(steps),
            differing=int((~close).sum()),
            hint=hint_for(simulated, steps, values, rtol, logged.float32, self.offset, self.from_hf),
            beyond=int((~inside).sum()),
        )
        return Comparison(logged.name, group, len(steps), largest, divergence)


def parse_reference(value: Any, key_path: KeyPath) -> dict[str, Any]:
    """A ``reference:`` value (a path, or a mapping) as a mapping with known keys."""
    if isinstance(value, str):
        return {"path": value}
    if not isinstance(value, dict) or not ("path" in value or "csv" in value):
        raise LrplotError(
            f"reference should be a log's path or {{path: FILE_OR_FOLDER, tag: NAME, group: NAME, offset: N, "
            f"rtol: X}}, got {printable(repr(value), 120)}",
            key_path=key_path,
        )
    unknown = set(value) - set(KEYS)
    if unknown:
        raise LrplotError(
            f"unknown key {printable(repr(sorted(map(str, unknown))[0]), 60)} in reference; valid keys: "
            f"{', '.join(KEYS)}",
            key_path=key_path,
        )
    if "path" in value and "csv" in value:
        raise LrplotError("reference: give path or csv (the older name), not both", key_path=key_path)
    return value


def read_reference(value: Any, base_dir: Path, key_path: KeyPath) -> ReferenceLog:
    """Read a training log's lr (see the module docstring)."""
    spec = parse_reference(value, key_path)
    named = spec.get("path", spec.get("csv"))
    if not isinstance(named, str) or not named:
        raise LrplotError(f"reference path should be a file or folder, got {printable(repr(named), 80)}",
                          key_path=key_path)  # fmt: skip
    rtol = None
    if "rtol" in spec:
        rtol = finite_number(spec["rtol"], "reference rtol", key_path=key_path)
        if rtol < 0:
            raise LrplotError(f"reference rtol should be >= 0, got {rtol!r}", key_path=key_path)
    group = spec.get("group", 0)
    if isinstance(group, bool) or not isinstance(group, (str, int)):
        raise LrplotError(
            f"reference group should be a param group name or index, got {printable(repr(group), 80)}",
            key_path=key_path,
        )
    offset = spec.get("offset")
    if offset is not None and (
        isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > 10**9
    ):
        raise LrplotError(f"reference offset should be a whole number, got {printable(repr(offset), 40)}",
                          key_path=key_path)  # fmt: skip
    step = spec.get("step")
    tag = spec.get("tag", spec.get("column"))
    run = read_logged_run(
        Path(named), config_dir=base_dir, key_path=key_path, limit=log_limit(),
        step_column=None if step is None else str(step),
    )  # fmt: skip
    chosen = _choose(run, None if tag is None else str(tag), key_path)
    if offset is None:
        offset = default_offset(run, chosen[0].name)
    series = [_placed(s, _group_of(s.name, group), offset) for s in chosen]
    if not any(len(s.steps) for s in series):
        raise LrplotError(
            f"reference log {printable(named)}: no logged step falls on the plan's steps (offset {offset})",
            key_path=key_path,
        )
    tags = ", ".join(s.name for s in chosen)
    return ReferenceLog(
        description=f"{named}:{tags}" if len(chosen) == 1 else f"{named}:{{{tags}}}",
        series=series,
        logger=run.logger,
        offset=offset,
        rtol=rtol,
        writer_version=run.writer_version,
    )


def default_offset(run: LoggedRun, name: str) -> int:
    """Plan step = logged step + offset, per logger (docs/references.md has the evidence).

    Hugging Face (trainer_state.json, and its TensorBoard/MLflow/W&B callbacks, which log the
    same ``learning_rate`` at ``global_step``) logs after the step: ``global_step`` g carries
    the lr of optimizer step g-1 (-1), or of step g before transformers 4.51 (0). Lightning's
    LearningRateMonitor logs before the optimizer step, at the count of steps taken (0); so
    does a hand-written ``writer.add_scalar("lr", ..., step)`` before ``optimizer.step()``, and
    a plain CSV (whatever its lr column is called).
    """
    key = name.rpartition(" - ")[2] if " - " in name else name
    from_hf = run.logger == "huggingface" or (
        run.logger in ("tensorboard", "mlflow", "wandb") and key in ("train/learning_rate", "learning_rate")
    )  # a CSV of one's own is taken as written: the lr step s used, at step s
    if not from_hf or key.startswith("lr-"):
        return 0
    if run.writer_version is not None and _release(run.writer_version) < HF_LOGS_USED_LR:
        return 0
    return -1


def _release(version: str) -> tuple[int, int]:
    parts = version.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (IndexError, ValueError):
        return HF_LOGS_USED_LR


def _choose(run: LoggedRun, tag: str | None, key_path: KeyPath) -> list[Series]:
    """The series to compare: the one named, a Lightning optimizer's per-group series, or the one there is."""
    names = list(run.series)
    shown = printable(str(run.path))
    if tag is not None:
        if tag in run.series:
            return [run.series[tag]]
        by_key = [n for n in names if n.endswith(" - " + tag)]  # a W&B export: "<run> - <key>"
        grouped = [n for n in names if n.startswith(tag + "/")]
        for matches in (by_key, grouped):
            if len(matches) == 1 or (matches is grouped and matches):
                return [run.series[n] for n in matches]
            if matches:
                raise LrplotError(
                    f"reference log {shown}: {printable(tag, 60)} is in several series "
                    f"({shown_columns(matches)}); "
                    "name one in full",
                    key_path=key_path,
                )
        raise LrplotError(
            f"reference log {shown}: no lr series {printable(repr(tag), 80)}; lr series: "
            f"{shown_columns(names) if names else '(none)'}",
            key_path=key_path,
        )
    if not names:
        raise LrplotError(
            f"reference log {shown} ({run.logger}): no lr tag or column (lr, lr-<Optimizer>, learning_rate, "
            f".../lr); other scalars: {shown_columns(run.others) if run.others else '(none)'}; name one: "
            "--reference PATH:TAG, or tag: TAG in the config's reference",
            key_path=key_path,
        )
    bases = {n.partition("/")[0] if n.startswith("lr-") else n for n in names}
    if len(bases) == 1:
        return [run.series[n] for n in names]
    for preferred in PREFERRED:
        matches = [n for n in names if n == preferred or n.endswith(" - " + preferred)]
        if len(matches) == 1:
            return [run.series[matches[0]]]
    raise LrplotError(
        f"reference log {shown}: several lr series ({shown_columns(names)}); "
        "choose one: --reference PATH:TAG, or tag: TAG in the config's reference",
        key_path=key_path,
    )


def _group_of(name: str, default: str | int) -> str | int:
    """Lightning names a param group ``lr-<Optimizer>/pgN`` (N from 1) or ``lr-<Optimizer>/<name>``."""
    if not name.startswith("lr-") or "/" not in name:
        return default
    suffix = name.partition("/")[2]
    if suffix.startswith("pg") and suffix[2:].isdigit() and int(suffix[2:]) >= 1:
        return int(suffix[2:]) - 1
    return suffix


def _placed(series: Series, group: str | int, offset: int) -> LoggedLr:
    logged = np.array(series.steps, dtype=np.int64)
    values = np.array(series.values, dtype=np.float64)
    steps = logged + offset
    keep = steps >= 0
    return LoggedLr(series.name, group, steps[keep], values[keep], logged[keep], series.float32)
