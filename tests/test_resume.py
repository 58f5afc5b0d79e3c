"""Continuing a used optimizer (optimizer.from) and segments, against torch driven by hand."""

from __future__ import annotations

import csv
import io
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as L

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import ROOT, same_bits


def loop(optimizer: torch.optim.Optimizer, scheduler: object, steps: int) -> list[float]:
    """The tutorial loop: record, then step, every iteration (steps calls of step())."""
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            lrs.append(optimizer.param_groups[0]["lr"])
            scheduler.step()
    return lrs


def test_tutorial_three_curve_figure_matches_torch() -> None:
    result = lrplot.simulate(lrplot.load(ROOT / "configs" / "cosine_annealing_tutorial.yaml"))
    first = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    expected_first = loop(first, L.CosineAnnealingLR(first, T_max=40, eta_min=0.2), 100)
    second = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "initial_lr": 1.0}], lr=1.0)
    expected_second = loop(second, L.CosineAnnealingLR(second, T_max=40, eta_min=0.2, last_epoch=10), 100)
    expected_third = loop(second, L.CosineAnnealingLR(second, T_max=40, eta_min=0.5, last_epoch=10), 100)
    curves = result.curves
    assert same_bits(curves[0].groups[0].lr, expected_first)
    assert same_bits(curves[1].groups[0].lr, expected_second)
    assert same_bits(curves[2].groups[0].lr, expected_third)
    assert curves[2].groups[0].lr[0] != 1.0  # starts from the decayed value


def test_from_keeps_param_groups_and_momentum() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 30\ncurves:\n"
            "  - label: warm\n    optimizer: {name: SGD, momentum: 0.9, param_groups: [{name: a, lr: 0.1}, {name: b}]}\n"
            "    scheduler: {name: OneCycleLR, max_lr: [0.5, 1.0], total_steps: 30}\n"
            "  - label: then\n    optimizer: {from: warm}\n    scheduler: {name: ExponentialLR, gamma: 0.9}\n"
        )
    )
    optimizer = torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1},
            {"params": [torch.nn.Parameter(torch.zeros(1))]},
        ],
        lr=1.0,
        momentum=0.9,
    )
    loop(optimizer, L.OneCycleLR(optimizer, max_lr=[0.5, 1.0], total_steps=30), 30)
    exponential = L.ExponentialLR(optimizer, gamma=0.9)
    expected = [[], []]
    for _ in range(30):
        for i, group in enumerate(optimizer.param_groups):
            expected[i].append(group["lr"])
        exponential.step()
    then = result.curves[1]
    assert [g.name for g in then.groups] == ["a", "b"]
    assert same_bits(then.groups[0].lr, expected[0]) and same_bits(then.groups[1].lr, expected[1])


def test_segments_run_on_one_optimizer_as_one_curve() -> None:
    result = lrplot.simulate(lrplot.load(ROOT / "configs" / "resume_changed_schedule.yaml"))
    optimizer = torch.optim.AdamW(
        [{"params": [torch.nn.Parameter(torch.zeros(1))], "initial_lr": 1e-3}], lr=1e-3
    )
    expected = loop(optimizer, L.CosineAnnealingLR(optimizer, T_max=1000), 600)
    expected += loop(optimizer, L.CosineAnnealingLR(optimizer, T_max=1000, eta_min=1e-4, last_epoch=599), 400)
    curve = result.curves[0]
    assert curve.total_step == 1000
    assert same_bits(curve.groups[0].lr, expected)
    assert 600 in curve.markers
    rows = csv.DictReader(io.StringIO(lrplot.to_csv(result)))
    csv_steps = [int(row["step"]) for row in rows if row["curve"] == curve.label]
    assert csv_steps == list(range(1000))


def test_segments_with_plateau_and_composites() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "curves:\n  - label: mix\n    segments:\n"
            "      - {steps: 20, scheduler: {name: LinearLR, start_factor: 0.1, total_iters: 20}}\n"
            "      - {steps: 30, scheduler: {name: ReduceLROnPlateau, patience: 2}, metric: lr}\n"
            "      - {steps: 10, scheduler: {name: SequentialLR, milestones: [5], schedulers: "
            "[{name: ConstantLR, factor: 0.5, total_iters: 5}, {name: ExponentialLR, gamma: 0.8}]}}\n"
        )
    )
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    expected = loop(optimizer, L.LinearLR(optimizer, start_factor=0.1, total_iters=20), 20)
    plateau = L.ReduceLROnPlateau(optimizer, patience=2)
    for _ in range(30):
        expected.append(optimizer.param_groups[0]["lr"])
        plateau.step(optimizer.param_groups[0]["lr"])
    sequential = L.SequentialLR(
        optimizer,
        [L.ConstantLR(optimizer, factor=0.5, total_iters=5), L.ExponentialLR(optimizer, gamma=0.8)],
        milestones=[5],
    )
    expected += loop(optimizer, sequential, 10)
    assert same_bits(result.curves[0].groups[0].lr, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "total_step: 5\ncurves:\n  - {label: a, optimizer: {from: b}, scheduler: {name: StepLR, step_size: 1}}\n"
            "  - {label: b, scheduler: {name: StepLR, step_size: 1}}\n",
            "optimizer.from names 'b', which is not an earlier curve",
        ),
        (
            "total_step: 5\ncurves:\n  - {label: a, optimizer: {from: a}, scheduler: {name: StepLR, step_size: 1}}\n",
            "optimizer.from names this curve itself ('a')",
        ),
        (
            "total_step: 5\ncurves:\n  - {label: a, scheduler: {name: StepLR, step_size: 1}}\n"
            "  - {label: c, optimizer: {from: a, lr: 0.1}, scheduler: {name: StepLR, step_size: 1}}\n",
            "cannot be combined with 'lr'",
        ),
        (
            "curves:\n  - {label: s, total_step: 9, segments: [{steps: 5, scheduler: {name: StepLR, step_size: 1}}]}\n",
            "total_step is 9 but the segments add up to 5",
        ),
        (
            "curves:\n  - {label: s, scheduler: {name: StepLR, step_size: 1}, segments: [{steps: 5, scheduler: {name: StepLR, step_size: 1}}]}\n",
            "a curve needs one of scheduler, segments or side_by_side, not scheduler and segments",
        ),
        (
            "curves:\n  - {label: s, segments: [{steps: 0, scheduler: {name: StepLR, step_size: 1}}]}\n",
            "steps must be a positive integer, got 0",
        ),
        (
            "curves:\n  - {label: s, segments: [{steps: 5, scheduler: {name: StepLR, step_sise: 1}}]}\n",
            "no keyword 'step_sise'",
        ),
    ],
)
def test_resume_mistakes(text: str, message: str) -> None:
    with pytest.raises(LrplotError) as info:
        lrplot.simulate(lrplot.loads(text, name="r.yaml"))
    assert message in str(info.value)
    assert str(info.value).startswith("r.yaml:")
