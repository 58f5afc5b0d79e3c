"""Load YAML as plain data, remembering the line of every key.

Configs arrive from pull requests, so YAML is only ever *data*: PyYAML's safe loader
(no ``!!python/...`` tags), a cap on document size, and an error naming the file and
line for every problem. Each key path (``("curves", 0, "scheduler", "T_max")``) is mapped
to its 1-based line so later layers can point at the culprit.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import MAX_YAML_DEPTH as MAX_DEPTH
from lrplot.limits import MAX_YAML_NODES as MAX_NODES
from lrplot.read.files import read_text

# YAML 1.1 (PyYAML) reads ``1e-3`` as a *string*; ML configs write learning rates that
# way all the time, so floats without a dot are accepted too (as YAML 1.2 does).
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


@functools.cache
def _loader_class() -> type:
    """A safe loader with YAML 1.2-style floats (``1e-3`` is a number); libyaml's parser where
    installed, so a config near the size limit is parsed (or refused) in seconds."""
    import yaml

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class Loader(base):  # type: ignore[misc, valid-type]
        """SafeLoader with YAML 1.2-style floats."""

    Loader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))
    return Loader


def _constructor() -> Any:
    """Builds scalars and applies merge keys; node tags were settled by the loader's resolver."""
    import yaml

    return yaml.constructor.SafeConstructor()


PYTHON_TAG = "tag:yaml.org,2002:python/"


class TagRefused(LrplotError):
    """A ``!!python/...`` (or other non-data) tag, refused: configs are read as data only."""


@dataclass(frozen=True)
class Opaque:
    """A node tagged ``!!python/...``, kept unconstructed (only where a reader asks for it).

    detectron2's base configs carry such tags on model keys (``!!python/object/apply:eval``);
    lrplot never builds them: a format that needs the value refuses it, naming ``where``.
    """

    tag: str
    where: str

    def __str__(self) -> str:
        return "!!" + self.tag.removeprefix("tag:yaml.org,2002:")


