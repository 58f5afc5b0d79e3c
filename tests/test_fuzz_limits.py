"""Properties of the hardened input surface (issue 17): the file-reading policy, the bounds,
the expression cost guard and foreign training-config shapes. Same budget as
tests/test_fuzz.py (LRPLOT_FUZZ_EXAMPLES=2000 for a longer run)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

import lrplot
from lrplot.errors import ExpressionError, LrplotError
from lrplot.expressions import compile_expression
from lrplot.limits import MAX_CURVES, MAX_FIGURE_PIXELS, MAX_FIGURE_SIDE, MAX_INT_BITS
from lrplot.read.files import confining_reads, read_bytes, recording
from tests.test_fuzz import FUZZ, assert_clean, run_cli

CANARY = "canary=" + "7f3a9c" * 8  # a secret-like token: long, with '='
KINDS = [
    "regular",
    "directory",
    "fifo",
    "missing",
    "proc",
    "dev",
    "link to proc",
    "link to dev",
    "outside",
    "dotdot",
]


def _make(folder: Path, kind: str, content: bytes) -> str:
    """A file of ``kind`` named from inside ``folder``; returns the name a config would write."""
    if kind == "regular":
        (folder / "f.csv").write_bytes(content)
        return "f.csv"
    if kind == "directory":
        (folder / "d").mkdir()
        return "d"
    if kind == "fifo":
        os.mkfifo(folder / "p.csv")
        return "p.csv"
    if kind == "missing":
        return "absent.csv"
    if kind in ("proc", "dev"):
        return "/proc/self/environ" if kind == "proc" else "/dev/zero"
    if kind.startswith("link"):
        (folder / "l.csv").symlink_to("/proc/self/environ" if kind.endswith("proc") else "/dev/zero")
        return "l.csv"
    outside = Path(tempfile.mkdtemp(prefix="lrplot-outside-"))
    (outside / "o.csv").write_bytes(content)
    return str(outside / "o.csv") if kind == "outside" else os.path.relpath(outside / "o.csv", folder)


@FUZZ
@given(st.sampled_from(KINDS), st.binary(max_size=200), st.integers(min_value=0, max_value=300))
def test_every_read_follows_the_policy(kind: str, content: bytes, limit: int) -> None:
    """Bytes back only for a regular file inside the allowed folders and under the limit; else
    one LrplotError that never holds the content; nothing blocks; only what was read is recorded."""
    content = content + CANARY.encode()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        named = _make(folder, kind, content)
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            with recording() as registry, confining_reads():
                try:
                    data = read_bytes(named, what="log", limit=limit, config_dir=folder)
                except LrplotError as error:
                    assert CANARY not in str(error) and "\n" not in str(error)
                    assert kind != "regular" or len(content) > limit
                    return
        finally:
            os.chdir(cwd)
    assert kind == "regular" and len(content) <= limit and data == content
    assert [path.name for path in registry.paths()] == ["f.csv"]


cells = st.one_of(st.text(max_size=8), st.sampled_from(["0", "1e300", "inf", "nan", "-3", "0.1", CANARY, ""]))


@FUZZ
@given(
    st.lists(st.sampled_from(["step", "lr", "loss", CANARY, "Value", "lr-SGD", ""]), min_size=1, max_size=4),
    st.lists(st.lists(cells, min_size=1, max_size=4), max_size=6),
    st.sampled_from(
        ["reference: log.csv", "reference: {csv: log.csv, rtol: 0.1}", "metric: {csv: log.csv, column: loss}"]
    ),
)
def test_random_logs_never_echo_their_content(header: list[str], rows: list[list[str]], key: str) -> None:
    scheduler = "{name: ReduceLROnPlateau}" if key.startswith("metric") else "{name: StepLR, step_size: 2}"
    config = f"total_step: 4\ncurves:\n  - scheduler: {scheduler}\n    {key}\n"
    text = "\n".join(",".join(row) for row in [header, *rows]) + "\n"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "c.yaml").write_text(config)
        (folder / "log.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = run_cli(["plot", str(folder / "c.yaml"), "-o", str(folder / "o.csv")])
    assert_clean(result)
    assert CANARY not in result.output


@FUZZ
@given(
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=6),
    st.integers(min_value=1, max_value=60),
    st.booleans(),
)
def test_sweeps_are_counted_before_they_are_built(lengths: list[int], curves: int, paired: bool) -> None:
    """A config stands for sum over curves of its sweep's size; above MAX_CURVES it is refused
    (without building the product), at or below it the expansion has exactly that many curves."""
    if paired:
        lengths = [lengths[0]] * len(lengths)
    sweep: dict[str, Any] = {f"scheduler.k{i}": list(range(n)) for i, n in enumerate(lengths)}
    if paired:
        sweep["zip"] = True
    document = {
        "total_step": 2,
        "sweep": sweep,
        "curves": [
            {"label": f"c{i}", "scheduler": {"name": "StepLR", "step_size": 1}} for i in range(curves)
        ],
    }
    expected = curves * (lengths[0] if paired else math.prod(lengths))
    try:
        config = lrplot.loads(yaml.safe_dump(document))
    except LrplotError as error:
        assert expected > MAX_CURVES, str(error)
        assert "curves" in str(error) and f"{expected:,}" in str(error)
        return
    assert expected <= MAX_CURVES and len(config.curves) == expected


@FUZZ
@given(
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**6)),
        min_size=2,
        max_size=2,
    ),
    st.integers(min_value=-5, max_value=2000),
)
def test_figure_sizes_are_bounded_before_anything_is_drawn(size: list[float], dpi: int) -> None:
    document = {
        "total_step": 2,
        "plot": {"size": size, "dpi": dpi},
        "curves": [{"scheduler": {"name": "StepLR", "step_size": 1}}],
    }
    try:
        config = lrplot.loads(yaml.safe_dump(document))
    except LrplotError as error:
        assert "plot" in str(error)
        return
    width, height = (side * config.plot.dpi for side in config.plot.size)
    assert all(math.isfinite(side) and side >= 1 for side in config.plot.size)
    assert max(width, height) <= MAX_FIGURE_SIDE + 1 and width * height <= MAX_FIGURE_PIXELS * 1.001


INT_ATOMS = st.sampled_from(["step", "9", "10 ** 40", "9 ** 1000", "(step + 1)", "2 ** 4095", "7", "-3"])


@st.composite
def int_expressions(draw: Any, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(INT_ATOMS)
    op = draw(st.sampled_from(["*", "**", "+", "//", "%", "round", "int", "max"]))
    left, right = draw(int_expressions(depth + 1)), draw(int_expressions(depth + 1))
    if op == "round":
        return f"round({left}, -{right})"
    if op in ("int", "max"):
        return f"{op}({left}, {right})" if op == "max" else f"int({left})"
    return f"({left} {op} {right})"


@FUZZ
@given(int_expressions(), st.integers(min_value=0, max_value=10**6))
def test_no_expression_computes_an_integer_beyond_the_bound(source: str, step: int) -> None:
    """Whatever the grammar builds, evaluation is refused or every integer stays near MAX_INT_BITS
    (a sum adds a bit per node), so one evaluation's cost is bounded."""
    try:
        value = compile_expression(source, ("step",))(step)
    except (ExpressionError, ArithmeticError, ValueError, TypeError):
        return
    if isinstance(value, int):
        assert value.bit_length() <= MAX_INT_BITS + 400, source


