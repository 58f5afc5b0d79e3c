"""nanoGPT configs: train.py's schedule, checked against values nanoGPT's own get_lr produced.

``tests/fixtures/nanogpt/golden_get_lr.json`` holds the outputs of train.py's ``get_lr``
(karpathy/nanoGPT commit dc81cb368ce3e5761f298726fb3fade1b0ca5901, lines 230-242) for 300
seeded parameter sets and the full loops of two real configs, recorded by running that
function (its code is not kept here).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import lrplot
from lrplot.plan.drivers.nanogpt import get_lr
from tests.conftest import FIXTURES, ROOT

CONFIGS = FIXTURES / "nanogpt" / "config"
GOLDEN = json.loads((FIXTURES / "nanogpt" / "golden_get_lr.json").read_text())


@pytest.mark.parametrize(
    "case", GOLDEN["cases"], ids=lambda c: f"warmup{c['warmup_iters']}-decay{c['lr_decay_iters']}"
)
def test_get_lr_is_train_pys_to_the_double(case: dict[str, Any]) -> None:
    values = {k: case[k] for k in ("learning_rate", "warmup_iters", "lr_decay_iters", "min_lr")}
    assert [get_lr(it, **values) for it in case["iterations"]] == case["lr"]


@pytest.mark.parametrize(
    ("name", "values"),
    [
        (
            "train_shakespeare_char.py",
            dict(
                learning_rate=1e-3,
                warmup_iters=100,
                lr_decay_iters=5000,
                min_lr=1e-4,
                max_iters=5000,
                decay_lr=True,
            ),
        ),
        (
            "finetune_shakespeare.py",
            dict(
                learning_rate=3e-5,
                warmup_iters=2000,
                lr_decay_iters=600000,
                min_lr=6e-5,
                max_iters=20,
                decay_lr=False,
            ),
        ),
    ],
)
def test_real_configs_plot_the_lr_train_py_sets(name: str, values: dict[str, Any]) -> None:
    config = lrplot.load(CONFIGS / name)
    result = lrplot.simulate(config, workers=1)
    assert result.curves[0].groups[0].lr.tolist() == GOLDEN["train_py_loops"][name]
    assert len(GOLDEN["train_py_loops"][name]) == values["max_iters"] + 1


def test_train_gpt2_runs_max_iters_plus_one_iterations_over_train_py_defaults() -> None:
    config = lrplot.load(CONFIGS / "train_gpt2.py", sets=["total_step=3000"])
    curve = config.curves[0]
    assert curve.scheduler.keywords == dict(
        learning_rate=6e-4, warmup_iters=2000, lr_decay_iters=600000, min_lr=6e-5, decay_lr=True
    )
    assert lrplot.load(CONFIGS / "train_gpt2.py").curves[0].total_step == 600001
    lr = lrplot.simulate(config, workers=1).curves[0].groups[0].lr
    assert lr[1999] == 6e-4 * 2000 / 2001 and lr[2000] == 6e-4


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_config_may_use_train_py_names_and_skip_what_it_cannot_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        import time
        wandb_run_name = 'run' + str(time.time())
        max_iters = 400
        lr_decay_iters = max_iters
        warmup_iters = max_iters // 10
        learning_rate = 3 * min_lr
        """,
    )
    keywords = lrplot.load(path).curves[0].scheduler.keywords
    assert keywords["lr_decay_iters"] == 400 and keywords["warmup_iters"] == 40
    assert math.isclose(keywords["learning_rate"], 1.8e-4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "eval_only = True\ninit_from = 'gpt2'\n",
            "config.py:1: eval_only = True: nanoGPT evaluates and stops",
        ),
        (
            "import os\nmax_iters = 100\nlearning_rate = float(os.environ['LR'])\n",
            "config.py:3: learning_rate cannot be read: uses the imported os.environ, which lrplot does not import",
        ),
        (
            "warmup_iters = 100\nlr_decay_iters = 100\nmax_iters = 200\n",
            "config.py:2: lr_decay_iters equals warmup_iters (100): nanoGPT's get_lr divides by zero at iteration 100",
        ),
        (
            "max_iters = 'many'\nlearning_rate = 1e-3\n",
            "config.py:1: max_iters should be a whole number >= 0",
        ),
        (
            "learning_rate = 10 ** 5000\nmax_iters = 10\n",
            "config.py:1: '10 ** 5000' would be an integer over",
        ),
    ],
)
def test_bad_configs_are_one_line_with_their_line_and_exit_2(
    cli, tmp_path: Path, text: str, message: str
) -> None:
    result = cli("plot", _write(tmp_path, text), "-o", tmp_path / "out.png")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_command_plots_a_nanogpt_config_in_a_real_process(tmp_path: Path) -> None:
    out = tmp_path / "lr.csv"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrplot",
            "plot",
            str(CONFIGS / "train_shakespeare_char.py"),
            "-o",
            str(out),
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    rows = out.read_text().splitlines()
    assert len(rows) == 1 + 5001 and rows[1].endswith(",0,9.900990099009901e-06")
