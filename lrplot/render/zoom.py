"""How a figure shows which steps its inset magnifies: a band and connectors that hide nothing."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrplot.render.layout import Occupancy


def indicate_zoom(
    ax: Any, first: float, last: float, box: tuple[float, float, float, float], occupancy: Occupancy
) -> None:
    """The magnified steps as a light band with no edge (an edge would read as one more
    milestone line), and a connector from the band to the inset only where it crosses no line."""
    ax.axvspan(first, last, facecolor="0.5", alpha=0.12, linewidth=0, zorder=0)
    x_low, x_high = ax.get_xlim()
    band = (last - x_low) / (x_high - x_low)  # the band's right edge, in axes fractions
    x0, y0, width, height = box
    inset_x = x0 if x0 > band else x0 + width
    for band_y, inset_y in ((1.0, y0 + height), (0.0, y0)):
        xs = np.linspace(band, inset_x, 60)
        ys = np.linspace(band_y, inset_y, 60)
        if all(occupancy.free(x, x, y, y) for x, y in zip(xs[1:], ys[1:], strict=True)):
            ax.plot([band, inset_x], [band_y, inset_y], transform=ax.transAxes, color="0.5", alpha=0.6,
                    linewidth=0.8, zorder=1, label="_nolegend_")  # fmt: skip
