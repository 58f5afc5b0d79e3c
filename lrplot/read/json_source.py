"""Load JSON as plain data, remembering the line of every key (DeepSpeed and Trainer configs).

Python's ``json`` module keeps no positions, so this is a small recursive-descent reader
built on ``json``'s own string and number scanners: the values are exactly what
``json.loads`` gives, and every key path maps to its 1-based line like the YAML reader's.
Bounded the same way (node count, nesting depth); duplicate keys are refused.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.read.files import read_text
from lrplot.read.yaml_source import MAX_DEPTH, MAX_NODES, YamlSource, load_yaml_file

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_CONSTANTS = {
    "true": True, "false": False, "null": None,
    "NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"),
}  # fmt: skip


def load_config_file(
    path: Path, *, config_dir: Path | None = None, key_path: KeyPath | None = None
) -> YamlSource:
    """A config file as data with lines: JSON for ``.json`` files, YAML otherwise.

    ``config_dir``: the folder of the config that names this file, whose read scope applies
    (:func:`lrplot.read.files.read_text`); None for a file the user named.
    """
    if path.suffix.lower() == ".json":
        source = parse_json(read_text(path, config_dir=config_dir, key_path=key_path), name=str(path))
        source.path = path
        return source
    return load_yaml_file(path)


def parse_json(text: str, *, name: str = "<config>") -> YamlSource:
    """Parse JSON text into plain data plus a line for every key path.

    >>> src = parse_json('{"scheduler": {\\n  "type": "WarmupLR"}}')
    >>> src.data, src.where(("scheduler", "type"))
    ({'scheduler': {'type': 'WarmupLR'}}, '<config>:2')
    """
    reader = _Reader(text, name)
    data = reader.value((), 0)
    reader.skip()
    if reader.pos != len(text):
        reader.fail("extra data after the JSON value")
    return YamlSource(data=data, name=name, lines=reader.lines)


class _Reader:
    def __init__(self, text: str, name: str) -> None:
        self.text, self.name, self.pos = text, name, 0
        self.lines: dict[KeyPath, int] = {}
        self.count = 0

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def fail(self, message: str) -> None:
        raise LrplotError(f"invalid JSON: {message}", where=f"{self.name}:{self.line()}")

    def skip(self) -> None:
        self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def value(self, path: KeyPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise LrplotError(f"the config has more than {MAX_NODES:,} values; refusing it", where=self.name)
        if depth > MAX_DEPTH:
            self.fail(f"nested too deeply (limit {MAX_DEPTH} levels)")
        self.skip()
        char = self.text[self.pos : self.pos + 1]
        if char == "{":
            return self.mapping(path, depth)
        if char == "[":
            return self.sequence(path, depth)
        if char == '"':
            return self.string()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            fraction, exponent = number.groups()
            return float(number.group()) if fraction or exponent else int(number.group())
        for word, constant in _CONSTANTS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return constant
        self.fail("expected a value" if char else "unexpected end of the text")

    def string(self) -> str:
        try:
            value, self.pos = scanstring(self.text, self.pos + 1)
        except json.JSONDecodeError as exc:
            self.pos = exc.pos
            self.fail(exc.msg.lower())
        return value

    def mapping(self, path: KeyPath, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return result
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                self.fail("expected a key in double quotes")
            line = self.line()
            key = self.string()
            if key in result:
                raise LrplotError(f"duplicate key '{key}'", where=f"{self.name}:{line}")
            self.lines[(*path, key)] = line
            self.skip()
            if not self.text.startswith(":", self.pos):
                self.fail("expected ':' after a key")
            self.pos += 1
            result[key] = self.value((*path, key), depth + 1)
            if self.separator("}"):
                return result

    def sequence(self, path: KeyPath, depth: int) -> list[Any]:
        self.pos += 1
        items: list[Any] = []
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return items
        while True:
            self.skip()
            self.lines[(*path, len(items))] = self.line()
            items.append(self.value((*path, len(items)), depth + 1))
            if self.separator("]"):
                return items

    def separator(self, closing: str) -> bool:
        """Consume ',' (more to come: False) or the closing bracket (done: True)."""
        self.skip()
        char = self.text[self.pos : self.pos + 1]
        self.pos += 1
        if char == closing:
            return True
        if char != ",":
            self.pos -= 1
            self.fail(f"expected ',' or '{closing}'")
        return False
