"""Read a Python config file as data: parse it with ``ast``, never run it.

OpenMMLab and nanoGPT keep their configs in ``.py`` files that their own tools ``exec``.
lrplot reads them without running anything: module-level assignments are evaluated by a
small interpreter over the syntax tree (:mod:`.evaluate`, :mod:`.statements`,
:mod:`.calls`) that knows literals, ``dict(...)``/``list``/``tuple``, arithmetic and
comparisons on earlier names, indexing, a few pure builtins and the numeric ``math``
functions. Everything else (other calls, attribute access, comprehensions, imports used in
a value, loops, ``if`` blocks) is never evaluated: what it assigns or touches becomes
:class:`Unreadable`, an error only when a format needs that key. File size, syntax nodes,
nesting, integer sizes and repeated references are bounded, and a line that would fail in
Python too (``1 / 0``) is refused with its line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import MAX_PYTHON_NODES as MAX_PY_NODES
from lrplot.read.files import read_text
from lrplot.read.python.statements import ModuleReader
from lrplot.read.python.values import MAX_DEPTH, ImportedName, Lines, Origin, StringHook, Unreadable
from lrplot.read.yaml_source import YamlSource

__all__ = [
    "ImportedName",
    "PythonSource",
    "Unreadable",
    "first_unreadable",
    "parse_python",
    "read_python",
]


@dataclass
class PythonSource(YamlSource):
    """A Python config read as data: ``data`` maps each name it binds to a plain value.

    ``origins`` holds the file and line of every key path (a config's ``_base_`` files
    contribute their own), so ``where`` points at the file that set the value.
    """

    origins: dict[KeyPath, Origin] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.origins and not self.lines:
            self.lines = {path: line for path, (_, line) in self.origins.items()}

    def below(self, prefix: KeyPath) -> PythonSource:
        size = len(prefix)
        origins = {p[size:]: o for p, o in self.origins.items() if p[:size] == tuple(prefix)}
        data = self.data
        for part in prefix:
            data = data[part]
        return PythonSource(data=data, name=self.name, path=self.path, origins=origins)

    def where(self, key_path: KeyPath | None) -> str:
        if key_path is None:
            return self.name
        for end in range(len(key_path), 0, -1):
            origin = self.origins.get(tuple(key_path[:end]))
            if origin is not None:
                return f"{origin[0]}:{origin[1]}"
        return self.name

    def lines_of(self, name: str) -> Lines:
        """Where the keys inside one top-level value were written, relative to it."""
        return {path[1:]: origin for path, origin in self.origins.items() if path[:1] == (name,) and path[1:]}


def read_python(
    path: Path,
    *,
    initial: dict[str, tuple[Any, Lines]] | None = None,
    string_hook: StringHook | None = None,
    attribute_roots: frozenset[str] = frozenset(),
    ignore: frozenset[str] = frozenset(),
    text: str | None = None,
) -> PythonSource:
    """Read a ``.py`` config as data (see the module docstring); ``text`` if already read."""
    source = parse_python(
        read_text(path) if text is None else text,
        name=str(path),
        initial=initial,
        string_hook=string_hook,
        attribute_roots=attribute_roots,
        ignore=ignore,
    )
    source.path = path
    return source


def parse_python(
    text: str,
    *,
    name: str = "<config>",
    initial: dict[str, tuple[Any, Lines]] | None = None,
    string_hook: StringHook | None = None,
    attribute_roots: frozenset[str] = frozenset(),
    ignore: frozenset[str] = frozenset(),
) -> PythonSource:
    """Evaluate the module-level statements of ``text`` as data.

    ``initial`` holds names the file may use without defining them, returned only if the
    file rebinds them: nanoGPT's train.py defaults, mmengine's ``_base_``.

    >>> source = parse_python("lr = 0.1\\nsched = dict(type='StepLR', step_size=lr * 30)\\n")
    >>> source.data["sched"], source.where(("sched", "step_size"))
    ({'type': 'StepLR', 'step_size': 3.0}, '<config>:2')
    >>> parse_python("import time\\nname = 'run-' + str(time.time())\\n").data["name"]
    <unreadable: calling time.time() is not read by lrplot, which runs no code from configs (<config>:2)>
    """
    module = _parse(text, name)
    reader = ModuleReader(
        name, initial, string_hook=string_hook, attribute_roots=attribute_roots, ignore=ignore
    )
    reader.run(module)
    values, origins = bound_values(reader, name)
    return PythonSource(data=values, name=name, origins=origins)


def bound_values(reader: ModuleReader, name: str) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """The names a file binds itself (not ``__dunder__`` ones), with where each key was set."""
    values: dict[str, Any] = {}
    origins: dict[KeyPath, Origin] = {}
    for key, line in reader.bound_here.items():
        if key.startswith("__") or key not in reader.names:
            continue
        value, lines = reader.names[key]
        values[key] = value
        origins[(key,)] = (name, line)
        origins.update({(key, *path): origin for path, origin in lines.items()})
    return values, origins


def _parse(text: str, name: str) -> ast.Module:
    """Parse, refusing what is not Python or too large to walk safely."""
    try:
        module = ast.parse(text, filename=name)
    except SyntaxError as exc:
        raise LrplotError(f"not valid Python: {exc.msg}", where=f"{name}:{exc.lineno or 0}") from None
    except (RecursionError, MemoryError):
        raise LrplotError(
            f"the file is nested too deeply to read (limit {MAX_DEPTH} levels)", where=name
        ) from None
    except ValueError as exc:  # null bytes
        raise LrplotError(f"not valid Python: {exc}", where=name) from None
    for count, (line, depth) in enumerate(_walk_with_depth(module), start=1):
        if count > MAX_PY_NODES:
            raise LrplotError(
                f"the file has more than {MAX_PY_NODES:,} syntax nodes; refusing it", where=name
            )
        if depth > MAX_DEPTH:
            raise LrplotError(
                f"the file is nested too deeply (limit {MAX_DEPTH} levels)", where=f"{name}:{line}"
            )
    return module


def _walk_with_depth(root: ast.AST) -> Iterator[tuple[int, int]]:
    """(line, depth) of every node, without recursion: the line is the nearest enclosing one."""
    stack = [(root, 0, 0)]
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        yield line, depth
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))


def first_unreadable(value: Any, key_path: KeyPath = ()) -> tuple[KeyPath, Unreadable] | None:
    """The first value lrplot did not read inside ``value`` and where it sits, or None."""
    stack: list[tuple[KeyPath, Any]] = [(key_path, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, Unreadable):
            return path, item
        if isinstance(item, dict):
            stack.extend(reversed([((*path, k), v) for k, v in item.items()]))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed([((*path, i), v) for i, v in enumerate(item)]))
    return None
