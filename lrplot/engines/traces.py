"""Value buffers shared by the engines, and the notes their values may call for."""

from __future__ import annotations

from array import array

import numpy as np


def zeros(steps: int) -> array:
    """A preallocated float64 buffer (8 bytes a step, no Python float objects)."""
    return array("d", [0.0]) * steps


def non_finite_notes(label: str, names: list[str], traces: list[array]) -> list[str]:
    """inf/NaN learning rates (an expression can make them): where they start, how many."""
    notes = []
    for name, trace in zip(names, traces, strict=True):
        values = np.frombuffer(trace, dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            group = f" group {name!r}" if len(names) > 1 else ""
            notes.append(
                f"curve {label!r}{group}: the lr is {float(values[first])!r} from step {first} "
                f"({int(bad.sum()):,} non-finite values); the figure leaves them out, the CSV keeps them"
            )
    return notes
