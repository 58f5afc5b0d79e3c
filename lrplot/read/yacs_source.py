"""Read a yacs/fvcore YAML config with its ``_BASE_`` chain, as data (detectron2's configs).

detectron2's ``CfgNode.merge_from_file`` calls fvcore's ``CfgNode.load_yaml_with_base``
(fvcore/common/config.py, fvcore 0.1.5.post20221221): each file is loaded, its ``_BASE_``
(a path or a list of paths, relative to the file that names it) loaded first, then the
file merged into its base (mappings recursively, everything else replaced). fvcore falls
back to ``yaml.unsafe_load`` for ``!!python/...`` tags; lrplot never constructs them: such
a node stays an :class:`~lrplot.read.yaml_source.Opaque`, for the format to refuse where a
value it needs is one. Base files are read under the confinement of files a config names
(:mod:`lrplot.read.files`); URLs are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.read.yaml_source import Opaque, YamlSource, load_yaml_file

BASE_KEY = "_BASE_"
MAX_BASE_FILES = 64
MAX_INHERITANCE_DEPTH = 16


@dataclass
class MergedYamlSource(YamlSource):
    """A config merged from several YAML files: ``file:line`` of every key from the file that set it."""

    places: dict[KeyPath, str] = field(default_factory=dict)

    def where(self, key_path: KeyPath | None) -> str:
        if key_path is None:
            return self.name
        for end in range(len(key_path), 0, -1):
            place = self.places.get(tuple(key_path[:end]))
            if place is not None:
                return place
        return self.name


def read_yacs_config(path: Path) -> tuple[MergedYamlSource, list[Path]]:
    """``path`` merged with its ``_BASE_`` chain as fvcore merges it; returns the files read too."""
    files: list[Path] = []
    data, places = _read(path, path.resolve(), files, ())
    source = MergedYamlSource(data=data, name=str(path), path=path, places=places)
    return source, files


def _read(
    shown: Path, path: Path, files: list[Path], chain: tuple[Path, ...]
) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    if path in chain:
        names = " -> ".join(p.name for p in (*chain, path))
        raise LrplotError(f"inherits from itself through _BASE_ ({names})", where=str(shown))
    if len(chain) >= MAX_INHERITANCE_DEPTH:
        raise LrplotError(
            f"_BASE_ chain deeper than {MAX_INHERITANCE_DEPTH} files; refusing it", where=str(shown)
        )
    files.append(shown)
    if len(files) > MAX_BASE_FILES:
        raise LrplotError(f"more than {MAX_BASE_FILES} files through _BASE_; refusing them", where=str(shown))
    including: dict[str, Any] = {"what": "_BASE_ file", "config_dir": chain[-1].parent} if chain else {}
    source = load_yaml_file(path, opaque_tags=True, **including)
    source.name = str(shown)
    data = source.data
    if data is None or not isinstance(data, dict):
        raise LrplotError("a yacs config must be a mapping", where=str(shown))
    places = {key: f"{shown}:{line}" for key, line in source.lines.items()}
    if BASE_KEY not in data:
        return data, places
    bases = data.pop(BASE_KEY)
    line = source.where((BASE_KEY,))
    listed = bases if isinstance(bases, list) else [bases]
    merged: dict[str, Any] = {}
    merged_places: dict[KeyPath, str] = {}
    for index, base in enumerate(listed):
        at = source.where((BASE_KEY, index)) if isinstance(bases, list) else line
        if not isinstance(base, str) or not base:
            raise LrplotError(f"_BASE_ should name a file, got {_shown(base)}", where=at)
        if base.startswith(("https://", "http://")):
            raise LrplotError(
                f"_BASE_ {base!r}: lrplot reads no URL; download it beside the config", where=at
            )
        named = Path(os.path.expanduser(base)) if base.startswith("~") else Path(base)
        if not named.is_absolute():  # fvcore: relative to the config file itself
            named = Path(os.path.dirname(shown)) / named
        try:
            values, base_places = _read(named, named.resolve(), files, (*chain, path))
        except LrplotError as error:
            error.where = error.where or at  # a base that cannot be read: the line naming it
            raise
        _merge(values, merged, base_places, merged_places, ())
    places.pop((BASE_KEY,), None)
    _merge(data, merged, places, merged_places, ())
    return merged, merged_places


def _merge(
    a: dict[str, Any],
    b: dict[str, Any],
    a_places: dict[KeyPath, str],
    b_places: dict[KeyPath, str],
    at: KeyPath,
) -> None:
    """fvcore's ``merge_a_into_b``: mappings merge, anything else replaces (lines follow the value)."""
    for key, value in a.items():
        here = (*at, key)
        if isinstance(value, dict) and key in b:
            if not isinstance(b[key], dict):
                raise LrplotError(
                    f"cannot inherit key '{key}' from base: not a mapping in the base (fvcore refuses it)",
                    where=a_places.get(here),
                )
            b_places[here] = a_places.get(here, b_places.get(here, ""))
            _merge(value, b[key], a_places, b_places, here)
        else:
            b[key] = value
            for path in [p for p in b_places if p[: len(here)] == here]:
                del b_places[path]
            b_places.update({p: w for p, w in a_places.items() if p[: len(here)] == here})


def _shown(value: Any) -> str:
    if isinstance(value, Opaque):
        return f"a {value} node"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
