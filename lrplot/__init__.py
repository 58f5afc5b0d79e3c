"""lrplot: see exactly what torch.optim.lr_scheduler does to your learning rate.

The Python API is the product; the ``lrplot`` command is a thin layer over it::

    import lrplot
    config = lrplot.load("configs/cosine_annealing.yaml")
    result = lrplot.simulate(config)          # torch's exact values, numpy arrays out
    fig = lrplot.figure(result)               # a matplotlib Figure (shown inline in Jupyter)
    lrplot.write(result, ["cosine.png", "cosine.csv"])
    text = lrplot.to_csv(result)              # the tidy CSV as text (or to a path or stream)
    rows = lrplot.summary(result)             # what ``lrplot plot --json`` prints per curve
    problems = lrplot.validate("configs/cosine_annealing.yaml")  # [] or every LrplotError found

``load`` and ``loads`` take the command line's options as keywords (``sets=[...]``,
``force=True``, ...) or as one ``options=lrplot.LoadOptions(...)``.

The package is layered (read → formats → overrides → config → plan → engines → result →
render → output → commands; see ``docs/architecture.md``); this module is the facade
over those layers and the only place a notebook user needs.

Imports are lazy so ``lrplot --help`` does not pay for torch or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "LoadOptions", "LrplotError", "figure", "load", "loads", "simulate", "summary", "to_csv",
    "validate", "write",
]  # fmt: skip

if TYPE_CHECKING:
    from lrplot.config import LoadOptions, load, loads
    from lrplot.engines import simulate
    from lrplot.errors import LrplotError
    from lrplot.render.figure import figure

_LAZY = {
    "LoadOptions": "lrplot.config",
    "load": "lrplot.config",
    "loads": "lrplot.config",
    "simulate": "lrplot.engines",
    "figure": "lrplot.render.figure",
    "LrplotError": "lrplot.errors",
}


def __dir__() -> list[str]:
    """Tab completion shows the API, not this module's imports."""
    return sorted([*__all__, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lrplot' has no attribute {name!r}")


def validate(path: Any, **keywords: Any) -> list[Any]:
    """Every problem ``lrplot validate`` would list for a config, as :class:`LrplotError` values
    (``[]`` when there is none); nothing is simulated past the checks, nothing drawn. Takes the
    same keywords as :func:`load` (or ``options=``)."""
    from lrplot.commands.validate import validate as check

    return check(path, **keywords)


def write(result: Any, outputs: Any) -> None:
    """Write a result to files; the format follows each extension (.png .svg .pdf .jpg .webp .tif .csv)."""
    from pathlib import Path

    from lrplot.output import check_outputs, write_outputs

    paths = [Path(p) for p in ([outputs] if isinstance(outputs, (str, Path)) else outputs)]
    check_outputs(paths)
    write_outputs([(result, paths)])


def to_csv(result: Any, target: Any = None) -> str | None:
    """The tidy CSV (``curve,group,step,lr[,momentum]``), repr-exact.

    To a path (written atomically) or an open text stream; without one, returned as text.
    """
    import io
    from pathlib import Path

    from lrplot.errors import LrplotError
    from lrplot.render.data import write_csv

    if target is None:
        stream = io.StringIO()
        write_csv(result, stream)
        return stream.getvalue()
    if isinstance(target, (str, Path)):
        if Path(target).suffix.lower() != ".csv":
            raise LrplotError(f"{target}: to_csv writes a .csv file")
        write(result, target)
        return None
    write_csv(result, target)
    return None


def summary(result: Any) -> list[dict[str, Any]]:
    """The summary numbers per curve and group (what ``lrplot plot --json`` prints)."""
    from lrplot.render.table import records

    return records(result)
