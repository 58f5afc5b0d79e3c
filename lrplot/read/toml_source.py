"""Load TOML (torchtitan's train configs) as plain data, with the line of every key.

TOML is data by design (no tags, no references), so the standard library's parser reads it;
what lrplot adds is the same bound on size and depth as for YAML and a line per key path
(``("lr_scheduler", "warmup_steps")`` → 31), found by a scan of table headers and
``key = value`` lines so errors can point at the file's line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.read.files import read_text
from lrplot.read.yaml_source import MAX_DEPTH, YamlSource

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE}|{_QUOTED})(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*"
_TABLE_ARRAY = re.compile(rf"^\s*\[\[\s*({_KEY})\s*\]\]")
_TABLE = re.compile(rf"^\s*\[\s*({_KEY})\s*\]")
_ASSIGNMENT = re.compile(rf"^\s*({_KEY})\s*=")
_PART = re.compile(rf"{_BARE}|{_QUOTED}")


def load_toml_file(path: Path) -> YamlSource:
    """Read and parse a TOML file."""
    source = parse_toml(read_text(path), name=str(path))
    source.path = path
    return source


def parse_toml(text: str, *, name: str = "<config>") -> YamlSource:
    """Parse TOML text into plain data plus a line for every key path.

    >>> src = parse_toml('[training]\\nsteps = 10  # total\\n')
    >>> src.data, src.where(("training", "steps"))
    ({'training': {'steps': 10}}, '<config>:2')
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = re.search(r"line (\d+)", message)
        where = f"{name}:{line.group(1)}" if line else name
        first = re.sub(r"\s*\(at line \d+, column \d+\)", "", message.splitlines()[0])
        raise LrplotError(f"invalid TOML: {first}", where=where) from None
    except RecursionError:
        raise LrplotError(f"the TOML is nested too deeply (limit {MAX_DEPTH} levels)", where=name) from None
    _check_depth(data, 0, name)
    return YamlSource(data=data, name=name, lines=key_lines(text))


def _check_depth(value: Any, depth: int, name: str) -> None:
    if depth > MAX_DEPTH:
        raise LrplotError(f"the TOML is nested too deeply (limit {MAX_DEPTH} levels)", where=name)
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        _check_depth(child, depth + 1, name)


def key_lines(text: str) -> dict[KeyPath, int]:
    """The 1-based line of each table and key (array-of-tables entries by index)."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    arrays: dict[KeyPath, int] = {}
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_string is not None:  # inside a multi-line string: only its end matters
            if raw.count(in_string) % 2 == 1:
                in_string = None
            continue
        if match := _TABLE_ARRAY.match(raw):
            path = _parts(match.group(1))
            arrays[path] = arrays.get(path, -1) + 1
            table = (*path, arrays[path])
            lines.setdefault(path, number)
            lines[table] = number
        elif match := _TABLE.match(raw):
            table = _parts(match.group(1))
            lines.setdefault(table, number)
        elif match := _ASSIGNMENT.match(raw):
            lines[(*table, *_parts(match.group(1)))] = number
            rest = raw[match.end() :]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2 == 1:
                    in_string = quotes
    return lines


def _parts(key: str) -> KeyPath:
    parts: list[str | int] = []
    for part in _PART.findall(key):
        parts.append(part[1:-1] if part[:1] in "\"'" else part)
    return tuple(parts)
