"""``file:line`` for a key path, through overrides, defaults and sweeps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lrplot.errors import KeyPath, collected
from lrplot.overrides import Origins
from lrplot.read.yaml_source import YamlSource


@contextmanager
def problems_located(source: YamlSource, origins: Origins) -> Iterator[None]:
    """Give problems collected in this block (``lrplot validate``) their ``file:line``."""
    sink = collected()
    before = len(sink) if sink is not None else 0
    try:
        yield
    finally:
        for error in (sink or [])[before:]:
            if error.where is None and error.key_path is not None:
                error.where = locate(source, origins, error.key_path)


def locate(source: YamlSource, origins: Origins, key_path: KeyPath | None) -> str:
    """``file:line`` for a key path: an override's own words, else the YAML line that set it.

    Keys a curve inherited point at ``defaults`` or the top level; swept keys at the sweep.
    """
    if key_path is None:
        return source.name
    origin = origins.find(key_path)
    if origin is None and len(key_path) > 2 and key_path[0] == "curves":  # a key the curve inherits
        rest = tuple(key_path[2:])  # (a foreign format's total_step, from its training.steps)
        origin = origins.by_path.get(("defaults", *rest)) or origins.by_path.get(rest)
    if isinstance(origin, str):
        return origin
    if origin is not None:
        key_path = origin
    lines = source.lines
    if tuple(key_path) in lines or len(key_path) < 2 or key_path[0] != "curves":
        return source.where(key_path)
    from_defaults = ("defaults", *key_path[2:])
    if from_defaults in lines:
        return source.where(from_defaults)
    inherited = tuple(key_path[2:])  # e.g. a top-level total_step every curve inherits
    if inherited in lines and tuple(key_path[:3]) not in lines:
        return source.where(inherited)
    return source.where(key_path)
