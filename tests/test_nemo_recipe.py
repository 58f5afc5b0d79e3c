"""NeMo 2.0 recipe scripts (issue 27): read as data, drawn with NeMo's own scheduler classes.

The oracle is NeMo's ``nemo.core.optim.lr_scheduler`` class (the installed nemo_toolkit), built
as the recipe's ``nemo.lightning.pytorch.optim`` wrapper builds it (NVIDIA/NeMo 8cfedd7,
lr_scheduler.py: ``CosineAnnealing(optimizer, max_steps=..., warmup_steps=..., constant_steps=...,
min_lr=...)``; ``max_steps`` the trainer's, as MegatronStrategy.setup copies it) with the values
read off the recipe by hand, stepped by hand as Lightning steps an ``interval='step'`` scheduler:
the lr of each optimizer step, then ``step()``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import identify
from lrplot.read.python import read_python
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("nemo")

import torch

from lrplot.plan.drivers.nemo import load_lr_scheduler

RECIPES = FIXTURES / "nemo_recipe"


def nemo_lrs(scheduler: str, lr: float, steps: int, **arguments: Any) -> list[float]:
    """NeMo's class on a real torch Adam (as the megatron optimizer's param group), stepped by hand."""
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    schedule = getattr(load_lr_scheduler(), scheduler)(optimizer, max_steps=steps, **arguments)
    lrs = []
    for step in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if step + 1 < steps:  # the step() after the last optimizer step sets no lr a step uses
            schedule.step()
    return lrs


def lrplot_lrs(path: Path, **keywords: Any) -> list[float]:
    return lrplot.simulate(lrplot.load(path, **keywords)).curves[0].groups[0].lr.tolist()


def shorter(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """The real recipe with its trainer's max_steps default written shorter (a text edit)."""
    text = (RECIPES / name).read_text()
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new))
    return out


@pytest.mark.parametrize(
    ("name", "old", "steps", "scheduler", "lr", "arguments"),
    [
        # optim=distributed_fused_adam_with_cosine_annealing(max_lr=3e-4): warmup 2000, min_lr 0.1 * max_lr
        ("llama3_8b.py", "max_steps: int = 1168251", 3000, "CosineAnnealing", 3e-4,
         {"warmup_steps": 2000, "constant_steps": 0, "min_lr": 0.1 * 3e-4}),
        # pretrain_recipe's own parameter defaults: warmup_steps=500, min_lr=3.0e-5, max_lr=3e-4
        ("nemotron3_4b.py", "max_steps: int = 1168251", 2100, "CosineAnnealing", 3e-4,
         {"warmup_steps": 500, "constant_steps": 0, "min_lr": 3.0e-5}),
        # run.Config(WarmupAnnealingScheduler, warmup_steps=None, warmup_ratio=0.01, min_lr=0.00001),
        # run.Config(OptimizerConfig, lr=0.0001); trainer() default max_steps 1000000
        ("t5_220m.py", "max_steps: int = 1000000", 4000, "WarmupAnnealing", 0.0001,
         {"warmup_steps": None, "warmup_ratio": 0.01, "min_lr": 0.00001}),
    ],
)  # fmt: skip
def test_real_recipes_match_nemos_scheduler_bit_for_bit(
    tmp_path: Path, name: str, old: str, steps: int, scheduler: str, lr: float, arguments: dict[str, Any]
) -> None:
    path = shorter(tmp_path, name, old, old.split("=")[0] + f"= {steps}")
    assert lrplot_lrs(path) == nemo_lrs(scheduler, lr, steps, **arguments)


def test_the_real_recipe_as_it_is_runs_its_trainers_max_steps() -> None:
    config = lrplot.load(RECIPES / "llama3_8b.py")
    assert config.curves[0].total_step == 1168251
    assert config.derived["written_as"] == "distributed_fused_adam_with_cosine_annealing"


