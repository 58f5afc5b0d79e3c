"""Passes over a whole trace a block at a time (issue 31: a 10,000,000-step run with no
full-length temporaries) give exactly what the whole-array passes they replace gave.

The whole-array versions are kept here as the oracle (they are what lrplot computed before):
random arrays (NaN, inf, zeros, negatives, values near 1e300), lengths around the block size
(``lrplot.result.BLOCK`` made tiny), and the linter's own fixtures linted with tiny blocks.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lrplot
from lrplot import result as traces
from lrplot.engines import simulate
from lrplot.lint import lint
from lrplot.lint.checks import bounds, lambdas, reference, zero
from lrplot.plan import plan
from lrplot.render import data, guards, layout, table
from lrplot.result import CurveResult, GroupTrace, Result, count_where, first_where, max_where
from tests.conftest import FIXTURES, ROOT

DRAWABLE = guards.DRAWABLE

# Values a schedule produces and the ones a broken one does: zeros of both signs, ties,
# negatives, inf and NaN, the drawable edge.
SPECIAL = st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e-300, -1.0, 1e300, 1.5e300, math.inf, -math.inf, math.nan])
VALUE = st.one_of(SPECIAL, st.floats(allow_nan=True, allow_infinity=True), st.floats(1e-6, 1.0))
TRACE = hnp.arrays(np.float64, st.integers(0, 40), elements=VALUE)
POSITIVE_TRACE = hnp.arrays(
    np.float64, st.integers(1, 40), elements=st.one_of(st.floats(1e-12, 10.0), st.sampled_from([0.1, 0.01]))
)
BLOCKS = st.sampled_from([1, 2, 3, 7, 1 << 20])


SAMPLES = st.sampled_from([1, 2, 3, 5, 1 << 16])  # tiny: the sample's bracket misses, the radix finds


@pytest.fixture(autouse=True)
def _block_restored():
    saved = traces.BLOCK, layout.SAMPLE
    yield
    traces.BLOCK, layout.SAMPLE = saved


def same(ours: object, theirs: object, *, zero_sign: bool = True) -> bool:
    """Equal as numbers are, NaN equal to NaN, and the same sign of zero.

    ``zero_sign=False`` for a maximum: which of 0.0 and -0.0 numpy's max returns when both are
    there depends on its SIMD reduction, and no check prints a peak or top factor of zero (each
    needs it above 0 first).
    """
    if isinstance(ours, float) and isinstance(theirs, float):
        if math.isnan(ours) or math.isnan(theirs):
            return math.isnan(ours) and math.isnan(theirs)
        return ours == theirs and (not zero_sign or math.copysign(1, ours) == math.copysign(1, theirs))
    return ours == theirs


# --- the whole-array versions (lrplot before issue 31's memory round) -----------------------


def old_positive(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return values[(values > 0) & (values <= DRAWABLE)]


def old_drawn(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return values[np.abs(values) <= DRAWABLE]


def old_choose_yscale(result: Result) -> tuple[str, str | None]:
    if result.plot.yscale is not None:
        return result.plot.yscale, None
    peaks, lows = [], []
    for curve in result.curves:
        for group in curve.groups:
            values = old_positive(group.lr)
            if values.size:
                peaks.append((float(values.max()), curve.label))
                lows.append((float(np.quantile(values, layout.LOG_LOW_SHARE)), curve.label))
    if not peaks:
        return "linear", None
    highest, _ = max(peaks)
    lowest, label = min(lows)
    decades = math.log10(highest / lowest)
    if decades <= layout.LOG_DECADES:
        return "linear", None
    return "log", (
        f"log y axis: for most of the run the learning rates span {decades:.1f} decades "
        f"({label!r} spends a quarter of its steps below {lowest:.3g}, the highest peak is "
        f"{highest:.3g}); --yscale linear (or plot.yscale: linear) changes it"
    )


def old_log_limits(result: Result) -> tuple[float, float] | None:
    lows, highs = [], []
    for curve in result.curves:
        for group in curve.groups:
            values = group.lr
            if values.size > 1 and 0 < values[0] < values[1] / 10:
                values = values[1:]
            positive = old_positive(values)
            if positive.size:
                lows.append(float(positive.min()))
                highs.append(float(positive.max()))
    if not lows:
        return None
    return min(lows) / 1.5, max(highs) * 1.5


def old_warmup_ends(values: np.ndarray) -> int | None:
    """warmup_zoom's end of one trace (None where it skips the trace)."""
    finite = old_drawn(values)
    if finite.size < 20:
        return None
    peak = float(finite.max())
    top = np.flatnonzero(values >= peak - abs(peak) * 1e-12)
    return int(top[0]) if top.size else 0


