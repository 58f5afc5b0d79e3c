"""Result → matplotlib Figure, built with the object API (never pyplot, never a window).

One line per curve (per param group where there are several); a second panel for
momentum / beta1 when a scheduler cycled it, sharing the x axis.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from lrplot.errors import LrplotError, printable
from lrplot.limits import lifting
from lrplot.render.guards import DRAWABLE, all_drawable, check_drawable, check_mathtext, drawable
from lrplot.render.layout import (
    CORNERS,
    LINESTYLES,
    Occupancy,
    choose_yscale,
    free_corner,
    log_limits,
    shared_label_parts,
    warmup_zoom,
)
from lrplot.render.ticks import plain_ticks_unicode_multiplier, unicode_log_labels
from lrplot.render.zoom import indicate_zoom
from lrplot.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure(result: Result, *, force: bool = False) -> Figure:
    """Draw a result; Jupyter shows the returned Figure inline.

    Overlaid (default): one lr panel with every curve and group, plus panels for momentum /
    beta1 and weight decay where a scheduler changed them, all sharing the x axis.
    ``plot.layout: grid``: one small panel per curve (with its own momentum panel).
    Colour tells curves apart, line style param groups; the lr is drawn as a step function
    (constant over each optimizer step); the y axis turns logarithmic when the curves span
    more than two decades; a short warmup gets a magnified inset. ``force`` lifts the bounds
    on panels and lines (:mod:`lrplot.limits`).
    """
    from matplotlib.figure import Figure

    options = result.plot
    with lifting(force):
        check_drawable(options.layout, len(result.curves), sum(len(c.groups) for c in result.curves))
    texts: list[tuple[str, str, None]] = [("title", result.title or "", None)]
    for curve in result.curves:
        texts.append(("label", curve.label, None))
        texts += [("param group name", group.name, None) for group in curve.groups]
    check_mathtext(texts)
    fig = Figure(figsize=tuple(options.size), dpi=options.dpi, layout="constrained")
    scale, _ = choose_yscale(result)  # once: a quantile over every value (10,000,000 in a long run)
    shared, labels = shared_label_parts([curve.label for curve in result.curves], result.title)
    if options.layout == "grid":
        _draw_grid(fig, result, scale)
    else:
        _draw_overlay(fig, result, labels, scale)
    title = " — ".join(part for part in (result.title, shared) if part)
    if title:
        fig.suptitle(title)
    if any(not all_drawable(g.lr) for c in result.curves for g in c.groups):
        note = "inf/NaN learning rates and any beyond 1e300 are not drawn (the CSV keeps them)"
        fig.text(0.005, 0.005, note, fontsize="x-small", color="0.4")
    return fig


LINT_MARK = "lrplot-lint-mark"  # the gid of the open circles marking schedule warnings

_PANELS = (
    ("momentum", "momentum / beta1", lambda r: r.has_momentum),
    ("weight_decay", "weight decay", lambda r: r.has_weight_decay),
)


def _style(curve_index: int, group_index: int) -> dict[str, Any]:
    """Colour per curve, line style per param group."""
    return {"color": f"C{curve_index % 10}", "linestyle": LINESTYLES[group_index % len(LINESTYLES)]}


def _draw_overlay(fig: Figure, result: Result, labels: list[str], scale: str) -> None:
    extra = [(key, label) for key, label, wanted in _PANELS if wanted(result)]
    ratios = [3] + [1] * len(extra)
    axes = fig.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios}, squeeze=False)
    lr_axes, panel_axes = axes[0][0], [row[0] for row in axes[1:]]
    width = _pixel_width(fig)
    window = _window(result)
    for index, (curve, label) in enumerate(zip(result.curves, labels, strict=True)):
        several = len(curve.groups) > 1
        for group_index, group in enumerate(curve.groups):
            style = _style(index, group_index)
            name = f"{label} / {group.name}" if several else label
            _step_line(lr_axes, group.lr, width, window, label=name, **style)
            _draw_lint_marks(lr_axes, curve, group, style["color"], scale)
            for (key, _), panel in zip(extra, panel_axes, strict=True):
                values = getattr(group, key)
                if values is not None:
                    _step_line(panel, values, width, window, label=name, **style)
            for comparison in curve.reference_comparisons():
                if comparison.group == group_index:
                    logged = next(s for s in curve.reference.series if s.name == comparison.series)
                    _draw_reference(lr_axes, logged, comparison.divergence, style["color"], f"{name} (log)")
        _draw_markers(lr_axes, curve.markers, f"C{index % 10}")
    _style_lr_axes(lr_axes, result, scale)
    _place_legend(lr_axes, result)
    for (_, ylabel), panel in zip(extra, panel_axes, strict=True):
        panel.set_ylabel(ylabel)
        panel.grid(True, alpha=0.3)  # colours and line styles are the lr panel's: one legend serves
    _style_x_axis(panel_axes[-1] if panel_axes else lr_axes, lr_axes, result)
    _draw_zoom(lr_axes, result, width)


def _draw_grid(fig: Figure, result: Result, scale: str) -> None:
    count = len(result.curves)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cells = fig.add_gridspec(rows, columns)
    width = _pixel_width(fig) / columns
    for index, curve in enumerate(result.curves):
        extra = [(key, label) for key, label, _ in _PANELS if getattr(curve, f"has_{key}")]
        cell = cells[index // columns, index % columns].subgridspec(
            1 + len(extra), 1, height_ratios=[3] + [1] * len(extra), hspace=0.05
        )
        ax = fig.add_subplot(cell[0])
        panels = [fig.add_subplot(cell[i + 1], sharex=ax) for i in range(len(extra))]
        window = _window(result)
        for group_index, group in enumerate(curve.groups):
            style = _style(index, group_index)
            _step_line(ax, group.lr, width, window, label=group.name, **style)
            _draw_lint_marks(ax, curve, group, style["color"], scale)
            for (key, _), panel in zip(extra, panels, strict=True):
                values = getattr(group, key)
                if values is not None:
                    _step_line(panel, values, width, window, **style)
        _draw_markers(ax, curve.markers, f"C{index % 10}")
        ax.set_title(curve.label, fontsize="small")
        if len(curve.groups) > 1:
            ax.legend(fontsize="x-small")
        _style_lr_axes(ax, result, scale, single=curve)
        for (_, ylabel), panel in zip(extra, panels, strict=True):
            panel.set_ylabel(ylabel, fontsize="x-small")
            panel.grid(True, alpha=0.3)
        if panels:
            ax.tick_params(labelbottom=False)
        _style_x_axis(panels[-1] if panels else ax, ax, result)


def _step_line(
    ax: Any, values: np.ndarray, width: float, window: tuple[int, int] | None = None, **style: Any
) -> Any:
    """The values as a step function: step i's value holds from i to i + 1.

    With a ``window`` (plot.xlim) only those steps are reduced to the pixel width, so a
    zoomed range keeps every step it can show.
    """
    first, last = window if window is not None else (0, len(values))
    first, last = max(0, min(first, len(values) - 1)), max(1, min(last, len(values)))
    x, y = reduce_for_drawing(values[first:last], width)
    x = np.append(x + first, last)
    y = np.append(y, y[-1] if y.size else np.nan)
    (line,) = ax.plot(x, y, drawstyle="steps-post", linewidth=1.5, **style)
    return line


def _window(result: Result) -> tuple[int, int] | None:
    """The steps plot.xlim shows (with a step of margin), or None for the whole run."""
    if result.plot.xlim is None:
        return None
    steps = max(curve.total_step for curve in result.curves)
    first, last = result.plot.xlim
    low = 0 if first is None else max(0, math.floor(first) - 1)
    high = steps if last is None else min(steps, math.ceil(last) + 1)
    return (low, high) if high > low else None


def _style_lr_axes(ax: Any, result: Result, scale: str, single: Any = None) -> None:
    ax.set_yscale(scale)
    if scale == "log":
        unicode_log_labels(ax.yaxis)
        limits = log_limits(result)
        if limits is not None:
            ax.set_ylim(*limits)
    else:
        ax.yaxis.set_major_formatter(plain_ticks_unicode_multiplier())
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    steps = single.total_step if single is not None else max(c.total_step for c in result.curves)
    ax.set_xlim(0, steps)
    if result.plot.xlim is not None:
        ax.set_xlim(*result.plot.xlim)
        if ax.get_yscale() == "linear" and result.plot.ylim is None:
            ax.relim(visible_only=True)
            ax.autoscale_view(scalex=False)
    if result.plot.ylim is not None:
        ax.set_ylim(*result.plot.ylim)


def _place_legend(ax: Any, result: Result) -> None:
    """Inside, in a corner no line passes through; outside on the right when none is free."""
    handles, labels = ax.get_legend_handles_labels()
    if any(line.get_gid() == LINT_MARK for line in ax.get_lines()):  # explain the open circles
        from matplotlib.lines import Line2D

        circle = {"marker": "o", "markerfacecolor": "none", "markeredgecolor": "0.3", "linestyle": "none"}
        handles.append(Line2D([], [], markersize=5, **circle))
        labels.append("schedule warning (see the summary)")
    if len(handles) < 2:
        return
    occupancy = _occupancy(ax)
    longest = max(len(label) for label in labels)
    bbox = ax.get_window_extent() if ax.figure is not None else None
    axes_width = bbox.width if bbox is not None and bbox.width > 0 else 600.0
    axes_height = bbox.height if bbox is not None and bbox.height > 0 else 350.0
    font = 8.5 * ax.figure.dpi / 72  # "small" is ~8.5 pt at the default 10 pt
    width = (longest * 0.62 * font + 3.2 * font) / axes_width
    height = (len(labels) * 1.45 * font + 0.9 * font) / axes_height
    corner = free_corner(occupancy, width, height) if len(labels) <= 6 else None
    if corner is not None:
        ax.legend(handles, labels, loc=corner, fontsize="small")
    else:
        ax.legend(
            handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0
        )


def _occupancy(ax: Any) -> Occupancy:
    """The axes' lines in axes fractions (after its limits are set)."""
    occupancy = Occupancy.empty()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    log = ax.get_yscale() == "log"
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        if log:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), -np.inf)
            lo, hi = math.log10(y0), math.log10(y1)
        else:
            lo, hi = y0, y1
        occupancy.add((x - x0) / (x1 - x0), (y - lo) / (hi - lo))
    return occupancy


