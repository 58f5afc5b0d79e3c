"""Opening training logs (CSV, and the files real loggers write) with one error message for every
way it can fail.

A log is read through :func:`lrplot.read.files.open_text` (regular files only, inside the
folders a config may read, at most ``MAX_LOG_BYTES``), and nothing read from it is echoed
in a message but column names that look like column names (:func:`shown_columns`).
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.limits import MAX_LOG_BYTES
from lrplot.read.files import open_text

# A column name worth showing: short and made of the characters loggers use. Anything else
# (a line of a .env file, a key, binary) is counted, never shown.
_COLUMN_NAME = re.compile(r"[A-Za-z_][\w .:/()\[\]%+@#-]{0,31}")
SHOWN_COLUMNS = 12
# Steps beyond this are not a training run's (and would not fit the arrays they index).
MAX_STEP = 2**53


@contextmanager
def opened_log(
    path: Path, what: str, key_path: KeyPath, *, config_dir: Path | None = None, limit: int = MAX_LOG_BYTES
) -> Iterator[csv.DictReader]:
    """A DictReader over a CSV log; unreadable files and broken CSV become LrplotError.

    ``config_dir`` is the folder of the config that names the log (None: the user named it).
    """
    try:
        with open_text(path, what=what, limit=limit, config_dir=config_dir, key_path=key_path) as handle:
            yield csv.DictReader(handle)
    except csv.Error as exc:
        reason = printable(str(exc).split(":")[0], 80)  # csv's own words, never the data
        raise LrplotError(
            f"{what} {printable(str(path))} is not a readable CSV: {reason}", key_path=key_path
        ) from None


def shown_columns(columns: list[str]) -> str:
    """Column names for a message: only short, name-like ones, at most a dozen; the rest counted."""
    names = [c for c in columns if _COLUMN_NAME.fullmatch(c)]
    shown = ", ".join(names[:SHOWN_COLUMNS]) or "(none that can be shown)"
    hidden = len(columns) - min(len(names), SHOWN_COLUMNS)
    return f"{shown} (and {hidden} more)" if hidden else shown


def named_column(name: Any, columns: list[str], path: Path, key_path: KeyPath, what: str = "column") -> str:
    """The column the config names, or an error listing the columns there are."""
    if name not in columns:
        raise LrplotError(
            f"{printable(str(path))}: no {what} {printable(repr(name), 80)}; "
            f"columns: {shown_columns(columns)}",
            key_path=key_path,
        )
    return str(name)


def number_cell(cell: str, path: Path, line: int, column: str, key_path: KeyPath) -> float:
    """A cell as a float, or an error naming the file, line and column (never the cell)."""
    try:
        return float(cell)
    except ValueError:
        raise LrplotError(
            f"{printable(str(path))}:{line}: column {printable(repr(column), 80)} is not a number",
            key_path=key_path,
        ) from None


def step_cell(cell: str, path: Path, line: int, column: str, key_path: KeyPath) -> int:
    """A step cell as an int (a fraction is cut, as loggers' float steps need); ``inf``, ``nan``
    and steps beyond ``MAX_STEP`` (``1e300``) are refused, not turned into huge integers."""
    value = number_cell(cell, path, line, column, key_path)
    if not math.isfinite(value) or abs(value) > MAX_STEP:
        raise LrplotError(
            f"{printable(str(path))}:{line}: column {printable(repr(column), 80)} is not a step "
            f"(a whole number up to {MAX_STEP:,})",
            key_path=key_path,
        )
    return int(value)


# What the readers of real loggers' files return (lrplot.read.logged_runs reads them).

# Files looked at inside a log folder (a TensorBoard logdir holds one folder per run).
MAX_LOG_FILES = 2_000
MAX_LOG_DEPTH = 4
# Lightning's LearningRateMonitor writes these beside the lr; they are not lrs.
_NOT_LR_SUFFIXES = ("-momentum", "-weight_decay", "__MIN", "__MAX")


@dataclass
class Series:
    """One logged scalar: steps as the logger counted them, sorted and unique, with values."""

    name: str
    steps: list[int]
    values: list[float]
    float32: bool = False  # TensorBoard stores float32: compared at that precision


@dataclass
class LoggedRun:
    """What one logger wrote for one run: its lr-like series by name."""

    logger: str  # tensorboard, huggingface, lightning, wandb, mlflow or csv
    path: Path  # the file or run folder read
    series: dict[str, Series]
    others: list[str] = field(default_factory=list)  # the other scalars' names (for messages)
    writer_version: str | None = None  # transformers' version beside a trainer_state.json


def is_lr_name(name: str) -> bool:
    """Whether a logged scalar's name says it is a learning rate (as lrplot picks CSV columns)."""
    if name.endswith(_NOT_LR_SUFFIXES):
        return False
    key = name.rpartition(" - ")[2] if " - " in name else name  # a W&B export: "<run> - <key>"
    return (
        key == "lr"
        or key.startswith("lr-")
        or key.endswith(("/lr", "_lr", "learning_rate", "/learning_rate"))
        or key == "Value"
    )


def as_named(path: Path, config_dir: Path | None) -> Path:
    """A file found below the log (an absolute path) as the config would name it: relative to
    its folder where it lies below it, so messages read ``logs/run/metrics.csv``, not a path
    from the root (and the read policy resolves it once, against the same folder)."""
    if config_dir is None:
        return path
    base = os.path.abspath(config_dir)
    text = str(path)
    if text.startswith(base.rstrip("/") + "/"):
        return Path(os.path.relpath(text, base))
    return path