@dataclass
class YamlSource:
    """A loaded YAML document: its data, its file name and the line of every key path."""

    data: Any
    name: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    path: Path | None = None

    def below(self, prefix: KeyPath) -> YamlSource:
        """The same file seen from a subtree (for ``--select``): key paths relative to it."""
        size = len(prefix)
        lines = {path[size:]: line for path, line in self.lines.items() if path[:size] == tuple(prefix)}
        data = self.data
        for part in prefix:
            data = data[part]
        return YamlSource(data=data, name=self.name, lines=lines, path=self.path)

    def where(self, key_path: KeyPath | None) -> str:
        """``file:line`` for the key path, or the nearest enclosing key that has a line."""
        if key_path is None:
            return self.name
        for end in range(len(key_path), 0, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return f"{self.name}:{line}"
        return self.name


def load_yaml_file(
    path: Path, *, what: str = "", config_dir: Path | None = None, opaque_tags: bool = False
) -> YamlSource:
    """Read and safely parse a YAML file (``config_dir``: the folder of the config that names
    this one, which confines the read as for a log; see :mod:`lrplot.read.files`).
    ``opaque_tags``: ``!!python/...`` nodes become :class:`Opaque` instead of an error."""
    text = read_text(path, what=what, config_dir=config_dir)
    source = parse_yaml(text, name=str(path), opaque_tags=opaque_tags)
    source.path = path
    return source


def parse_yaml(text: str, *, name: str = "<config>", opaque_tags: bool = False) -> YamlSource:
    """Safely parse YAML text into plain data plus a line for every key path.

    >>> src = parse_yaml("total_step: 10\\ncurves:\\n  - scheduler: {name: StepLR}\\n")
    >>> src.data["total_step"], src.where(("curves", 0, "scheduler", "name"))
    (10, '<config>:3')
    """
    import yaml

    surrogate = re.search(r"[\ud800-\udfff]", text)
    if surrogate:  # text decoded with surrogateescape (a --set value of bytes that are not UTF-8)
        line = text.count("\n", 0, surrogate.start()) + 1
        raise LrplotError("not valid Unicode text (a lone surrogate)", where=f"{name}:{line}")
    try:
        loader = _loader_class()(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise LrplotError(_yaml_message(exc), where=_mark_where(name, exc)) from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LrplotError(f"invalid YAML: {first}", where=name) from None
    except RecursionError:
        raise LrplotError(f"the YAML is nested too deeply (limit {MAX_DEPTH} levels)", where=name) from None
    if node is None:
        raise LrplotError("the config is empty", where=name)
    lines: dict[KeyPath, int] = {}
    data = _construct(node, (), lines, name, [0], _constructor(), opaque_tags)
    return YamlSource(data=data, name=name, lines=lines)


def _construct(
    node: Any,
    path: KeyPath,
    lines: dict[KeyPath, int],
    name: str,
    count: list[int],
    constructor: Any,
    opaque: bool = False,
) -> Any:
    """Build plain Python data from a node tree, recording lines and refusing what is not data."""
    import yaml

    count[0] += 1
    if len(path) > MAX_DEPTH:
        raise LrplotError(
            f"the YAML is nested too deeply (limit {MAX_DEPTH} levels)",
            where=f"{name}:{node.start_mark.line + 1}",
        )
    if count[0] > MAX_NODES:
        raise LrplotError(
            f"the config has more than {MAX_NODES:,} values (aliases included); refusing it",
            where=name,
        )
    if str(node.tag).startswith(PYTHON_TAG):
        if opaque:
            return Opaque(tag=node.tag, where=f"{name}:{node.start_mark.line + 1}")
        raise TagRefused(
            f"YAML tag {Opaque(node.tag, '')} is not allowed: lrplot reads configs as plain data "
            "and never runs code from them",
            where=f"{name}:{node.start_mark.line + 1}",
        )
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        _check_collection_tag(node, name)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        _flatten_merge_keys(node, name, constructor)
        for key_node, value_node in node.value:
            key = _scalar(key_node, name, constructor)
            if isinstance(key, (dict, list)) or key is None:
                raise LrplotError(
                    "mapping keys must be plain names", where=f"{name}:{key_node.start_mark.line + 1}"
                )
            key = str(key)
            if key in result:
                raise LrplotError(f"duplicate key '{key}'", where=f"{name}:{key_node.start_mark.line + 1}")
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, (*path, key), lines, name, count, constructor, opaque)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_construct(item, (*path, index), lines, name, count, constructor, opaque))
        return items
    return _scalar(node, name, constructor)


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _check_collection_tag(node: Any, name: str) -> None:
    """Refuse tagged mappings and sequences (``!!python/object:...``, ``!!set``...)."""
    if node.tag not in _COLLECTION_TAGS:
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise TagRefused(
            f"YAML tag {shown} is not allowed: lrplot reads configs as plain data "
            "and never runs code from them",
            where=f"{name}:{node.start_mark.line + 1}",
        )


def _flatten_merge_keys(node: Any, name: str, constructor: Any) -> None:
    """Apply YAML ``<<`` merge keys the way PyYAML does, refusing anything exotic."""
    import yaml

    try:
        constructor.flatten_mapping(node)
    except yaml.MarkedYAMLError as exc:
        raise LrplotError(_yaml_message(exc), where=_mark_where(name, exc)) from None


def _scalar(node: Any, name: str, constructor: Any) -> Any:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise LrplotError("mapping keys must be plain names", where=f"{name}:{node.start_mark.line + 1}")
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise LrplotError(_yaml_message(exc), where=_mark_where(name, exc)) from None
    except (ValueError, OverflowError):
        # PyYAML's resolver takes `0x_` or `0b_` for an int its constructor cannot read (found by atheris)
        shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
        raise LrplotError(
            f"{shown!r} looks like a number but is not one", where=f"{name}:{node.start_mark.line + 1}"
        ) from None
    finally:
        constructor.constructed_objects.pop(node, None)


def _mark_where(name: str, exc: Any) -> str:
    mark = exc.problem_mark or exc.context_mark
    return f"{name}:{mark.line + 1}" if mark is not None else name


def _yaml_message(exc: Any) -> str:
    problem = (exc.problem or "").strip()
    tag = re.search(r"tag '([^']+)'", problem)
    if tag and "constructor" in problem:
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return (
            f"YAML tag {shown} is not allowed: lrplot reads configs as plain data "
            "and never runs code from them"
        )
    context = (exc.context or "").strip()
    text = f"invalid YAML: {problem}" if problem else "invalid YAML"
    if context and context not in problem:
        text += f" ({context})"
    return text
