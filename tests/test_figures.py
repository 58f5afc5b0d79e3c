"""What a figure shows, checked through the Python API: scale, draw style, legend, styles, panels."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot.render.terminal import terminal_chart
from tests.conftest import FIXTURES, ROOT

MIXED = """
total_step: 200
curves:
  - label: AdamW 5e-5
    optimizer: {name: AdamW, lr: 5.0e-5}
    scheduler: {name: CosineAnnealingLR, T_max: 200}
  - label: SGD 1.0
    scheduler: {name: CosineAnnealingLR, T_max: 200}
"""


def draw(text: str, **sets: str):
    result = lrplot.simulate(lrplot.loads(text, sets=[f"{k}={v}" for k, v in sets.items()]))
    fig = lrplot.figure(result)
    fig.canvas.draw()
    return result, fig


def test_curves_of_different_magnitude_get_a_log_axis_and_a_note() -> None:
    result, fig = draw(MIXED)
    assert fig.axes[0].get_yscale() == "log"
    from lrplot.render.layout import choose_yscale

    assert "span 5.1 decades" in (choose_yscale(result)[1] or "")


def test_a_cosine_to_zero_stays_linear() -> None:
    _, fig = draw("total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n")
    assert fig.axes[0].get_yscale() == "linear"


def test_plot_yscale_decides_when_given() -> None:
    _, fig = draw(MIXED + "plot: {yscale: linear}\n")
    assert fig.axes[0].get_yscale() == "linear"


def test_a_lone_warmup_start_does_not_stretch_the_log_axis() -> None:
    text = MIXED.replace(
        "scheduler: {name: CosineAnnealingLR, T_max: 200}\n  - label: SGD",
        "scheduler: {name: LinearLR, start_factor: 1.0e-6, total_iters: 2}\n  - label: SGD",
        1,
    )
    result, fig = draw(text)
    adamw = result.curves[0].groups[0].lr
    low, _ = fig.axes[0].get_ylim()
    assert adamw[0] < low <= adamw[1]


def test_lr_is_drawn_as_a_step_function_to_the_end_of_the_run() -> None:
    _, fig = draw("total_step: 30\ncurves:\n  - scheduler: {name: MultiStepLR, milestones: [10, 20]}\n")
    line = fig.axes[0].get_lines()[0]
    assert line.get_drawstyle() == "steps-post"
    assert line.get_xdata()[-1] == 30 and fig.axes[0].get_xlim() == (0.0, 30.0)


def test_colour_per_curve_and_line_style_per_group() -> None:
    groups = "    optimizer: {param_groups: [{name: a, lr: 1.0}, {name: b, lr: 0.5}]}\n"
    text = (
        "total_step: 50\ncurves:\n"
        "  - label: x\n" + groups + "    scheduler: {name: StepLR, step_size: 10}\n"
        "  - label: y\n" + groups + "    scheduler: {name: ExponentialLR, gamma: 0.9}\n"
    )
    _, fig = draw(text)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith(("x", "y"))]
    assert [line.get_color() for line in lines] == ["C0", "C0", "C1", "C1"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]


def _stepped_points(line, samples: int = 8) -> np.ndarray:
    """Display coordinates along a step-drawn line, including its vertical jumps."""
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    xs = np.repeat(x, 2)[1:]
    ys = np.repeat(y, 2)[:-1]
    points = []
    for (x0, y0), (x1, y1) in zip(
        zip(xs[:-1], ys[:-1], strict=True), zip(xs[1:], ys[1:], strict=True), strict=True
    ):
        for t in np.linspace(0, 1, samples):
            points.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    data = np.array([p for p in points if np.all(np.isfinite(p)) and p[1] > 0])
    return line.axes.transData.transform(data)


@pytest.mark.parametrize(
    "config",
    [
        "configs/cosine_annealing.yaml",
        "configs/schedulers/cyclic_lr.yaml",
        "configs/schedulers/one_cycle_lr.yaml",
        "configs/reduce_on_plateau.yaml",
    ],
)
def test_the_legend_covers_no_line(config: str) -> None:
    fig = lrplot.figure(lrplot.simulate(lrplot.load(ROOT / config)))
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent()
    for line in ax.get_lines():
        if line.get_linestyle() == "None":
            continue  # milestone ticks
        points = _stepped_points(line)
        inside = (
            (points[:, 0] > box.x0)
            & (points[:, 0] < box.x1)
            & (points[:, 1] > box.y0)
            & (points[:, 1] < box.y1)
        )
        assert not inside.any(), f"{config}: legend over {line.get_label()}"


def test_sweep_labels_lose_the_shared_scheduler_name_to_the_title() -> None:
    _result, fig = draw(
        "total_step: 40\nsweep: {scheduler.T_max: [10, 20]}\ncurves:\n  - scheduler: {name: CosineAnnealingLR}\n"
    )
    assert fig._suptitle.get_text() == "CosineAnnealingLR"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["T_max=10", "T_max=20"]


def test_grid_layout_keeps_the_momentum_panel() -> None:
    result = lrplot.simulate(
        lrplot.load(ROOT / "configs/schedulers/one_cycle_lr.yaml", sets=["plot.layout=grid"])
    )
    fig = lrplot.figure(result)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels.count("momentum / beta1") == len(result.curves)


def test_a_short_warmup_gets_an_inset_unless_turned_off() -> None:
    result = lrplot.simulate(lrplot.load(ROOT / "configs/llm_warmup_cosine.yaml"))
    assert len(lrplot.figure(result).axes[0].child_axes) == 1
    result = lrplot.simulate(lrplot.load(ROOT / "configs/llm_warmup_cosine.yaml", sets=["plot.zoom=false"]))
    assert lrplot.figure(result).axes[0].child_axes == []


def test_xlim_shows_that_range() -> None:
    result = lrplot.simulate(
        lrplot.load(ROOT / "configs/llm_warmup_cosine.yaml", sets=["plot.xlim=[0, 3000]"])
    )
    fig = lrplot.figure(result)
    assert fig.axes[0].get_xlim() == (0.0, 3000.0) and fig.axes[0].child_axes == []


def test_xlim_on_the_command_line(write_config, cli, tmp_path: Path) -> None:
    config = write_config("total_step: 100\ncurves:\n  - scheduler: {name: StepLR, step_size: 10}\n")
    assert cli("plot", config, "--xlim", "10:40", "-o", tmp_path / "a.png", "-q").exit_code == 0
    result = cli("plot", config, "--xlim", "ten", "-o", tmp_path / "a.png")
    assert result.exit_code == 2 and "--xlim" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".webp", ".tif"])
def test_raster_formats_are_byte_reproducible(write_config, cli, tmp_path: Path, suffix: str) -> None:
    config = write_config("total_step: 50\ncurves:\n  - scheduler: {name: StepLR, step_size: 10}\n")
    digests = set()
    for name in ("a", "b"):
        out = tmp_path / f"{name}{suffix}"
        assert cli("plot", config, "-o", out, "-q").exit_code == 0
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_terminal_chart_snapshot() -> None:
    result = lrplot.simulate(lrplot.load(ROOT / "configs/schedulers/multistep_lr.yaml"))
    text = terminal_chart(result, 70, 16, colour=False)
    expected = FIXTURES / "term" / "multistep_lr.txt"
    assert text == expected.read_text(encoding="utf-8")


def test_term_writes_no_file_and_prints_the_chart(write_config, cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(
        "total_step: 50\ncurves:\n  - {label: a, scheduler: {name: StepLR, step_size: 10}}\n  - {label: b, scheduler: {name: ExponentialLR, gamma: 0.9}}\n"
    )
    result = cli("plot", config, "--term", "-q")
    assert result.exit_code == 0, result.stderr
    assert "┌" in result.stdout and "step" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]
