"""What a figure may cost and contain, checked before any drawing.

``check_drawable`` bounds panels and lines (``MAX_GRID_PANELS``, ``MAX_LINES``; ``--force``
lifts them); ``check_mathtext`` parses every text matplotlib will read as mathtext so a bad
one is named (with its key) instead of failing inside ``savefig``; ``drawable`` leaves out
values matplotlib's axis arithmetic cannot handle (inf, NaN and anything beyond 1e300, where
tick ranges and transforms overflow), as the CSV keeps them.
"""

from __future__ import annotations

import numpy as np

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.limits import MAX_GRID_PANELS, MAX_LINES, check
from lrplot.result import blocks, first_where

# matplotlib's axis arithmetic (tick ranges, transforms) overflows near the top of the
# float range; values beyond this are left out of the drawing like inf and NaN.
DRAWABLE = 1e300


def check_drawable(layout: str, curves: int, lines: int) -> None:
    """Bound a figure's drawing work before any is done (``--force`` lifts these)."""
    if layout == "grid":
        check("plot.layout grid draws one panel per curve: {} panels", curves, MAX_GRID_PANELS,
              key_path=("plot", "layout"), liftable=True)  # fmt: skip
    check("the figure would draw {} lines (curves x param groups)", lines, MAX_LINES,
          key_path=("curves",), liftable=True)  # fmt: skip


def check_mathtext(texts: list[tuple[str, str, KeyPath | None]]) -> None:
    """Parse every text (``what``, text, key path) that matplotlib will read as mathtext.

    A text without a ``$`` is never mathtext: then matplotlib is not imported at all.
    """
    if not any("$" in text for _, text, _ in texts):
        return
    from matplotlib.cbook import is_math_text
    from matplotlib.mathtext import MathTextParser

    parser = None
    for what, text, key_path in texts:
        if not text or not is_math_text(text):
            continue
        parser = parser or MathTextParser("path")
        try:
            parser.parse(text, dpi=72)
        except (ValueError, RecursionError) as exc:
            lines = str(exc).strip().splitlines()
            reason = lines[-1].split(": ", 1)[-1] if lines else "nested too deeply"  # the parser's words
            raise LrplotError(
                f"{what} {printable(repr(text), 80)} is not valid matplotlib mathtext "
                f"({printable(reason, 120)}); write \\$ for a literal dollar",
                key_path=key_path,
            ) from None


def all_drawable(values: np.ndarray) -> bool:
    """Whether every value is finite and within ``DRAWABLE`` (a block at a time: no copy of a long run)."""
    with np.errstate(invalid="ignore"):
        return first_where(values, lambda block: ~((block >= -DRAWABLE) & (block <= DRAWABLE))) is None


def drawable(values: np.ndarray) -> np.ndarray:
    """The values with inf, NaN and anything beyond ``DRAWABLE`` replaced by NaN (not drawn)."""
    if all_drawable(values):
        return values
    drawn = np.empty_like(values)
    with np.errstate(invalid="ignore"):
        for part in blocks(values.size):  # a copy of the run, but no temporaries as large as it
            block = values[part]
            drawn[part] = np.where((block >= -DRAWABLE) & (block <= DRAWABLE), block, np.nan)
    return drawn
