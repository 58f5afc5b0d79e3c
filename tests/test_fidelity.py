"""Every torch scheduler: lrplot's values equal torch stepped by hand, bit for bit.

Each case is a YAML snippet and the hand-written training-loop equivalent, built the
way the PyTorch docs do it: record ``param_groups[i]['lr']``, then ``scheduler.step()``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.optim import lr_scheduler as L
from torch.optim.swa_utils import SWALR

import lrplot
from tests.conftest import same_bits

STEPS = 120


def params(*lrs: float | None) -> list[dict[str, Any]]:
    groups = []
    for lr in lrs:
        group: dict[str, Any] = {"params": [torch.nn.Parameter(torch.zeros(1))]}
        if lr is not None:
            group["lr"] = lr
        groups.append(group)
    return groups


def by_hand(
    build: Callable[[], tuple[torch.optim.Optimizer, Any]],
    steps: int = STEPS,
    metric: Callable[[int, torch.optim.Optimizer], float] | None = None,
    momentum: str | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """The tutorial loop; returns lrs and momenta per group."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer, scheduler = build()
        lrs: list[list[float]] = [[] for _ in optimizer.param_groups]
        momenta: list[list[float]] = [[] for _ in optimizer.param_groups]
        for step in range(steps):
            for i, group in enumerate(optimizer.param_groups):
                lrs[i].append(group["lr"])
                if momentum == "betas":
                    momenta[i].append(group["betas"][0])
                elif momentum == "momentum":
                    momenta[i].append(group["momentum"])
            if step == steps - 1 and isinstance(scheduler, L.OneCycleLR):
                break  # one more step() would pass total_steps
            if metric is None:
                scheduler.step()
            else:
                scheduler.step(metric(step, optimizer))
    return lrs, momenta


def sgd(*lrs: float, **kw: Any) -> torch.optim.Optimizer:
    return torch.optim.SGD(params(*lrs), lr=1.0, **kw)


CASES: dict[str, tuple[str, Callable[[], tuple[Any, Any]]]] = {
    "LambdaLR": (
        "{name: LambdaLR, lr_lambda: 'step % 40 / 100.'}",
        lambda: (o := sgd(None), L.LambdaLR(o, lambda step: step % 40 / 100.0)),
    ),
    "LambdaLR-linear-decay": (
        "{name: LambdaLR, lr_lambda: 'max(0, 1 - step / 100)'}",
        lambda: (o := sgd(None), L.LambdaLR(o, lambda step: max(0, 1 - step / 100))),
    ),
    "MultiplicativeLR": (
        "{name: MultiplicativeLR, lr_lambda: '0.95'}",
        lambda: (o := sgd(None), L.MultiplicativeLR(o, lambda step: 0.95)),
    ),
    "MultiplicativeLR-conditional": (
        "{name: MultiplicativeLR, lr_lambda: '0.99 if step < 50 else 0.9'}",
        lambda: (o := sgd(None), L.MultiplicativeLR(o, lambda step: 0.99 if step < 50 else 0.9)),
    ),
    "StepLR": (
        "{name: StepLR, step_size: 7, gamma: 0.3}",
        lambda: (o := sgd(None), L.StepLR(o, step_size=7, gamma=0.3)),
    ),
    "MultiStepLR": (
        "{name: MultiStepLR, milestones: [10, 25, 70], gamma: 0.7}",
        lambda: (o := sgd(None), L.MultiStepLR(o, milestones=[10, 25, 70], gamma=0.7)),
    ),
    "ConstantLR": (
        "{name: ConstantLR, factor: 0.3, total_iters: 17}",
        lambda: (o := sgd(None), L.ConstantLR(o, factor=0.3, total_iters=17)),
    ),
    "LinearLR": (
        "{name: LinearLR, start_factor: 0.1, end_factor: 0.9, total_iters: 33}",
        lambda: (o := sgd(None), L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=33)),
    ),
    "ExponentialLR": (
        "{name: ExponentialLR, gamma: 0.97}",
        lambda: (o := sgd(None), L.ExponentialLR(o, gamma=0.97)),
    ),
    "PolynomialLR": (
        "{name: PolynomialLR, total_iters: 90, power: 2.5}",
        lambda: (o := sgd(None), L.PolynomialLR(o, total_iters=90, power=2.5)),
    ),
    "CosineAnnealingLR": (
        "{name: CosineAnnealingLR, T_max: 40, eta_min: 0.2}",
        lambda: (o := sgd(None), L.CosineAnnealingLR(o, T_max=40, eta_min=0.2)),
    ),
    "CosineAnnealingWarmRestarts": (
        "{name: CosineAnnealingWarmRestarts, T_0: 10, T_mult: 2, eta_min: 0.05}",
        lambda: (o := sgd(None), L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.05)),
    ),
    "CyclicLR": (
        "{name: CyclicLR, base_lr: 0.1, max_lr: 1.0, step_size_up: 9, mode: triangular2}",
        lambda: (
            o := sgd(None, momentum=0.9),
            L.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=9, mode="triangular2"),
        ),
    ),
    "OneCycleLR": (
        "{name: OneCycleLR, max_lr: 1.0, total_steps: 120}",
        lambda: (o := sgd(None, momentum=0.9), L.OneCycleLR(o, max_lr=1.0, total_steps=120)),
    ),
    "ReduceLROnPlateau": (
        "{name: ReduceLROnPlateau, patience: 3, factor: 0.5}",
        lambda: (o := sgd(None), L.ReduceLROnPlateau(o, patience=3, factor=0.5)),
    ),
    "SequentialLR": (
        "{name: SequentialLR, milestones: [20], schedulers: "
        "[{name: ConstantLR, factor: 0.1, total_iters: 20}, {name: ExponentialLR, gamma: 0.9}]}",
        lambda: (
            o := sgd(None),
            L.SequentialLR(
                o,
                schedulers=[
                    L.ConstantLR(o, factor=0.1, total_iters=20),
                    L.ExponentialLR(o, gamma=0.9),
                ],
                milestones=[20],
            ),
        ),
    ),
    "ChainedScheduler": (
        "{name: ChainedScheduler, schedulers: "
        "[{name: ConstantLR, factor: 0.1, total_iters: 20}, {name: ExponentialLR, gamma: 0.9}]}",
        lambda: (
            o := sgd(None),
            L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=20), L.ExponentialLR(o, gamma=0.9)]),
        ),
    ),
    "SWALR": (
        "{name: SWALR, swa_lr: 0.05, anneal_epochs: 30, anneal_strategy: linear}",
        lambda: (o := sgd(None), SWALR(o, swa_lr=0.05, anneal_epochs=30, anneal_strategy="linear")),
    ),
}