NODE_VALUES = st.one_of(
    st.none(), st.integers(-2, 5), st.text(max_size=6), st.lists(st.integers(0, 3), max_size=3),
    st.sampled_from(["torch.optim.SGD", "torch.optim.lr_scheduler.StepLR", "StepLR", "os.system", ""]),
    st.dictionaries(st.sampled_from(["lr", "step_size", "gamma", "T_max"]), st.integers(0, 5), max_size=3),
)  # fmt: skip
NODES = st.dictionaries(st.sampled_from(["class_path", "init_args", "_target_", "_partial_", "lr", "step_size"]),
                        NODE_VALUES, max_size=4)  # fmt: skip


@FUZZ
@given(NODES, NODES, st.dictionaries(st.sampled_from(["max_steps", "max_epochs"]), NODE_VALUES, max_size=2))
def test_random_training_config_shapes_fail_cleanly_or_succeed(
    optimizer: Any, scheduler: Any, trainer: Any
) -> None:
    """LightningCLI- and Hydra-shaped documents with nodes of every wrong shape."""
    document = {"trainer": trainer, "model": {"optimizer": optimizer, "lr_scheduler": scheduler}}
    for select in ([], ["--select", "model"]):
        assert_clean(run_cli(["plot", "c.yaml", "-o", "o.csv", *select], yaml.safe_dump(document)))
