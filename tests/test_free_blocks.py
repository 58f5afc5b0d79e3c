"""OneCycleLR's phases computed a block of steps at a time give torch's doubles at every block edge.

lrplot.engines.free._one_cycle_phase runs torch's arithmetic on float64 arrays (math.cos
itself for the cosine), ``_CHUNK`` steps at a time; a tiny block size puts block edges
everywhere, including on phase boundaries and the last step.
"""

from __future__ import annotations

import json

import pytest

import lrplot
from lrplot.engines import free

OPTIMIZERS = [
    {"name": "SGD", "lr": 0.1, "momentum": 0.9},
    {"name": "Adam", "lr": 0.01},
    {"name": "SGD", "lr": 1},  # int lrs: torch's arithmetic promotes them as numpy does
]


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["sgd-momentum", "adam-beta1", "int-lr"])
@pytest.mark.parametrize("steps", [1001, 640])  # the whole cycle, or stopped inside a phase
def test_one_cycle_in_blocks_is_torchs_doubles(monkeypatch, anneal, three_phase, optimizer, steps) -> None:
    monkeypatch.setattr(free, "_CHUNK", 7)
    scheduler = {
        "name": "OneCycleLR", "max_lr": 3, "total_steps": 1001, "anneal_strategy": anneal,
        "three_phase": three_phase, "pct_start": 0.37,
    }  # fmt: skip
    curve = {"optimizer": optimizer, "scheduler": scheduler}
    config = lrplot.loads(json.dumps({"total_step": steps, "curves": [curve]}), name="c.json")
    mine = lrplot.simulate(config)
    theirs = lrplot.simulate(config, engine="torch")
    assert mine.curves[0].engine == "no-torch"
    for a, b in zip(mine.curves[0].groups, theirs.curves[0].groups, strict=True):
        assert a.lr.tobytes() == b.lr.tobytes()
        assert (a.momentum is None) == (b.momentum is None)
        if a.momentum is not None:
            assert a.momentum.tobytes() == b.momentum.tobytes()


@pytest.mark.parametrize("engine", ["auto", "fast"])  # no torch, and on torch's constructed state
@pytest.mark.parametrize(
    ("t_max", "steps", "last_epoch"),
    [(7, 200, -1), (50, 333, -1), (1, 40, -1), (13, 300, 41), (64, 64, -1), (5, 2, -1), (9, 1, -1)],
)
def test_cosine_annealing_in_blocks_is_torchs_doubles(monkeypatch, engine, t_max, steps, last_epoch) -> None:
    """Blocks of 7 steps: restarts (every 2 * T_max) at a block's first, middle and last step."""
    from lrplot.engines import stepping

    monkeypatch.setattr(free, "_CHUNK", 7)
    monkeypatch.setattr(stepping, "_CHUNK", 7)
    optimizer = {"name": "SGD", "lr": 0.1, "momentum": 0.9}
    if last_epoch != -1:
        optimizer["initial_lr"] = 0.2
    scheduler = {"name": "CosineAnnealingLR", "T_max": t_max, "eta_min": 0.003, "last_epoch": last_epoch}
    config = lrplot.loads(
        json.dumps({"total_step": steps, "curves": [{"optimizer": optimizer, "scheduler": scheduler}]}),
        name="c.json",
    )
    mine = lrplot.simulate(config, engine=engine)
    theirs = lrplot.simulate(config, engine="torch")
    assert mine.curves[0].engine == ("no-torch" if engine == "auto" else "fast")
    assert mine.curves[0].groups[0].lr.tobytes() == theirs.curves[0].groups[0].lr.tobytes()


def test_cosine_annealing_in_blocks_fails_where_torch_divides_by_zero() -> None:
    """1 + cos(pi * (e - 1) / T_max) is 0.0 away from a restart only for a huge T_max: the block
    falls back to the step-by-step loop, which fails at the very step torch does."""
    from array import array

    from lrplot.errors import StepFailed
    from lrplot.plan import cosine_blocks

    class State:
        T_max, eta_min, base_lrs = 10**9, 0.0, [0.1]

    steps = 20
    trace = array("d", [0.0]) * steps
    epoch = 10**9 - 5  # 1 + cos(pi * (T_max - 1) / T_max) == 0.0: a few steps on, inside the first block
    with pytest.raises(StepFailed) as failed:
        cosine_blocks.run_cosine(State(), 0.05, epoch, trace, steps, None, 7)
    expected = None
    try:
        cosine_blocks.run_cosine_steps(State(), 0.05, epoch, array("d", [0.0]) * steps, 0, steps, None, 7)
    except StepFailed as error:
        expected = error
    assert expected is not None and failed.value.step == expected.step
    assert isinstance(failed.value.cause, ZeroDivisionError)
