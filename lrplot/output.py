"""Writing outputs safely: the format follows the extension, and nothing is half-written.

Every output is rendered to a temporary file beside its target and renamed into place
only after *all* of them rendered, so a failure leaves the previous files untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.simulation import Result

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".csv": "csv"}


def check_outputs(outputs: Sequence[Path], *, inputs: Sequence[Path] = ()) -> None:
    """Refuse unknown extensions, unwritable folders and overwriting an input, before any work."""
    seen: set[Path] = set()
    for output in outputs:
        suffix = output.suffix.lower()
        if suffix not in FORMATS:
            shown = suffix or "no extension"
            raise LrplotError(f"{output}: unknown output format ({shown}); use one of {', '.join(FORMATS)}")
        folder = output.parent if str(output.parent) else Path(".")
        if not folder.is_dir():
            raise LrplotError(f"{output}: cannot write, folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise LrplotError(f"{output}: cannot write, folder {folder} is not writable")
        if output.is_dir():
            raise LrplotError(f"{output}: is a directory")
        for source in inputs:
            if output.exists() and source.exists() and output.samefile(source):
                raise LrplotError(f"{output}: refusing to write over the input config")
        resolved = output.resolve()
        if resolved in seen:
            raise LrplotError(f"{output}: named twice as an output")
        seen.add(resolved)


def write_outputs(result: Result, outputs: Sequence[Path]) -> None:
    """Render every output to a temporary file, then move them all into place."""
    staged: list[tuple[Path, Path]] = []
    drawn: list[Any] = []

    def shared_figure() -> Any:
        if not drawn:
            from lrplot.render.figure import figure

            drawn.append(figure(result))
        return drawn[0]

    try:
        for output in outputs:
            staged.append((_render_to_temp(result, output, shared_figure), output))
        for temporary, output in staged:
            os.replace(temporary, output)
    except OSError as exc:
        raise LrplotError(f"{exc.filename or 'output'}: cannot write: {exc.strerror or exc}") from None
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()


def _render_to_temp(result: Result, output: Path, shared_figure: Callable[[], Any]) -> Path:
    fmt = FORMATS[output.suffix.lower()]
    folder = output.parent if str(output.parent) else Path(".")
    handle, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    temporary = Path(name)
    try:
        if fmt == "csv":
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                from lrplot.render.data import write_csv

                write_csv(result, stream)
        else:
            from lrplot.render.figure import save_figure

            with os.fdopen(handle, "wb") as stream:
                save_figure(shared_figure(), stream, fmt)
        os.chmod(temporary, 0o666 & ~_umask())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return temporary


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