def old_grows(values: np.ndarray, initial: float) -> int | None:
    if not initial > 0 or values.size < 3:
        return None
    big = ~(values <= bounds.GROWTH * initial)
    if not big[-1]:
        return None
    finite = values[np.isfinite(values)]
    tail = finite[-max(2, finite.size // 4) :]
    if tail.size >= 2 and tail[-1] < tail[0]:
        return None
    return int(np.argmax(big))


def result_of(*arrays: np.ndarray) -> Result:
    curves = [
        CurveResult(f"c{index}", len(lr), "X", "SGD", [GroupTrace("0", lr)])
        for index, lr in enumerate(arrays)
    ]
    return Result(curves)


# --- the block helpers ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(TRACE, BLOCKS, st.floats(-2.0, 2.0))
def test_first_count_and_max_where_are_numpys_whole_array_answers(values, block, threshold) -> None:
    traces.BLOCK = block
    with np.errstate(invalid="ignore"):
        mask = values < threshold
        finite = values[np.isfinite(values)]
    assert first_where(values, lambda part: part < threshold) == (
        int(np.argmax(mask)) if mask.any() else None
    )
    assert count_where(values, lambda part: part < threshold) == int(mask.sum())
    assert max_where(values, np.isfinite) == (float(finite.max()) if finite.size else None)


@settings(max_examples=300, deadline=None)
@given(TRACE, BLOCKS, st.data())
def test_an_order_statistic_is_numpys_partition_of_the_positive_values(values, block, data) -> None:
    positive = old_positive(values)
    if not positive.size:
        return
    traces.BLOCK = block
    rank = data.draw(st.integers(0, positive.size - 1))
    assert same(layout.positive_order_statistic(values, rank), float(np.partition(positive, rank)[rank]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(TRACE, POSITIVE_TRACE), BLOCKS, SAMPLES, st.data())
def test_bracketed_order_statistics_are_numpys_partition(values, block, sample, data) -> None:
    positive = old_positive(values)
    if not positive.size:
        return
    traces.BLOCK, layout.SAMPLE = block, sample
    ranks = sorted(data.draw(st.lists(st.integers(0, positive.size - 1), min_size=1, max_size=2)))
    expected = [float(np.partition(positive, rank)[rank]) for rank in ranks]
    assert layout.positive_order_statistics(values, ranks, positive.size) == expected


def test_a_bracket_holding_a_run_of_equal_values_needs_no_gathering() -> None:
    """A staircase: a quarter of the run at each of four values; the bracket's ends are values
    of the run and the rank falls among the copies of one of them."""
    traces.BLOCK = 8
    values = np.repeat([0.1, 0.01, 0.001, 0.0001], 250)
    for rank in (0, 249, 250, 499, 500, 999):
        assert layout.positive_order_statistics(values, [rank], 1000) == [float(np.sort(values)[rank])]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(TRACE, POSITIVE_TRACE),
    BLOCKS,
    SAMPLES,
    st.sampled_from([0.25, 0.0, 0.5, 0.75, 1.0, 0.1, 1 / 3]),
)
def test_the_positive_quantile_is_numpys_quantile_bit_for_bit(values, block, sample, share) -> None:
    positive = old_positive(values)
    if not positive.size:
        return
    traces.BLOCK, layout.SAMPLE = block, sample
    assert same(layout.positive_quantile(values, share), float(np.quantile(positive, share)))


def test_an_order_statistic_in_a_bin_larger_than_a_block_takes_more_digits() -> None:
    """Many values sharing their top bits (a slow cosine near its floor) with a tiny block: the
    selection narrows 16 bits at a time, down to the whole bit pattern when all are equal."""
    traces.BLOCK = 4
    values = np.concatenate([np.full(50, 0.1), 0.1 + np.arange(50) * 1e-17, np.full(9, 0.2)])
    for rank in (0, 49, 50, 75, 99, 100, 108):
        assert layout.positive_order_statistic(values, rank) == float(np.partition(values, rank)[rank])


# --- the figure's decisions ----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # a random trace times 1000
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(TRACE, POSITIVE_TRACE), min_size=1, max_size=3), BLOCKS, SAMPLES, st.floats(1e-9, 1e3)
)
def test_the_y_scale_and_its_note_are_the_whole_array_decision(arrays, block, sample, scale) -> None:
    arrays = [values * scale if index else values for index, values in enumerate(arrays)]
    traces.BLOCK, layout.SAMPLE = block, sample
    result = result_of(*arrays)
    assert layout.choose_yscale(result) == old_choose_yscale(result)


