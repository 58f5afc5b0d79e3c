"""Where a log parts from the plan, and why it may: the first differing step and a hint.

The hint is offered only when the log matches the plan exactly after one simple change: a
shift of k steps (a logger counting steps from another origin), a factor on the steps (the
plan and the run counting optimizer steps differently: gradient accumulation, world size),
or a constant factor on the lr (an lr scaled by the world size, or another base lr).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_SHIFT = 16  # steps a shift hint looks at, either way
MAX_STEP_FACTOR = 64  # factors on the steps a hint looks at


@dataclass(frozen=True)
class Divergence:
    """The first logged step where a log and the plan part, with what a message needs."""

    series: str  # the logged series (tag / column)
    group: str  # the param group's name
    step: int  # the plan's step (lrplot's step: the lr the step-th optimizer step uses)
    logged_step: int  # the step as the logger counted it
    planned: float
    logged: float
    rtol: float
    max_difference: float
    compared: int  # how many logged steps were compared
    differing: int  # how many of them differ
    hint: str | None = None
    beyond: int = 0  # logged steps past the plan's last step (not compared)

    def message(self) -> str:
        """One line: where, what was planned, what was logged, the tolerance, the hint."""
        where = f"step {self.step:,}" + (
            f" (logged as step {self.logged_step:,})" if self.logged_step != self.step else ""
        )
        text = (
            f"the log {self.series} differs from the plan at {where}: planned {self.planned!r}, "
            f"logged {self.logged!r} (rtol {self.rtol:.3g}; {self.differing:,} of {self.compared:,} "
            f"logged steps differ)"
        )
        if self.beyond:
            lie = "logged step lies" if self.beyond == 1 else "logged steps lie"
            text += f"; {self.beyond:,} {lie} past the plan's end"
        return text + (f"; {self.hint}" if self.hint else "")

    def record(self) -> dict[str, Any]:
        return {
            "series": self.series, "group": self.group, "step": self.step, "logged_step": self.logged_step,
            "planned": self.planned, "logged": self.logged, "rtol": self.rtol,
            "max_difference": self.max_difference, "compared": self.compared, "differing": self.differing,
            "hint": self.hint, "beyond": self.beyond,
        }  # fmt: skip


def close_to(ours: np.ndarray, logged: np.ndarray, rtol: float, float32: bool) -> np.ndarray:
    if float32:  # what the logger stored: the double rounded to float32
        with np.errstate(over="ignore"):
            ours = ours.astype(np.float32).astype(np.float64)
    with np.errstate(all="ignore"):
        return np.isclose(ours, logged, rtol=rtol, atol=0.0) | (ours == logged)


def hint_for(
    simulated: np.ndarray,
    steps: np.ndarray,
    logged: np.ndarray,
    rtol: float,
    float32: bool,
    offset: int,
    from_hf: bool,
) -> str | None:
    """Why the log may differ, when it matches the plan after one simple change."""
    total = len(simulated)
    for k in sorted(range(-MAX_SHIFT, MAX_SHIFT + 1), key=abs):
        shifted = steps + k
        keep = (shifted >= 0) & (shifted < total)
        if k == 0 or keep.sum() < 2:
            continue
        if close_to(simulated[shifted[keep]], logged[keep], rtol, float32).all():
            later = "later" if k > 0 else "earlier"
            text = (
                f"it matches the plan shifted by {abs(k)} step{'s' if abs(k) > 1 else ''} (each logged value "
                f"is the plan's {abs(k)} step{'s' if abs(k) > 1 else ''} {later}): "
                f"if that is how this logger counts, give the reference offset: {offset + k} "
                f"(--set reference.offset={offset + k})"
            )
            if from_hf:
                text += (
                    " (transformers before 4.51 logged the lr after the scheduler step: offset 0)"
                    if offset + k == 0
                    else " (transformers 4.51 and later log the lr the step used: offset -1)"
                    if offset + k == -1
                    else ""
                )
            return text
    for factor in range(2, MAX_STEP_FACTOR + 1):
        for scaled, how in ((steps * factor, f"×{factor}"), (steps // factor, f"÷{factor}")):
            if how.startswith("÷") and (steps % factor).any():
                continue
            keep = scaled < total
            if keep.sum() >= 3 and close_to(simulated[scaled[keep]], logged[keep], rtol, float32).all():
                return (
                    f"it matches the plan with the log's steps {how}: the plan and the run count optimizer "
                    "steps differently (gradient accumulation, world size or batch size?)"
                )
    ours = simulated[steps]
    usable = (ours != 0) & np.isfinite(ours) & np.isfinite(logged)
    if usable.sum() >= 2:
        with np.errstate(all="ignore"):
            ratio = logged[usable] / ours[usable]
        middle = float(np.median(ratio))
        if (
            np.isfinite(middle)
            and middle > 0
            and not np.isclose(middle, 1.0, rtol=max(rtol, 1e-6))
            and np.isclose(ratio, middle, rtol=max(rtol, 1e-6) * 4, atol=0.0).all()
        ):
            nearest = round(middle) if middle >= 1 else 1 / round(1 / middle)
            shown = f"{middle:.6g}"
            if np.isclose(middle, nearest, rtol=1e-4):
                shown = f"{nearest:g}" if middle >= 1 else f"1/{round(1 / middle)}"
            return (
                f"the log is the plan × {shown} at every logged step: an lr scaled by the world size or "
                "gradient accumulation (or a different base lr)?"
            )
    return None
