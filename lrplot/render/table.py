"""Result → summary numbers per curve and group, as an aligned text table or JSON-ready records.

What a user checks first: where the schedule starts, peaks and ends, its mean, and when it
falls below 10% of its peak.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lrplot.result import Result, epoch_of, first_where
from lrplot.safe_text import shown


@dataclass
class Summary:
    """The summary numbers of one curve's param group (steps count from 0).

    ``below_10pct_step`` is the first step after the peak where lr < 10% of the peak.
    """

    curve: str
    group: str
    steps: int
    first: float
    peak: float
    peak_step: int
    min: float
    final: float
    mean: float
    below_10pct_step: int | None
    reference_max_diff: float | None = None
    reference_first_disagreement: int | None = None
    engine: str = "torch"
    steps_per_epoch: int | None = None
    warnings: int | None = None  # schedule-check warnings on this curve and group (None: not checked)


def summarize(result: Result) -> list[Summary]:
    """One :class:`Summary` per curve and group.

    >>> from lrplot.result import CurveResult, GroupTrace
    >>> trace = GroupTrace("0", np.array([0.5, 1.0, 0.2, 0.05]))
    >>> s = summarize(Result([CurveResult("c", 4, "X", "SGD", [trace])]))[0]
    >>> s.peak, s.peak_step, s.min, s.final, s.below_10pct_step
    (1.0, 1, 0.05, 0.05, 3)
    """
    rows = []
    for curve in result.curves:
        for index, group in enumerate(curve.groups):
            row = _summary(curve.label, group.name, group.lr)
            row.engine = curve.engine
            row.steps_per_epoch = curve.steps_per_epoch
            row.warnings = curve.warnings_for(group.name)
            for comparison in curve.reference_comparisons():
                if comparison.group == index and comparison.max_difference is not None:
                    row.reference_max_diff = comparison.max_difference
                    row.reference_first_disagreement = (
                        comparison.divergence.step if comparison.divergence is not None else None
                    )
            rows.append(row)
    return rows


PEAK_RTOL = 1e-12


def _summary(label: str, group: str, lr: np.ndarray) -> Summary:
    """A group's numbers; a long run's passes go a block at a time (no mask or copy of it
    unless a value is inf or NaN)."""
    all_finite = first_where(lr, lambda block: ~np.isfinite(block)) is None
    if not all_finite and first_where(lr, np.isfinite) is None:
        nan = float("nan")
        return Summary(label, group, len(lr), float(lr[0]), nan, 0, nan, float(lr[-1]), nan, None)
    values = lr if all_finite else np.where(np.isfinite(lr), lr, np.nan)
    peak = float(np.nanmax(values))
    # The first step at the peak, within rounding: a cosine that starts at its peak and
    # comes back to 1.0000000000000289 still peaks at step 0.
    near = peak - abs(peak) * PEAK_RTOL
    peak_step = first_where(values, lambda block: block >= near) or 0
    # "Drops below": the first step after the peak, so a warmup from 0 does not count.
    tenth = 0.1 * peak
    below = first_where(values[peak_step:], lambda block: block < tenth) if peak > 0 else None
    return Summary(
        curve=label,
        group=group,
        steps=len(lr),
        first=float(lr[0]),
        peak=peak,
        peak_step=peak_step,
        min=float(np.nanmin(values)),
        final=float(lr[-1]),
        mean=_mean(values, all_finite),
        below_10pct_step=None if below is None else below + peak_step,
    )


def _mean(values: np.ndarray, all_finite: bool = False) -> float:
    """The mean, inf when the sum overflows (values near 1e308): a number, not a numpy warning.

    Without NaN, ``np.mean`` is ``np.nanmean``'s very sum and division, without the copy
    ``np.nanmean`` makes of the run to zero its NaNs.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(values) if all_finite else np.nanmean(values))


def records(result: Result) -> list[dict[str, Any]]:
    """The summary as plain dicts (for ``--json``); non-finite numbers become null."""
    return [{k: _json_number(v) for k, v in asdict(row).items()} for row in summarize(result)]