def _draw_zoom(ax: Any, result: Result, width: float) -> None:
    """A magnified inset of the warmup (or of plot.zoom), in a corner free of lines."""
    zoom = warmup_zoom(result)
    corner = free_corner(_occupancy(ax), 0.36, 0.4) if zoom is not None else None
    if zoom is None or corner is None:
        return
    first, last = zoom
    cx, cy = CORNERS[corner]
    x0 = 0.03 if cx == 0.0 else 0.61
    y0 = 0.05 if cy == 0.0 else (0.3 if cy == 0.5 else 0.55)
    inset = ax.inset_axes([x0, y0, 0.36, 0.4])
    for index, curve in enumerate(result.curves):
        for group_index, group in enumerate(curve.groups):
            stop = min(len(group.lr), math.ceil(last) + 1)
            _step_line(inset, group.lr[:stop], width, **_style(index, group_index))
    inset.set_xlim(first, last)
    inset.set_yscale(ax.get_yscale())
    if ax.get_yscale() == "log":
        unicode_log_labels(inset.yaxis)
    else:  # the same ×10ⁿ labels as the main axes, not 0.00030
        inset.yaxis.set_major_formatter(plain_ticks_unicode_multiplier())
        inset.yaxis.get_offset_text().set_fontsize("x-small")
    from matplotlib.ticker import StrMethodFormatter

    inset.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # steps as the main axis writes them
    inset.tick_params(labelsize="x-small")
    inset.grid(True, alpha=0.3)
    inset.set_title(
        "magnified" if isinstance(result.plot.zoom, list) else "warmup, magnified", fontsize="x-small"
    )
    indicate_zoom(ax, first, last, (x0, y0, 0.36, 0.4), _occupancy(ax))


