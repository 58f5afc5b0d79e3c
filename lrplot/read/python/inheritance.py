"""Read an OpenMMLab (mmengine) Python config with its ``_base_`` files, as data.

mmengine's ``Config.fromfile`` runs each file; lrplot reads each one with
:mod:`lrplot.read.python_data` instead and reproduces what ``Config._file2dict`` does
around the execution (mmengine 0.10, ``mmengine/config/config.py``): the predefined
``{{ fileDirname }}``-style variables, ``{{_base_.x}}`` references, ``_base_.x`` and
``_base_['x']`` in the child, bases merged with duplicate keys refused, then the child
merged into them (dicts recursively, ``_delete_=True`` replacing, everything else
replaced). Environment variables (``{{$NAME:default}}``) are never read: a value using one
is unreadable. Bases from installed packages (``mmdet::...``) are refused.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.read.files import read_text
from lrplot.read.python import PythonSource, parse_python
from lrplot.read.python.values import ImportedName, Lines, Origin, Unreadable

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
MAX_BASE_FILES = 64
MAX_INHERITANCE_DEPTH = 16

_BASE_VARIABLE = re.compile(r"\{\{\s*" + BASE_KEY + r"\.([\w\.]+)\s*\}\}")
_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")
_ENVIRONMENT = re.compile(r"\{\{['\"]?\s*\$(\w+)\s*\:\s*(\S*?)\s*['\"]?\}\}")
_PLACEHOLDER = "__lrplot_base_{}__"
_ENV_MARKER = "__lrplot_env_"


def read_mmengine_config(path: Path) -> tuple[PythonSource, list[Path]]:
    """Read ``path`` and its ``_base_`` chain as mmengine merges them, running nothing.

    Returns the merged config and every file read (the config first).
    """
    files: list[Path] = []
    values, origins = _read(path.resolve(), path, files, ())
    return PythonSource(data=values, name=str(path), origins=origins, path=path), files


def _read(
    path: Path, shown: Path, files: list[Path], chain: tuple[Path, ...]
) -> tuple[dict, dict[KeyPath, Origin]]:
    if path in chain:
        raise LrplotError(
            f"inherits from itself through _base_ ({' -> '.join(p.name for p in chain)})", where=str(shown)
        )
    if len(chain) >= MAX_INHERITANCE_DEPTH:
        raise LrplotError(
            f"_base_ chain deeper than {MAX_INHERITANCE_DEPTH} files; refusing it", where=str(shown)
        )
    files.append(shown)
    if len(files) > MAX_BASE_FILES:
        raise LrplotError(f"more than {MAX_BASE_FILES} files through _base_; refusing them", where=str(shown))
    name = str(shown)
    # A _base_ file is one the config names: read under the same policy as its logs.
    including = {"what": "_base_ file", "config_dir": chain[-1].parent} if chain else {}
    text = _substitute_predefined(read_text(path, **including), path)
    text, placeholders = _mark_base_variables(text)
    text = _ENVIRONMENT.sub(lambda m: f"{_ENV_MARKER}{m.group(1)}__", text)
    module_text_bases = _base_files(text, name)
    base_values: dict[str, Any] = {}
    base_origins: dict[KeyPath, Origin] = {}
    for line, base in module_text_bases:
        base_path = _locate(base, path, name, line)
        shown_base = Path(os.path.normpath(Path(shown).parent / base))
        try:
            values, origins = _read(base_path, shown_base, files, (*chain, path))
        except LrplotError as error:
            error.where = error.where or f"{name}:{line}"  # a base that cannot be read: the line naming it
            raise
        duplicates = sorted(set(base_values) & set(values))
        if duplicates:
            raise LrplotError(
                f"duplicate keys among _base_ files are not allowed (mmengine refuses them too): "
                f"{', '.join(duplicates[:5])}",
                where=f"{name}:{line}",
            )
        base_values.update(values)
        base_origins.update(origins)
    base_lines = {path: origin for path, origin in base_origins.items()}
    hook = _string_hook(placeholders, base_values, base_lines, name)
    child = parse_python(
        text,
        name=name,
        initial={BASE_KEY: (base_values, base_lines)},
        string_hook=hook,
        attribute_roots=frozenset({BASE_KEY}),
        ignore=frozenset({BASE_KEY}),
    )
    child_values = {k: v for k, v in child.data.items() if not isinstance(v, ImportedName)}
    child_origins = {p: o for p, o in child.origins.items() if p[0] in child_values}
    return merge(child_values, child_origins, base_values, base_origins, name)


def _substitute_predefined(text: str, path: Path) -> str:
    names = {
        "fileDirname": str(path.parent),
        "fileBasename": path.name,
        "fileBasenameNoExtension": path.stem,
        "fileExtname": path.suffix,
    }
    return _PREDEFINED.sub(lambda m: names[m.group(1)].replace("\\", "/"), text)


def _mark_base_variables(text: str) -> tuple[str, dict[str, str]]:
    """Replace ``{{_base_.a.b}}`` by a string placeholder, as mmengine does before running the file."""
    placeholders: dict[str, str] = {}

    def mark(match: re.Match[str]) -> str:
        key = _PLACEHOLDER.format(len(placeholders))
        placeholders[key] = match.group(1)
        return f'"{key}"'

    return _BASE_VARIABLE.sub(mark, text), placeholders


def _string_hook(
    placeholders: dict[str, str], base: dict, base_lines: dict[KeyPath, Origin], name: str
) -> Any:
    def hook(value: str, origin: Origin) -> tuple[Any, Lines] | None:
        if value in placeholders:
            dotted = placeholders[value]
            resolved: Any = base
            for part in dotted.split("."):
                if not isinstance(resolved, dict) or part not in resolved:
                    raise LrplotError(
                        f"{{{{_base_.{dotted}}}}} is not defined in the inherited configs",
                        where=f"{origin[0]}:{origin[1]}",
                    )
                resolved = resolved[part]
            prefix = tuple(dotted.split("."))
            lines = {
                p[len(prefix) :]: o
                for p, o in base_lines.items()
                if p[: len(prefix)] == prefix and p != prefix
            }
            return resolved, lines
        if _ENV_MARKER in value:
            variable = value.split(_ENV_MARKER, 1)[1].split("__", 1)[0]
            reason = f"uses the environment variable {variable}, which lrplot does not read"
            return Unreadable(reason, f"{origin[0]}:{origin[1]}"), {}
        return None

    return hook


def _base_files(text: str, name: str) -> list[tuple[int, str]]:
    """The ``_base_`` entries with their line, read from the first ``_base_ = ...`` as mmengine does."""
    try:
        module = ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return []  # parse_python reports it with its line
    for statement in module.body:
        if (
            isinstance(statement, ast.Assign)
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id == BASE_KEY
        ):
            value = parse_python(f"{BASE_KEY} = {ast.unparse(statement.value)}", name=name).data.get(BASE_KEY)
            entries = [value] if isinstance(value, str) else value
            if not isinstance(entries, (list, tuple)) or not all(isinstance(e, str) for e in entries):
                raise LrplotError(
                    "_base_ must be a file name or a list of file names", where=f"{name}:{statement.lineno}"
                )
            return [(statement.lineno, entry) for entry in entries]
    return []


def _locate(base: str, path: Path, name: str, line: int) -> Path:
    if "::" in base:
        raise LrplotError(
            f"_base_ {base!r} names a config inside an installed package; "
            "lrplot reads only files beside the config",
            where=f"{name}:{line}",
        )
    target = (path.parent / base).resolve()
    if not target.is_file() and os.path.lexists(path.parent / base):
        return path.parent / base  # a device, FIFO or folder: the reading policy says which, by name
    if not target.is_file():
        raise LrplotError(f"_base_ file {base!r} not found (looked in {path.parent})", where=f"{name}:{line}")
    if target.suffix != ".py":
        raise LrplotError(
            f"_base_ file {base!r} is not a .py config; lrplot reads Python bases only",
            where=f"{name}:{line}",
        )
    return target


def merge(
    child: dict[str, Any],
    child_origins: dict[KeyPath, Origin],
    base: dict[str, Any],
    base_origins: dict[KeyPath, Origin],
    name: str,
) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """``Config._merge_a_into_b(child, base)``: dicts merge, ``_delete_=True`` replaces, the rest replaces."""
    merged = dict(base)
    origins = dict(base_origins)
    for key, value in child.items():
        mine = {p[1:]: o for p, o in child_origins.items() if p[:1] == (key,)}
        if isinstance(value, dict) and key in merged and not _pop_delete(value):
            if not isinstance(merged[key], dict):
                raise LrplotError(
                    f"{key} is a dict here but a {type(merged[key]).__name__} in its base; "
                    f"set {DELETE_KEY}=True to replace it (mmengine refuses it too)",
                    where=_where(child_origins, (key,), name),
                )
            theirs = {p[1:]: o for p, o in origins.items() if p[:1] == (key,) and len(p) > 1}
            sub_child = {p: o for p, o in mine.items() if p}
            merged[key], sub_origins = merge(value, sub_child, merged[key], theirs, name)
            origins = {p: o for p, o in origins.items() if p[:1] != (key,)}
            origins[(key,)] = mine.get((), base_origins.get((key,), (name, 0)))
            origins.update({(key, *p): o for p, o in sub_origins.items()})
        else:
            merged[key] = value
            origins = {p: o for p, o in origins.items() if p[:1] != (key,)}
            origins.update({(key, *p): o for p, o in mine.items()})
    return merged, origins


def _pop_delete(value: dict) -> bool:
    return bool(value.pop(DELETE_KEY, False))


def _where(origins: dict[KeyPath, Origin], key_path: KeyPath, name: str) -> str:
    origin = origins.get(key_path)
    return f"{origin[0]}:{origin[1]}" if origin else name