@pytest.mark.parametrize("block", [3, 1 << 20])
@pytest.mark.parametrize("span", [1.0, 10.0, 99.0, 100.0, 100.5, 1e4, 1e12])
def test_the_y_scale_around_two_decades_is_the_whole_array_decision(block: int, span: float) -> None:
    """At the edge of the shortcut (the lowest value within two decades of the peak) and past it."""
    rng = np.random.default_rng(int(span) % 1000)
    values = np.concatenate([[1.0], rng.uniform(1 / span, 1.0, 200), [1 / span]])
    traces.BLOCK = block
    result = result_of(values)
    assert layout.choose_yscale(result) == old_choose_yscale(result)


@settings(max_examples=300, deadline=None)
@given(st.lists(TRACE, min_size=1, max_size=3), BLOCKS)
def test_log_limits_and_the_warmup_zoom_are_the_whole_array_ones(arrays, block) -> None:
    traces.BLOCK = block
    result = result_of(*arrays)
    assert layout.log_limits(result) == old_log_limits(result)
    for values in arrays:
        one = result_of(values)
        end = old_warmup_ends(values)
        zoomed = end is not None and 0 < end < layout.ZOOM_WARMUP_SHARE * values.size
        zoomed = zoomed and values[0] < 0.5 * float(old_drawn(values).max())
        assert (layout.warmup_zoom(one) is not None) == zoomed


@settings(max_examples=300, deadline=None)
@given(TRACE, BLOCKS)
def test_all_drawable_and_drawable_are_the_whole_array_ones(values, block) -> None:
    traces.BLOCK = block
    with np.errstate(invalid="ignore"):
        assert guards.all_drawable(values) == bool((np.abs(values) <= DRAWABLE).all())
        whole = np.where(np.abs(values) <= DRAWABLE, values, np.nan)
    assert guards.drawable(values).tobytes() == whole.tobytes()


# --- the linter's passes -------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(TRACE, BLOCKS, st.sampled_from([1.0, 0.01, 1e-3, 0.0, -1.0]))
def test_the_growth_test_is_the_whole_array_one(values, block, initial) -> None:
    traces.BLOCK = block
    with np.errstate(invalid="ignore"):
        assert bounds.grows(values, initial) == old_grows(values, initial)


@settings(max_examples=300, deadline=None)
@given(TRACE, BLOCKS)
def test_the_peak_zero_runs_and_largest_value_are_the_whole_array_ones(values, block) -> None:
    traces.BLOCK = block
    finite = values[np.isfinite(values)]
    assert same(zero._finite_peak(values), float(finite.max()) if finite.size else 0.0, zero_sign=False)
    assert zero._zero_runs_of(values) == zero._runs(values == 0.0)
    assert zero._all_zero(values) == bool(np.all(values == 0.0))
    assert reference._largest_finite(values) == (float(np.max(np.abs(finite))) if finite.size else 0.0)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # 1e308 / 0.1, as the check itself warns
@settings(max_examples=300, deadline=None)
@given(TRACE.filter(lambda values: values.size > 0), BLOCKS, st.sampled_from([1.0, 0.1, 3.0]))
def test_the_lambdas_top_factor_is_numpys_max_and_argmax(values, block, initial) -> None:
    traces.BLOCK = block
    factors = values / initial
    top, at = lambdas._top_factor(values, initial)
    assert same(top, float(np.max(factors)), zero_sign=False)
    assert at == int(np.argmax(factors))


LINT = FIXTURES / "lint"
LINTED = sorted(LINT.glob("lr*_triggers.yaml")) + sorted(LINT.glob("lr*_near_misses.yaml"))


def _findings(path: Path) -> list[str]:
    config = lrplot.load(path)
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = simulate(config, plans=plans)
        found = lint(config, result, plans=plans)
    return [repr(finding) for finding in found] + [repr(curve.lint) for curve in result.curves]


