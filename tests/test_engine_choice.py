"""One planner decides each curve's engine once (issue 31): the plan records it, the engines run it.

``lrplot.plan.plan`` plans torch-free where it can; every other curve gets its engine
(``fast`` or ``torch``), the line said about it, whether a later curve continues its
optimizer and what its run records, from :mod:`lrplot.plan.choice`, once. Nothing at run
time asks again.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

import lrplot
from lrplot.engines import fast
from lrplot.errors import LrplotError
from lrplot.plan import choice, plan
from tests.conftest import ROOT

# RMSprop: the torch-free planner declines, so every curve is torch-planned.
TORCH_PLANNED = """\
total_step: 60
curves:
  - label: one
    optimizer: {name: RMSprop, lr: 0.1, momentum: 0.9}
    scheduler: {name: OneCycleLR, max_lr: 0.5, total_steps: 60}
  - label: two
    optimizer: {from: one}
    scheduler: {name: CosineAnnealingLR, T_max: 60}
  - label: three
    optimizer: {name: RMSprop, lr: 0.1}
    scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 10, scale_fn: "1 / (x + 1)",
                cycle_momentum: false}
  - label: four
    optimizer: {name: RMSprop, lr: 0.1}
    scheduler: {name: StepLR, step_size: 7}
"""


def _lr(result: Any) -> list[bytes]:
    return [group.lr.tobytes() for curve in result.curves for group in curve.groups]


def test_the_plan_records_the_engine_the_line_the_continued_optimizer_and_the_records() -> None:
    plans = plan(lrplot.loads(TORCH_PLANNED))
    assert [p.engine for p in plans] == ["fast", "fast", "torch", "fast"]
    assert [p.keep_stepping for p in plans] == [True, False, False, False]
    assert [p.records for p in plans] == [("momentum",), (), (), ()]
    assert plans[2].slow_reason == "it does not cover CyclicLR with a scale_fn"
    assert {p.slow_reason for i, p in enumerate(plans) if i != 2} == {None}


def test_a_torch_free_plan_records_its_continued_optimizer_too() -> None:
    config = lrplot.loads(
        "total_step: 30\ncurves:\n  - {label: a, scheduler: {name: StepLR, step_size: 5}}\n"
        "  - {label: b, optimizer: {from: a}, scheduler: {name: ExponentialLR, gamma: 0.9}}\n"
    )
    plans = plan(config)
    assert [p.engine for p in plans] == ["no-torch", "no-torch"]
    assert [p.keep_stepping for p in plans] == [True, False]


def test_asked_for_torch_there_is_nothing_to_say() -> None:
    plans = plan(lrplot.loads(TORCH_PLANNED), engine="torch")
    assert {p.engine for p in plans} == {"torch"} and {p.slow_reason for p in plans} == {None}


def test_the_choice_is_made_once_per_curve_per_simulate(monkeypatch, cli, tmp_path: Path) -> None:
    calls: list[str] = []
    real = choice.slow_reasons

    def counted(curve_plan: Any, engine: str) -> list[str]:
        calls.append(curve_plan.curve.label)
        return real(curve_plan, engine)

    monkeypatch.setattr(choice, "slow_reasons", counted)
    config = lrplot.loads(TORCH_PLANNED)
    result = lrplot.simulate(config)
    assert calls == ["one", "two", "three", "four"]
    assert [c.engine for c in result.curves] == ["fast", "fast", "torch", "fast"]
    calls.clear()
    path = tmp_path / "c.yaml"
    path.write_text(TORCH_PLANNED)
    ran = cli("plot", path, "-o", tmp_path / "c.csv")  # plans every config, then simulates
    assert ran.exit_code == 0, ran.stderr
    assert calls == ["one", "two", "three", "four"]


def test_a_plan_forced_to_torch_by_hand_is_stepped_by_torch(monkeypatch) -> None:
    config = lrplot.loads(TORCH_PLANNED)
    decided = lrplot.simulate(config)
    plans = plan(config)
    for curve_plan in plans:
        curve_plan.engine = "torch"

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the fast engine ran a curve its plan gives to torch")

    monkeypatch.setattr(fast, "run", refuse)
    monkeypatch.setattr("lrplot.engines.free.run_segment", refuse)
    stepped = lrplot.simulate(config, plans=plans)
    assert {c.engine for c in stepped.curves} == {"torch"}
    assert _lr(stepped) == _lr(decided)  # the same doubles either way


def test_a_plan_the_planner_gives_to_the_fast_engine_is_run_by_it(monkeypatch) -> None:
    config = lrplot.loads(TORCH_PLANNED)
    ran: list[str] = []
    real = fast.run
    monkeypatch.setattr(
        fast,
        "run",
        lambda scheduler, *a, **k: ran.append(type(scheduler).__name__) or real(scheduler, *a, **k),
    )
    result = lrplot.simulate(config)
    assert ran == ["CosineAnnealingLR", "StepLR"]  # 'two' (through the general loop) and 'four'
    assert [c.engine for c in result.curves] == ["fast", "fast", "torch", "fast"]


def test_plans_for_another_engine_are_planned_again() -> None:
    config = lrplot.loads(TORCH_PLANNED)
    plans = plan(config, engine="torch")
    assert {c.engine for c in lrplot.simulate(config, plans=plans).curves} == {"fast", "torch"}


def test_engine_fast_is_refused_by_the_planner_before_anything_runs(monkeypatch) -> None:
    config = lrplot.loads(TORCH_PLANNED, name="c.yaml")
    monkeypatch.setattr(fast, "run", lambda *a, **k: pytest.fail("ran before the refusal"))
    with pytest.raises(LrplotError) as refused:
        plan(config, engine="fast")
    assert str(refused.value) == (
        "c.yaml:11: curve 'three': --engine fast cannot draw this curve: it does not cover "
        "CyclicLR with a scale_fn; use --engine auto"
    )


def test_engine_fast_names_the_attribute_this_torch_lacks(monkeypatch) -> None:
    monkeypatch.setitem(choice.READS, "StepLR", ("step_size", "_not_in_this_torch"))
    config = lrplot.loads(
        "total_step: 9\ncurves:\n  - {optimizer: {name: RMSprop}, scheduler: {name: StepLR, step_size: 2}}\n"
    )
    with pytest.raises(
        LrplotError, match=r"this torch's StepLR\._not_in_this_torch is missing; use --engine auto"
    ):
        plan(config, engine="fast")
    assert plan(config)[0].slow_reason == "it reads StepLR._not_in_this_torch, which this torch lacks"


def _construct(kind: str) -> Any:
    import torch
    from torch.optim import lr_scheduler as schedulers
    from torch.optim.swa_utils import SWALR

    def optimizer() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)

    o = optimizer()
    made = {
        "StepLR": lambda: schedulers.StepLR(o, 3),
        "MultiStepLR": lambda: schedulers.MultiStepLR(o, [3]),
        "LambdaLR": lambda: schedulers.LambdaLR(o, lambda e: 0.9),
        "MultiplicativeLR": lambda: schedulers.MultiplicativeLR(o, lambda e: 0.9),
        "ExponentialLR": lambda: schedulers.ExponentialLR(o, 0.9),
        "CosineAnnealingLR": lambda: schedulers.CosineAnnealingLR(o, 10),
        "CosineAnnealingWarmRestarts": lambda: schedulers.CosineAnnealingWarmRestarts(o, 10),
        "ChainedScheduler": lambda: schedulers.ChainedScheduler([schedulers.StepLR(o, 3)]),
        "SequentialLR": lambda: schedulers.SequentialLR(
            o, [schedulers.StepLR(o, 3), schedulers.StepLR(o, 3)], [2]
        ),
        "OneCycleLR": lambda: schedulers.OneCycleLR(o, 1.0, total_steps=10),
        "CyclicLR": lambda: schedulers.CyclicLR(o, 0.1, 1.0),
        "SWALR": lambda: SWALR(o, 0.1),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return made[kind]() if kind in made else getattr(schedulers, kind)(o)


@pytest.mark.parametrize("kind", sorted(choice.READS))
def test_what_the_planner_reads_off_a_class_is_what_its_objects_have(kind: str) -> None:
    """The planner checks the attributes the fast engine reads from the class (every
    ``self.name = ...`` its methods store), before anything is built: the same answer as
    the constructed object's, for every attribute the fast engine reads."""
    scheduler = _construct(kind)
    stored = choice.set_attributes(type(scheduler))
    extra = ("use_beta1", "base_momentums", "max_momentums") if kind in ("CyclicLR", "OneCycleLR") else ()
    for name in (*choice.READS[kind], *extra):
        assert (name in stored) == hasattr(scheduler, name), name


