"""The schedule checks on Ultralytics YOLO args: its declared facts and its trainer's own adjustments.

Every Ultralytics fixture of tests/fixtures/ultralytics/lint/ is the package's own
``cfg/default.yaml`` with the lines its name says edited (SOURCES.md there); the correct
files (default.yaml itself, a real run's args.yaml) must stay quiet. What the trainer does
is checked against the installed ``ultralytics/engine/trainer.py`` and ``cfg/__init__.py``
executed from their source (tests/ultralytics_oracle.py): the warmup it caps, the line
``optimizer: auto`` logs, the values ``check_cfg`` refuses.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.engines import simulate
from lrplot.lint import Finding, lint
from lrplot.plan import plan
from lrplot.plan.facts import facts_of
from tests.conftest import FIXTURES, ROOT

if __import__("importlib").util.find_spec("ultralytics") is None:
    pytest.skip("ultralytics is not installed (pip install --no-deps ultralytics)", allow_module_level=True)

from tests import ultralytics_oracle as oracle

UL = FIXTURES / "ultralytics"
LINT = UL / "lint"
DEFAULTS = yaml.safe_load((UL / "default.yaml").read_text(encoding="utf-8"))
WHEAT = UL / "wheat_weed" / "runs" / "detect" / "train" / "args.yaml"
# 2,000 images on 4 GPUs: batch 16 -> 4 a GPU, 125 batches an epoch (ultralytics/ultralytics#8400
# fine-tuned on device=0,1,2,3)
OPTIONS = {"dataset_size": 2000, "world_size": 4}

# fixture -> (the (id, severity) findings it gives, exactly; what its warning's message says)
CASES: dict[Path, tuple[set[tuple[str, str]], str | None]] = {
    LINT / "sgd_finetune_3_epochs_warmup_capped.yaml": (
        {("LR016", "warning"), ("LR005", "note")},
        "Ultralytics' trainer adjusts it without a word: warmup_epochs 3 > epochs - 1 = 2 for epochs 3: "
        "it warms up for epochs - 1 = 2 epochs (250 iterations), 67% of the run",
    ),
    LINT / "sgd_one_epoch_warmup_dropped.yaml": (
        {("LR016", "warning")},
        "warmup_epochs 3 > epochs - 1 = 0 for epochs 1: no warmup runs at all",
    ),
    LINT / "auto_ignores_lr0_finetune.yaml": (
        {("LR016", "warning"), ("LR005", "note")},
        "Ultralytics' trainer warns: optimizer: 'optimizer=auto' found, ignoring 'lr0=0.0001' and "
        "determining best 'optimizer' and 'lr0' automatically... AdamW(lr=0.000714, momentum=0.9) for 160 "
        "iterations (at most 10000), the bias warmup from 0: the file's lr0: 0.0001 never reaches the optimizer",
    ),
    LINT / "adamw_warmup_bias_lr_falls.yaml": (
        {("LR019", "warning"), ("LR005", "note")},
        "the lr falls during its declared warmup (Ultralytics' trainer's warmup_epochs, to step 125): "
        "starts at 0.1, 100x its peak 0.001",
    ),
    LINT / "sgd_100_epochs_ok.yaml": ({("LR005", "note")}, None),
    LINT / "adamw_cosine_finetune_ok.yaml": ({("LR005", "note")}, None),
    UL / "default.yaml": ({("LR005", "note")}, None),  # auto with the package's own lr0: nothing ignored
    WHEAT: ({("LR005", "note")}, None),  # a real run's args: auto, lr0 as default.yaml has it
}
# the fix each warning prints, as the file writes it (None: advice naming another key)
FIXES = {
    "sgd_finetune_3_epochs_warmup_capped.yaml": "warmup_epochs=0.3",
    "sgd_one_epoch_warmup_dropped.yaml": "warmup_epochs=0",
    "auto_ignores_lr0_finetune.yaml": None,
    "adamw_warmup_bias_lr_falls.yaml": "warmup_bias_lr=0.0",
}


def _files_for(path: Path) -> list[str]:
    """The real run's dataset YAML (at the project root it ran from)."""
    return [f"data={UL / 'wheat_weed' / 'cwfid.yaml'}"] if path == WHEAT else []


