"""lrplot: see exactly what torch.optim.lr_scheduler does to your learning rate.

The Python API is the product; the ``lrplot`` command is a thin layer over it::

    import lrplot
    config = lrplot.load("configs/cosine_annealing.yaml")
    result = lrplot.simulate(config)          # real torch objects, numpy arrays out
    fig = lrplot.figure(result)               # a matplotlib Figure (shown inline in Jupyter)
    lrplot.write(result, ["cosine.png", "cosine.csv"])

Imports are lazy so ``lrplot --help`` does not pay for torch or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["LrplotError", "figure", "load", "loads", "simulate", "write"]

if TYPE_CHECKING:
    from lrplot.config import load, loads
    from lrplot.errors import LrplotError
    from lrplot.render.figure import figure
    from lrplot.simulation import simulate

_LAZY = {
    "load": "lrplot.config",
    "loads": "lrplot.config",
    "simulate": "lrplot.simulation",
    "figure": "lrplot.render.figure",
    "LrplotError": "lrplot.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lrplot' has no attribute {name!r}")


def write(result: Any, outputs: Any) -> None:
    """Write a result to files; the format follows each extension (.png .svg .pdf .csv)."""
    from pathlib import Path

    from lrplot.output import check_outputs, write_outputs

    paths = [Path(p) for p in ([outputs] if isinstance(outputs, (str, Path)) else outputs)]
    check_outputs(paths)
    write_outputs([(result, paths)])
