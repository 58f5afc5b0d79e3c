"""Decisions a figure makes from the values alone: y scale, limits, zoom, where labels fit.

Pure functions of a :class:`~lrplot.result.Result` (no matplotlib), shared by the figure
and the terminal chart, so both read the same way and tests can check each rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrplot import result as traces
from lrplot.render.guards import DRAWABLE
from lrplot.result import Result, blocks, first_where

# Log scale when the curves' values span more than this many decades for most of the run.
LOG_DECADES = 2.0
# "Most of the run": the share of a curve's steps allowed below the low end of the span.
LOG_LOW_SHARE = 0.25
# A warmup shorter than this share of the run gets a magnified inset.
ZOOM_WARMUP_SHARE = 0.05
LINESTYLES = ("-", "--", ":", "-.")


def _drawn(values: np.ndarray) -> np.ndarray:
    """The values a figure draws: finite and within ``DRAWABLE`` (see :mod:`lrplot.render.guards`)."""
    with np.errstate(invalid="ignore"):
        return values[(values >= -DRAWABLE) & (values <= DRAWABLE)]  # NaN fails both tests


def _positive(values: np.ndarray) -> np.ndarray:
    """The drawn values above 0 (what a log axis can show), in one pass: NaN fails both tests."""
    with np.errstate(invalid="ignore"):
        return values[(values > 0) & (values <= DRAWABLE)]


def _extremes(values: np.ndarray, select: Callable[[np.ndarray], np.ndarray]) -> tuple[int, float, float]:
    """How many values ``select`` keeps (a filter such as :func:`_positive`), their min and max;
    a block at a time, so a long run needs no filtered copy of itself."""
    count, low, high = 0, math.inf, -math.inf
    for part in blocks(values.size):
        chosen = select(values[part])
        if chosen.size:
            count += chosen.size
            low, high = min(low, float(chosen.min())), max(high, float(chosen.max()))
    return count, low, high


# The radix selection's digit: 16 bits of a double's bit pattern per pass.
_DIGIT = 16
# Values sampled (evenly spaced) to bracket the order statistics a quantile needs.
SAMPLE = 1 << 16


def positive_order_statistics(values: np.ndarray, ranks: list[int], count: int) -> list[float]:
    """The ``rank``-th smallest (from 0) of the ``count`` drawn positive values, for each rank:
    ``np.partition(_positive(values), rank)[rank]`` without the filtered copy of the run.

    An evenly spaced sample brackets the ranks between two of the values; one pass a block at a
    time counts the values below, at and above the bracket and gathers those inside it, which
    are partitioned (the usual case: a bracket of ~1.6% of the run). Where the sample misled
    (a bracket that misses a rank or holds more than ``BLOCK`` values) the rank is found by
    :func:`positive_order_statistic`. Exact either way: each result is one of the values.

    >>> positive_order_statistics(np.array([3.0, -1.0, 0.5, np.nan, 2.0]), [0, 1], 3)
    [0.5, 2.0]
    """
    found = _bracketed(values, ranks, count)
    return [
        positive_order_statistic(values, rank) if value is None else value
        for value, rank in zip(found, ranks, strict=True)
    ]


def _bracketed(values: np.ndarray, ranks: list[int], count: int) -> list[float | None]:
    """:func:`positive_order_statistics` from a sample's bracket; None for a rank it misses."""
    sample = np.sort(_positive(values[:: max(1, values.size // SAMPLE)]))
    if not sample.size:
        return [None] * len(ranks)
    margin = 2 * math.isqrt(sample.size) + 2
    last = sample.size - 1
    low = sample[max(0, min(last, math.floor(min(ranks) / count * sample.size) - margin))]
    high = sample[max(0, min(last, math.ceil(max(ranks) / count * sample.size) + margin))]
    below = at_low = at_high = held = 0
    inside = []
    with np.errstate(invalid="ignore"):
        for part in blocks(values.size):
            positive = _positive(values[part])
            below += int(np.count_nonzero(positive < low))
            at_low += int(np.count_nonzero(positive == low))
            at_high += int(np.count_nonzero(positive == high)) if high != low else 0
            between = positive[(positive > low) & (positive < high)]
            held += between.size
            if held > traces.BLOCK:
                return [None] * len(ranks)
            inside.append(between)
    gathered = np.concatenate(inside) if inside else np.empty(0)
    found: list[float | None] = []
    for rank in ranks:
        within = rank - below
        if 0 <= within < at_low:
            found.append(float(low))
        elif 0 <= within - at_low < gathered.size:
            found.append(float(np.partition(gathered, within - at_low)[within - at_low]))
        elif high != low and 0 <= within - at_low - gathered.size < at_high:
            found.append(float(high))
        else:
            found.append(None)
    return found


def positive_order_statistic(values: np.ndarray, rank: int) -> float:
    """The ``rank``-th smallest (from 0) of the drawn positive values, ``np.partition(_positive(values),
    rank)[rank]`` without the filtered copy or a sort of the whole run.

    A positive double's bit pattern, read as an unsigned integer, orders as the double does, so
    the value is found 16 bits at a time from the top (a radix selection): each pass counts, a
    block at a time, the values that share the bits found so far by their next 16 bits, and
    keeps the bin holding the rank. Once a bin holds at most ``BLOCK`` values it is gathered and
    partitioned. Exact: it returns one of the values themselves.

    >>> positive_order_statistic(np.array([3.0, -1.0, 0.5, np.nan, 2.0]), 1)
    2.0
    """
    known, prefix = 0, 0
    while True:
        counts = np.zeros(1 << _DIGIT, dtype=np.int64)
        for part in blocks(values.size):
            keys = _keys(values[part], known, prefix)
            digits = (keys >> np.uint64(64 - known - _DIGIT)) & np.uint64((1 << _DIGIT) - 1)
            counts += np.bincount(digits.astype(np.intp), minlength=1 << _DIGIT)
        below = np.cumsum(counts)
        digit = int(np.searchsorted(below, rank, side="right"))
        rank -= int(below[digit - 1]) if digit else 0
        known, prefix = known + _DIGIT, (prefix << _DIGIT) | digit
        if known == 64:
            return float(np.array([prefix], dtype=np.uint64).view(np.float64)[0])
        if counts[digit] <= traces.BLOCK:
            gathered = np.concatenate([_keys(values[part], known, prefix) for part in blocks(values.size)])
            return float(np.partition(gathered, rank)[rank : rank + 1].view(np.float64)[0])


def _keys(block: np.ndarray, known: int, prefix: int) -> np.ndarray:
    """The bit patterns of a block's drawn positive values whose top ``known`` bits are ``prefix``."""
    keys = np.ascontiguousarray(_positive(block), dtype=np.float64).view(np.uint64)
    if known:
        keys = keys[(keys >> np.uint64(64 - known)) == np.uint64(prefix)]
    return keys


def positive_quantile(values: np.ndarray, share: float, count: int | None = None) -> float:
    """``np.quantile(_positive(values), share)`` (numpy's default, linear method), exactly, from
    the one or two order statistics it interpolates (:func:`positive_order_statistics`).

    ``count``: how many values are drawn and positive, when the caller counted them already.
    """
    if count is None:
        count = _extremes(values, _positive)[0]
    if count == 0:
        raise ValueError("no positive drawn value")
    # numpy's "linear" method: the virtual index (n - 1) * q, then _get_indexes and _lerp.
    virtual = (count - 1) * share
    if virtual >= count - 1:
        return positive_order_statistics(values, [count - 1], count)[0]
    previous = math.floor(virtual)
    gamma = virtual - previous
    if gamma:
        low, high = positive_order_statistics(values, [previous, previous + 1], count)
    else:
        low = high = positive_order_statistics(values, [previous], count)[0]
    difference = high - low
    if gamma >= 0.5:
        return high - difference * (1 - gamma)
    return low + difference * gamma


def choose_yscale(result: Result) -> tuple[str, str | None]:
    """``plot.yscale`` when given; else log when, for most of the run, the curves span more
    than two decades: where a linear axis would flatten a schedule against 0.

    The span compares the highest peak with the value each curve stays above for three
    quarters of its steps (its 25% quantile of positive values), so a cosine or linear decay
    to 0 (even several of them, swept over lr and floor) stays linear, while a 5e-5 AdamW
    curve beside a 1.0 SGD curve, or a MultiStepLR spending most of the run 100x below its
    start, turn the axis logarithmic. Returns the scale and, when chosen automatically, a
    note saying why.
    """
    if result.plot.yscale is not None:
        return result.plot.yscale, None
    peaks: list[tuple[float, str]] = []
    counted: list[tuple[int, float, np.ndarray, str]] = []
    for curve in result.curves:
        for group in curve.groups:
            count, low, high = _extremes(group.lr, _positive)
            if count:
                peaks.append((high, curve.label))
                counted.append((count, low, group.lr, curve.label))
    if not peaks:
        return "linear", None
    highest, _ = max(peaks)
    # Every quantile is at least its curve's lowest value: when even the lowest value is well
    # within two decades of the highest peak, the axis is linear whatever the quantiles are.
    if highest / min(low for _, low, _, _ in counted) <= 10**LOG_DECADES * 0.9999:
        return "linear", None
    lows = [(positive_quantile(lr, LOG_LOW_SHARE, count), label) for count, _, lr, label in counted]
    lowest, label = min(lows)
    decades = math.log10(highest / lowest)
    if decades <= LOG_DECADES:
        return "linear", None
    return "log", (
        f"log y axis: for most of the run the learning rates span {decades:.1f} decades "
        f"({label!r} spends a quarter of its steps below {lowest:.3g}, the highest peak is "
        f"{highest:.3g}); --yscale linear (or plot.yscale: linear) changes it"
    )


def log_limits(result: Result) -> tuple[float, float] | None:
    """y limits for a log axis that a lone warmup start near 0 (or exact zeros) does not stretch."""
    lows, highs = [], []
    for curve in result.curves:
        for group in curve.groups:
            values = group.lr
            if values.size > 1 and 0 < values[0] < values[1] / 10:
                values = values[1:]  # the first step of a warmup from ~0: drawn, not stretching
            count, low, high = _extremes(values, _positive)
            if count:
                lows.append(low)
                highs.append(high)
    if not lows:
        return None
    return min(lows) / 1.5, max(highs) * 1.5


def warmup_zoom(result: Result) -> tuple[float, float] | None:
    """The step range of a warmup shorter than 5% of the run, to magnify in an inset."""
    if isinstance(result.plot.zoom, list):
        return float(result.plot.zoom[0]), float(result.plot.zoom[1])
    if result.plot.zoom is False or result.plot.xlim is not None:
        return None  # turned off, or the user chose the range already
    ends = []
    for curve in result.curves:
        for group in curve.groups:
            values = group.lr
            count, _, peak = _extremes(values, _drawn)
            if count < 20:
                continue
            near = peak - abs(peak) * 1e-12
            end = first_where(values, lambda block, near=near: block >= near) or 0
            if 0 < end < ZOOM_WARMUP_SHARE * values.size and values[0] < 0.5 * peak:
                ends.append(end)
    if not ends:
        return None
    return 0.0, _round_up(float(max(ends)) * 1.6 + 1)


def _round_up(value: float) -> float:
    """Up to two significant digits, so an inset ends on a step a reader would pick.

    >>> _round_up(3201.0), _round_up(17.0), _round_up(0.5)
    (3300.0, 17.0, 1.0)
    """
    if value <= 1:
        return 1.0
    unit = 10.0 ** max(0, math.floor(math.log10(value)) - 1)
    return math.ceil(value / unit) * unit


def shared_label_parts(labels: list[str], title: str | None = None) -> tuple[str, list[str]]:
    """Words every label starts with (for the title) and what is left of each (for the legend).

    Only a whole name moves to the title: the rest of every label must be a sweep's
    ``(key=value)`` or begin with ``key=value``, so a phrase is never cut in the middle
    ("AdamW, peak 0.0001" keeps its "peak"). A shared part the ``title`` already says is
    dropped rather than repeated.

    >>> shared_label_parts(["CosineAnnealingLR (T_max=20)", "CosineAnnealingLR (T_max=40)"])
    ('CosineAnnealingLR', ['T_max=20', 'T_max=40'])
    >>> shared_label_parts(["Cosine (T_max=20)", "Cosine (T_max=40)"], title="Cosine")
    ('', ['T_max=20', 'T_max=40'])
    >>> shared_label_parts(["AdamW, peak 0.0001 (eta_min=0)", "AdamW, peak 0.0003 (eta_min=0)"])
    ('', ['AdamW, peak 0.0001 (eta_min=0)', 'AdamW, peak 0.0003 (eta_min=0)'])
    >>> shared_label_parts(["warmup", "warmup long"])
    ('', ['warmup', 'warmup long'])
    >>> shared_label_parts(["metric: lr", "metric: loss log"])
    ('', ['metric: lr', 'metric: loss log'])
    """
    if len(labels) < 2:
        return "", labels
    words = [label.split(" ") for label in labels]
    shared: list[str] = []
    for column in zip(*words, strict=False):
        if len(set(column)) != 1:
            break
        shared.append(column[0])
    if not shared or any(len(w) == len(shared) for w in words):
        return "", labels
    rest = [" ".join(w[len(shared) :]) for w in words]
    name = " ".join(shared)
    if not name[-1:].isalnum() and not name.endswith(")"):
        return "", labels  # "AdamW," or "peak:": the labels' common start ends mid-phrase
    if all(r.startswith("(") and r.endswith(")") and r.count("(") == 1 for r in rest):
        rest = [r[1:-1] for r in rest]  # sweep labels: "Name (key=value)"
    elif not all(_KEY_VALUE.match(r) for r in rest):
        return "", labels  # label templates "cos T_max={T_max}" move; "peak 0.0001" does not
    return ("" if title is not None and name in title else name), rest


_KEY_VALUE = re.compile(r"[A-Za-z_][\w.\[\]]*=\S")


@dataclass
class Occupancy:
    """Where lines run, in axes fractions (0..1): per column of the plot, the lowest and
    highest value any line reaches there, so a box (legend, inset) can avoid them."""

    low: np.ndarray
    high: np.ndarray

    @classmethod
    def empty(cls, columns: int = 200) -> Occupancy:
        return cls(low=np.full(columns, np.inf), high=np.full(columns, -np.inf))

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Add a line given in axes fractions (a step function: each y holds until the next x)."""
        columns = self.low.size
        keep = np.isfinite(y)
        x, y = x[keep], y[keep]
        if not x.size:
            return
        start = np.clip((x * columns).astype(np.int64), 0, columns - 1)
        end = np.clip((np.append(x[1:], x[-1]) * columns).astype(np.int64), 0, columns - 1)
        for first, last, value in zip(start, end, y, strict=True):
            self.low[first : last + 1] = np.minimum(self.low[first : last + 1], value)
            self.high[first : last + 1] = np.maximum(self.high[first : last + 1], value)
        # vertical jumps between consecutive values cover the span between them
        for index in range(1, len(y)):
            column = start[index]
            pair = (y[index - 1], y[index])
            self.low[column] = min(self.low[column], *pair)
            self.high[column] = max(self.high[column], *pair)

    def free(self, x0: float, x1: float, y0: float, y1: float) -> bool:
        """Whether no line passes through the box (with a small margin)."""
        columns = self.low.size
        first = max(0, int(x0 * columns) - 1)
        last = min(columns - 1, math.ceil(x1 * columns) + 1)
        low, high = self.low[first : last + 1], self.high[first : last + 1]
        margin = 0.02
        return bool(np.all((high < y0 - margin) | (low > y1 + margin)))


# Candidate boxes (x0, y0 corner in axes fractions) tried in this order.
CORNERS = {
    "upper right": (1.0, 1.0),
    "upper left": (0.0, 1.0),
    "lower left": (0.0, 0.0),
    "lower right": (1.0, 0.0),
    "center right": (1.0, 0.5),
    "center left": (0.0, 0.5),
}


def free_corner(occupancy: Occupancy, width: float, height: float) -> str | None:
    """The first corner where a box of this size (axes fractions) covers no line, or None."""
    pad = 0.02
    for name, (cx, cy) in CORNERS.items():
        x0 = pad if cx == 0.0 else 1.0 - pad - width
        y0 = 0.5 - height / 2 if cy == 0.5 else pad if cy == 0.0 else 1.0 - pad - height
        if width < 1 and height < 1 and occupancy.free(x0, x0 + width, y0, y0 + height):
            return name
    return None
