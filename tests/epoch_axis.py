"""The epoch axis a figure draws on top (render/figure.py ``_style_x_axis``), for the formats' tests."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

import lrplot


def drawn(result: Any) -> Any:
    """The figure of a result, rendered (a bare Figure's canvas does not lay out ticks)."""
    fig = lrplot.figure(result)
    fig.savefig(io.BytesIO(), format="png")
    return fig


def epoch_axes(fig: Any) -> list[tuple[Any, Any]]:
    """(the axes, its secondary x axis labelled 'epoch') for every panel that has one."""
    return [(ax, child) for ax in fig.axes for child in ax.child_axes if child.get_xlabel() == "epoch"]


def tick_steps(ax: Any, top: Any) -> tuple[np.ndarray, np.ndarray]:
    """The top axis' visible ticks, and the step each one stands over on the bottom axis (by pixel)."""
    low, high = top.get_xlim()
    ticks = np.asarray([t for t in top.get_xticks() if low - 1e-9 <= t <= high + 1e-9])
    pixels = top.transData.transform(np.c_[ticks, np.zeros_like(ticks)])[:, 0]
    steps = ax.transData.inverted().transform(np.c_[pixels, np.zeros_like(pixels)])[:, 0]
    return ticks, steps
