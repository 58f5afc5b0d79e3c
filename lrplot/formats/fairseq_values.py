"""fairseq config values as OmegaConf converts them into fairseq's dataclasses (one line per bad one)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import amount_text, finite


def interpolated(value: Any, optimization: dict[str, Any], at: KeyPath) -> Any:
    """``${optimization.lr}``-style values (what the dataclasses' ``II`` write); others refused."""
    if not isinstance(value, str):
        return value
    if value == "???":
        raise LrplotError(f"{'.'.join(map(str, at))} is ??? (mandatory): give a value", key_path=at)
    found = re.fullmatch(r"\$\{optimization\.(\w+)\}", value.strip())
    if found and found.group(1) in optimization:
        return optimization[found.group(1)]
    if "${" in value:
        raise LrplotError(
            f"{'.'.join(map(str, at))}: only ${{optimization.KEY}} interpolations are read", key_path=at
        )
    return value


def integer(value: Any, at: KeyPath, minimum: int | None = None) -> int:
    """An int field as OmegaConf converts it (an int, or a string of one)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise LrplotError(f"{'.'.join(map(str, at))} should be an integer{bound}, got {value!r}", key_path=at)
    return value


def number(value: Any, at: KeyPath) -> float:
    """A float field as OmegaConf converts it (a number, or a string such as ``1e-07``)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if not finite(value):
        shown = amount_text(value) if isinstance(value, int) else repr(value)
        raise LrplotError(f"{'.'.join(map(str, at))} should be a number, got {shown}", key_path=at)
    return float(value)


def numbers(value: Any, at: KeyPath) -> list[float]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise LrplotError(f"{'.'.join(map(str, at))} should not be empty", key_path=at)
    return [number(item, (*at, index)) for index, item in enumerate(items)]


def integers(value: Any, at: KeyPath, minimum: int) -> list[int]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise LrplotError(f"{'.'.join(map(str, at))} should not be empty", key_path=at)
    return [integer(item, (*at, index), minimum) for index, item in enumerate(items)]
