"""fairseq configs: real configs plot as they are, bit for bit as fairseq's own schedulers.

The oracle is a recording (tests/fixtures/fairseq/recording.json) made by tools/record_fairseq.py:
fairseq's real ``fairseq/optim/lr_scheduler/*.py`` and ``fairseq_optimizer.py`` at commit
3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99, loaded from its git checkout on stand-in packages (fairseq
itself does not install here), configs made OmegaConf structured configs of their real dataclasses,
stepped through fairseq's real Trainer methods (trainer.py) in train.py's loop. lrplot's reproduction is compared at every
recorded update (every update of the short runs; 4,000 spread over each long one and every epoch
boundary).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import format_module
from tests.conftest import FIXTURES, ROOT

FAIRSEQ = FIXTURES / "fairseq"
RECORDING = json.loads((FAIRSEQ / "recording.json").read_text())["cases"]
LONG = {"data2vec_text_base", "hubert_base", "roberta_pretraining_base"}  # 125k-1M updates


def _load(case: dict, tmp_path: Path) -> lrplot.Config:
    if "file" in case:
        path = FAIRSEQ / case["file"]
    else:
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(case["data"]), encoding="utf-8")
    return lrplot.load(path, steps_per_epoch=case.get("steps_per_epoch"))


def _lrs(config: lrplot.Config) -> np.ndarray:
    return lrplot.simulate(config, workers=1).curves[0].groups[0].lr


@pytest.mark.parametrize("name", sorted(set(RECORDING) - LONG))
def test_every_update_matches_the_recording_of_fairseqs_schedulers(name: str, tmp_path: Path) -> None:
    case = RECORDING[name]
    lrs = _lrs(_load(case, tmp_path))
    assert len(lrs) == case["updates"]
    recorded = np.array(case["lrs"])
    got = lrs if case["indices"] is None else lrs[case["indices"]]
    assert np.array_equal(got, recorded), np.flatnonzero(got != recorded)[:5]


@pytest.mark.parametrize("name", sorted(LONG))
def test_long_real_runs_match_the_recording_at_the_recorded_updates(name: str, tmp_path: Path) -> None:
    case = RECORDING[name]
    lrs = _lrs(_load(case, tmp_path))
    assert len(lrs) == case["updates"]
    assert np.array_equal(lrs[case["indices"]], np.array(case["lrs"]))


def test_max_epoch_ends_a_run_before_max_update(tmp_path: Path) -> None:
    """rte.yaml: max_update 2036 but max_epoch 10 of 156 batches: 1,560 updates, epochs on the axis."""
    config = lrplot.load(FAIRSEQ / "roberta/config/finetuning/rte.yaml", steps_per_epoch=156)
    assert config.curves[0].total_step == 1560 and config.curves[0].steps_per_epoch == 156


def test_a_real_tri_stage_config_needs_no_epoch_count() -> None:
    config = lrplot.load(FAIRSEQ / "wav2vec/config/finetuning/base_10h.yaml")
    assert config.curves[0].total_step == 20000 and config.curves[0].steps_per_epoch is None


def test_stop_min_lr_ends_the_run_at_an_epochs_start(tmp_path: Path) -> None:
    case = RECORDING["cosine_stop_min_lr"]
    assert case["stopped_by"] == "stop_min_lr"
    assert _load(case, tmp_path).curves[0].total_step == case["updates"] < 400


BAD = [
    (
        {
            "lr_scheduler": {"_name": "inverse_sqrt"},
            "optimization": {"lr": [0.1], "max_update": 10, "stop_min_lr": 1e-9},
        },
        [],
        "fairseq stops before the first update: its starting lr 0 <= optimization.stop_min_lr 1e-09",
    ),
    (
        {"lr_scheduler": {"_name": "inverse_sqrt", "warmup_updates": 0}, "optimization": {"max_update": 10}},
        [],
        "fairseq's inverse_sqrt scheduler refuses it: it divides by zero (warmup_updates is 0)",
    ),
    (
        {
            "lr_scheduler": {"_name": "tri_stage", "phase_ratio": [0.1, 0.4, 0.4]},
            "optimization": {"max_update": 10},
        },
        [],
        "fairseq's tri_stage scheduler refuses it: phase ratios must add up to 1",
    ),
    (
        {"lr_scheduler": {"_name": "cosine", "warmup_update": 5}, "optimization": {"max_update": 10}},
        [],
        "lr_scheduler.warmup_update is not a field of fairseq's cosine scheduler",
    ),
    (
        {"lr_scheduler": {"_name": "cosine"}, "optimization": {"lr": [0.1, 0.2], "max_update": 10}},
        [],
        "Cannot use a fixed learning rate schedule with cosine",
    ),
    (
        {"lr_scheduler": {"_name": "polynomial_decay"}, "optimization": {"max_epoch": 3}},
        ["--steps-per-epoch", "5"],
        "fairseq's polynomial_decay scheduler refuses it: an assertion of its __init__ fails",
    ),
    (
        {"lr_scheduler": {"_name": "fixed"}, "optimization": {"max_epoch": 3}},
        [],
        "optimization.max_epoch sets the run's length, so the updates per epoch are needed",
    ),
    (
        {"lr_scheduler": {"_name": "fixed"}, "optimization": {"lr": [0.1]}},
        [],
        "fairseq trains until stopped by hand without optimization.max_update or max_epoch",
    ),
    (
        {"lr_scheduler": {"_name": "triangular"}, "optimization": {"max_update": 10}},
        [],
        "lr_scheduler triangular: it is not read yet",
    ),
    (
        {"lr_scheduler": {"_name": "noam"}, "optimization": {"max_update": 10}},
        [],
        "lr_scheduler 'noam' is not one of fairseq's",
    ),
    (
        {"lr_scheduler": {"_name": "step", "lr_decay": "fast"}, "optimization": {"max_update": 10}},
        [],
        "lr_scheduler.lr_decay should be a number, got 'fast'",
    ),
]


@pytest.mark.parametrize(("data", "options", "message"), BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_input_is_one_line_naming_the_culprit(cli, tmp_path: Path, data: dict, options: list,
                                                  message: str) -> None:  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"task": {"_name": "translation"}, **data}), encoding="utf-8")
    result = cli("plot", path, *options, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.csv").exists()


def test_a_composite_optimizers_pass_through_is_refused_naming_it() -> None:
    with pytest.raises(LrplotError, match=r"lr_scheduler pass_through: it hands each group"):
        lrplot.load(FAIRSEQ / "wav2vec/unsupervised/config/gan/w2vu.yaml")


def test_plateau_says_the_metric_is_not_replayed(tmp_path: Path) -> None:
    from lrplot.formats import convert
    from lrplot.formats.base import FormatOptions

    data = RECORDING["reduce_lr_on_plateau_warmup"]["data"]
    converted = convert(data, FormatOptions(steps_per_epoch=40))
    assert any("cannot be replayed" in note for note in converted.notes)


def test_fairseq_claims_its_configs_and_only_it() -> None:
    identify = format_module("lrplot.formats.fairseq").identify
    assert identify(None, {"optimization": {"lr": [0.1], "max_update": 5}}).score < 0.5
    assert identify(None, {"optimization": {"max_update": 5}, "lr_scheduler": {"_name": "cosine"}}).confident
    assert not identify(None, {"optimization": {"max_update": 5}, "lr_scheduler": {"_name": "cosine"},
                               "optimizer": {"_target_": "torch.optim.AdamW"}}).confident  # fmt: skip


def test_cli_subprocess_plots_a_real_fairseq_config(tmp_path: Path) -> None:
    out = tmp_path / "rte.csv"
    result = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(FAIRSEQ / "roberta/config/finetuning/rte.yaml"),
         "--steps-per-epoch", "156", "-o", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = out.read_text().splitlines()
    assert rows[0].startswith("curve,group,step,lr") and len(rows) == 1 + 1560


def test_the_figure_shows_epochs_only_when_the_run_has_them() -> None:
    """fairseq batches by tokens: no epoch axis from max_update alone; with --steps-per-epoch and
    epochs of equal length, the top axis' ticks stand over the epoch boundaries."""
    from tests.epoch_axis import drawn, epoch_axes, tick_steps

    alone = lrplot.simulate(lrplot.load(FAIRSEQ / "wav2vec" / "config" / "finetuning" / "base_10h.yaml"))
    assert alone.steps_per_epoch is None and epoch_axes(drawn(alone)) == []
    rte = lrplot.simulate(
        lrplot.load(FAIRSEQ / "roberta" / "config" / "finetuning" / "rte.yaml", steps_per_epoch=156)
    )
    assert rte.steps_per_epoch == 156
    ticks, steps = tick_steps(*epoch_axes(drawn(rte))[0])
    assert steps == pytest.approx(ticks * 156, abs=1e-3)
