"""Result → a chart drawn in the terminal (plotext), for schedules checked over SSH.

Same rules as the figure: one colour per curve, the lr as a step function, a log axis
when the curves span more than two decades, labels without the words they all share.
Without colour (a CI log, ``| cat``, ``NO_COLOR``) each line is drawn with its own
character, so curves stay apart; the legend goes under the chart, where it hides no data.
"""

from __future__ import annotations

import numpy as np

from lrplot.render.guards import drawable
from lrplot.render.layout import choose_yscale, shared_label_parts
from lrplot.result import Result
from lrplot.safe_text import shown

# plotext's colours, in matplotlib's C0, C1, ... order where they exist.
_COLOURS = ("blue+", "orange+", "green+", "red+", "magenta+", "cyan+", "gray+", "yellow+", "blue", "green")
# Without colour, one character per line (curve and param group), each unlike the others.
_MARKERS = ("•", "+", "x", "o", "*", "#", "=", "%", "@", "~", "^", "$")


def terminal_chart(result: Result, width: int, height: int, *, colour: bool = True) -> str:
    """The chart as text of ``width`` × ``height`` characters (ANSI colours unless ``colour`` is off).

    With several lines, a legend follows the chart (one row per line, taken from ``height``):
    plotext's own sits over the top left of the plot, where a warmup's peak usually is.
    """
    import plotext as plt

    lines = [
        (index, group_index)
        for index, curve in enumerate(result.curves)
        for group_index in range(len(curve.groups))
    ]
    legend_rows = len(lines) if len(lines) > 1 else 0
    plt.clear_figure()
    plt.limitsize(False, False)  # the size is ours (bounded by the caller), not LINES / COLUMNS
    plt.plotsize(max(20, width), max(8, height - legend_rows))
    plt.theme("clear" if not colour else "pro")
    shared, labels = shared_label_parts([curve.label for curve in result.curves], result.title)
    scale, _ = choose_yscale(result)
    columns = max(10, width - 12)
    steps = max(curve.total_step for curve in result.curves)
    xlim = result.plot.xlim or [None, None]
    first = int(max(0, xlim[0] or 0))
    last = int(min(steps, xlim[1])) if xlim[1] is not None else steps
    legend: list[tuple[str, str, str]] = []  # marker, colour, name
    for index, (curve, label) in enumerate(zip(result.curves, labels, strict=True)):
        for group_index, group in enumerate(curve.groups):
            name = f"{label} / {group.name}" if len(curve.groups) > 1 else label
            colour_name = _COLOURS[index % len(_COLOURS)]
            if colour or not legend_rows:  # colour tells lines apart (or there is one line)
                marker = "braille" if group_index == 0 else "dot"
                key = "⣿" if group_index == 0 else "·"
            else:
                marker = key = _MARKERS[lines.index((index, group_index)) % len(_MARKERS)]
            legend.append((key, colour_name, name))
            x, y = _steps(group.lr[first:last], columns if marker in ("braille", "dot") else columns // 2)
            x = x + first
            if scale == "log":
                keep = y > 0
                x, y = x[keep], y[keep]
            if not x.size or np.isnan(y).all():
                continue  # nothing drawable (all inf/NaN, beyond 1e300, or <= 0 on a log axis)
            plt.plot(x.tolist(), y.tolist(), color=colour_name, marker=marker)
    if scale == "log":
        plt.yscale("log")
    ticks = nice_ticks(first, last)
    plt.xticks(ticks, [f"{tick:,}" for tick in ticks])
    plt.xlim(first, last)
    title = " — ".join(part for part in (result.title, shared) if part)
    if title:
        plt.title(shown(title))  # text from the config: no control or bidirectional character
    plt.xlabel("step")
    text = plt.build()
    plt.clear_figure()
    text = text if colour else plt.uncolorize(text)
    if legend_rows:
        rows = [
            f"  {plt.colorize(key, colour_name) if colour else key} {shown(name, max(10, width - 4))}"
            for key, colour_name, name in legend
        ]
        text = text.rstrip("\n") + "\n" + "\n".join(rows)
    return text


def _steps(values: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """A step function sampled for ``columns`` character cells: per cell its first, min, max, last."""
    count = len(values)
    finite = drawable(values)  # inf, NaN and values beyond 1e300 are not drawn
    cells = 2 * columns  # braille draws two points a cell
    if count <= cells:
        x = np.repeat(np.arange(count + 1), 2)[1:-1].astype(float)
        y = np.repeat(finite, 2)
        return x, y
    edges = np.linspace(0, count, cells + 1).astype(np.int64)
    starts = edges[:-1]
    with np.errstate(invalid="ignore"):
        lows = np.fmin.reduceat(finite, starts)
        highs = np.fmax.reduceat(finite, starts)
    x = np.repeat(starts, 2).astype(float)
    y = np.stack([lows, highs], axis=1).ravel()
    return x, y


def nice_ticks(first: int, last: int, count: int = 5) -> list[int]:
    """Round step numbers for the x axis (1, 2 or 5 times a power of ten apart).

    >>> nice_ticks(0, 100_000)
    [0, 20000, 40000, 60000, 80000, 100000]
    """
    span = max(1, last - first)
    raw = span / count
    power = 10 ** max(0, len(str(int(raw))) - 1)
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = -(-first // step) * step
    return list(range(start, last + 1, step))