@pytest.mark.parametrize("path", LINTED, ids=lambda path: path.stem)
def test_the_linters_fixtures_give_the_same_findings_with_tiny_blocks(path: Path) -> None:
    whole = _findings(path)
    traces.BLOCK = 7
    assert _findings(path) == whole


# --- the summary table and the CSV ---------------------------------------------------------


def old_summary(lr: np.ndarray) -> tuple:
    """table._summary's numbers as they were computed on the whole array."""
    finite = np.isfinite(lr)
    values = lr if finite.all() else np.where(finite, lr, np.nan)
    if not finite.any():
        return None
    peak = float(np.nanmax(values))
    peak_step = int(np.argmax(values >= peak - abs(peak) * table.PEAK_RTOL))
    after_peak = values[peak_step:]
    below = np.flatnonzero(after_peak < 0.1 * peak) + peak_step if peak > 0 else np.array([], dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.nanmean(values))
    return peak, peak_step, float(np.nanmin(values)), mean, int(below[0]) if below.size else None


@settings(max_examples=300, deadline=None)
@given(st.one_of(TRACE.filter(lambda values: values.size > 0), POSITIVE_TRACE), BLOCKS)
def test_the_summary_numbers_are_the_whole_array_ones(values, block) -> None:
    traces.BLOCK = block
    row = table._summary("c", "0", values)
    old = old_summary(values)
    if old is None:
        assert math.isnan(row.peak) and row.below_10pct_step is None
        return
    ours = (row.peak, row.peak_step, row.min, row.mean, row.below_10pct_step)
    assert all(same(a, b, zero_sign=False) for a, b in zip(ours, old, strict=True)), (ours, old)


@pytest.mark.parametrize("steps", [6, 7, 8, 15])
@pytest.mark.parametrize("momentum", [False, True])
def test_the_csv_is_the_same_bytes_with_blocks_of_seven(steps: int, momentum: bool) -> None:
    rng = np.random.default_rng(steps)
    groups = [
        GroupTrace("a", rng.uniform(0, 1, steps), rng.uniform(0.8, 0.95, steps) if momentum else None),
        GroupTrace("b", rng.uniform(0, 1, steps)),
    ]
    result = Result([CurveResult("c", steps, "X", "SGD", groups)])
    whole = io.StringIO()
    data.write_csv(result, whole)
    traces.BLOCK = 7
    blocked = io.StringIO()
    data.write_csv(result, blocked)
    assert blocked.getvalue() == whole.getvalue()
    assert whole.getvalue().count("\n") == 1 + 2 * steps


# --- what is held while a fix is verified ---------------------------------------------------

_MATPLOTLIB_WHILE_LINTING = """
import json, sys
import lrplot.lint
seen = []
real = lrplot.lint.lint
def lint(*args, **kwargs):
    seen.append(any(name.split(".")[0] == "matplotlib" for name in sys.modules))
    return real(*args, **kwargs)
lrplot.lint.lint = lint
from lrplot.commands.app import main
sys.argv = ["lrplot", *sys.argv[1:]]
try:
    main()
except SystemExit as end:
    assert not end.code, end.code
print(json.dumps({"seen": seen, "after": "matplotlib.figure" in sys.modules}))
"""


@pytest.mark.parametrize(("title", "while_linting"), [("cosine", False), ("cosine $x^2$", True)])
def test_plot_imports_matplotlib_after_the_linter_unless_a_text_is_mathtext(
    tmp_path: Path, title: str, while_linting: bool
) -> None:
    """Verifying LR001's fix simulates the run again: two traces of a long run are held then, and
    matplotlib's ~30 MiB is imported after, not under them. A ``$`` in a text (mathtext, parsed
    before any stepping) still imports it first."""
    config = tmp_path / "c.yaml"
    config.write_text(
        f"title: '{title}'\ntotal_step: 1000\n"
        "curves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n"  # LR001, with a fix to verify
    )
    arguments = ["plot", str(config), "-o", "a.png"]  # not -q: the fix is verified
    done = subprocess.run(
        [sys.executable, "-c", _MATPLOTLIB_WHILE_LINTING, *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"seen": [while_linting], "after": True}
    assert (tmp_path / "a.png").stat().st_size > 1000
