"""Epoch-based stepping against torch driven by hand the same way, bit for bit."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from torch.optim import lr_scheduler as L

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import same_bits


def sgd() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)


def per_epoch_by_hand(make, epochs: int, iters: int, metric=None) -> list[float]:
    """for epoch: for batch: record; scheduler.step() after each epoch (docs' epoch loop)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = sgd()
        scheduler = make(optimizer)
        lrs = []
        for epoch in range(epochs):
            for _i in range(iters):
                lrs.append(optimizer.param_groups[0]["lr"])
            if metric is None:
                scheduler.step()
            else:
                scheduler.step(metric(epoch))
    return lrs


def test_interval_epoch_steps_once_per_epoch_and_records_every_step() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 120\nsteps_per_epoch: 8\ninterval: epoch\ncurves:\n"
            "  - scheduler: {name: CosineAnnealingLR, T_max: 10, eta_min: 0.1}\n"
        )
    )
    expected = per_epoch_by_hand(lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.1), 15, 8)
    assert same_bits(result.curves[0].groups[0].lr, expected)
    assert result.curves[0].steps_per_epoch == 8


def test_dataset_size_and_batch_size_give_steps_per_epoch() -> None:
    config = lrplot.loads(
        "total_step: 100\ndataset_size: 1000\nbatch_size: 64\ncurves:\n"
        "  - {scheduler: {name: StepLR, step_size: 1}, interval: epoch}\n"
        "  - {scheduler: {name: StepLR, step_size: 1}, interval: epoch, drop_last: true, label: dropped}\n"
    )
    assert [c.steps_per_epoch for c in config.curves] == [16, 15]


def test_plateau_per_epoch_gets_one_metric_per_epoch() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 50\nsteps_per_epoch: 5\ninterval: epoch\ncurves:\n"
            "  - scheduler: {name: ReduceLROnPlateau, patience: 1}\n    metric: '1.0 if step < 10 else 0.5'\n"
        )
    )
    # the metric expression sees the global step at which the epoch ends
    expected = per_epoch_by_hand(
        lambda o: L.ReduceLROnPlateau(o, patience=1),
        10,
        5,
        metric=lambda call: 1.0 if (call + 1) * 5 - 1 < 10 else 0.5,
    )
    assert same_bits(result.curves[0].groups[0].lr, expected)


def test_fractional_epoch_pattern_for_warm_restarts() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 200\nsteps_per_epoch: 7\ninterval: fractional_epoch\ncurves:\n"
            "  - scheduler: {name: CosineAnnealingWarmRestarts, T_0: 3, T_mult: 2, eta_min: 0.01}\n"
        )
    )
    optimizer = sgd()
    scheduler = L.CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=2, eta_min=0.01)
    iters, lrs = 7, []
    for epoch in range(200 // 7 + 1):
        for i in range(iters):
            if len(lrs) == 200:
                break
            lrs.append(optimizer.param_groups[0]["lr"])
            scheduler.step(epoch + i / iters)
    assert same_bits(result.curves[0].groups[0].lr, lrs)


def test_epoch_interval_needs_steps_per_epoch() -> None:
    with pytest.raises(LrplotError, match="interval: epoch needs steps_per_epoch"):
        lrplot.loads(
            "total_step: 10\ninterval: epoch\ncurves:\n  - scheduler: {name: StepLR, step_size: 1}\n"
        )


def test_fractional_epoch_is_refused_for_schedulers_whose_step_takes_no_epoch() -> None:
    config = lrplot.loads(
        "total_step: 10\nsteps_per_epoch: 2\ninterval: fractional_epoch\ncurves:\n"
        "  - scheduler: {name: ChainedScheduler, schedulers: [{name: StepLR, step_size: 1}]}\n"
    )
    with pytest.raises(LrplotError, match="does not take"):
        lrplot.simulate(config)


def test_one_cycle_length_counts_epochs_when_stepped_per_epoch() -> None:
    config = lrplot.loads(
        "total_step: 100\nsteps_per_epoch: 10\ninterval: epoch\ncurves:\n"
        "  - {optimizer: {momentum: 0.9}, scheduler: {name: OneCycleLR, max_lr: 1.0, total_steps: 10}}\n"
    )
    assert lrplot.simulate(config).curves[0].total_step == 100
    too_long = config.model_copy()
    too_long.curves[0].total_step = 110
    with pytest.raises(
        LrplotError,
        match=r"calls scheduler.step\(\), once per epoch, 11 times, so OneCycleLR needs total_steps >= 11, but it has total_steps=10",
    ):
        lrplot.simulate(too_long)


@pytest.mark.parametrize(
    ("config_name", "expected"),
    [
        ("schedulers/multistep_lr.yaml", [30, 60, 80]),
        ("schedulers/step_lr.yaml", [20, 40, 60, 80]),
        ("schedulers/sequential_lr.yaml", [20]),
        ("schedulers/cosine_annealing_warm_restarts.yaml", [10, 30, 70]),
    ],
)
def test_markers_sit_where_the_schedule_jumps(config_name: str, expected: list[int]) -> None:
    from tests.conftest import ROOT

    curve = lrplot.simulate(lrplot.load(ROOT / "configs" / config_name)).curves[0]
    assert curve.markers == expected


def test_markers_follow_epochs(tmp_path: Any) -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 100\nsteps_per_epoch: 10\ninterval: epoch\ncurves:\n"
            "  - scheduler: {name: MultiStepLR, milestones: [3, 6]}\n"
        )
    )
    assert result.curves[0].markers == [30, 60]