def _load(path: Path, sets: list[str] | None = None) -> lrplot.Config:
    return lrplot.load(path, sets=sets or [], files_for=_files_for(path), **OPTIONS)


def findings(path: Path, sets: list[str] | None = None) -> list[Finding]:
    config = _load(path, sets)
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lint(config, simulate(config, plans=plans), plans=plans)


@pytest.mark.parametrize("path", sorted(CASES), ids=lambda p: p.name)
def test_each_file_gives_exactly_its_findings(path: Path) -> None:
    expected, message = CASES[path]
    found = findings(path)
    assert {(f.id, f.severity) for f in found} == expected, [f.line() for f in found]
    for finding in found:
        if finding.severity == "warning":
            assert message in finding.message, finding.line()
            assert finding.where is not None and finding.where.startswith(f"{path}:"), finding.line()


@pytest.mark.parametrize("name", sorted(FIXES))
def test_each_warning_points_at_the_line_of_its_key(name: str) -> None:
    (warning,) = [f for f in findings(LINT / name) if f.severity == "warning"]
    key = "optimizer" if FIXES[name] is None else str(FIXES[name]).split("=", 1)[0]
    lines = (LINT / name).read_text(encoding="utf-8").splitlines()
    line = int(str(warning.where).rsplit(":", 1)[1])
    assert lines[line - 1].startswith(f"{key}:"), warning.line()


@pytest.mark.parametrize("name", sorted(k for k, v in FIXES.items() if v is not None))
def test_the_printed_fix_names_the_files_key_and_removes_the_warning(name: str) -> None:
    (warning,) = [f for f in findings(LINT / name) if f.severity == "warning"]
    assert warning.fix is not None and warning.fix.as_set() == FIXES[name]
    assert f"set {warning.fix.shown()}" in warning.suggestion
    after = findings(LINT / name, [warning.fix.as_set()])
    assert not [f for f in after if f.severity == "warning"], [f.line() for f in after]


def test_auto_ignoring_lr0_is_fixed_by_naming_an_optimizer_which_then_uses_lr0() -> None:
    path = LINT / "auto_ignores_lr0_finetune.yaml"
    (warning,) = [f for f in findings(path) if f.severity == "warning"]
    assert warning.fix is None  # only another key (optimizer) silences it
    assert warning.suggestion == "set optimizer: SGD (or the optimizer you mean) so that lr0: 0.0001 is used"
    # SGD then uses lr0 1e-4, and the default bias warmup from 0.1 starts 1000x above it (LR019)
    after = [f for f in findings(path, ["optimizer=SGD"]) if f.severity == "warning"]
    assert [(f.id, f.group) for f in after] == [("LR019", "bias")], [f.line() for f in after]
    assert "starts at 0.1, 1e+03x its peak 0.0001" in after[0].message
    assert not [f for f in findings(path, ["optimizer=SGD", "warmup_bias_lr=0.0"]) if f.severity == "warning"]
    assert _load(path, ["optimizer=SGD"]).curves[0].optimizer.keywords["lr"] == 0.0001


def test_the_relayed_auto_line_is_the_one_the_installed_trainer_logs() -> None:
    path = LINT / "auto_ignores_lr0_finetune.yaml"
    args = yaml.safe_load(path.read_text(encoding="utf-8"))
    theirs = oracle.run(args, OPTIONS["dataset_size"], OPTIONS["world_size"])  # no data: nc 10
    (logged,) = theirs["logged"]
    (warning,) = [f for f in findings(path) if f.severity == "warning"]
    assert f"warns: {logged.rstrip()} {theirs['name']}(lr={theirs['lr0']}, momentum=0.9)" in warning.message
    assert theirs["warmup_bias_lr"] == 0.0 and "the bias warmup from 0" in warning.message