def _style_x_axis(bottom: Any, top: Any, result: Result) -> None:
    """Steps with thousands separators; a second axis in epochs when steps_per_epoch is known."""
    from matplotlib.ticker import StrMethodFormatter

    bottom.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    bottom.set_xlabel("step")
    per_epoch = result.steps_per_epoch
    if per_epoch:
        epochs = top.secondary_xaxis("top", functions=(lambda s: s / per_epoch, lambda e: e * per_epoch))
        epochs.set_xlabel("epoch")


# Dash-dot-dot: none of the param groups' line styles (layout.LINESTYLES), so a log stays
# told apart from its plan whichever group it belongs to.
LOG_LINESTYLE = (0, (5, 1.5, 1, 1.5, 1, 1.5))


def _draw_reference(ax: Any, logged: Any, divergence: Any, color: str, label: str) -> None:
    """A logged lr series, dash-dot-dotted (dots too when sparse enough to see them), and a cross where
    it first parts from the plan (reference.Divergence), labelled with the step."""
    marker = "o" if len(logged.steps) <= 200 else None
    ax.plot(
        logged.steps, drawable(logged.lr), linestyle=LOG_LINESTYLE, linewidth=1.1, marker=marker,
        markersize=3, color=color, alpha=0.8, label=label,
    )  # fmt: skip
    if divergence is not None and np.isfinite(divergence.logged):
        text = f"log parts at step {divergence.step:,}"
        if text in (line.get_label() for line in ax.get_lines()):
            text = "_nolegend_"  # several groups parting at one step: one legend entry says it
        ax.plot([divergence.step], [divergence.logged], marker="X", markersize=9, color="crimson",
                linestyle="none", zorder=5, label=text)  # fmt: skip
        ax.axvline(divergence.step, color="crimson", linewidth=0.8, linestyle=":", alpha=0.7)


