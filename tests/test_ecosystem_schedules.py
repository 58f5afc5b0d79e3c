"""axolotl's schedules (cited copies) and DeepSpeed's (the installed classes) behind lrplot's drivers."""

from __future__ import annotations

import inspect
import itertools
import json
import math

import pytest
import torch

from lrplot.formats.deepspeed import PARAMETERS
from lrplot.plan.drivers.axolotl import AxolotlScheduler


def stepped(scheduler_factory, steps: int, lr: float = 0.01) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = scheduler_factory(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_cosine_with_constant_lr_ratio_holds_min_lr_as_axolotls_own_test_asserts() -> None:
    # axolotl tests/test_schedulers.py (067b021c): 1000 steps, warmup 10, min ratio 0.1, constant ratio 0.8
    lrs = stepped(
        lambda o: AxolotlScheduler(o, "cosine_warmup_decay_constant", 10, 1000, 0.1, 0.8), 1000 + 11
    )
    assert lrs[0] == 0 and lrs[10] == 0.01
    assert lrs[10 + 800] == 0.01 * 0.1 and lrs[-1] == 0.01 * 0.1


def test_cosine_min_lr_ends_at_the_ratio() -> None:
    lrs = stepped(lambda o: AxolotlScheduler(o, "cosine_min_lr", 5, 50, min_lr_ratio=0.2), 51)
    assert lrs[5] == 0.01 and lrs[50] == pytest.approx(0.002)


def test_quadratic_warmup_is_squared() -> None:
    lrs = stepped(lambda o: AxolotlScheduler(o, "cosine_quadratic_warmup", 4, 40), 5)
    assert lrs[:5] == pytest.approx([0.0, 0.01 / 16, 0.01 / 4, 0.01 * 9 / 16, 0.01])


def test_rex_starts_inside_its_warmup_and_ends_at_min_lr() -> None:
    # RexLR passes last_epoch=0 to LRScheduler, whose first step() makes it 1: no zero-lr step
    lrs = stepped(lambda o: AxolotlScheduler(o, "rex", 4, 20, min_lr_ratio=0.1, max_lr=0.01), 22)
    assert lrs[0] == pytest.approx(0.01 / 4) and lrs[3] == 0.01
    assert lrs[19] == pytest.approx(0.001) and all(b <= a for a, b in itertools.pairwise(lrs[3:]))


def test_an_unknown_axolotl_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown axolotl schedule 'cosine_typo'"):
        stepped(lambda o: AxolotlScheduler(o, "cosine_typo", 1, 2), 1)


@pytest.mark.parametrize("kind", list(PARAMETERS))
def test_deepspeed_parameter_table_is_the_installed_classes(kind: str) -> None:
    schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    signature = list(inspect.signature(getattr(schedules, kind)).parameters)[1:]
    assert tuple(signature) == PARAMETERS[kind]


def test_deepspeed_warmup_lr_log_default_both_first_steps_at_min_lr() -> None:
    pytest.importorskip("deepspeed")
    from lrplot.plan.drivers.deepspeed import DeepSpeedScheduler

    arguments = {"warmup_min_lr": 0.0, "warmup_max_lr": 0.01, "warmup_num_steps": 10}
    lrs = stepped(lambda o: DeepSpeedScheduler(o, "WarmupLR", arguments), 12)
    assert lrs[0] == lrs[1] == 0.0 and lrs[2] == 0.01 * (1 / math.log(10) * math.log(2)) and lrs[11] == 0.01


def test_deepspeed_one_cycle_records_beta1_as_deepspeed_cycles_it() -> None:
    schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    import lrplot

    arguments = {"cycle_min_lr": 0.001, "cycle_max_lr": 0.01, "cycle_first_step_size": 20,
                 "cycle_min_mom": 0.85, "cycle_max_mom": 0.95, "decay_step_size": 10, "decay_lr_rate": 0.1}  # fmt: skip
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.01, betas=(0.9, 0.999))
    scheduler = schedules.OneCycle(optimizer, **arguments)
    lrs, betas = [], []
    for _ in range(60):
        lrs.append(optimizer.param_groups[0]["lr"])
        betas.append(optimizer.param_groups[0]["betas"][0])
        optimizer.step()
        scheduler.step()
    config = {
        "total_step": 60,
        "curves": [{
            "optimizer": {"name": "AdamW", "lr": 0.01, "betas": [0.9, 0.999]},
            "scheduler": {"name": "lrplot.plan.drivers.deepspeed.DeepSpeedScheduler", "type": "OneCycle",
                          "arguments": arguments},
        }],
    }  # fmt: skip
    group = lrplot.simulate(lrplot.loads(json.dumps(config), name="c.json")).curves[0].groups[0]
    assert group.lr.tolist() == lrs
    assert group.momentum is not None and group.momentum.tolist() == betas
    assert min(betas) == 0.85 and max(betas) == 0.95
