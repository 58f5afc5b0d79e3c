"""Hydra edge cases: a model config with no trainer node, a primary config copied out of its tree.

The files are lightning-hydra-template's own (tests/fixtures/hydra/lightning_hydra_template),
copied alone into a temporary folder as a user copies them out of the project, and its
train.yaml with the model's optimizer and scheduler (and a trainer) written inline, the shape
of a primary config whose groups were not copied with it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES

pytest.importorskip("hydra")
torch = pytest.importorskip("torch")

TEMPLATE = FIXTURES / "hydra" / "lightning_hydra_template" / "configs"

INLINE = """
model:
  optimizer:
    _target_: torch.optim.Adam
    _partial_: true
    lr: 0.001
  scheduler:
    _target_: torch.optim.lr_scheduler.StepLR
    _partial_: true
    step_size: 3
    gamma: 0.5

trainer:
  max_epochs: 10
"""


def _model_alone(tmp_path: Path) -> Path:
    """lightning-hydra-template's model/mnist.yaml on its own: _target_ nodes, no trainer."""
    copy = tmp_path / "mnist.yaml"
    shutil.copy(TEMPLATE / "model" / "mnist.yaml", copy)
    return copy


def _copied_primary(tmp_path: Path, self_last: bool) -> Path:
    """train.yaml out of its tree with its schedule inline; ``_self_`` first (as written) or last."""
    text = (TEMPLATE / "train.yaml").read_text()
    if self_last:  # Hydra 1.1's default order: the file's own values over its groups'
        text = text.replace("  - _self_\n", "", 1).replace(
            "  - debug: null\n", "  - debug: null\n  - _self_\n"
        )
    copy = tmp_path / "train.yaml"
    copy.write_text(text + INLINE)
    return copy


def _torch_steplr(epochs: int, step_size: int, gamma: float, lr: float) -> list[float]:
    """The lr of each epoch as Lightning steps StepLR once per epoch (torch's own scheduler)."""
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    seen = []
    for _ in range(epochs):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen


def lr_of(config) -> list[float]:
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


def test_a_model_config_with_no_trainer_asks_for_the_length_in_one_line(tmp_path: Path, cli) -> None:
    result = cli("plot", _model_alone(tmp_path), "-o", tmp_path / "a.csv")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "KeyError" not in result.stderr
    assert "the config has no trainer node" in result.stderr
    assert "--set +trainer.max_steps=N" in result.stderr and "--set lrplot.total_step=N" in result.stderr
    assert not (tmp_path / "a.csv").exists()


def test_the_length_given_in_hydras_grammar_draws_it(tmp_path: Path) -> None:
    config = lrplot.load(_model_alone(tmp_path), sets=["+trainer.max_steps=30"])
    assert config.curves[0].total_step == 30
    assert any("+trainer.max_steps=30 given to Hydra" in note for note in config.notes)


def test_the_length_given_as_lrplots_own_key_draws_it(tmp_path: Path) -> None:
    config = lrplot.load(_model_alone(tmp_path), sets=["lrplot.total_step=25"])
    assert config.curves[0].total_step == 25 and len(lr_of(config)) == 25


def test_a_copied_primary_with_its_schedule_inline_composes_what_exists(tmp_path: Path) -> None:
    config = lrplot.load(_copied_primary(tmp_path, self_last=True))
    assert lr_of(config) == _torch_steplr(10, 3, 0.5, 0.001)
    note = next(note for note in config.notes if "composed without the defaults groups" in note)
    for group in ("model: mnist", "data: mnist", "trainer: default", "hydra: default"):
        assert group in note
    assert str(tmp_path) in note


def test_a_missing_group_merged_over_the_inline_schedule_is_refused(tmp_path: Path) -> None:
    # lightning-hydra-template lists _self_ first: model/mnist.yaml would be merged over model.*
    with pytest.raises(LrplotError) as info:
        lrplot.load(_copied_primary(tmp_path, self_last=False))
    message = str(info.value)
    assert "the defaults group model: mnist is not in" in message and str(tmp_path) in message
    assert "merged after the file's own model.optimizer" in message
    assert "hydra.searchpath=[file://DIR]" in message


def test_the_searchpath_override_finds_the_groups_elsewhere(tmp_path: Path) -> None:
    copy = _copied_primary(tmp_path, self_last=False)
    config = lrplot.load(copy, hydra_overrides=[f"hydra.searchpath=[file://{TEMPLATE}]"], steps_per_epoch=2)
    # model/mnist.yaml and trainer/default.yaml now compose over the inline values: its plateau, its length
    assert config.curves[0].scheduler.name.endswith("ReduceLROnPlateau")
    assert not any("composed without" in note for note in config.notes)


def test_a_missing_trainer_group_that_would_hold_the_length_is_refused(tmp_path: Path) -> None:
    copy = _copied_primary(tmp_path, self_last=True)
    copy.write_text(copy.read_text().replace("trainer:\n  max_epochs: 10\n", ""))
    with pytest.raises(LrplotError) as info:
        lrplot.load(copy)
    message = str(info.value)
    assert "the defaults group trainer: default is not in" in message
    assert "would hold the run's length" in message and "--set +trainer.max_steps=N" in message
    given = lrplot.load(copy, sets=["+trainer.max_epochs=6"])
    assert lr_of(given) == _torch_steplr(6, 3, 0.5, 0.001)


def test_no_schedule_in_what_composes_names_the_missing_groups(tmp_path: Path) -> None:
    copy = tmp_path / "train.yaml"
    shutil.copy(TEMPLATE / "train.yaml", copy)
    with pytest.raises(LrplotError) as info:
        lrplot.load(copy)
    message = str(info.value)
    assert "no Hydra _target_ optimizer and scheduler in what composes" in message
    assert "model: mnist" in message and str(tmp_path) in message


def test_an_interpolation_into_a_missing_group_names_it(tmp_path: Path) -> None:
    copy = _copied_primary(tmp_path, self_last=True)
    copy.write_text(copy.read_text().replace("step_size: 3", "step_size: ${data.batch_size}"))
    with pytest.raises(LrplotError) as info:
        lrplot.load(copy)
    message = str(info.value)
    assert "data.batch_size" in message and "data: mnist not found in" in message


def test_a_group_the_user_chooses_that_is_missing_stays_hydras_error(tmp_path: Path) -> None:
    with pytest.raises(LrplotError, match="Hydra cannot compose it: Could not override 'experiment'"):
        lrplot.load(_copied_primary(tmp_path, self_last=True), hydra_overrides=["experiment=nope"])


def test_stand_ins_leave_hydras_config_store_as_it_was(tmp_path: Path) -> None:
    from hydra.core.config_store import ConfigStore

    def shape(node):
        return {key: shape(value) for key, value in node.items()} if isinstance(node, dict) else None

    before = shape(ConfigStore.instance().repo)
    lrplot.load(_copied_primary(tmp_path, self_last=True))
    assert shape(ConfigStore.instance().repo) == before


def test_in_a_real_process_the_copied_primary_draws_and_the_model_config_is_one_line(tmp_path: Path) -> None:
    copied = _copied_primary(tmp_path, self_last=True)
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(copied), "-o", str(tmp_path / "a.csv")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "composed without the defaults groups" in done.stderr
    model = _model_alone(tmp_path / "m" if (tmp_path / "m").mkdir() is None else tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(model), "-o", str(tmp_path / "b.csv")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "the config has no trainer node" in done.stderr
