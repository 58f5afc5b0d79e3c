"""Result → tidy CSV (``curve,group,step,lr[,momentum]``), repr-exact.

The header is a public contract (CI snapshots are diffed against it). Every float is
written with ``repr``, the shortest text that reads back to the identical double.
"""

from __future__ import annotations

from typing import TextIO

from lrplot.result import Result, blocks
from lrplot.safe_text import shown

HEADER = ("curve", "group", "step", "lr")


def _quote(text: str) -> str:
    """CSV-quote a field the way the csv module does (only when needed)."""
    if any(c in text for c in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(result: Result, stream: TextIO, *, terminal: bool = False) -> None:
    """Write every curve and group, one row per step.

    ``terminal``: the stream is a terminal (``-o -`` unredirected), so labels and group names
    are :func:`~lrplot.safe_text.shown` (a control sequence in a label is data in a file, not
    something to send to a screen).

    >>> import io, numpy as np
    >>> from lrplot.result import CurveResult, GroupTrace, Result
    >>> g = GroupTrace("0", np.array([1.0, 0.1 + 0.2]))
    >>> out = io.StringIO()
    >>> write_csv(Result([CurveResult("a, b", 2, "StepLR", "SGD", [g])]), out)
    >>> print(out.getvalue(), end="")
    curve,group,step,lr
    "a, b",0,0,1.0
    "a, b",0,1,0.30000000000000004
    """
    with_momentum = result.has_momentum
    stream.write(",".join(HEADER + (("momentum",) if with_momentum else ())) + "\n")
    for curve in result.curves:
        for group in curve.groups:
            label, name = (shown(curve.label), shown(group.name)) if terminal else (curve.label, group.name)
            prefix = f"{_quote(label)},{_quote(name)},"
            for part in blocks(len(group.lr)):  # a block of Python floats at a time, not the whole run
                lrs = group.lr[part].tolist()
                if with_momentum:
                    momentum = group.momentum
                    momenta = momentum[part].tolist() if momentum is not None else [None] * len(lrs)
                    stream.writelines(
                        f"{prefix}{step},{lr!r},{'' if m is None else repr(m)}\n"
                        for step, (lr, m) in enumerate(zip(lrs, momenta, strict=True), part.start)
                    )
                else:
                    stream.writelines(f"{prefix}{step},{lr!r}\n" for step, lr in enumerate(lrs, part.start))