def _json_number(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


# The curve column keeps this many columns on a narrow terminal (the line may then wrap).
MIN_CURVE_COLUMN = 16


def table(result: Result, title: str | None = None, *, width: int = 160, bold: bool = False) -> str:
    """The summary as aligned text (printed by the CLI): one row per curve and param group.

    Columns are separated by two spaces, numbers right-aligned; when the rows are wider than
    ``width``, the headers fold at their spaces and the curve column wraps (a long label does
    not push the numbers off the screen).
    Labels, group names and the title are :func:`~lrplot.safe_text.shown` (control and
    bidirectional characters escaped) before columns are measured.
    ``bold`` marks the header for a terminal. Plain text rather than a rich Table: this is
    all the table needs, and rich's import and layout were ~25 ms of a ~0.5 s plot.
    """
    rows = summarize(result)
    show_group = any(row.group != "0" for row in rows) or len({row.curve for row in rows}) < len(rows)
    with_reference = any(curve.reference is not None for curve in result.curves)
    linted = any(curve.lint is not None for curve in result.curves)
    header = ["curve", *(["group"] if show_group else [])]
    header += ["first", "peak at step", "min", "final", "mean", "<10% peak at"]
    header += ["max |Δ| vs log", "log differs at"] if with_reference else []
    header += ["warnings"] if linted else []
    header += ["engine"]
    body = []
    for row in rows:
        cells = [shown(row.curve), *([shown(row.group)] if show_group else [])]  # text from the config
        cells += [
            _number(row.first),
            f"{_number(row.peak)} at {_step(row.peak_step, row.steps_per_epoch)}",
            _number(row.min),
            _number(row.final),
            _number(row.mean),
            _step(row.below_10pct_step, row.steps_per_epoch) if row.below_10pct_step is not None else "-",
        ]
        if with_reference:
            cells += [
                _number(row.reference_max_diff) if row.reference_max_diff is not None else "",
                f"{row.reference_first_disagreement:,}"
                if row.reference_first_disagreement is not None
                else ("agrees" if row.reference_max_diff is not None else ""),
            ]
        if linted:
            cells += [str(row.warnings) if row.warnings is not None else "-"]
        cells += [row.engine]
        body.append(cells)
    left = 2 if show_group else 1  # curve (and group) read left to right; numbers align right
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    if sum(widths) + 2 * (len(widths) - 1) > width:  # too wide: headers fold at their spaces first
        for i in range(1, len(header)):
            longest_word = max(_width(word) for word in header[i].split(" "))
            widths[i] = max([longest_word, *(_width(line[i]) for line in body)])
        others = sum(widths[1:]) + 2 * (len(widths) - 1)
        widths[0] = max(min(widths[0], width - others), MIN_CURVE_COLUMN)
    lines = [shown(title)] if title else []
    for index, cells in enumerate([header, *body]):
        pieces = [_fold(cell, widths[i]) for i, cell in enumerate(cells)]
        for part in range(max(len(cell_pieces) for cell_pieces in pieces)):
            parts = [cell_pieces[part] if part < len(cell_pieces) else "" for cell_pieces in pieces]
            line = "  ".join(_pad(cell, widths[i], right=i >= left) for i, cell in enumerate(parts)).rstrip()
            lines.append(f"\x1b[1m{line}\x1b[0m" if bold and index == 0 else line)
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide (East Asian) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def _fold(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` columns, at a space where there is one."""
    pieces: list[str] = []
    current, used = "", 0
    for char in text:
        columns = _width(char)
        if used + columns > width and char == " ":  # the line ends exactly at a word
            pieces.append(current)
            current, used = "", 0
            continue
        if used + columns > width:
            cut = current.rfind(" ")
            kept, current = (current[:cut], current[cut + 1 :]) if cut > 0 else (current, "")
            pieces.append(kept)
            used = _width(current)
        current += char
        used += columns
    return [*pieces, current]


def _step(step: int, steps_per_epoch: int | None) -> str:
    """A step as the table shows it, with its epoch when the run has epochs."""
    return f"{step:,}{epoch_of(step, steps_per_epoch).replace(' (epoch ', ' (ep ')}"


# The run-length numbers a Trainer-style format derived, in the order a reader checks them.
RUN_FIELDS = (
    ("examples", "examples"),
    ("world_size", "processes"),
    ("effective_batch", "effective batch"),
    ("batches_per_epoch", "batches/epoch/process"),
    ("steps_per_epoch", "optimizer steps/epoch"),
    ("total_steps", "total optimizer steps"),
    ("epochs_run", "epochs run"),
    ("warmup_steps", "warmup steps"),
)


def run_summary(result: Result) -> str | None:
    """One line of a training config's run length (when its format counted optimizer steps).

    >>> run_summary(Result([], derived={"examples": 1000, "total_steps": 13, "rule": "r"}))
    'examples 1,000, total optimizer steps 13 (r)'
    """
    derived = result.derived
    if "total_steps" not in derived:
        return None
    parts = [
        f"{label} {derived[key]:,}" if isinstance(derived[key], int) else f"{label} {derived[key]}"
        for key, label in RUN_FIELDS
        if derived.get(key) is not None
    ]
    rule = derived.get("rule")
    return ", ".join(parts) + (f" ({rule})" if rule else "")


def _number(value: float) -> str:
    return f"{value:.4g}"
