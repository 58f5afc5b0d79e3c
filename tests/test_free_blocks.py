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
