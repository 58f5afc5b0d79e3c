"""Every shipped config runs, through the same code path as ``lrplot plot``."""

from __future__ import annotations

from pathlib import Path

import pytest

import lrplot
from tests.conftest import ROOT

CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))


def test_configs_are_shipped() -> None:
    names = {path.stem for path in CONFIGS}
    assert {
        "cosine_annealing",
        "lambda_lr",
        "multiplicative_lr",
        "reduce_on_plateau",
        "llm_warmup_cosine",
    } <= names
    assert len(list((ROOT / "configs" / "schedulers").glob("*.yaml"))) >= 16


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT / "configs")))
def test_shipped_config_plots(path: Path, tmp_path: Path) -> None:
    result = lrplot.simulate(lrplot.load(path))
    lrplot.write(result, [tmp_path / "figure.png", tmp_path / "data.csv"])
    assert (tmp_path / "figure.png").stat().st_size > 0
    assert result.warnings == []
    for curve in result.curves:
        for group in curve.groups:
            assert len(group.lr) == curve.total_step


def test_one_config_per_builtin_scheduler() -> None:
    from lrplot.plan.classes import scheduler_classes

    used = set()
    for path in (ROOT / "configs" / "schedulers").glob("*.yaml"):
        for curve in lrplot.load(path).curves:
            used.add(curve.scheduler.name)
    assert set(scheduler_classes()) <= used
