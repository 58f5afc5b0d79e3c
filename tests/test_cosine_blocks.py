"""CosineAnnealingLR a block at a time (lrplot.plan.cosine_blocks) is torch's doubles, bit for bit.

The reference is torch itself, stepped by hand (``optimizer.param_groups[0]["lr"]`` recorded,
then ``scheduler.step()``), never lrplot's own scalar recurrence. ``eta_min == 0`` takes the
running product (``np.multiply.accumulate``), any other ``eta_min`` the generator; blocks of 7
steps put block edges on restarts (``(e - 1 - T_max) % (2 * T_max) == 0``, where torch uses its
other formula), on the first and the last step.
"""

from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.engines import free, stepping
from lrplot.lint import lint
from lrplot.plan import cosine_blocks

EXAMPLES = int(os.environ.get("LRPLOT_FUZZ_EXAMPLES", "60"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=os.environ.get("LRPLOT_FUZZ_EXAMPLES") is None,
)


def torch_by_hand(
    lr: float | list[float], t_max: int, eta_min: float, steps: int, last_epoch: int = -1
) -> list[np.ndarray]:
    """torch's CosineAnnealingLR on SGD (one param group per lr), each group's lr recorded before
    every ``scheduler.step()``."""
    import torch

    lrs = lr if isinstance(lr, list) else [lr]
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": value} for value in lrs]
    optimizer = torch.optim.SGD(groups, lr=lrs[0])
    if last_epoch != -1:
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=t_max, eta_min=eta_min, last_epoch=last_epoch
        )
        values: list[list[float]] = [[] for _ in lrs]
        for _ in range(steps):
            for trace, group in zip(values, optimizer.param_groups, strict=True):
                trace.append(group["lr"])
            scheduler.step()
    return [np.array(trace, dtype=np.float64) for trace in values]


def lrplot_values(
    lr: float | list[float], t_max: int, eta_min: float, steps: int, last_epoch: int = -1
) -> list[np.ndarray]:
    lrs = lr if isinstance(lr, list) else [lr]
    resumed = last_epoch != -1
    optimizer: dict = {"name": "SGD", "lr": lrs[0]}
    if len(lrs) > 1:
        groups = [{"name": f"g{i}", "lr": value} for i, value in enumerate(lrs)]
        optimizer["param_groups"] = [
            {**group, "initial_lr": group["lr"]} if resumed else group for group in groups
        ]
    elif resumed:
        optimizer["initial_lr"] = lrs[0]
    scheduler = {"name": "CosineAnnealingLR", "T_max": t_max, "eta_min": eta_min, "last_epoch": last_epoch}
    text = json.dumps({"total_step": steps, "curves": [{"optimizer": optimizer, "scheduler": scheduler}]})
    result = lrplot.simulate(lrplot.loads(text, name="c.json"))
    assert result.curves[0].engine == "no-torch"
    return [group.lr for group in result.curves[0].groups]


def same_doubles(mine: list[np.ndarray], theirs: list[np.ndarray]) -> bool:
    return len(mine) == len(theirs) and all(
        a.tobytes() == b.tobytes() for a, b in zip(mine, theirs, strict=True)
    )


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(free, "_CHUNK", 7)
    monkeypatch.setattr(stepping, "_CHUNK", 7)


@PROPERTY
@given(
    t_max=st.integers(1, 60),
    steps=st.integers(1, 400),
    eta_min=st.sampled_from([0, 0.0, 0.003, 1e-6, 0.05, -0.0]),
    lr=st.sampled_from([0.1, 1, 3e-4, 0.0, 0.05]),
    last_epoch=st.sampled_from([-1, 0, 1, 5, 37]),
    more=st.lists(st.sampled_from([0.03, 2, 1e-5, 0.0]), max_size=2),  # more param groups
)
def test_blocks_are_torchs_doubles(small_blocks, t_max, steps, eta_min, lr, last_epoch, more) -> None:
    lrs = [lr, *more] if more else lr
    mine = lrplot_values(lrs, t_max, eta_min, steps, last_epoch)
    theirs = torch_by_hand(lrs, t_max, eta_min, steps, last_epoch)
    assert same_doubles(mine, theirs)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_a_million_steps_are_torchs_doubles(eta_min) -> None:
    """10^6 steps in the real block size, 500 restarts, two param groups: the running product
    (eta_min 0) and the generator accumulate no difference from torch over a long run."""
    steps, t_max = 1_000_000, 1000
    mine = lrplot_values([0.1, 0.02], t_max, eta_min, steps)
    theirs = torch_by_hand([0.1, 0.02], t_max, eta_min, steps)
    assert same_doubles(mine, theirs)