def test_a_class_without_the_attribute_is_seen_so() -> None:
    class Bare:
        def __init__(self) -> None:
            self.present = 1

    assert "present" in choice.set_attributes(Bare) and "absent" not in choice.set_attributes(Bare)


_PARALLEL = """\
total_step: 400
curves:
  - label: plain
    optimizer: {name: RMSprop, lr: 0.1}
    scheduler: {name: CosineAnnealingLR, T_max: 400}
  - label: cyc
    optimizer: {name: RMSprop, lr: 0.1, momentum: 0.9}
    scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 10, scale_fn: "1 / (x + 1)"}
  - label: once
    optimizer: {name: RMSprop, lr: 0.1, momentum: 0.9}
    scheduler: {name: OneCycleLR, max_lr: 0.5, total_steps: 400}
"""


def test_parallel_workers_run_the_parents_decision() -> None:
    config = lrplot.loads(_PARALLEL)
    serial = lrplot.simulate(config, workers=1)
    parallel = lrplot.simulate(config, workers=2)
    assert (
        [c.engine for c in parallel.curves] == [c.engine for c in serial.curves] == ["fast", "torch", "fast"]
    )
    assert [c.fallback for c in parallel.curves] == [c.fallback for c in serial.curves]
    assert parallel.fallback == serial.fallback is not None
    assert _lr(parallel) == _lr(serial)
    momentum = [g.momentum.tobytes() for c in parallel.curves for g in c.groups if g.momentum is not None]
    assert momentum == [
        g.momentum.tobytes() for c in serial.curves for g in c.groups if g.momentum is not None
    ]
    assert len(momentum) == 2


