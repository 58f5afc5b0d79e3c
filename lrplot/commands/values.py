"""What the command line's values mean: the parsers its options use, and the options that
stand for a --set (--xlim), the files --reference names, or the load options as one value.

The parsers keep lrplot's wording ("input should be greater than or equal to 1") and read
``3.0`` as 3, as a config's integers are read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from lrplot.config import LoadOptions


def _integer(text: str) -> int | None:
    """Decimal digits (``_`` between them), optionally ending ``.0``; None if not an integer."""
    text = text.strip()
    if not text.isascii():
        return None
    whole, dot, zeros = text.partition(".")
    if dot and (not zeros or zeros.strip("0")):
        return None
    try:
        return int(whole)
    except ValueError:
        return None


def _number(text: str) -> float | None:
    text = text.strip()
    if not text.isascii():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def positive_integer(value: str | int) -> int:
    """An integer >= 1 (``3.0`` is 3): --workers, --dataset-size, --world-size, ..."""
    number = value if isinstance(value, int) else _integer(str(value))
    if number is None:
        raise typer.BadParameter("input should be a valid integer, unable to parse string as an integer")
    if number < 1:
        raise typer.BadParameter("input should be greater than or equal to 1")
    return number


def tolerance(value: str | float) -> float:
    """--rtol / --atol: a number >= 0; ``inf`` is a valid (if lax) tolerance, nan is not."""
    number = value if isinstance(value, float) else _number(str(value))
    if number is None:
        raise typer.BadParameter("input should be a valid number, unable to parse string as a number")
    if not number >= 0:  # nan too
        raise typer.BadParameter("input should be greater than or equal to 0")
    return number


# The command line's parameter name for each LoadOptions field that is not called the same.
LOAD_OPTION_NAMES = {
    "sets": "set_values",
    "sweeps": "sweep",
    "hydra_overrides": "hydra_override",
    "allow_imports": "allow_import",
    "files_for": "file_for",
    "references": "reference",
}


def load_options_from(params: dict[str, Any], **replaced: Any) -> LoadOptions:
    """The load options (--set, --select, --force, ...) among a command's parameters, as one
    frozen value built once per run; ``replaced`` gives fields the command computed itself."""
    from dataclasses import fields

    from lrplot.config import LoadOptions

    given = {}
    for load_field in fields(LoadOptions):
        name = LOAD_OPTION_NAMES.get(load_field.name, load_field.name)
        value = replaced.get(load_field.name, params.get(name))
        if value is not None:
            given[load_field.name] = value
    return LoadOptions(**given)


def reference_files(references: Sequence[str]) -> list[Path]:
    """The files ``--reference`` names: the user named them, so a config may read them."""
    from lrplot.overrides import split_reference

    return [Path(split_reference(text)[0]) for text in references]


def yscale_sets(scale: Any) -> list[str]:
    """``--yscale linear|log|auto`` → a --set of ``plot.yscale`` (auto: lrplot decides, null)."""
    if scale is None:
        return []
    value = getattr(scale, "value", scale)
    return [f"plot.yscale={'null' if value == 'auto' else value}"]


def xlim_sets(text: str | None) -> list[str]:
    """``--xlim A:B`` → a --set of ``plot.xlim`` (an open end takes the run's own)."""
    if text is None:
        return []
    first, sep, last = text.partition(":")
    if not sep:
        raise typer.BadParameter(f"{text!r}: expected A:B, for example 0:3000", param_hint="--xlim")
    try:
        low = float(first) if first.strip() else 0.0
        high = float(last) if last.strip() else None
    except ValueError:
        raise typer.BadParameter(f"{text!r}: A and B must be step numbers", param_hint="--xlim") from None
    if not math.isfinite(low) or (high is not None and not math.isfinite(high)):
        raise typer.BadParameter(f"{text!r}: A and B must be finite step numbers", param_hint="--xlim")
    if high is not None and high <= low:
        raise typer.BadParameter(
            f"{text!r}: the first step must come before the last (for example {high:g}:{low:g})",
            param_hint="--xlim",
        )
    return [f"plot.xlim=[{low!r}, {high!r}]" if high is not None else f"plot.xlim=[{low!r}, null]"]