def test_running_product_is_sequential() -> None:
    """np.multiply.accumulate rounds once a step, left to right (not pairwise), also in place
    as run_cosine calls it: the very doubles of a Python loop over a million random factors."""
    rng = np.random.default_rng(31)
    factors = 1 + rng.standard_normal(1_000_000) * 1e-3
    chain = np.concatenate(([0.1], factors))
    expected = [0.1]
    for factor in factors.tolist():
        expected.append(expected[-1] * factor)
    assert np.multiply.accumulate(chain).tobytes() == np.array(expected).tobytes()
    np.multiply.accumulate(chain, out=chain)
    assert chain.tobytes() == np.array(expected).tobytes()


def test_zero_eta_min_keeps_torchs_signed_zeros() -> None:
    """torch's ``+ eta_min`` turns a -0.0 product into +0.0: an lr of -0.0 is recorded as -0.0 at
    step 0 only, then +0.0 (the product alone would keep -0.0)."""
    (mine,) = lrplot_values(-0.0, 10, 0.0, 30)
    (theirs,) = torch_by_hand(-0.0, 10, 0.0, 30)
    assert mine.tobytes() == theirs.tobytes()
    assert math.copysign(1, mine[0]) < 0 and all(math.copysign(1, value) > 0 for value in mine[1:])


def test_product_only_for_a_positive_zero() -> None:
    assert cosine_blocks._is_positive_zero(0) and cosine_blocks._is_positive_zero(0.0)
    assert not cosine_blocks._is_positive_zero(-0.0)
    assert not cosine_blocks._is_positive_zero(1e-300)


@pytest.mark.parametrize(
    ("t_max", "eta_min", "steps"),
    [(100, 0.0, 1000), (100, 0.01, 1000), (999, 0.0, 1000), (1000, 0.01, 1000), (30, 0.001, 250)],
)
def test_lint_findings_equal_torchs(t_max, eta_min, steps) -> None:
    """The linter (LR001's climb, its verified fix) finds the same on the block values as on
    torch's own: every finding, message and suggestion included."""
    scheduler = {"name": "CosineAnnealingLR", "T_max": t_max, "eta_min": eta_min}
    text = json.dumps(
        {"total_step": steps, "curves": [{"optimizer": {"name": "SGD", "lr": 0.1}, "scheduler": scheduler}]}
    )
    found = []
    for engine in ("auto", "torch"):
        config = lrplot.loads(text, name="c.json")
        result = lrplot.simulate(config, engine=engine)
        found.append(lint(config, result))
    assert found[0] == found[1]
    if t_max < steps - 1:
        assert [finding.id for finding in found[0]] == ["LR001"]


def test_several_groups_fail_where_torch_divides_by_zero() -> None:
    """A block where 1 + cos(pi * (e - 1) / T_max) is 0.0 away from a restart runs step by step
    for every group and fails at the step torch does (ZeroDivisionError in its first group)."""
    from array import array

    from lrplot.errors import StepFailed

    class State:
        T_max, eta_min, base_lrs = 10**9, 0.0, [0.1, 0.02]

    steps = 20
    epoch = 10**9 - 5
    with pytest.raises(StepFailed) as failed:
        cosine_blocks.run_cosine_groups(
            State(), [0.05, 0.01], epoch, [array("d", [0.0]) * steps] * 2, steps, None, 7
        )
    with pytest.raises(StepFailed) as alone:
        cosine_blocks.run_cosine_steps(State(), 0.05, epoch, array("d", [0.0]) * steps, 0, steps, None, 7)
    assert failed.value.step == alone.value.step and isinstance(failed.value.cause, ZeroDivisionError)


@pytest.mark.parametrize("eta_min", [0.0, 0.003])
def test_on_torchs_constructed_scheduler(small_blocks, eta_min) -> None:
    """The fast engine (torch builds the optimizer and scheduler, lrplot continues them) takes
    the same blocks for two groups, resumed."""
    optimizer = {
        "name": "SGD",
        "lr": 0.1,
        "param_groups": [
            {"name": "a", "lr": 0.1, "initial_lr": 0.1},
            {"name": "b", "lr": 0.02, "initial_lr": 0.02},
        ],
    }
    scheduler = {"name": "CosineAnnealingLR", "T_max": 13, "eta_min": eta_min, "last_epoch": 41}
    text = json.dumps({"total_step": 300, "curves": [{"optimizer": optimizer, "scheduler": scheduler}]})
    result = lrplot.simulate(lrplot.loads(text, name="c.json"), engine="fast")
    assert result.curves[0].engine == "fast"
    mine = [group.lr for group in result.curves[0].groups]
    assert same_doubles(mine, torch_by_hand([0.1, 0.02], 13, eta_min, 300, 41))
