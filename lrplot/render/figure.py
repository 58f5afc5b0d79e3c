"""Result → matplotlib Figure, built with the object API (never pyplot, never a window).

One line per curve (per param group where there are several); a second panel for
momentum / beta1 when a scheduler cycled it, sharing the x axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lrplot.simulation import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# loc="best" scans every point; past this many, a fixed corner keeps drawing fast.
_BEST_LEGEND_LIMIT = 50_000


def figure(result: Result) -> Figure:
    """Draw a result; Jupyter shows the returned Figure inline."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import StrMethodFormatter

    options = result.plot
    fig = Figure(figsize=tuple(options.size), dpi=options.dpi, layout="constrained")
    if result.has_momentum:
        lr_axes, momentum_axes = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        lr_axes, momentum_axes = fig.subplots(1, 1), None
    points = 0
    for curve in result.curves:
        several = len(curve.groups) > 1
        for group in curve.groups:
            label = f"{curve.label} / {group.name}" if several else curve.label
            steps = np.arange(curve.total_step)
            (line,) = lr_axes.plot(steps, _finite(group.lr), label=label, linewidth=1.5)
            points += curve.total_step
            if momentum_axes is not None and group.momentum is not None:
                momentum_axes.plot(
                    steps, _finite(group.momentum), color=line.get_color(), linewidth=1.5, label=label
                )
    lr_axes.set_yscale(options.yscale)
    if options.yscale == "linear":
        lr_axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useMathText=True)
    bottom_axes = momentum_axes if momentum_axes is not None else lr_axes
    bottom_axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    lr_axes.set_ylabel("learning rate")
    lr_axes.grid(True, alpha=0.3)
    if result.title:
        fig.suptitle(result.title)
    location = "best" if points <= _BEST_LEGEND_LIMIT else "upper right"
    lr_axes.legend(loc=location, fontsize="small")
    bottom = momentum_axes if momentum_axes is not None else lr_axes
    bottom.set_xlabel("step")
    if momentum_axes is not None:
        momentum_axes.set_ylabel("momentum / beta1")
        momentum_axes.grid(True, alpha=0.3)
    lr_axes.set_xlim(left=0)
    return fig


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