def _draw_lint_marks(ax: Any, curve: Any, group: Any, color: str, yscale: str) -> None:
    """A small open circle on the line at each step a schedule check warns about."""
    marked = sorted(
        {
            mark.step
            for mark in curve.lint or []
            if mark.severity == "warning" and mark.step is not None and mark.group in (None, group.name)
        }
    )
    points = [(step, float(group.lr[step])) for step in marked if 0 <= step < len(group.lr)]
    points = [(x, y) for x, y in points if abs(y) <= DRAWABLE and (yscale != "log" or y > 0)]  # as drawn
    if points:
        xs, ys = zip(*points, strict=True)
        ax.plot(
            xs, ys, linestyle="none", marker="o", markersize=5, markerfacecolor="none", markeredgecolor=color,
            markeredgewidth=1.0, zorder=3, label="_nolegend_", gid=LINT_MARK,
        )  # fmt: skip


def _draw_markers(ax: Any, markers: list[int], color: str) -> None:
    """Milestones and restarts: a dotted line and a small tick at the top edge."""
    if not markers:
        return
    for position in markers:
        ax.axvline(position, color=color, alpha=0.35, linewidth=0.9, linestyle=(0, (2, 2)), zorder=0)
    ax.plot(
        markers, [1.0] * len(markers), marker="v", markersize=5, linestyle="none", color=color,
        transform=ax.get_xaxis_transform(), clip_on=False, zorder=3,
    )  # fmt: skip


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
    values = drawable(values)
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


def save_figure(fig: Any, stream: Any, fmt: str) -> None:
    """Write a figure as png/svg/pdf with no run-dependent metadata (byte-reproducible)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    # Run-dependent metadata removed; jpg, webp and tiff (written by Pillow) carry none.
    metadata: dict[str, Any] | None = {
        "png": {"Software": None},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None},
    }.get(fmt)
    extra = {"metadata": metadata} if metadata is not None else {}
    with matplotlib.rc_context({"svg.hashsalt": "lrplot", "svg.fonttype": "path"}):
        try:
            with np.errstate(all="ignore"):
                fig.savefig(stream, format=fmt, **extra)
        except (ValueError, ArithmeticError, RecursionError, RuntimeError, np.linalg.LinAlgError) as exc:
            # Texts were parsed and values bounded before drawing; what is left is matplotlib's own.
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LrplotError(f"cannot draw the figure: {printable(first, 200)}") from None
