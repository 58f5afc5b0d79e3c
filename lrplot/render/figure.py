"""Result → matplotlib Figure, built with the object API (never pyplot, never a window).

One line per curve (per param group where there are several); a second panel for
momentum / beta1 when a scheduler cycled it, sharing the x axis.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from lrplot.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# loc="best" scans every point; past this many, a fixed corner keeps drawing fast.
_BEST_LEGEND_LIMIT = 50_000


def figure(result: Result) -> Figure:
    """Draw a result; Jupyter shows the returned Figure inline.

    Overlaid (default): one lr panel with every curve and group, plus panels for momentum /
    beta1 and weight decay where a scheduler changed them, all sharing the x axis.
    ``plot.layout: grid``: one small panel per curve.
    """
    from matplotlib.figure import Figure

    options = result.plot
    fig = Figure(figsize=tuple(options.size), dpi=options.dpi, layout="constrained")
    if options.layout == "grid":
        _draw_grid(fig, result)
    else:
        _draw_overlay(fig, result)
    if result.title:
        fig.suptitle(result.title)
    if any(not np.isfinite(g.lr).all() for c in result.curves for g in c.groups):
        note = "inf/NaN learning rates are not drawn (the CSV keeps them)"
        fig.text(0.005, 0.005, note, fontsize="x-small", color="0.4")
    return fig


_PANELS = (
    ("momentum", "momentum / beta1", lambda r: r.has_momentum),
    ("weight_decay", "weight decay", lambda r: r.has_weight_decay),
)


def _draw_overlay(fig: Figure, result: Result) -> None:
    extra = [(key, label) for key, label, wanted in _PANELS if wanted(result)]
    ratios = [3] + [1] * len(extra)
    axes = fig.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios}, squeeze=False)
    lr_axes, panel_axes = axes[0][0], [row[0] for row in axes[1:]]
    width = _pixel_width(fig)
    points = 0
    for curve in result.curves:
        several = len(curve.groups) > 1
        for group in curve.groups:
            label = f"{curve.label} / {group.name}" if several else curve.label
            (line,) = lr_axes.plot(*reduce_for_drawing(group.lr, width), label=label, linewidth=1.5)
            points += curve.total_step
            for (key, _), panel in zip(extra, panel_axes, strict=True):
                values = getattr(group, key)
                if values is not None:
                    panel.plot(*reduce_for_drawing(values, width), color=line.get_color(), linewidth=1.5)
            if curve.reference is not None and group is curve.groups[curve.reference_group]:
                _draw_reference(lr_axes, curve.reference, line.get_color(), f"{label} (log)")
        _draw_markers(lr_axes, curve.markers, line.get_color())
    _style_lr_axes(lr_axes, result)
    lr_axes.legend(loc="best" if points <= _BEST_LEGEND_LIMIT else "upper right", fontsize="small")
    for (_, ylabel), panel in zip(extra, panel_axes, strict=True):
        panel.set_ylabel(ylabel)
        panel.grid(True, alpha=0.3)
    _style_x_axis(panel_axes[-1] if panel_axes else lr_axes, lr_axes, result)


def _draw_grid(fig: Figure, result: Result) -> None:
    count = len(result.curves)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    axes = fig.subplots(rows, columns, sharex=False, squeeze=False)
    width = _pixel_width(fig) / columns
    for index, ax in enumerate(ax for row in axes for ax in row):
        if index >= count:
            ax.set_visible(False)
            continue
        curve = result.curves[index]
        for group in curve.groups:
            (line,) = ax.plot(*reduce_for_drawing(group.lr, width), linewidth=1.2, label=group.name)
        _draw_markers(ax, curve.markers, line.get_color())
        ax.set_title(curve.label, fontsize="small")
        if len(curve.groups) > 1:
            ax.legend(fontsize="x-small")
        _style_lr_axes(ax, result)
        _style_x_axis(ax, ax, result)


def _style_lr_axes(ax: Any, result: Result) -> None:
    ax.set_yscale(result.plot.yscale)
    if result.plot.yscale == "linear":
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useMathText=True)
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    ax.set_xlim(left=0)


def _style_x_axis(bottom: Any, top: Any, result: Result) -> None:
    """Steps with thousands separators; a second axis in epochs when steps_per_epoch is known."""
    from matplotlib.ticker import StrMethodFormatter

    bottom.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    bottom.set_xlabel("step")
    per_epoch = result.steps_per_epoch
    if per_epoch:
        epochs = top.secondary_xaxis("top", functions=(lambda s: s / per_epoch, lambda e: e * per_epoch))
        epochs.set_xlabel("epoch")


def _draw_reference(ax: Any, reference: Any, color: str, label: str) -> None:
    """A logged lr series, dashed; dots too when it is sparse enough to see them."""
    marker = "o" if len(reference.steps) <= 200 else None
    ax.plot(
        reference.steps, reference.lr, linestyle="--", linewidth=1.2, marker=marker, markersize=3,
        color=color, alpha=0.8, label=label,
    )  # fmt: skip


def _draw_markers(ax: Any, markers: list[int], color: str) -> None:
    for position in markers:
        ax.axvline(position, color=color, alpha=0.15, linewidth=0.8, zorder=0)


def _pixel_width(fig: Figure) -> int:
    return max(1, int(fig.get_figwidth() * fig.dpi))


def reduce_for_drawing(values: np.ndarray, pixel_width: float) -> tuple[np.ndarray, np.ndarray]:
    """x and y to draw: every point, or per-column first/min/max/last when there are many.

    A line through each column's first, min, max and last value covers exactly the pixels
    the full line would (the M4 reduction), so a 10,000,000-step curve draws in
    milliseconds and looks the same. Columns are twice the pixel width, for antialiasing.

    >>> x, y = reduce_for_drawing(np.arange(100_000, dtype=float), 100)
    >>> len(x) <= 4 * 200, float(y.min()), float(y.max())
    (True, 0.0, 99999.0)
    """
    count = len(values)
    columns = int(2 * pixel_width)
    values = _finite(values)
    if count <= 4 * columns:
        return np.arange(count), values
    edges = np.linspace(0, count, columns + 1).astype(np.int64)
    starts, ends = edges[:-1], edges[1:] - 1
    with np.errstate(invalid="ignore"):
        lows = np.fmin.reduceat(values, starts)
        highs = np.fmax.reduceat(values, starts)
    x = np.stack([starts, starts, starts, ends], axis=1).ravel()
    y = np.stack([values[starts], lows, highs, values[ends]], axis=1).ravel()
    return x, y


def _finite(values: np.ndarray) -> np.ndarray:
    """Non-finite values are left out of the drawing (the CSV keeps them)."""
    if np.isfinite(values).all():
        return values
    return np.where(np.isfinite(values), values, np.nan)


def save_figure(fig: Any, stream: Any, fmt: str) -> None:
    """Write a figure as png/svg/pdf with no run-dependent metadata (byte-reproducible)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from lrplot.errors import LrplotError

    FigureCanvasAgg(fig)
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None},
    }[fmt]
    with matplotlib.rc_context({"svg.hashsalt": "lrplot", "svg.fonttype": "path"}):
        try:
            fig.savefig(stream, format=fmt, metadata=metadata)
        except ValueError as exc:  # mathtext in a title or label that does not parse
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LrplotError(
                f"cannot draw the figure: {first} (a title or label with '$...$' must be "
                "valid matplotlib mathtext; write \\$ for a literal dollar)"
            ) from None