@pytest.mark.parametrize(
    ("overrides", "warned"),
    [
        ({"lr0": 0.002}, "the file's lr0: 0.002 never reaches"),
        ({"warmup_bias_lr": 0.05}, "the file's warmup_bias_lr: 0.05 never reaches"),
        ({"lr0": 0.02, "epochs": 400}, "MuSGD(lr=0.01, momentum=0.9) for 12,800 iterations (above 10000)"),
        ({"lr0": 0.01}, None),  # the package's own default: nothing the user meant is ignored
        ({"lr0": 0.002, "optimizer": "SGD"}, None),
    ],
)
def test_auto_warns_only_when_it_ignores_an_lr_the_file_chose(
    tmp_path: Path, overrides: dict, warned: str | None
) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump({"lr0": 0.01, "lrf": 0.01, "warmup_bias_lr": 0.1, **overrides}))
    said = [f.message for f in findings(path) if f.id == "LR016"]
    if warned is None:
        assert said == []
    else:
        assert len(said) == 1 and warned in said[0], said


@settings(max_examples=60, deadline=None)
@given(
    warmup_epochs=st.one_of(st.integers(0, 12).map(float), st.floats(0, 12, allow_nan=False)),
    epochs=st.integers(1, 12),
    nb=st.integers(1, 300),
)
def test_the_declared_warmup_and_its_cap_warning_follow_the_installed_trainer(
    warmup_epochs: float, epochs: int, nb: int
) -> None:
    """The warmup declared is ``_get_warmup_iterations`` itself; the cap warning is declared
    exactly when that differs from the warmup written (``round(warmup_epochs * nb)``)."""
    from lrplot.plan.drivers.ultralytics import Trainer

    keywords = {"epochs": epochs, "nb": nb, "warmup_epochs": warmup_epochs, "lrf": 0.01}
    facts = Trainer.facts(keywords)
    theirs = oracle.warmup_iterations(warmup_epochs, epochs, nb)
    warmups = [length.value for length in facts.lengths if length.shape == "warmup"]
    assert warmups == ([theirs] if theirs else [])
    capped = warmup_epochs > 0 and theirs != round(warmup_epochs * nb)
    assert [w.key for w in facts.warnings] == ([("warmup_epochs",)] if capped else [])


def test_the_facts_the_checks_read() -> None:
    """Peak and floor per group (lrf a share of each group's lr), the warmup in iterations written
    in epochs, the decay over the run's epochs, stepped per iteration."""
    config = _load(LINT / "sgd_100_epochs_ok.yaml")
    facts = facts_of(plan(config)[0].segments[0].scheduler)
    assert facts.name == "Ultralytics' trainer" and facts.stepped_in == "iteration"
    assert (facts.peak, facts.floor, facts.floor_factor, facts.floor_key) == (None, None, 0.01, ("lrf",))
    warmup, decay = facts.lengths
    assert (warmup.value, warmup.unit, warmup.per_unit, warmup.as_written) == (375, "epoch", 125, 3.0)
    assert (decay.keyword, decay.value, decay.shape, decay.target) == ("epochs", 12500, "decay", 0.01)


FRACTIONS = [
    ("lrf", 10), ("lrf", -0.1), ("lr0", 1.5), ("warmup_bias_lr", 2), ("momentum", 1.2),
    ("warmup_momentum", -1), ("lrf", 1.0), ("lrf", 0.0), ("lr0", 1),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value"), FRACTIONS)
def test_a_fraction_the_trainer_refuses_is_refused_with_its_message(
    cli, tmp_path: Path, key: str, value: float
) -> None:
    """``check_cfg`` (run by ``get_cfg`` as BaseTrainer starts) refuses lr keys outside [0, 1]:
    lrf above 1 (a "floor" above the peak) never trains, so lrplot refuses it the same way."""
    args = {**DEFAULTS, "optimizer": "SGD", key: value}
    try:
        oracle.check_cfg(args, DEFAULTS)
        refused = None
    except ValueError as error:
        refused = str(error)
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump({"lr0": 0.01, "lrf": 0.01, "warmup_bias_lr": 0.1, "optimizer": "SGD",
                                    key: value}))  # fmt: skip
    result = cli("validate", path, "--dataset-size", "100")
    if refused is None:
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{path}:") and refused in line