def simulate(yaml_text: str) -> Any:
    return lrplot.simulate(lrplot.loads(yaml_text))


@pytest.mark.parametrize("case", sorted(CASES))
def test_scheduler_matches_torch_bit_for_bit(case: str) -> None:
    scheduler_yaml, build = CASES[case]
    optimizer_yaml = "{name: SGD, lr: 1.0, momentum: 0.9}" if case in {"CyclicLR", "OneCycleLR"} else "{}"
    metric = "metric: lr" if case == "ReduceLROnPlateau" else ""
    result = simulate(
        f"total_step: {STEPS}\ncurves:\n  - optimizer: {optimizer_yaml}\n"
        f"    scheduler: {scheduler_yaml}\n    {metric}\n"
    )
    plateau_metric = (lambda step, opt: opt.param_groups[0]["lr"]) if metric else None
    expected, _ = by_hand(build, metric=plateau_metric)
    assert same_bits(result.curves[0].groups[0].lr, expected[0])


def test_every_builtin_scheduler_has_a_fidelity_case() -> None:
    from lrplot.plan.classes import scheduler_classes

    covered = {name.split("-")[0] for name in CASES}
    assert set(scheduler_classes()) <= covered


def test_cosine_resumed_with_last_epoch_and_initial_lr() -> None:
    result = simulate(
        """
        total_step: 100
        curves:
          - optimizer: {initial_lr: 1.0}
            scheduler: {name: CosineAnnealingLR, T_max: 40, eta_min: 0.5, last_epoch: 10}
        """
    )

    def build() -> tuple[Any, Any]:
        groups = params(None)
        groups[0]["initial_lr"] = 1.0
        optimizer = torch.optim.SGD(groups, lr=1.0)
        return optimizer, L.CosineAnnealingLR(optimizer, T_max=40, eta_min=0.5, last_epoch=10)

    expected, _ = by_hand(build, steps=100)
    assert same_bits(result.curves[0].groups[0].lr, expected[0])


