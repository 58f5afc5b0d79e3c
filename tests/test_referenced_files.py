"""A file a config names that can change the schedule is found, or the run is refused (issue 24).

``deepspeed: examples/deepspeed/ds_z3_config.json`` is relative to the project's root, where
LLaMA-Factory's and axolotl's launchers run; its ``scheduler`` block would replace the
Trainer's schedule, so a missing file is never skipped with a warning (the Trainer itself
refuses it: accelerate's ``HfDeepSpeedConfig``). The trees below are the real files laid out
as in their repositories.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES

pytest.importorskip("transformers")
HF = FIXTURES / "huggingface"
CONFIG = HF / "llamafactory_qwen3_full_sft.yaml"
DS = HF / "deepspeed" / "llamafactory_ds_z3_config.json"
WARMUP = HF / "deepspeed" / "transformers_ds_config_zero2.json"  # a WarmupLR block of "auto" values


def repository(tmp_path: Path, *, with_ds: Path | None = DS) -> Path:
    """LLaMA-Factory's layout: examples/train_full/<config>, examples/deepspeed/ds_z3_config.json."""
    root = tmp_path / "LLaMA-Factory"
    (root / ".git").mkdir(parents=True)
    (root / "examples" / "train_full").mkdir(parents=True)
    config = root / "examples" / "train_full" / "qwen3_full_sft.yaml"
    shutil.copy(CONFIG, config)
    if with_ds is not None:
        (root / "examples" / "deepspeed").mkdir()
        shutil.copy(with_ds, root / "examples" / "deepspeed" / "ds_z3_config.json")
    return config


def test_found_at_the_repository_root_above_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = repository(tmp_path)
    monkeypatch.chdir(tmp_path)  # not the root: found by searching the config's ancestors
    config = lrplot.load(config_path, dataset_size=100)
    assert config_path.parents[1] / "deepspeed" / "ds_z3_config.json" in config.reads


def test_the_search_stops_at_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_path = repository(tmp_path, with_ds=None)
    (tmp_path / "examples" / "deepspeed").mkdir(parents=True)  # above the root: not the project's
    shutil.copy(DS, tmp_path / "examples" / "deepspeed" / "ds_z3_config.json")
    monkeypatch.chdir(config_path.parent)
    with pytest.raises(LrplotError, match="not found"):
        lrplot.load(config_path, dataset_size=100)


def test_a_scheduler_block_found_there_replaces_the_trainers(tmp_path: Path, monkeypatch) -> None:
    config_path = repository(tmp_path, with_ds=WARMUP)
    monkeypatch.chdir(tmp_path)
    config = lrplot.load(config_path, dataset_size=100)
    assert config.curves[0].label.startswith("DeepSpeed WarmupLR")


def test_missing_is_one_line_naming_key_path_and_option(cli, tmp_path: Path, monkeypatch) -> None:
    config_path = repository(tmp_path, with_ds=None)
    monkeypatch.chdir(tmp_path)
    result = cli("plot", config_path, "--dataset-size", "100", "-o", tmp_path / "out.png")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "qwen3_full_sft.yaml:10" in line  # the deepspeed: line
    assert "deepspeed: examples/deepspeed/ds_z3_config.json not found" in line
    assert "give --file-for deepspeed=PATH" in line and "scheduler" in line
    assert not (tmp_path / "out.png").exists()


def test_file_for_names_it_elsewhere(cli, tmp_path: Path, monkeypatch) -> None:
    config_path = repository(tmp_path, with_ds=None)
    elsewhere = tmp_path / "elsewhere" / "my_ds.json"
    elsewhere.parent.mkdir()
    shutil.copy(WARMUP, elsewhere)
    monkeypatch.chdir(tmp_path)
    config = lrplot.load(config_path, dataset_size=100, files_for=[f"deepspeed={elsewhere}"])
    assert elsewhere in config.reads and config.curves[0].label.startswith("DeepSpeed WarmupLR")
    result = cli("validate", config_path, "--dataset-size", "100", "--file-for", f"deepspeed={elsewhere}")
    assert result.exit_code == 0, result.stderr


def test_file_for_a_missing_file_or_a_key_the_config_lacks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LrplotError, match=r"--file-for deepspeed=.*nothere.json: no such file"):
        lrplot.load(CONFIG, dataset_size=100, files_for=[f"deepspeed={tmp_path / 'nothere.json'}"])
    with pytest.raises(LrplotError, match=r"--file-for deepspeed=x.json: this Hugging Face Trainer config"):
        lrplot.load(HF / "llamafactory_qwen3_lora_sft.yaml", dataset_size=100, files_for=["deepspeed=x.json"])
    with pytest.raises(LrplotError, match=r"--file-for deepspeed: expected KEY=PATH"):
        lrplot.load(CONFIG, dataset_size=100, files_for=["deepspeed"])


def test_on_the_command_line_a_file_outside_the_allowed_folders_needs_allow_read(tmp_path: Path) -> None:
    """Found above the config and the working folder: read only if the user allows it."""
    config_path = repository(tmp_path)
    config_path.parent.joinpath("extra").mkdir()
    moved = config_path.parent / "extra" / config_path.name
    config_path.rename(moved)  # examples/train_full/extra/x.yaml: the root is three folders up
    run = [sys.executable, "-m", "lrplot", "validate", str(moved), "--dataset-size", "100"]
    refused = subprocess.run(run, capture_output=True, text=True, timeout=300, cwd=moved.parent)
    assert refused.returncode == 2 and "--allow-read" in refused.stderr, refused.stderr
    allowed = subprocess.run(
        [*run, "--allow-read", str(tmp_path / "LLaMA-Factory")], capture_output=True, text=True, timeout=300,
        cwd=moved.parent,
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr


def test_a_json_string_is_the_config_itself(tmp_path: Path) -> None:
    """The Trainer takes a JSON string as the DeepSpeed config (HfDeepSpeedConfig)."""
    block = json.loads(WARMUP.read_text())
    path = tmp_path / "train.yaml"
    text = CONFIG.read_text().replace(
        "deepspeed: examples/deepspeed/ds_z3_config.json", f"deepspeed: '{json.dumps(block)}'"
    )
    path.write_text(text)
    config = lrplot.load(path, dataset_size=100)
    assert config.curves[0].label.startswith("DeepSpeed WarmupLR")
