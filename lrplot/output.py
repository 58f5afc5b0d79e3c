"""Writing outputs safely: the format follows the extension, nothing is half-written, and
nothing the run reads is replaced.

Every output is rendered to a temporary file beside its target and renamed into place
only after *all* of them rendered, so a failure leaves the previous files untouched; the
renames run with Ctrl-C, SIGTERM and SIGHUP held back, so an interrupted run leaves either
all previous files or all new ones. Every writer (:func:`write_outputs`,
:func:`write_text_atomically`) first asks :func:`refuse_inputs`, which consults the registry
of every file the run read (:func:`lrplot.read.files.inputs`: the config, its logs, files it
includes), comparing resolved paths and inodes. A folder that ``--out-dir`` names is
created only when the outputs are written, and removed again if writing fails.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplot.errors import LrplotError, printable
from lrplot.read.files import inputs

if TYPE_CHECKING:
    from lrplot.result import Result

FORMATS = {
    ".png": "png",
    ".svg": "svg",
    ".pdf": "pdf",
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".webp": "webp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".csv": "csv",
}
# ``-o -``: the CSV goes to standard output (for a pipe), after every file is in place.
STDOUT = Path("-")


def plan_outputs(
    configs: Sequence[Path], *, outputs: Sequence[Path], out_dir: Path | None, formats: Sequence[str]
) -> list[tuple[Path, list[Path]]]:
    """Which files each config writes: ``-o`` paths (one config), or ``<stem>.<format>`` files."""
    if not configs:
        raise LrplotError("name at least one config file")
    if outputs and (out_dir is not None or formats):
        raise LrplotError("use either -o/--output, or --out-dir/--format, not both")
    if outputs:
        if len(configs) > 1:
            raise LrplotError(
                f"-o names the files of one config, but {len(configs)} configs were given; "
                "use --out-dir (and --format) for several"
            )
        return [(configs[0], list(outputs))]
    suffixes = []
    for fmt in formats or ["png"]:
        suffix = "." + fmt.lower().lstrip(".")
        if suffix not in FORMATS:
            raise LrplotError(
                f"--format {fmt!r}: unknown format; use one of {', '.join(f[1:] for f in FORMATS)}"
            )
        if suffix not in suffixes:
            suffixes.append(suffix)
    folder = out_dir if out_dir is not None else Path(".")
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise LrplotError(f"--out-dir {out_dir}: exists and is not a folder")
        _creatable(out_dir)  # created when the outputs are written, not before
    names = output_names(configs)
    return [(config, [folder / f"{names[config]}{suffix}" for suffix in suffixes]) for config in configs]


def output_names(configs: Sequence[Path]) -> dict[Path, str]:
    """Each config's output name: its stem, or, where stems collide, the stem prefixed with
    as many parent folder names as tell the configs apart (``schedulers-lambda_lr``).

    >>> output_names([Path("a/x.yaml"), Path("b/x.yaml"), Path("y.yaml")])
    {PosixPath('a/x.yaml'): 'a-x', PosixPath('b/x.yaml'): 'b-x', PosixPath('y.yaml'): 'y'}
    """
    unique = list(dict.fromkeys(configs))
    if len(unique) < len(configs):
        twice = next(c for c in unique if list(configs).count(c) > 1)
        raise LrplotError(f"{twice} is named twice")
    names: dict[Path, str] = {}
    by_stem: dict[str, list[Path]] = {}
    for config in unique:
        by_stem.setdefault(config.stem, []).append(config)
    for stem, group in by_stem.items():
        if len(group) == 1:
            names[group[0]] = stem
            continue
        parts = [config.resolve().parent.parts for config in group]
        depth = 1
        while depth <= max(len(p) for p in parts):
            labels = ["-".join(p[-depth:]) for p in parts]
            if len(set(labels)) == len(labels):
                break
            depth += 1
        for config, folders in zip(group, parts, strict=True):
            names[config] = "-".join([*folders[-depth:], stem]).lstrip("/") or stem
    taken: dict[str, Path] = {}
    for config in unique:
        if names[config] in taken:
            raise LrplotError(
                f"{taken[names[config]]} and {config} would both write {names[config]}.*; rename one, "
                "or plot them separately with -o"
            )
        taken[names[config]] = config
    return names


def _creatable(folder: Path) -> None:
    """Refuse a folder that cannot be created: its nearest existing parent must be a writable folder."""
    parent = folder
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise LrplotError(f"--out-dir {folder}: cannot create it, {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise LrplotError(f"--out-dir {folder}: cannot create it, {parent} is not writable")


def refuse_inputs(outputs: Sequence[Path]) -> None:
    """Refuse to write any output over a file this run reads (the config, a log, an included
    file): same resolved path, or the same file through a hard or symbolic link."""
    registry = inputs()
    for output in outputs:
        if output == STDOUT:
            continue
        found = registry.find(output)
        if found is not None:
            shown = "" if found.shown == str(output) else f" {found.shown}"
            raise LrplotError(
                f"{printable(str(output))}: refusing to write over the input {found.what}{shown}, "
                "a file this run reads"
            )


def check_outputs(
    outputs: Sequence[Path], *, inputs: Sequence[Path] = (), out_dir: Path | None = None
) -> None:
    """Refuse unknown extensions, unwritable folders and overwriting an input, before any work.

    ``out_dir`` is a folder ``--out-dir`` will create when writing.
    """
    seen: set[Path] = set()
    if sum(1 for output in outputs if output == STDOUT) > 1:
        raise LrplotError("-o - (CSV on standard output) is named twice")
    for output in outputs:
        if output == STDOUT:
            continue
        suffix = output.suffix.lower()
        if suffix not in FORMATS:
            shown = suffix or "no extension"
            raise LrplotError(f"{output}: unknown output format ({shown}); use one of {', '.join(FORMATS)}")
        folder = output.parent if str(output.parent) else Path(".")
        if out_dir is not None and folder == out_dir and not folder.exists():
            continue  # created when writing; _creatable checked its parent
        if not folder.is_dir():
            raise LrplotError(f"{output}: cannot write, folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise LrplotError(f"{output}: cannot write, folder {folder} is not writable")
        if output.is_dir():
            raise LrplotError(f"{output}: is a directory")
        for source in inputs:
            if output.exists() and source.exists() and output.samefile(source):
                raise LrplotError(f"{output}: refusing to write over the input config, a file this run reads")
        resolved = output.resolve()
        if resolved in seen:
            raise LrplotError(f"{output}: named twice as an output")
        seen.add(resolved)


def write_outputs(jobs: Sequence[tuple[Result, Sequence[Path]]]) -> None:
    """Render every output of every result to a temporary file, then move them all into place."""
    refuse_inputs([output for _, outputs in jobs for output in outputs])
    staged: list[tuple[Path, Path]] = []
    created: list[Path] = []
    current: Path | None = None
    try:
        for _, outputs in jobs:
            for output in outputs:
                if output != STDOUT:
                    created += _make_folders(output.parent if str(output.parent) else Path("."))
        for result, outputs in jobs:
            drawn: list[Any] = []

            def shared_figure(result: Result = result, drawn: list[Any] = drawn) -> Any:
                if not drawn:
                    from lrplot.render.figure import figure

                    drawn.append(figure(result))
                return drawn[0]

            for output in outputs:
                if output != STDOUT:
                    current = output
                    staged.append((_render_to_temp(result, output, shared_figure), output))
        with _signals_held():
            for temporary, output in staged:
                current = output
                os.replace(temporary, output)
        created = []  # the outputs are in place: the folders stay
        current = STDOUT
        for result, outputs in jobs:
            if STDOUT in outputs:
                import sys

                from lrplot.render.data import write_csv

                write_csv(result, sys.stdout, terminal=sys.stdout.isatty())
                sys.stdout.flush()
    except OSError as exc:
        culprit = (
            "standard output" if current == STDOUT else printable(str(current or exc.filename or "output"))
        )
        raise LrplotError(f"{culprit}: cannot write: {exc.strerror or exc}") from None
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        for folder in reversed(created):  # only folders this call made, and only when empty
            with contextlib.suppress(OSError):
                folder.rmdir()


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` (and missing parents); the folders created, outermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
    return list(reversed(missing))


@contextlib.contextmanager
def _signals_held() -> Any:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while outputs are renamed into place (microseconds),
    so an interrupted run leaves all the previous files or all the new ones, never a mix."""
    import signal
    import threading

    held = {signal.SIGINT, *(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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


def write_text_atomically(path: Path, text: str) -> None:
    """Write a text file through a temporary file beside it (complete or not at all), never
    over a file this run reads."""
    refuse_inputs([path])
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LrplotError(f"{path}: cannot write, folder {folder} does not exist")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, path)
    except OSError as exc:
        with contextlib.suppress(NameError, FileNotFoundError):
            Path(name).unlink()
        raise LrplotError(f"{path}: cannot write: {exc.strerror or exc}") from None
