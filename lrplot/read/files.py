"""Reading a file a config names: one place, so every read gets the same checks."""

from __future__ import annotations

from pathlib import Path

from lrplot.errors import LrplotError

MAX_CONFIG_BYTES = 2_000_000


def read_text(path: Path) -> str:
    """The file's text, or a one-line error saying why it cannot be read."""
    if not path.exists():
        raise LrplotError(f"{path}: no such file")
    if path.is_dir():
        raise LrplotError(f"{path}: is a directory, not a config file")
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise LrplotError(
                f"{path}: {size:,} bytes is too large for a config (limit {MAX_CONFIG_BYTES:,})"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise LrplotError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LrplotError(f"{path}: not UTF-8 text (byte {exc.start})") from None