SCRIPT = """\
import nemo_run as run
from megatron.core.optimizer import OptimizerConfig
from nemo.lightning.pytorch.optim import CosineAnnealingScheduler, MegatronOptimizerModule


def pretrain_recipe(warmup: int = 40, lr: float = 2e-4):
    recipe = run.Partial(
        pretrain,
        trainer=run.Config(nl.Trainer, max_steps=10000),
        optim=run.Config(
            MegatronOptimizerModule,
            config=run.Config(OptimizerConfig, optimizer="adam", lr=lr),
            lr_scheduler=run.Config(CosineAnnealingScheduler, warmup_steps=warmup, min_lr=1e-5),
        ),
    )
    recipe.trainer.max_steps = 900
    recipe.optim.lr_scheduler.constant_steps = 100
    return recipe
"""


def test_a_scripts_wrapper_defaults_and_later_assignments_are_read(tmp_path: Path) -> None:
    """CosineAnnealingScheduler's own defaults (constant_steps 80000) replaced by the later
    ``recipe.optim.lr_scheduler.constant_steps = 100``; the trainer's 10000 by ``= 900``."""
    path = tmp_path / "my_recipe.py"
    path.write_text(SCRIPT)
    assert [f.format for _, f in identify(path, read_python(path).data) if f.confident] == ["NeMo recipe"]
    expected = nemo_lrs("CosineAnnealing", 2e-4, 900, warmup_steps=40, constant_steps=100, min_lr=1e-5)
    assert lrplot_lrs(path) == expected


def test_positional_factory_arguments_and_the_pytorch_factorys_min_lr_rule(tmp_path: Path) -> None:
    """pytorch_adam_with_cosine_annealing writes ``min_lr or (0.1 * max_lr)``: min_lr=0 gives 0.1 * max_lr."""
    path = tmp_path / "r.py"
    path.write_text(
        "from nemo.collections.llm.recipes.optim.adam import pytorch_adam_with_cosine_annealing\n"
        "import nemo_run as run\n"
        "def pretrain_recipe():\n"
        "    return run.Partial(pretrain, trainer=run.Config(nl.Trainer, max_steps=300),\n"
        "                       optim=pytorch_adam_with_cosine_annealing(30, 5, 1e-3, 0))\n"
    )
    expected = nemo_lrs("CosineAnnealing", 1e-3, 300, warmup_steps=30, constant_steps=5, min_lr=1e-4)
    assert lrplot_lrs(path) == expected


def test_the_recipes_are_claimed_by_nemo_recipe_alone() -> None:
    for path in sorted(RECIPES.glob("*.py")):
        claims = [f.format for _, f in identify(path, read_python(path).data) if f.confident]
        assert claims == ["NeMo recipe"], path.name


BAD = [
    ("    optim=distributed_fused_adam_with_cosine_annealing(max_lr=3e-4, warmup_steps=2 * n),\n",
     "warmup_steps=2 * n is computed when the recipe runs", 7),
    ("    optim=distributed_fused_adam_with_cosine_annealing(max_lr=3e-4, warmup=5),\n",
     "has no parameter 'warmup'", 7),
    ("    optim=distributed_fused_adam_with_cosine_annealing(**kw),\n", "(**...) is known only when", 7),
    ("    optim=pytorch_adam_with_flat_lr(lr=1e-4),\n", "a flat lr, no schedule to draw", 7),
    ("    optim=distributed_fused_adam_with_cosine_annealing(max_lr=1e400),\n", "max_lr must be a finite number", 7),
    ("    optim=distributed_fused_adam_with_cosine_annealing(max_lr='big'),\n", "max_lr should be a number", 7),
    ("    optim=distributed_fused_adam_with_cosine_annealing(warmup_steps=10**30),\n", "computed when", 7),
    ("    optim=distributed_fused_adam_with_cosine_annealing(warmup_steps=10000000000000000000000),\n",
     "no run is that long", 7),
]  # fmt: skip
HEAD = (
    "import nemo_run as run\nfrom nemo.collections import llm\n"
    "from nemo.collections.llm.recipes.optim.adam import distributed_fused_adam_with_cosine_annealing\n"
    "def pretrain_recipe(n=3):\n"
)
TAIL = "    recipe = run.Partial(pretrain, trainer=run.Config(nl.Trainer, max_steps=50),\n"


