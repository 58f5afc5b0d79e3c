"""Keyword expressions on the torch-free path (issue 31): ``T_max: "total_step - 500"``, the
``lrplot init`` templates and the linter's suggested fixes never force ``import torch``, and
give the torch engine's bytes; the keyword kinds come from the installed torch's source."""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path

import pytest

from lrplot.commands.templates import TEMPLATES, render
from lrplot.config import loads
from lrplot.plan import source_keywords
from lrplot.plan.cycles import CYCLE_SCHEDULERS
from lrplot.plan.free import SCHEDULERS, plan_free
from lrplot.plan.keywords import KeywordSpec
from lrplot.plan.run_numbers import numeric_kind
from tests.conftest import ROOT, lrplot_noting_torch

# What the templates and the linter's fixes write (lrplot.lint.context.follow_run), and more.
EXPRESSIONS = {
    "linter_fix": """\
total_step: 300
curves:
  - scheduler: {name: CosineAnnealingLR, T_max: "total_step - 20", eta_min: "1e-3 * 2"}
  - scheduler: {name: LinearLR, start_factor: 0.5, total_iters: "total_step + 10"}
  - scheduler: {name: MultiStepLR, milestones: ["total_step // 3", 200], gamma: 0.5}
""",
    "epochs": """\
total_step: 600
steps_per_epoch: 20
interval: epoch
curves:
  - optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
    scheduler: {name: CosineAnnealingLR, T_max: "epochs"}
  - optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
    scheduler: {name: StepLR, step_size: "epochs // 3", gamma: 0.5}
""",
    "cycles": """\
total_step: 400
curves:
  - optimizer: {name: AdamW, lr: 0.001, betas: [0.9, 0.95]}
    scheduler: {name: OneCycleLR, max_lr: "2 * 0.05", total_steps: "total_step", pct_start: "0.1 + 0.15"}
  - optimizer: {name: SGD, lr: 0.01, momentum: 0.9}
    scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: "total_step // 8"}
""",
    "warm_restarts": """\
total_step: 500
steps_per_epoch: 50
curves:
  - scheduler: {name: CosineAnnealingWarmRestarts, T_0: "steps_per_epoch * 2", T_mult: 2, eta_min: "0.0"}
  - scheduler:
      name: SequentialLR
      milestones: ["2 * 50"]
      schedulers:
        - {name: ConstantLR, factor: 0.5, total_iters: "2 * 50"}
        - {name: ExponentialLR, gamma: "1 - 1e-3"}
""",
}


def _cases() -> dict[str, str]:
    templates = {f"init_{name}": render(name, "lrplot.yaml") for name in TEMPLATES}
    return {**templates, **EXPRESSIONS}


@pytest.mark.parametrize("name", sorted(_cases()))
def test_expressions_plot_and_validate_without_torch_and_match_the_torch_engine(name, tmp_path, cli) -> None:
    text = _cases()[name]
    config = tmp_path / "lrplot.yaml"
    config.write_text(text)
    covered = plan_free(loads(text, name="lrplot.yaml")) is not None
    free_csv, torch_csv = tmp_path / "auto.csv", tmp_path / "torch.csv"
    plotted = lrplot_noting_torch("plot", config, "-o", free_csv)
    assert plotted.returncode == 0, plotted.stderr
    validated = lrplot_noting_torch("validate", config)
    assert validated.returncode == 0, validated.stderr
    if name != "init_plateau":  # a metric: torch steps ReduceLROnPlateau
        assert covered
        assert "torch not imported" in plotted.stderr and "torch not imported" in validated.stderr
    else:
        assert not covered and "torch imported" in plotted.stderr
    result = cli("plot", config, "-o", torch_csv, "--engine", "torch")
    assert result.exit_code == 0, result.stderr
    assert free_csv.read_bytes() == torch_csv.read_bytes()


def test_an_expression_torch_refuses_still_gets_torchs_path_and_its_message(tmp_path, cli) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 'total_step / 3'}\n"
    )
    assert plan_free(loads(config.read_text(), name="c.yaml")) is None
    result = cli("validate", str(config))
    assert result.exit_code == 2
    assert "T_max 'total_step / 3' gives 33.33" in result.stderr and "whole number" in result.stderr


_KINDS = (
    "import json, inspect; from lrplot.plan import source_keywords; from lrplot.plan.run_numbers import "
    "numeric_kind; import torch.optim.lr_scheduler as l, torch.optim.swa_utils as s; "
    "from lrplot.plan.keywords import KeywordSpec; out = {}\n"
    "for kind in KINDS:\n"
    "    cls = getattr(l, kind, None) or getattr(s, kind)\n"
    "    mine = source_keywords.parameters(kind)\n"
    "    theirs = KeywordSpec.of(cls).parameters\n"
    "    out[kind] = [sorted(mine), sorted(theirs), "
    "{n: [numeric_kind(mine[n]), numeric_kind(theirs[n])] for n in theirs if n in mine}]\n"
    "print(json.dumps(out))"
)

_KINDS_COVERED = sorted(
    [*SCHEDULERS, *CYCLE_SCHEDULERS, "LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler"]
)


def test_keyword_kinds_read_from_source_are_the_signatures_on_the_installed_torch() -> None:
    import torch.optim.lr_scheduler as schedulers
    import torch.optim.swa_utils as swa

    for kind in _KINDS_COVERED:
        cls = getattr(schedulers, kind, None) or getattr(swa, kind)
        mine, theirs = source_keywords.parameters(kind), KeywordSpec.of(cls).parameters
        assert mine is not None and list(mine) == list(theirs), kind
        for name in theirs:
            assert numeric_kind(mine[name]) == numeric_kind(theirs[name]), (kind, name)


_VENVS = sorted(Path("/work/torchvenvs").glob("2.*/bin/python"))


@pytest.mark.skipif(not _VENVS, reason="no other torch releases installed (these machines only)")
@pytest.mark.parametrize("python", _VENVS, ids=lambda p: p.parent.parent.name)
def test_keyword_kinds_read_from_source_match_every_installed_release(python: Path) -> None:
    """torch 2.4 leaves eta_min unannotated (default 0: an int), later releases say float."""
    script = _KINDS.replace("KINDS", repr(_KINDS_COVERED), 1)
    done = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0 and "ModuleNotFoundError" in done.stderr:
        pytest.skip(f"{python}: lrplot's dependencies are not installed there")
    assert done.returncode == 0, done.stderr[-2000:]
    for kind, (mine, theirs, kinds) in json.loads(done.stdout).items():
        assert mine == theirs, kind
        for name, (a, b) in kinds.items():
            assert a == b, (python, kind, name)


def test_source_parameters_keep_unannotated_defaults() -> None:
    parameter = inspect.Parameter("eta_min", inspect.Parameter.KEYWORD_ONLY, default=0)
    assert numeric_kind(parameter) == ("int", None)  # torch 2.4's CosineAnnealingLR
