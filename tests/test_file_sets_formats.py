"""``--set``/``--sweep`` on a training config's own keys, one case per foreign format (issue 24).

Each case changes a key the format's library reads for its schedule, as the file writes it: the
curve must change as a translation of the changed file would (the same file with the value
written in, translated by lrplot, is the reference), the change is named in the summary, a near
spelling of a key the file has is refused with a did-you-mean, and a value of the wrong type names
key and value. CliRunner for each, and one real subprocess.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES

HF = FIXTURES / "huggingface"
# (file, load options, the key as the file writes it, a new value, a typo of the key)
CASES: dict[str, tuple[Path, dict[str, Any], str, Any, str]] = {
    "Trainer YAML": (HF / "llamafactory_qwen3_lora_sft.yaml", {"dataset_size": 1000}, "warmup_ratio", 0.3,
                     "warmup_ratoi"),
    "axolotl": (HF / "axolotl" / "axolotl_btlm_ft.yml", {"dataset_size": 1000}, "warmup_ratio", 0.3,
                "warmup_ration"),
    "litgpt": (FIXTURES / "litgpt" / "pretrain_debug.yaml", {"world_size": 1}, "train.lr_warmup_steps", 3,
               "train.lr_warmup_step"),
    "timm": (FIXTURES / "timm" / "fastervit_faster_vit_0_224_1k.yaml", {"steps_per_epoch": 2}, "warmup_epochs",
             5, "warmup_epoch"),
    "torchtitan": (FIXTURES / "torchtitan" / "deepseek_v3_deepseek_v3_16b.toml", {},
                   "lr_scheduler.warmup_steps", 7, "lr_scheduler.warmup_step"),
    "torchtune": (FIXTURES / "torchtune" / "gemma2_2B_lora_single_device.yaml", {"dataset_size": 1000},
                  "lr_scheduler.num_warmup_steps", 5, "lr_scheduler.num_warmup_step"),
    "DeepSpeed JSON": (HF / "deepspeed" / "deepspeedexamples_qanet_ds_bsz512_warmup.json",
                       {"sets": ["lrplot.total_step=2000"]}, "scheduler.params.warmup_num_steps", 300,
                       "scheduler.params.warmup_num_step"),
    "mmengine": (FIXTURES / "mmengine" / "mmdetection" / "configs" / "_base_" / "schedules" / "schedule_1x.py",
                 {"steps_per_epoch": 100}, "param_scheduler.0.end", 100, "param_scheduler.0.edn"),
    "Composer": (FIXTURES / "composer" / "finetune_dbrx-full-ft.yaml", {"dataset_size": 640},
                 "scheduler.t_warmup", "3ba", "scheduler.t_warmpu"),
}  # fmt: skip


def lrs(config: Any) -> np.ndarray:
    return lrplot.simulate(config).curves[0].groups[0].lr


def _written(path: Path, key: str, value: Any, tmp_path: Path) -> Path:
    """The same file with the value written in at ``key`` (the reference translation's input)."""
    if path.suffix == ".toml":  # one line of its table, rewritten (no TOML writer needed)
        section, name = key.split(".")
        lines, inside = path.read_text().splitlines(), False
        for index, line in enumerate(lines):
            if line.startswith("["):
                inside = line.strip() == f"[{section}]"
            elif inside and line.split("=")[0].strip() == name:
                lines[index] = f"{name} = {json.dumps(value)}"
        out = tmp_path / path.name
        out.write_text("\n".join(lines) + "\n")
        return out
    if path.suffix == ".py":  # mmengine: the keyword in the file's text, as a user edits it
        old = "by_epoch=False, begin=0, end=500)"
        assert old in path.read_text() and key == "param_scheduler.0.end"
        out = tmp_path / path.name
        out.write_text(path.read_text().replace(old, f"by_epoch=False, begin=0, end={value})", 1))
        return out
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        data["scheduler"]["params"][key.rsplit(".", 1)[-1]] = value
        out = tmp_path / path.name
        out.write_text(json.dumps(data))
        return out
    data = copy.deepcopy(yaml.safe_load(path.read_text()))
    node = data
    *parents, last = key.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_set_on_the_files_key_changes_the_curve_as_the_changed_file_does(case: str, tmp_path: Path) -> None:
    path, options, key, value, _ = CASES[case]
    text = json.dumps(value) if not isinstance(value, str) else value
    options = dict(options)
    own = options.pop("sets", [])
    before = lrplot.load(path, sets=own, **options)
    changed = lrplot.load(path, sets=[*own, f"{key}={text}"], **options)
    reference = lrplot.load(_written(path, key, value, tmp_path), sets=own, **options)
    assert lrs(changed).tobytes() == lrs(reference).tobytes()
    assert lrs(changed).tobytes() != lrs(before).tobytes()
    assert any(f"--set {key}={text}" in note for note in changed.notes), changed.notes


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_typo_of_a_files_key_is_refused_with_did_you_mean(case: str, cli, tmp_path: Path) -> None:
    path, options, key, value, typo = CASES[case]
    args = [f"--{name.replace('_', '-')}={number}" for name, number in options.items() if name != "sets"]
    args += [arg for text in options.get("sets", []) for arg in ("--set", text)]
    result = cli("validate", path, *args, "--set", f"{typo}={value}")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1
    right, wrong = key.rsplit(".", 1)[-1], typo.rsplit(".", 1)[-1]
    # the file's key paths say it (or, where the format applies --set itself, its own check does)
    said = (
        f"the file has no {typo}; did you mean {right}?",
        f"no keyword '{wrong}' (did you mean '{right}'?)",
    )
    assert f"--set {typo}=" in result.stderr and any(text in result.stderr for text in said), result.stderr


def test_a_value_of_the_wrong_type_names_key_and_value(cli) -> None:
    path, _, key, _, _ = CASES["Trainer YAML"]
    result = cli("validate", path, "--dataset-size", "1000", "--set", f"{key}=abc")
    assert result.exit_code == 2
    assert "--set warmup_ratio=abc: warmup_ratio must be a number, got 'abc'" in result.stderr


def test_a_sweep_on_the_files_key_draws_one_curve_per_value() -> None:
    path, options, key, _, _ = CASES["Trainer YAML"]
    config = lrplot.load(path, sweeps=[f"{key}=0.0,0.3"], **options)
    assert [curve.label for curve in config.curves][-1].endswith(f"({key}=0.3)")
    assert len(config.curves) == 2


def test_a_hydra_group_choice_is_hydras_override(tmp_path: Path) -> None:
    from tests.test_hydra_format import FLASH, FLASH_OPTIONS

    pytest.importorskip("hydra")
    overrides = [FLASH_OPTIONS[i + 1] for i, flag in enumerate(FLASH_OPTIONS) if flag == "--hydra-override"]
    chosen = [o for o in overrides if not o.startswith("optimizer=")]
    config = lrplot.load(FLASH, sets=["optimizer=adamw"], hydra_overrides=chosen,
                         allow_imports=[a for i, a in enumerate(FLASH_OPTIONS) if FLASH_OPTIONS[i - 1] == "--allow-import"])  # fmt: skip
    assert config.curves[0].optimizer.name.endswith("AdamW")
    assert any("--set optimizer=adamw given to Hydra as an override" in note for note in config.notes)
    with pytest.raises(LrplotError, match="optimizer"):
        lrplot.load(FLASH, sets=["optimizer=adamq"], hydra_overrides=chosen)


def test_a_real_subprocess_takes_a_files_key_and_refuses_a_typo(tmp_path: Path) -> None:
    path = CASES["litgpt"][0]
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(path), "--world-size", "1", "--set",
         "train.lr_warmup_steps=3", "-o", str(tmp_path / "a.csv")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--set train.lr_warmup_steps=3 applied to the file" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(path), "--world-size", "1", "--set",
         "train.max_tokns=10", "-o", str(tmp_path / "b.csv")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "did you mean max_tokens?" in done.stderr and not (tmp_path / "b.csv").exists()
