"""axolotl's own validation of the schedule fields runs before anything is drawn (issue 24).

axolotl refuses ``warmup_steps: 0.1`` (a float) in its pydantic schema; lrplot drew it. The
verdicts of lrplot's reproduction are compared with the real ``AxolotlInputConfig`` (axolotl
0.19.0, installed ``--no-deps`` by the test command) on real configs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lrplot.errors import LrplotError
from lrplot.formats.axolotl_checks import check_schedule_fields
from tests.conftest import FIXTURES

AXOLOTL = FIXTURES / "huggingface" / "axolotl"
CONFIGS = sorted(AXOLOTL.glob("*.y*ml"))
# each: (keys to set, keys to drop); None as a value deletes nothing, it sets null
CHANGES: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({}, ()),
    ({"warmup_steps": 0.1}, ("warmup_ratio",)),
    ({"warmup_steps": 10.0}, ("warmup_ratio",)),
    ({"warmup_steps": "10"}, ("warmup_ratio",)),
    ({"warmup_steps": "ten"}, ("warmup_ratio",)),
    ({"warmup_steps": True}, ("warmup_ratio",)),
    ({"warmup_steps": 5, "warmup_ratio": 0.1}, ()),
    ({"warmup_steps": 0, "warmup_ratio": 0.1}, ()),
    ({"warmup_ratio": "a tenth"}, ("warmup_steps",)),
    ({"warmup_ratio": None}, ()),
    ({"max_steps": 1.5}, ()),
    ({"max_steps": 100.0}, ()),
    ({"num_epochs": "three"}, ()),
    ({"num_epochs": 2}, ()),
    ({"learning_rate": "2e-5"}, ()),
    ({"learning_rate": "fast"}, ()),
    ({"learning_rate": [0.1]}, ()),
    ({}, ("learning_rate",)),
    ({"micro_batch_size": 2.5}, ()),
    ({"gradient_accumulation_steps": "4"}, ()),
    ({"batch_size": 32}, ("micro_batch_size", "gradient_accumulation_steps")),
    ({"batch_size": 32, "gradient_accumulation_steps": 4}, ()),
    ({"batch_size": 32, "micro_batch_size": 2}, ("gradient_accumulation_steps",)),
    ({"lr_scheduler": 3}, ()),
    ({"lr_scheduler_kwargs": [1, 2]}, ()),
    ({"lr_quadratic_warmup": "maybe"}, ()),
    ({"cosine_min_lr_ratio": "low"}, ()),
    ({"lr_div_factor": "ten"}, ()),
    ({"streaming": True}, ("max_steps", "val_set_size")),
    ({"streaming": True, "max_steps": 100}, ("val_set_size",)),
]


def changed(config: dict[str, Any], sets: dict[str, Any], drops: tuple[str, ...]) -> dict[str, Any]:
    """The config with keys set and dropped."""
    result = {key: value for key, value in config.items() if key not in drops}
    return {**result, **sets}


def ours(config: dict[str, Any]) -> str | None:
    """The key lrplot's reproduction refuses, or None."""
    try:
        check_schedule_fields(config, ())
    except LrplotError as error:
        assert error.key_path is not None
        return str(error.key_path[-1])
    return None


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.stem)
def test_every_verdict_is_the_real_axolotl_s(path: Path) -> None:
    schema = pytest.importorskip("axolotl.utils.schemas.config")
    from pydantic import ValidationError

    config = yaml.safe_load(path.read_text())
    schema.AxolotlInputConfig(**config)  # the real config is valid as it is
    for sets, drops in CHANGES:
        candidate = changed(config, sets, drops)
        try:
            schema.AxolotlInputConfig(**candidate)
            real = None
        except (ValidationError, ValueError) as error:
            real = str(error)
        refused = ours(candidate)
        assert (refused is None) == (real is None), (sets, drops, refused, real)
        if refused is not None and real is not None:
            assert refused in real or "mutually exclusive" in real or "at least two" in real.lower(), (
                sets, refused, real,
            )  # fmt: skip


def test_warmup_steps_a_fraction_is_refused_and_an_integral_float_is_not() -> None:
    base = {"learning_rate": 2e-5, "micro_batch_size": 2}
    with pytest.raises(LrplotError, match=r"axolotl refuses warmup_steps: input should be a valid integer"):
        check_schedule_fields({**base, "warmup_steps": 0.1}, ("curves", 0))
    check_schedule_fields({**base, "warmup_steps": 10.0}, ())
    with pytest.raises(LrplotError, match="mutually exclusive") as caught:
        check_schedule_fields({**base, "warmup_steps": 10, "warmup_ratio": 0.1}, ())
    assert caught.value.key_path == ("warmup_steps",)
    with pytest.raises(LrplotError, match="learning_rate: not a number"):
        check_schedule_fields({**base, "learning_rate": "fast"}, ())


def test_the_cli_refuses_it_in_one_line_naming_file_line_and_key(cli, tmp_path: Path) -> None:
    text = (AXOLOTL / "axolotl_btlm_ft.yml").read_text()
    assert "warmup_ratio:" in text
    lines = [line for line in text.splitlines() if not line.startswith("warmup_ratio:")]
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("num_epochs:"))
    lines.insert(number, "warmup_steps: 0.1")
    path = tmp_path / "btlm.yml"
    path.write_text("\n".join(lines) + "\n")
    result = cli("plot", path, "--dataset-size", "1000", "-o", tmp_path / "out.png")
    assert result.exit_code == 2
    error = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error) == 1, result.stderr
    assert f"btlm.yml:{number + 1}" in error[0] and "axolotl refuses warmup_steps" in error[0]
    assert "warmup_steps: 0.1" not in error[0] and "'0.1'" not in error[0]  # the value is not echoed
    assert not (tmp_path / "out.png").exists()
    run = subprocess.run(
        [sys.executable, "-m", "lrplot", "validate", str(path), "--dataset-size", "1000"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2 and "axolotl refuses warmup_steps" in run.stderr
    assert "Traceback" not in run.stderr
