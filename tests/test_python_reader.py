"""Python configs read as data: what is read, what is left unread, what is refused, and where.

The oracle for OpenMMLab files is mmengine's own ``Config.fromfile`` (which runs them; here,
in the test, on the fixtures only): every value lrplot reads must be identical to it.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrplot.errors import LrplotError
from lrplot.read.python import ImportedName, Unreadable, first_unreadable, parse_python
from lrplot.read.python.inheritance import read_mmengine_config
from tests.conftest import FIXTURES

# As tests/test_fuzz.py: LRPLOT_FUZZ_EXAMPLES=2000 for a longer run.
EXAMPLES = int(os.environ.get("LRPLOT_FUZZ_EXAMPLES", "40"))
MM_FILES = sorted(p for p in (FIXTURES / "mmengine").rglob("*.py") if "mmpretrain/mmpretrain" not in str(p))


def _read(text: str) -> dict[str, Any]:
    return parse_python(textwrap.dedent(text), name="c.py").data


@pytest.mark.parametrize("path", MM_FILES, ids=lambda p: str(p.relative_to(FIXTURES / "mmengine")))
def test_every_value_read_is_what_mmengine_reads(path: Path) -> None:
    from mmengine.config import Config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = Config.fromfile(str(path)).to_dict()
    ours, _ = read_mmengine_config(path)
    assert set(ours.data) == set(expected)
    read = {key: value for key, value in ours.data.items() if first_unreadable(value) is None}
    # swin's dataset base builds a pipeline value with a comprehension: two keys hold it
    assert len(read) >= len(expected) - 2
    for key, value in read.items():
        assert repr(value) == repr(expected[key]), key


def test_lines_point_at_the_file_and_line_that_set_each_key() -> None:
    path = FIXTURES / "mmengine/mmdetection/configs/rtmdet/rtmdet_s_8xb32-300e_coco.py"
    source, files = read_mmengine_config(path)
    assert [f.name for f in files] == [
        "rtmdet_s_8xb32-300e_coco.py", "rtmdet_l_8xb32-300e_coco.py", "default_runtime.py", "schedule_1x.py",
        "coco_detection.py",
    ]  # fmt: skip
    assert source.where(("param_scheduler", 1, "T_max")).endswith("rtmdet/rtmdet_l_8xb32-300e_coco.py:163")
    assert source.where(("train_cfg", "type")).endswith("_base_/schedules/schedule_1x.py:3")
    assert source.where(("model", "backbone", "deepen_factor")).endswith("rtmdet_s_8xb32-300e_coco.py:6")
    assert source.data["param_scheduler"][1]["eta_min"] == 0.004 * 0.05  # base_lr * 0.05, read as data


def test_names_an_unsupported_statement_touches_are_never_read_as_if_untouched() -> None:
    data = _read(
        """
        loader = dict(batch_size=2)
        val = loader
        other = dict(inner=loader)
        for split in ['train']:
            val['batch_size'] = 8
        lr = 0.1
        if True:
            lr = 0.2
        kept = 3
        """
    )
    for name in ("loader", "val", "other", "split", "lr"):
        assert isinstance(data[name], Unreadable), name
    assert data["kept"] == 3
    assert data["lr"].reason == "an if block at line 8, which lrplot does not run"


def test_item_assignment_changes_every_alias_as_python_does() -> None:
    data = _read("a = dict(b=1)\nc = a\nc['b'] = 2\nd = [1, 2]\nd[-1] = 5\n")
    assert data["a"] == {"b": 2} and data["c"] == {"b": 2} and data["d"] == [1, 5]


def test_unread_values_stay_where_they_are_and_say_why() -> None:
    data = _read(
        """
        import time
        import os.path as osp
        name = 'run-' + str(time.time())
        root = osp.join('a', 'b')
        pad = [round(x) for x in (1.2, 2.7)]
        cfg_name = 'c'
        cfg = dict(lr=0.1, pad=pad, path=root, attr=cfg_name.upper)
        """
    )
    assert data["cfg"]["lr"] == 0.1
    assert data["name"].reason == "calling time.time() is not read by lrplot, which runs no code from configs"
    assert data["pad"].reason == "a comprehension is not read by lrplot"
    assert data["cfg"]["attr"].reason.startswith("attribute access ('cfg_name.upper')")
    assert data["osp"] == ImportedName("os.path")
    assert first_unreadable(data["cfg"])[0] == ("pad",)


def test_pure_builtins_math_and_expressions_are_read() -> None:
    data = _read(
        """
        import math
        base_lr = 0.004
        max_epochs = 300
        warmup = max(1, int(0.05 * max_epochs))
        scale = math.sqrt(16 / 4) * math.pi
        stages = (1, 2, 3)[::-1]
        flag = max_epochs > 100 and not False
        mode = 'long' if max_epochs >= 300 else 'short'
        merged = {**dict(a=1), 'b': len([1, 2])}
        lr: float = base_lr * 0.05
        a, b = 1, 2
        total = 10
        total += 5
        del b
        """
    )
    assert data["warmup"] == 15 and data["scale"] == 2.0 * 3.141592653589793
    assert data["stages"] == (3, 2, 1) and data["flag"] is True and data["mode"] == "long"
    assert data["merged"] == {"a": 1, "b": 2} and data["lr"] == 0.004 * 0.05
    assert data["total"] == 15 and "b" not in data and data["a"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 9 ** 9 ** 9 ** 9", "c.py:1: '9 ** 9 ** 9' would be an integer over 4,096 bits; refused"),
        ("x = " + "9" * 2000, "c.py:1: an integer of 6,644 bits is too large (limit 4,096)"),
        ("x = 'a' * 10 ** 9", "c.py:1: \"'a' * 10 ** 9\" would have over 100,000 items; refused"),
        ("x = " + "[" * 100 + "]" * 100, "c.py:1: the file is nested too deeply (limit 64 levels)"),
        ("x = " + "dict(a=" * 70 + "1" + ")" * 70, "c.py:1: the file is nested too deeply (limit 64 levels)"),
        ("x = " + "-" * 100_000 + "1", "the file is nested too deeply to read"),
        (
            "a = [1, 2]\n" + "a = [a, a]\n" * 20,
            "'a' expands to more than 200,000 values (repeated references)",
        ),
        ("x = 1 / 0", "c.py:1: '1 / 0' fails in Python too (ZeroDivisionError: division by zero)"),
        ("x = dict(a=1)['b']", "c.py:1: key 'b' is not in the dict (Python would fail too)"),
        ("x = = 1", "c.py:1: not valid Python: invalid syntax"),
        ("x = 1\0", "not valid Python: source code string cannot contain null bytes"),
        (
            "\n".join(f"x{i} = [{i}, {i}]" for i in range(40_000)),
            "more than 100,000 syntax nodes; refusing it",
        ),
    ],
)
def test_what_could_exhaust_the_machine_or_fails_in_python_is_refused(text: str, message: str) -> None:
    with pytest.raises(LrplotError) as caught:
        parse_python(text, name="c.py")
    assert message in str(caught.value)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"c.py": "_base_ = './c.py'\n"}, "inherits from itself through _base_ (c.py)"),
        (
            {"c.py": "_base_ = ['a.py', 'b.py']\n", "a.py": "lr = 1\n", "b.py": "lr = 2\n"},
            "c.py:1: duplicate keys among _base_ files are not allowed (mmengine refuses them too): lr",
        ),
        ({"c.py": "_base_ = 'mmdet::_base_/x.py'\n"}, "names a config inside an installed package"),
        ({"c.py": "_base_ = 'a.yaml'\n", "a.yaml": "lr: 1\n"}, "is not a .py config"),
        ({"c.py": "_base_ = 3\n"}, "c.py:1: _base_ must be a file name or a list of file names"),
        (
            {"c.py": "_base_ = 'a.py'\nx = {{_base_.missing}}\n", "a.py": "y = 1\n"},
            "c.py:2: {{_base_.missing}} is not",
        ),
        (
            {"c.py": "_base_ = 'a.py'\nx = dict(a=1)\n", "a.py": "x = 2\n"},
            "c.py:2: x is a dict here but a int in",
        ),
    ],
)
def test_inheritance_problems_are_refused_with_their_line(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        _write(tmp_path, name, text)
    with pytest.raises(LrplotError) as caught:
        read_mmengine_config(tmp_path / "c.py")
    assert message in str(caught.value)


def test_inheritance_reads_predefined_names_but_never_the_environment(tmp_path: Path) -> None:
    _write(tmp_path, "base.py", "model = dict(depth=50, width=2)\nsteps = 4\n")
    path = _write(
        tmp_path,
        "child.py",
        """
        _base_ = ['./base.py']
        name = '{{ fileBasenameNoExtension }}'
        root = '{{$DATA_ROOT:/data}}/images'
        model = dict(width=_base_['steps'] * 2)
        steps = {{_base_.steps}}
        """,
    )
    source, _ = read_mmengine_config(path)
    assert source.data["name"] == "child" and source.data["model"] == {"depth": 50, "width": 8}
    assert source.data["steps"] == 4
    assert source.data["root"].reason == "uses the environment variable DATA_ROOT, which lrplot does not read"


NAMES = st.sampled_from(["a", "b", "lr", "math", "_base_", "dict", "x"])
ATOMS = st.one_of(
    NAMES,
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["'s'", "True", "None", "[]", "()", "{}", "math.pi", "10**300", "2**4000", "1e308"]),
)
CALLS = [
    "dict",
    "min",
    "max",
    "round",
    "int",
    "float",
    "str",
    "len",
    "list",
    "tuple",
    "sum",
    "abs",
    "math.sqrt",
    "f",
]
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "<", "==", " and ", " or ", " in ", " is ", "<<"]


def _compose(children: Any) -> Any:
    return st.one_of(
        st.tuples(children, st.sampled_from(OPERATORS), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(CALLS), st.lists(children, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(["a", "b", "type"]), children), max_size=3).map(
            lambda pairs: "dict(" + ", ".join(f"{k}={v}" for k, v in pairs) + ")"
        ),
        st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(children, st.sampled_from(["a", "b", "x"])).map(lambda t: f"{t[0]}.{t[1]}"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"[{c}][::-1]"),
        children.map(lambda c: f"dict(**{c})"),
    )


EXPRESSIONS = st.recursive(ATOMS, _compose, max_leaves=12)
STATEMENTS = st.one_of(
    st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"{t[0]} += {t[1]}"),
    st.tuples(NAMES, EXPRESSIONS, EXPRESSIONS).map(lambda t: f"{t[0]}[{t[1]}] = {t[2]}"),
    st.sampled_from(["import math", "from os import *", "del a", "a, b = b, a"]),
    st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"for {t[0]} in {t[1]}:\n    {t[0]}[0] = 1"),
)


@settings(max_examples=EXAMPLES * 5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(STATEMENTS, max_size=8))
def test_any_program_is_read_or_refused_with_an_lrplot_error(lines: list[str]) -> None:
    base = {"_base_": ({"a": {"b": 1}, "x": [1, 2]}, {})}
    with contextlib.suppress(LrplotError):
        parse_python("\n".join(lines), name="f.py", initial=base, attribute_roots=frozenset({"_base_"}))


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_with_an_lrplot_error(text: str) -> None:
    with contextlib.suppress(LrplotError):
        parse_python(text, name="f.py")