@pytest.mark.parametrize("path", sorted(CASES), ids=lambda p: p.name)
def test_validate_strict_fails_each_mistake_and_passes_each_correct_file(cli, path: Path) -> None:
    expected, _ = CASES[path]
    files_for = [arg for given in _files_for(path) for arg in ("--file-for", given)]
    result = cli("validate", "--strict", path, "--dataset-size", "2000", "--world-size", "4", *files_for)
    warned = any(severity == "warning" for _, severity in expected)
    assert result.exit_code == (1 if warned else 0), result.stderr
    for check_id, severity in expected:
        assert f"{severity} [{check_id}]" in result.stderr


def test_the_trainers_adjustment_fails_strict_in_a_real_process() -> None:
    path = LINT / "sgd_finetune_3_epochs_warmup_capped.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "validate", "--strict", str(path), "--dataset-size", "2000",
         "--world-size", "4"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"warning [LR016]: {path}:98:" in done.stderr
    assert "set warmup_epochs: 0.3" in done.stderr


def test_lrf_above_1_in_a_real_format_file_is_one_line_naming_its_line(cli) -> None:
    """lrf 10 would be a floor ten times the peak (LR013's mistake); Ultralytics never trains it."""
    path = LINT / "sgd_lrf_above_1.yaml"
    result = cli("validate", "--strict", path, "--dataset-size", "2000")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"{path}:95: 'lrf=10' is an invalid value. Valid 'lrf' values are between 0.0 and 1.0. "
        "(ultralytics' check_cfg refuses it before training)"
    ]


@pytest.mark.parametrize(
    "name", ["sgd_finetune_3_epochs_warmup_capped.yaml", "auto_ignores_lr0_finetune.yaml"]
)
def test_the_docs_examples_are_real_output(name: str) -> None:
    import re

    page = (ROOT / "docs" / "formats" / "ultralytics.md").read_text(encoding="utf-8")
    examples = re.findall(r"^\s*(lrplot: warning \[LR016\]: args\.yaml.*)$", page, flags=re.M)
    config = _load(LINT / name)
    config.source.name = "args.yaml"
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (warning,) = [
            f for f in lint(config, simulate(config, plans=plans), plans=plans) if f.severity == "warning"
        ]
    assert warning.line() in examples


@pytest.mark.parametrize(
    ("sets", "fires"),
    [
        (["optimizer=SGD"], False),  # 0.1 to lr0 0.01: 10x, YOLOv5's design (yolov5#4279, #12664)
        (["optimizer=SGD", "lr0=0.0032", "warmup_bias_lr=0.05"], False),  # YOLOv5 hyp.finetune: 15.6x
        (["optimizer=SGD", "lr0=0.0055"], False),  # 18x
        (["optimizer=SGD", "lr0=0.0045"], True),  # 22x
        (["optimizer=AdamW", "lr0=0.001"], True),  # 100x (ultralytics#7782)
        (["optimizer=AdamW", "lr0=0.001", "warmup_epochs=0"], False),  # no warmup, nothing falls
        (["optimizer=auto", "lr0=0.001"], False),  # auto sets warmup_bias_lr 0 for AdamW
    ],
)
def test_the_bias_warmup_that_goes_down_is_reported_above_20x_its_peak(sets: list[str], fires: bool) -> None:
    found = [f for f in findings(LINT / "sgd_100_epochs_ok.yaml", sets) if f.id == "LR019"]
    assert bool(found) is fires, [f.line() for f in found]
    assert all(f.group == "bias" and f.step == 0 for f in found)
