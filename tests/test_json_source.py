"""The JSON reader: json.loads' values, a line for every key, bounded, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrplot.errors import LrplotError
from lrplot.read.json_source import load_config_file, parse_json
from lrplot.read.yaml_source import MAX_DEPTH
from tests.conftest import FIXTURES

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, indent=st.sampled_from([None, 1, 4]))
def test_values_are_exactly_json_loads(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert parse_json(text).data == json.loads(text)


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "huggingface" / "deepspeed").glob("*.json")), ids=lambda p: p.name
)
def test_real_deepspeed_configs_read_as_json_loads_does(path: Path) -> None:
    source = load_config_file(path)
    assert source.data == json.loads(path.read_text())
    lines = path.read_text().splitlines()
    for key in source.data:
        assert f'"{key}"' in lines[source.lines[(key,)] - 1]


def test_every_key_and_item_has_its_line() -> None:
    source = parse_json('{\n  "a": [\n    1,\n    {"b": 2}\n  ],\n  "c": {\n    "d": null\n  }\n}')
    assert source.lines == {("a",): 2, ("a", 0): 3, ("a", 1): 4, ("a", 1, "b"): 4, ("c",): 6, ("c", "d"): 7}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": 1,\n "a": 2}', "<config>:2: duplicate key 'a'"),
        ('{"a": 1,\n}', "<config>:2: invalid JSON: expected a key in double quotes"),
        ('{"a" 1}', "expected ':' after a key"),
        ('{"a": [1 2]}', "expected ',' or ']'"),
        ('{"a": tru}', "expected a value"),
        ('{"a": "x', "unterminated string"),
        ("{} {}", "extra data"),
        ("", "unexpected end"),
        ("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2), "nested too deeply"),
    ],
)
def test_bad_json_is_one_line_with_its_line(text: str, fragment: str) -> None:
    with pytest.raises(LrplotError) as caught:
        parse_json(text)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_yaml_files_still_read_as_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("a: 1e-3\n")
    assert load_config_file(path).data == {"a": 0.001}
