"""Renderers: repr-exact CSV, figure structure, byte-for-byte reproducible files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot.render.data import write_csv
from lrplot.render.figure import figure
from lrplot.result import CurveResult, GroupTrace, Result

MIXED = """
title: Mixed
total_step: 60
plot: {yscale: log, size: [6, 4], dpi: 80}
curves:
  - label: 'with "quotes", and commas'
    optimizer: {name: SGD, momentum: 0.9, param_groups: [{name: backbone, lr: 0.1}, {name: head}]}
    scheduler: {name: CyclicLR, base_lr: [0.01, 0.1], max_lr: [0.1, 1.0], step_size_up: 7}
  - label: exp
    scheduler: {name: ExponentialLR, gamma: 0.9}
"""


@pytest.fixture(scope="module")
def mixed() -> Result:
    return lrplot.simulate(lrplot.loads(MIXED))


def test_csv_reads_back_to_the_identical_doubles(mixed: Result) -> None:
    stream = io.StringIO()
    write_csv(mixed, stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    by_key: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        by_key.setdefault((row["curve"], row["group"]), []).append(float(row["lr"]))
    assert by_key[('with "quotes", and commas', "backbone")] == mixed.curves[0].groups[0].lr.tolist()
    assert by_key[("exp", "0")] == mixed.curves[1].groups[0].lr.tolist()
    assert [int(r["step"]) for r in rows[:3]] == [0, 1, 2]


def test_csv_momentum_column_is_blank_where_not_recorded(mixed: Result) -> None:
    stream = io.StringIO()
    write_csv(mixed, stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert float(rows[0]["momentum"]) == mixed.curves[0].groups[0].momentum[0]
    assert {r["momentum"] for r in rows if r["curve"] == "exp"} == {""}


def test_csv_header_without_momentum() -> None:
    result = lrplot.simulate(
        lrplot.loads("total_step: 3\ncurves:\n  - scheduler: {name: StepLR, step_size: 1}\n")
    )
    stream = io.StringIO()
    write_csv(result, stream)
    assert (
        stream.getvalue()
        == "curve,group,step,lr\nStepLR,0,0,1.0\nStepLR,0,1,0.1\nStepLR,0,2,0.010000000000000002\n"
    )


def test_figure_has_labels_title_legend_and_a_momentum_panel(mixed: Result) -> None:
    fig = figure(mixed)
    lr_axes, momentum_axes = fig.axes
    assert lr_axes.get_ylabel() == "learning rate"
    assert momentum_axes.get_xlabel() == "step"
    assert lr_axes.get_yscale() == "log"
    assert fig._suptitle.get_text() == "Mixed"
    legend = [t.get_text() for t in lr_axes.get_legend().get_texts()]
    assert legend == [
        'with "quotes", and commas / backbone',
        'with "quotes", and commas / head',
        "exp",
    ]
    assert len(momentum_axes.get_lines()) == 2
    assert tuple(fig.get_size_inches()) == (6.0, 4.0) and fig.dpi == 80


def test_figure_without_momentum_has_one_panel() -> None:
    result = lrplot.simulate(
        lrplot.loads("total_step: 5\ncurves:\n  - scheduler: {name: StepLR, step_size: 2}\n")
    )
    fig = figure(result)
    assert len(fig.axes) == 1 and fig.axes[0].get_xlabel() == "step"


def test_non_finite_values_are_left_out_of_the_drawing() -> None:
    trace = GroupTrace("0", np.array([1.0, np.inf, 0.5, np.nan]))
    fig = figure(Result([CurveResult("c", 4, "X", "SGD", [trace])]))
    drawn = fig.axes[0].get_lines()[0].get_ydata()
    assert np.isnan(drawn[1]) and drawn[2] == 0.5


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "csv"])
def test_outputs_are_byte_for_byte_reproducible(fmt: str, tmp_path: Path, mixed: Result) -> None:
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    lrplot.write(mixed, first)
    lrplot.write(lrplot.simulate(lrplot.loads(MIXED)), second)
    assert first.read_bytes() == second.read_bytes()


def test_svg_and_pdf_carry_no_dates(tmp_path: Path, mixed: Result) -> None:
    lrplot.write(mixed, [tmp_path / "a.svg", tmp_path / "a.pdf"])
    assert b"<dc:date>" not in (tmp_path / "a.svg").read_bytes()
    assert b"/CreationDate" not in (tmp_path / "a.pdf").read_bytes()


def test_files_are_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    config = tmp_path / "c.yaml"
    config.write_text(MIXED)
    for seed in ("1", "2"):
        out = tmp_path / seed
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "lrplot",
                "plot",
                str(config),
                "-d",
                str(out),
                "-f",
                "png",
                "-f",
                "svg",
                "-f",
                "pdf",
                "-f",
                "csv",
                "-q",
            ],
            check=True,
            env=env,
        )
    for name in ("c.png", "c.svg", "c.pdf", "c.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name
