"""Reading a training log in whatever form a logger wrote it, detected from the path and content.

Each reader returns every lr-like series it finds, by name (:class:`lrplot.read.logs.LoggedRun`);
which one is compared, and at which optimizer step each value belongs, is the plan's job
(:mod:`lrplot.plan.reference`), so that reading stays one thing. Every file goes through
:mod:`lrplot.read.files` (the read policy, the byte limit); folders are walked a few levels
deep and a bounded number of entries, without following symlinked folders.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.read.files import read_text, resolve_named
from lrplot.read.logs import (
    MAX_LOG_DEPTH,
    MAX_LOG_FILES,
    MAX_STEP,
    LoggedRun,
    Series,
    as_named,
    is_lr_name,
    named_column,
    number_cell,
    opened_log,
    shown_columns,
    step_cell,
)


def read_logged_run(
    path: Path, *, config_dir: Path | None, key_path: KeyPath, limit: int, step_column: str | None = None
) -> LoggedRun:
    """Read a training log in whatever form a logger wrote it (detected from path and content).

    A folder: a Hugging Face checkpoint (``trainer_state.json``) or output folder (its newest
    ``checkpoint-N``), an MLflow run (``meta.yaml`` + ``metrics/``; an experiment or ``mlruns``
    folder: its newest run), a Lightning log version
    (``metrics.csv``, or the newest ``version_N/metrics.csv``), or a TensorBoard logdir (its
    newest run: the folder whose event files were written last). A file: a TensorBoard event
    file (``*tfevents*``), a ``trainer_state.json`` (any JSON with ``log_history``), or a CSV
    (Lightning's CSVLogger, a W&B export, any step + lr columns).
    """
    target = Path(os.path.abspath(resolve_named(path, config_dir)))  # read once more below: keep it absolute
    shown = printable(str(path))
    if target.is_dir():
        return _read_folder(target, shown, config_dir, key_path, limit)
    if "tfevents" in target.name:
        from lrplot.read.tensorboard_log import read_event_files

        return read_event_files([target], target, shown, config_dir, key_path, limit)
    if target.suffix.lower() == ".json":
        return read_trainer_state(target, shown, config_dir, key_path, limit)
    return read_csv_log(target, shown, config_dir, key_path, limit, step_column)


def _read_folder(
    folder: Path, shown: str, config_dir: Path | None, key_path: KeyPath, limit: int
) -> LoggedRun:
    if (folder / "trainer_state.json").is_file():
        return read_trainer_state(folder / "trainer_state.json", shown, config_dir, key_path, limit)
    checkpoints = sorted(
        (int(p.name.rpartition("-")[2]), p)
        for p in _children(folder)
        if p.name.startswith("checkpoint-")
        and p.name.rpartition("-")[2].isdigit()
        and (p / "trainer_state.json").is_file()
    )
    if checkpoints:  # the newest checkpoint's log_history holds every earlier entry too
        return read_trainer_state(
            checkpoints[-1][1] / "trainer_state.json", shown, config_dir, key_path, limit
        )
    if (folder / "meta.yaml").is_file() and (folder / "metrics").is_dir():
        return read_mlflow_run(folder, shown, config_dir, key_path, limit)
    if (folder / "metrics.csv").is_file():
        return read_csv_log(folder / "metrics.csv", shown, config_dir, key_path, limit, None)
    versions = sorted(  # Lightning's CSVLogger: <save_dir>/<name>/version_N/metrics.csv
        (int(p.name[8:]), p)
        for p in _children(folder)
        if p.name.startswith("version_") and p.name[8:].isdigit() and (p / "metrics.csv").is_file()
    )
    if versions:
        return read_csv_log(versions[-1][1] / "metrics.csv", shown, config_dir, key_path, limit, None)
    runs = [  # an MLflow experiment folder, or the mlruns folder: its newest run
        run
        for child in _children(folder)
        for run in [child, *(_children(child) if child.is_dir() else [])]
        if (run / "meta.yaml").is_file() and (run / "metrics").is_dir()
    ]
    if runs:
        newest = max(runs, key=lambda run: (run / "meta.yaml").stat().st_mtime)
        return read_mlflow_run(newest, shown, config_dir, key_path, limit)
    events = _event_files(folder, shown, key_path)
    if events:
        from lrplot.read.tensorboard_log import read_event_files

        runs: dict[Path, list[Path]] = {}
        for event in events:
            runs.setdefault(event.parent, []).append(event)
        newest = max(runs, key=lambda run: max(f.stat().st_mtime for f in runs[run]))  # the newest run
        return read_event_files(sorted(runs[newest]), newest, shown, config_dir, key_path, limit)
    raise LrplotError(
        f"reference log {shown} is a folder with no log lrplot reads (TensorBoard event files, "
        "trainer_state.json or checkpoint-N/, an MLflow run's meta.yaml + metrics/, metrics.csv)",
        key_path=key_path,
    )


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())[:MAX_LOG_FILES]
    except OSError:
        return []


def _event_files(folder: Path, shown: str, key_path: KeyPath) -> list[Path]:
    """Event files under a logdir, a few folders deep, without following symlinked folders."""
    found: list[Path] = []
    seen = 0
    pending = [(folder, 0)]
    while pending:
        current, depth = pending.pop()
        for child in _children(current):
            seen += 1
            if seen > MAX_LOG_FILES:
                raise LrplotError(
                    f"reference log {shown}: more than {MAX_LOG_FILES:,} files in the folder; "
                    "name the run's folder or event file",
                    key_path=key_path,
                )
            if child.is_dir() and not child.is_symlink():
                if depth < MAX_LOG_DEPTH:
                    pending.append((child, depth + 1))
            elif "tfevents" in child.name and child.is_file():
                found.append(child)
    return found


def read_trainer_state(
    path: Path, shown: str, config_dir: Path | None, key_path: KeyPath, limit: int
) -> LoggedRun:
    """A Hugging Face ``trainer_state.json``: ``log_history`` entries with ``step`` and
    ``learning_rate`` (one every ``logging_steps``; evaluation entries have no lr)."""
    import json

    text = read_text(
        as_named(path, config_dir),
        what="reference log",
        limit=limit,
        config_dir=config_dir,
        key_path=key_path,
    )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LrplotError(
            f"reference log {shown}: not valid JSON (line {exc.lineno}, column {exc.colno})",
            key_path=key_path,
        ) from None
    history = data.get("log_history") if isinstance(data, dict) else None
    if not isinstance(history, list):
        raise LrplotError(
            f"reference log {shown}: a JSON file without log_history (lrplot reads Hugging Face's "
            "trainer_state.json)",
            key_path=key_path,
        )
    series: dict[str, dict[int, float]] = {}
    others: set[str] = set()
    for entry in history:
        if not isinstance(entry, dict) or not _is_step(entry.get("step")):
            continue
        for key, value in entry.items():
            if key in ("step", "epoch"):
                continue
            if not is_lr_name(str(key)):
                others.add(str(key))
            elif _is_number(value):
                series.setdefault(str(key), {}).setdefault(int(entry["step"]), float(value))
    version = None
    config = path.parent / "config.json"
    if config.is_file():  # a checkpoint: the model's config names the transformers that wrote it
        with contextlib.suppress(LrplotError, ValueError):
            named = as_named(config, config_dir)
            written = json.loads(
                read_text(named, what="reference log", limit=limit, config_dir=config_dir, key_path=key_path)
            )
            found = written.get("transformers_version") if isinstance(written, dict) else None
            version = found if isinstance(found, str) and len(found) < 40 else None
    return LoggedRun("huggingface", path, _as_series(series), sorted(others), version)


def read_mlflow_run(
    folder: Path, shown: str, config_dir: Path | None, key_path: KeyPath, limit: int
) -> LoggedRun:
    """An MLflow file-store run: ``metrics/<key>`` files (a key with ``/`` is a subfolder),
    one ``timestamp value step`` line per logged value."""
    metrics = folder / "metrics"
    series: dict[str, dict[int, float]] = {}
    others: list[str] = []
    files = [p for p in _walk_files(metrics, shown, key_path)]
    total = 0
    for file in files:
        name = file.relative_to(metrics).as_posix()
        if not is_lr_name(name):
            others.append(name)
            continue
        named = as_named(file, config_dir)
        text = read_text(
            named,
            what="reference log",
            limit=limit,
            config_dir=config_dir,
            key_path=key_path,
        )
        total += len(text)
        if total > limit:
            raise LrplotError(
                f"reference log {shown}: the metric files exceed {limit:,} bytes", key_path=key_path
            )
        values = series.setdefault(name, {})
        for number, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 3:
                raise LrplotError(
                    f"{printable(str(named))}:{number}: not an MLflow metric line (timestamp value step)",
                    key_path=key_path,
                )
            value = number_cell(parts[1], named, number, "value", key_path)
            step = step_cell(parts[2], named, number, "step", key_path)
            if step >= 0 and math.isfinite(value):
                values.setdefault(step, value)
    return LoggedRun("mlflow", folder, _as_series(series), sorted(others))


def _walk_files(folder: Path, shown: str, key_path: KeyPath) -> list[Path]:
    found: list[Path] = []
    pending = [(folder, 0)]
    while pending:
        current, depth = pending.pop()
        for child in _children(current):
            if child.is_dir() and not child.is_symlink() and depth < MAX_LOG_DEPTH:
                pending.append((child, depth + 1))
            elif child.is_file():
                found.append(child)
            if len(found) > MAX_LOG_FILES:
                raise LrplotError(
                    f"reference log {shown}: more than {MAX_LOG_FILES:,} metric files", key_path=key_path
                )
    return sorted(found)


def read_csv_log(
    path: Path, shown: str, config_dir: Path | None, key_path: KeyPath, limit: int, step_column: str | None
) -> LoggedRun:
    """A CSV with a step column: Lightning's CSVLogger (``lr-<Optimizer>[/pgN]`` columns, rows
    of other metrics mixed in), a W&B export (``Step``, ``<run> - <key>``, ``__MIN``/``__MAX``)
    or any step + lr columns."""
    named = as_named(path, config_dir)  # messages name it as the config does
    with opened_log(named, "reference log", key_path, config_dir=config_dir, limit=limit) as reader:
        columns = list(reader.fieldnames or [])
        step = _pick_step(step_column, columns, named, key_path)
        wanted = [c for c in columns if c != step and is_lr_name(c)]
        series: dict[str, dict[int, float]] = {c: {} for c in wanted}
        for row in reader:
            step_text = (row.get(step) or "").strip()
            if not step_text:
                continue
            at: int | None = None
            for column in wanted:
                cell = (row.get(column) or "").strip()
                if not cell:
                    continue  # loggers write other metrics on rows of their own
                if at is None:
                    at = step_cell(step_text, named, reader.line_num, step, key_path)
                value = number_cell(cell, named, reader.line_num, column, key_path)
                if at >= 0 and math.isfinite(value):
                    series[column].setdefault(at, value)
    if any(" - " in c for c in wanted) and step in W_AND_B_STEPS:
        logger = "wandb"
    elif any(c.startswith("lr-") for c in wanted):
        logger = "lightning"
    else:
        logger = "csv"
    others = [c for c in columns if c != step and c not in series]
    return LoggedRun(logger, path, _as_series(series), others)


# The trainer's own step count before W&B's (Step / _step count its log calls, which is the
# trainer's step only when it logged once per step): train/global_step is what the Hugging
# Face WandbCallback logs, trainer/global_step what Lightning's WandbLogger logs.
STEP_COLUMNS = (
    "step", "global_step", "train/global_step", "trainer/global_step", "Step", "_step", "iteration", "iter",
)  # fmt: skip
W_AND_B_STEPS = ("Step", "_step", "train/global_step", "trainer/global_step")


def _pick_step(chosen: str | None, columns: list[str], path: Path, key_path: KeyPath) -> str:
    if chosen is not None:
        return named_column(chosen, columns, path, key_path, what="step column")
    for name in STEP_COLUMNS:
        if name in columns:
            return name
    raise LrplotError(
        f"{printable(str(path))}: no step column ({', '.join(STEP_COLUMNS)}); columns: "
        f"{shown_columns(columns)}; name yours: --set reference.step=NAME (after --reference), or "
        "step: NAME in the config's reference",
        key_path=key_path,
    )


def _as_series(found: dict[str, dict[int, float]], float32: bool = False) -> dict[str, Series]:
    return {
        name: Series(name, sorted(values), [values[s] for s in sorted(values)], float32)
        for name, values in found.items()
        if values
    }


def _is_step(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STEP


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
