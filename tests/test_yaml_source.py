"""Safe YAML: data only, with a line for every key."""

from __future__ import annotations

import pytest

from lrplot.errors import LrplotError
from lrplot.read.yaml_source import parse_yaml


def test_every_key_and_item_has_its_line() -> None:
    source = parse_yaml("a: 1\nb:\n  - x: 2\n    y: 3\n", name="f.yaml")
    assert source.where(("b", 0, "y")) == "f.yaml:4"
    assert source.where(("b", 0, "missing")) == "f.yaml:3"


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']",
        "a: !!python/object/new:os.system ['true']",
        "a: !!python/name:os.system",
        "a: !!python/module:os",
        "!!python/object:os.X {b: 1}",
        "a: !!set {x}",
        "a: !custom 1",
    ],
)
def test_tags_that_could_build_objects_are_refused(text: str) -> None:
    with pytest.raises(LrplotError, match="is not allowed: lrplot reads configs as plain data"):
        parse_yaml(text, name="f.yaml")


def test_alias_bombs_are_refused_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]")
    with pytest.raises(LrplotError, match="more than 200,000 values"):
        parse_yaml("\n".join(lines), name="bomb.yaml")


def test_merge_keys_work() -> None:
    source = parse_yaml("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")
    assert source.data["c"] == {"x": 1, "y": 2}


def test_an_int_pyyaml_resolves_but_cannot_read_is_one_line() -> None:
    # found by atheris: PyYAML resolves 0x_ / 0b_ as int, then int("", 16) raises ValueError
    for text in ("a: 0x_\n", "a: [1, 0b__]\n"):
        with pytest.raises(LrplotError, match=r"<config>:\d: '0[xb]_+' looks like a number but is not one"):
            parse_yaml(text)