@pytest.mark.parametrize(("line", "message", "at"), BAD)
def test_bad_recipes_fail_in_one_line_naming_file_and_line(cli, tmp_path: Path, line, message, at) -> None:
    path = tmp_path / "r.py"
    path.write_text(
        HEAD + TAIL + "    )\n" + line.replace("    optim=", "    opt = ") + "    return recipe\n"
    )
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert message in lines[0] and f"r.py:{at}:" in lines[0]


def test_an_assignment_in_a_block_is_refused_naming_its_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "r.py"
    path.write_text(
        HEAD + TAIL + "                         optim=distributed_fused_adam_with_cosine_annealing())\n"
        "    if n > 2:\n        recipe.trainer.max_steps = 10\n    return recipe\n"
    )
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert "r.py:8:" in result.stderr and "inside a block" in result.stderr


def test_an_imported_trainer_asks_for_the_length_and_takes_it(cli, tmp_path: Path) -> None:
    path = RECIPES / "deepseek_v3.py"  # trainer comes from nemo.collections.llm.recipes.deepseek
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert "deepseek_v3.py:100:" in result.stderr and "--set lrplot.total_step=N" in result.stderr
    given = cli("plot", path, "-o", tmp_path / "x.csv", "--set", "lrplot.total_step=400")
    assert given.exit_code == 0, given.output
    assert len((tmp_path / "x.csv").read_text().splitlines()) == 1 + 400


def test_the_recipe_is_never_run(cli, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "r.py"
    path.write_text(
        HEAD + f"    open({str(marker)!r}, 'w')\n" + TAIL
        + f"        optim=distributed_fused_adam_with_cosine_annealing(max_lr=open({str(marker)!r}, 'w')))\n"
    )  # fmt: skip
    result = cli("plot", path, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2 and "is computed when the recipe runs" in result.stderr
    assert not marker.exists()


def test_a_script_that_only_calls_another_recipe_says_where_the_schedule_is(cli, tmp_path: Path) -> None:
    path = tmp_path / "custom.py"
    path.write_text(
        "import nemo_run as run\nfrom nemo.collections import llm\n"
        "def custom():\n    r = llm.llama3_8b.pretrain_recipe(num_nodes=1)\n    r.trainer.max_steps = 10\n"
        "    return r\n"
    )
    result = cli("plot", path, "--config-format", "nemo_recipe", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert "has its schedule in that file: plot it" in result.stderr and "custom.py:1:" in result.stderr


def test_a_real_subprocess_draws_a_recipe(tmp_path: Path) -> None:
    out = tmp_path / "r.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(RECIPES / "t5_220m.py"), "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "t5_220m.py: 1 curve(s), 1,000,000 steps" in done.stderr


@settings(max_examples=25, deadline=None)
@given(
    max_lr=st.floats(1e-6, 1.0), warmup=st.integers(0, 300), constant=st.integers(0, 300),
    min_lr=st.one_of(st.none(), st.floats(0.0, 1e-6)), steps=st.integers(1, 400),
)  # fmt: skip
def test_any_literal_factory_call_is_nemos_cosine_annealing(
    tmp_path_factory: pytest.TempPathFactory, max_lr: float, warmup: int, constant: int,
    min_lr: float | None, steps: int,
) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("r") / "r.py"
    path.write_text(
        HEAD + f"    return run.Partial(pretrain, trainer=run.Config(nl.Trainer, max_steps={steps}),\n"
        f"        optim=distributed_fused_adam_with_cosine_annealing(max_lr={max_lr!r}, warmup_steps={warmup},"
        f" constant_steps={constant}, min_lr={min_lr!r}))\n"
    )  # fmt: skip
    floor = min_lr if min_lr is not None else 0.1 * max_lr  # adam.py: min_lr if not None else 0.1 * max_lr
    try:
        expected = nemo_lrs(
            "CosineAnnealing", max_lr, steps, warmup_steps=warmup, constant_steps=constant, min_lr=floor
        )
    except (AssertionError, ZeroDivisionError, ValueError) as refused:  # NeMo's own refusal
        with pytest.raises(LrplotError) as error:
            lrplot_lrs(path)
        assert type(refused).__name__ in str(error.value) and "\n" not in str(error.value)
        return
    assert lrplot_lrs(path) == expected