def test_param_groups_with_own_lrs_and_per_group_lambdas() -> None:
    result = simulate(
        """
        total_step: 80
        curves:
          - optimizer:
              name: Adam
              lr: 0.1
              param_groups: [{name: backbone, lr: 0.01}, {name: head}]
            scheduler: {name: LambdaLR, lr_lambda: ["0.5 ** (step // 20)", "min(1.0, (step + 1) / 10)"]}
        """
    )

    def build() -> tuple[Any, Any]:
        optimizer = torch.optim.Adam(params(0.01, None), lr=0.1)
        lambdas = [lambda step: 0.5 ** (step // 20), lambda step: min(1.0, (step + 1) / 10)]
        return optimizer, L.LambdaLR(optimizer, lambdas)

    expected, _ = by_hand(build, steps=80)
    groups = result.curves[0].groups
    assert [g.name for g in groups] == ["backbone", "head"]
    assert same_bits(groups[0].lr, expected[0])
    assert same_bits(groups[1].lr, expected[1])


@pytest.mark.parametrize(
    ("optimizer_yaml", "optimizer_cls", "kind"),
    [
        ("{name: SGD, momentum: 0.9}", torch.optim.SGD, "momentum"),
        ("{name: Adam}", torch.optim.Adam, "betas"),
    ],
)
def test_one_cycle_records_momentum_or_beta1(optimizer_yaml: str, optimizer_cls: type, kind: str) -> None:
    result = simulate(
        f"""
        total_step: 100
        curves:
          - optimizer: {optimizer_yaml}
            scheduler: {{name: OneCycleLR, max_lr: 1.0, total_steps: 100}}
        """
    )
    extra = {"momentum": 0.9} if kind == "momentum" else {}

    def build() -> tuple[Any, Any]:
        optimizer = optimizer_cls(params(None), lr=1.0, **extra)
        return optimizer, L.OneCycleLR(optimizer, max_lr=1.0, total_steps=100)

    lrs, momenta = by_hand(build, steps=100, momentum=kind)
    group = result.curves[0].groups[0]
    assert same_bits(group.lr, lrs[0])
    assert group.momentum is not None and same_bits(group.momentum, momenta[0])


def test_schedulers_that_do_not_cycle_momentum_record_none() -> None:
    result = simulate("total_step: 5\ncurves:\n  - scheduler: {name: StepLR, step_size: 2}\n")
    assert result.curves[0].groups[0].momentum is None


def test_plateau_metric_expression_in_step_and_lr() -> None:
    result = simulate(
        """
        total_step: 60
        curves:
          - scheduler: {name: ReduceLROnPlateau, patience: 2}
            metric: "max(0.3, 1 - step / 20) + lr * 0"
        """
    )

    def metric(step: int, optimizer: Any) -> float:
        return max(0.3, 1 - step / 20) + optimizer.param_groups[0]["lr"] * 0

    expected, _ = by_hand(
        lambda: (o := sgd(None), L.ReduceLROnPlateau(o, patience=2)), steps=60, metric=metric
    )
    assert same_bits(result.curves[0].groups[0].lr, expected[0])


def test_plateau_replays_a_csv_log_relative_to_the_config(tmp_path) -> None:
    log = tmp_path / "logs" / "metrics.csv"
    log.parent.mkdir()
    losses = [1.0 / (1 + i) if i < 15 else 0.06 + (i % 3) * 0.001 for i in range(40)]
    log.write_text("step,val_loss\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(losses)))
    config = tmp_path / "plateau.yaml"
    config.write_text(
        "total_step: 40\ncurves:\n  - scheduler: {name: ReduceLROnPlateau, patience: 2}\n"
        "    metric: {csv: logs/metrics.csv, column: val_loss}\n"
    )
    result = lrplot.simulate(lrplot.load(config))
    expected, _ = by_hand(
        lambda: (o := sgd(None), L.ReduceLROnPlateau(o, patience=2)), steps=40, metric=lambda i, _: losses[i]
    )
    assert same_bits(result.curves[0].groups[0].lr, expected[0])


def test_llm_warmup_cosine_over_100k_steps_matches_torch() -> None:
    result = lrplot.simulate(lrplot.load("configs/llm_warmup_cosine.yaml"))

    def build() -> tuple[Any, Any]:
        optimizer = torch.optim.AdamW(params(None), lr=3.0e-4, betas=(0.9, 0.95), weight_decay=0.1)
        warmup = L.LinearLR(optimizer, start_factor=1.0e-3, end_factor=1.0, total_iters=2000)
        cosine = L.CosineAnnealingLR(optimizer, T_max=98000, eta_min=3.0e-5)
        return optimizer, L.SequentialLR(optimizer, [warmup, cosine], milestones=[2000])

    expected, _ = by_hand(build, steps=100_000)
    assert same_bits(result.curves[0].groups[0].lr, expected[0])
    assert math.isclose(result.curves[0].groups[0].lr.max(), 3.0e-4)


def test_no_torch_ordering_warning_reaches_the_user() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = simulate("total_step: 5\ncurves:\n  - scheduler: {name: StepLR, step_size: 2}\n")
    assert result.warnings == []
