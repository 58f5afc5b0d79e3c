"""Opening training logs (CSV) with one error message for every way it can fail."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError


@contextmanager
def opened_log(path: Path, what: str, key_path: KeyPath) -> Iterator[csv.DictReader]:
    """A DictReader over a CSV log; unreadable files and broken CSV become LrplotError."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield csv.DictReader(handle)
    except OSError as exc:
        raise LrplotError(f"cannot read {what} {path}: {exc.strerror or exc}", key_path=key_path) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise LrplotError(f"{what} {path} is not a readable CSV: {exc}", key_path=key_path) from None


def named_column(name: Any, columns: list[str], path: Path, key_path: KeyPath, what: str = "column") -> str:
    """The column the config names, or an error listing the columns there are."""
    if name not in columns:
        raise LrplotError(
            f"{path}: no {what} {name!r}; columns: {', '.join(columns) or '(none)'}", key_path=key_path
        )
    return str(name)