_OLD = sorted(Path("/work/torchvenvs").glob("2.2.*/bin/python"))


@pytest.mark.skipif(not _OLD, reason="torch 2.2 is installed here only as a separate environment")
def test_on_torch_2_2_the_planner_steps_torch_where_an_attribute_is_missing(tmp_path: Path) -> None:
    """torch 2.2's SWALR has no _anneal_strategy: the planner says so before anything is built."""
    config = tmp_path / "c.yaml"
    config.write_text(
        "total_step: 30\ncurves:\n  - label: swa\n    optimizer: {name: RMSprop, lr: 0.1}\n"
        "    scheduler: {name: SWALR, swa_lr: 0.01, anneal_epochs: 5}\n"
    )
    run = subprocess.run(
        [str(_OLD[0]), "-m", "lrplot", "plot", str(config), "-o", str(tmp_path / "c.csv")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LRPLOT_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert (
        f"lrplot: {config}: lrplot steps torch for curve 'swa': the fast engine reads "
        "SWALR._anneal_strategy, which this torch lacks"
    ) in run.stderr.splitlines()
    refused = subprocess.run(
        [str(_OLD[0]), "-m", "lrplot", "plot", str(config), "--engine", "fast", "-o", str(tmp_path / "d.csv")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LRPLOT_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert refused.returncode == 2
    assert "this torch's SWALR._anneal_strategy is missing; use --engine auto" in refused.stderr
    assert refused.stderr.splitlines()[-1] == (
        f"lrplot: error: {config}:5: curve 'swa': --engine fast cannot draw this curve: "
        "this torch's SWALR._anneal_strategy is missing; use --engine auto"
    )
