"""Reading any file: the one place every read goes through, so every read gets the same policy.

What lrplot reads (the README's security model says the same):

- **Regular files only.** The file is opened without following a last symlink and without
  blocking (``O_NONBLOCK``), then ``fstat``-ed: a FIFO, socket or device is refused before a
  byte is read, so ``/dev/zero`` or a FIFO cannot hang or fill memory.
- **Never /proc, /sys or /dev**, by path (as written and resolved) and by device, so
  ``/proc/self/environ`` (the environment, CI secrets with it) is never opened.
- **A file a config names** (a reference or metric log, an included config) resolves
  relative to the config's folder. On the command line (where configs from pull requests
  arrive: every ``lrplot`` command runs inside :func:`confining_reads`), after resolving
  ``..`` and symlinks it must lie inside the config's folder or the working folder, or a
  folder the *user* allows (``--allow-read DIR``, ``LRPLOT_ALLOW_READ=dir1:dir2``); a config
  cannot widen this itself. Files the user names on the command line (the config,
  ``--reference``, ``--against``) are not confined, but are otherwise read the same way. The
  Python API (``lrplot.load``) is called by code the user wrote, so it is not confined unless
  that code asks for it with :func:`confining_reads`.
- **A byte limit** per file, checked with ``fstat`` before reading and enforced while reading.
- **Content is never echoed**: messages name the file, the line and the column, never a
  value read from it (see :func:`lrplot.read.logs.shown_columns` for column names).

Every file read is recorded in the current :class:`Inputs` registry, which every writer
consults (:mod:`lrplot.output`) so no output replaces a file the run reads.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.limits import MAX_CONFIG_BYTES, MAX_LOG_BYTES

__all__ = [
    "ALLOW_READ_ENV",
    "MAX_CONFIG_BYTES",
    "MAX_LOG_BYTES",
    "Input",
    "Inputs",
    "ReadScope",
    "checked_path",
    "confining_reads",
    "in_scope",
    "inputs",
    "open_text",
    "read_bytes",
    "read_scope",
    "read_text",
    "recording",
]

ALLOW_READ_ENV = "LRPLOT_ALLOW_READ"
PSEUDO_FOLDERS = ("/proc", "/sys", "/dev")
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@dataclass(frozen=True)
class Input:
    """A file this run read: what it was, as named, and its identity on disk."""

    what: str
    shown: str
    real: str
    device: int
    inode: int


@dataclass
class Inputs:
    """Every file a run read; writers ask :meth:`find` before replacing a file."""

    entries: dict[tuple[int, int], Input] = field(default_factory=dict)

    def add(self, entry: Input) -> None:
        self.entries.setdefault((entry.device, entry.inode), entry)

    def paths(self) -> list[Path]:
        """The files read, as resolved paths, in the order they were first read."""
        return [Path(entry.real) for entry in self.entries.values()]

    def find(self, target: Path) -> Input | None:
        """The input ``target`` would replace: the same resolved path, or the same file (a
        hard or symbolic link to it), as long as that input is still the file that was read."""
        real = os.path.realpath(target)
        try:
            status = os.stat(target)
        except OSError:
            status = None
        for entry in self.entries.values():
            if entry.real == real:
                return entry
            if status is None or (status.st_dev, status.st_ino) != (entry.device, entry.inode):
                continue
            try:
                live = os.stat(entry.real)
            except OSError:
                continue  # the input is gone: its inode number may have been reused
            if (live.st_dev, live.st_ino) == (entry.device, entry.inode):
                return entry
        return None


@dataclass(frozen=True)
class ReadScope:
    """Where files a config names may be: confined or not, and what the user allowed besides."""

    confined: bool = False
    folders: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


_PROCESS_INPUTS = Inputs()
_INPUTS: ContextVar[Inputs | None] = ContextVar("lrplot_inputs", default=None)
_SCOPE: ContextVar[ReadScope | None] = ContextVar("lrplot_read_scope", default=None)
_UNCONFINED = ReadScope()


def inputs() -> Inputs:
    """The registry reads are recorded in: the current run's, or this process's."""
    return _INPUTS.get() or _PROCESS_INPUTS


@contextmanager
def recording() -> Iterator[Inputs]:
    """A fresh registry for one run (a command, one round of ``--watch``)."""
    registry = Inputs()
    token = _INPUTS.set(registry)
    try:
        yield registry
    finally:
        _INPUTS.reset(token)


@contextmanager
def confining_reads(folders: Sequence[str | Path] = (), files: Sequence[str | Path] = ()) -> Iterator[None]:
    """Within this block, files a config names must lie inside its folder, the working folder,
    ``LRPLOT_ALLOW_READ`` or these folders, or be one of these files (what the user allowed)."""
    old = read_scope()
    scope = ReadScope(
        confined=True,
        folders=(*old.folders, *(os.path.realpath(f) for f in folders)),
        files=(*old.files, *(os.path.realpath(f) for f in files)),
    )
    with in_scope(scope):
        yield


def read_scope() -> ReadScope:
    """The current scope (to hand to worker processes, which re-enter it with :func:`in_scope`)."""
    return _SCOPE.get() or _UNCONFINED


@contextmanager
def in_scope(scope: ReadScope) -> Iterator[None]:
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def read_bytes(
    path: str | Path,
    *,
    what: str = "",
    limit: int = MAX_CONFIG_BYTES,
    config_dir: Path | None = None,
    key_path: KeyPath | None = None,
) -> bytes:
    """The bytes of a regular file, read under the policy in the module docstring.

    ``what`` names the file in messages ("reference log"); ``config_dir`` is the folder of
    the config that names the file (relative paths resolve against it and the file must lie
    inside the allowed folders), or None when the user named it. Raises :class:`LrplotError`.
    """
    with _opened(path, what, limit, config_dir, key_path) as raw:
        return raw.read()


def read_text(
    path: str | Path,
    *,
    what: str = "",
    limit: int = MAX_CONFIG_BYTES,
    config_dir: Path | None = None,
    key_path: KeyPath | None = None,
) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a BOM is dropped)."""
    data = read_bytes(path, what=what, limit=limit, config_dir=config_dir, key_path=key_path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LrplotError(
            f"{_name(what, path)}: not UTF-8 text (byte {exc.start})", key_path=key_path
        ) from None


@contextmanager
def open_text(
    path: str | Path,
    *,
    what: str = "",
    limit: int = MAX_LOG_BYTES,
    config_dir: Path | None = None,
    key_path: KeyPath | None = None,
) -> Iterator[TextIO]:
    """A text stream over a file read under the policy (for CSV logs read row by row)."""
    with _opened(path, what, limit, config_dir, key_path) as raw:
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", newline="")
        try:
            yield text
        except UnicodeDecodeError as exc:
            raise LrplotError(
                f"{_name(what, path)}: not UTF-8 text (byte {exc.start})", key_path=key_path
            ) from None
        finally:
            text.detach()


def checked_path(
    path: str | Path,
    *,
    what: str = "",
    limit: int = MAX_LOG_BYTES,
    config_dir: Path | None = None,
    key_path: KeyPath | None = None,
) -> Path:
    """The real path of a file that passes the policy, for a library that opens files itself
    (TensorBoard's event reader): checked and recorded as an input, never read here."""
    with _opened(path, what, limit, config_dir, key_path):
        pass
    return Path(os.path.realpath(resolve_named(path, config_dir)))


def resolve_named(path: str | Path, config_dir: Path | None) -> Path:
    """Where a path a config names points: relative to the config's folder."""
    named = Path(path)
    if config_dir is not None and not named.is_absolute():
        return config_dir / named
    return named


@contextmanager
def _opened(
    path: str | Path, what: str, limit: int, config_dir: Path | None, key_path: KeyPath | None
) -> Iterator[io.RawIOBase]:
    name = _name(what, path)
    target = resolve_named(path, config_dir)
    lexical = os.path.abspath(target)
    real = os.path.realpath(target)
    followed = real != os.path.normpath(lexical) and not _in_pseudo_folder(lexical)
    arrow = f" (-> {printable(real)})" if followed else ""  # where a symlink led

    def refuse(reason: str) -> LrplotError:
        return LrplotError(f"{name}{arrow}: {reason}", key_path=key_path)

    if _in_pseudo_folder(lexical) or _in_pseudo_folder(real):
        raise refuse("lrplot does not read from /proc, /sys or /dev")
    if config_dir is not None and read_scope().confined and not _allowed(real, config_dir):
        parent = os.path.dirname(real) or "/"
        raise LrplotError(
            f"{name} is outside the config's folder and the working folder; a config cannot read "
            f"other files unless you allow it: --allow-read {printable(parent)} (or {ALLOW_READ_ENV})",
            key_path=key_path,
        )
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(real, flags | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise refuse("no such file") from None
    except IsADirectoryError:
        raise refuse("is a directory, not a file") from None
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    try:
        status = os.fstat(descriptor)
        kind = stat.S_IFMT(status.st_mode)
        if stat.S_ISDIR(status.st_mode):
            raise refuse("is a directory, not a file")
        if not stat.S_ISREG(status.st_mode):
            raise refuse(f"is {_KINDS.get(kind, 'not a regular file')}, not a regular file")
        if status.st_dev in _pseudo_devices():
            raise refuse("lrplot does not read from /proc, /sys or /dev")
        if status.st_size > limit:
            raise refuse(_too_large(status.st_size, limit))
        os.set_blocking(descriptor, True)
        inputs().add(Input(what=what or "config", shown=printable(str(path)), real=real,
                           device=status.st_dev, inode=status.st_ino))  # fmt: skip
        raw = _Capped(
            io.FileIO(descriptor, "rb", closefd=True), limit, lambda: refuse(_too_large(None, limit))
        )
    except BaseException:
        os.close(descriptor)
        raise
    try:
        with raw:
            yield raw
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None


class _Capped(io.RawIOBase):
    """A raw file that raises once more than ``limit`` bytes would be read (a file that grew)."""

    def __init__(self, raw: io.FileIO, limit: int, overrun: object) -> None:
        super().__init__()
        self.raw, self.left, self.overrun = raw, limit + 1, overrun

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer)[: self.left]
        count = self.raw.readinto(view) or 0
        self.left -= count
        if self.left <= 0:
            raise self.overrun()  # type: ignore[operator]
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


def _too_large(size: int | None, limit: int) -> str:
    amount = f"{size:,} bytes" if size is not None else "more bytes"
    hint = "; --force lifts it" if limit >= MAX_LOG_BYTES else ""
    return f"{amount} is too large (limit {limit:,} bytes{hint})"


def _name(what: str, path: str | Path) -> str:
    shown = printable(str(path))
    return f"{what} {shown}" if what else shown


def _in_pseudo_folder(path: str) -> bool:
    return any(path == folder or path.startswith(folder + "/") for folder in PSEUDO_FOLDERS)


def _pseudo_devices() -> set[int]:
    devices = set()
    for folder in PSEUDO_FOLDERS:
        try:
            devices.add(os.stat(folder).st_dev)
        except OSError:
            continue
    with contextlib.suppress(OSError):
        devices.discard(os.stat("/").st_dev)  # a container may have /dev on the root device
    return devices


def _allowed(real: str, config_dir: Path) -> bool:
    """Whether a file a config names lies inside the folders a config may read."""
    scope = read_scope()
    folders, files = scope.folders, scope.files
    from_env = [
        os.path.realpath(p) for p in os.environ.get(ALLOW_READ_ENV, "").split(os.pathsep) if p.strip()
    ]
    roots = [os.path.realpath(config_dir), os.path.realpath(os.getcwd()), *folders, *from_env]
    if any(real == named or real.startswith(named.rstrip("/") + "/") for named in files):
        return True  # a file the user named, or inside a folder the user named (a log folder)
    return any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots)
