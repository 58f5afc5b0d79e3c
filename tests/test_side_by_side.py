"""Schedulers stepped side by side on one optimizer, against the hand-written loop they stand for."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as L

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import same_bits

CONFIG = """
total_step: {total}
steps_per_epoch: {per_epoch}
curves:
  - label: loop
    optimizer: {{name: SGD, lr: 0.1, momentum: 0.9}}
    side_by_side:
      - scheduler: {{name: LinearLR, start_factor: {start}, total_iters: {warmup}}}
      - scheduler: {{name: ReduceLROnPlateau, patience: {patience}, factor: 0.5}}
        interval: epoch
        metric: {metric}
"""


def hand_loop(
    total: int, per_epoch: int, start: float, warmup: int, patience: int, losses: list[float]
) -> list[float]:
    """The loop users write: a warmup every iteration, a plateau scheduler after each epoch."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    warmup_scheduler = L.LinearLR(optimizer, start_factor=start, total_iters=warmup)
    plateau = L.ReduceLROnPlateau(optimizer, patience=patience, factor=0.5)
    recorded: list[float] = []
    epoch = 0
    for step in range(total):
        recorded.append(optimizer.param_groups[0]["lr"])
        if step == total - 1:
            break  # the value after the last step is never used
        warmup_scheduler.step()
        if (step + 1) % per_epoch == 0:
            plateau.step(losses[epoch])
            epoch += 1
    return recorded


@settings(max_examples=25, deadline=None)
@given(
    per_epoch=st.integers(1, 20),
    epochs=st.integers(1, 8),
    start=st.floats(0.01, 1.0),
    warmup=st.integers(1, 60),
    patience=st.integers(0, 2),
)
def test_matches_the_hand_written_loop(
    per_epoch: int, epochs: int, start: float, warmup: int, patience: int
) -> None:
    total = per_epoch * epochs + 3
    losses = [1.0 / (1 + e % 3) for e in range(total)]  # improves, then stalls, repeatedly
    metric = f"1.0 / (1 + (step // {per_epoch}) % 3)"
    text = CONFIG.format(
        total=total, per_epoch=per_epoch, start=start, warmup=warmup, patience=patience, metric=repr(metric)
    )
    curve = lrplot.simulate(lrplot.loads(text)).curves[0]
    assert same_bits(curve.groups[0].lr, hand_loop(total, per_epoch, start, warmup, patience, losses))


def test_metric_log_rows_are_one_per_epoch(tmp_path: Path) -> None:
    (tmp_path / "val.csv").write_text("epoch,val_loss\n0,1.0\n1,0.9\n2,0.95\n3,0.97\n4,0.99\n")
    text = CONFIG.format(
        total=500, per_epoch=100, start=0.1, warmup=50, patience=0, metric="{csv: val.csv, column: val_loss}"
    )
    curve = lrplot.simulate(lrplot.loads(text, base_dir=tmp_path)).curves[0]
    assert same_bits(curve.groups[0].lr, hand_loop(500, 100, 0.1, 50, 0, [1.0, 0.9, 0.95, 0.97, 0.99]))
    assert curve.label == "loop"


def test_default_label_names_both_schedulers() -> None:
    text = CONFIG.format(total=20, per_epoch=5, start=0.5, warmup=5, patience=1, metric="lr").replace(
        "  - label: loop\n", "  -\n"
    )
    assert lrplot.loads(text).curves[0].label == "LinearLR + ReduceLROnPlateau"


def test_short_metric_log_names_the_member(tmp_path: Path) -> None:
    (tmp_path / "val.csv").write_text("val_loss\n1.0\n")
    text = CONFIG.format(
        total=500, per_epoch=100, start=0.1, warmup=50, patience=0, metric="{csv: val.csv, column: val_loss}"
    )
    with pytest.raises(
        LrplotError,
        match=r"<config>:11: .*has 1 rows of 'val_loss', but the curve calls scheduler.step\(\) 4 times",
    ):
        lrplot.loads(text, base_dir=tmp_path) and lrplot.simulate(lrplot.loads(text, base_dir=tmp_path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("steps_per_epoch: 100\n", ""), "interval: epoch needs steps_per_epoch"),
        (lambda t: t.replace("        metric: lr\n", ""), "ReduceLROnPlateau needs 'metric:'"),
        (
            lambda t: t.replace(
                "    side_by_side:", "    scheduler: {name: StepLR, step_size: 1}\n    side_by_side:"
            ),
            "not scheduler and side_by_side",
        ),
        (lambda t: t.replace("total_iters: 50}", "total_iter: 50}"), "<config>:8: .*no keyword 'total_iter'"),
    ],
)
def test_mistakes_name_the_member(change, message: str) -> None:
    text = change(CONFIG.format(total=500, per_epoch=100, start=0.1, warmup=50, patience=0, metric="lr"))
    with pytest.raises(LrplotError, match=message):
        lrplot.simulate(lrplot.loads(text))
