"""The schedule checks on the files people train with: each mistake of lrplot issue 25 is
caught in the format it was made in (a buggy and a correct file per check and format that can
express it), each file is claimed by exactly its own format, the fix printed is one that works
(re-simulated), and ``validate --strict`` fails the buggy file and passes the correct one."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import lrplot
from lrplot.engines import simulate
from lrplot.lint import Finding, lint
from lrplot.plan import plan
from tests.conftest import FIXTURES, ROOT
from tests.test_identify import claimants, read

FOREIGN = FIXTURES / "lint" / "foreign"

# fixture -> (its format, load options, the (id, severity) findings it must give, exactly)
CASES: dict[str, tuple[str, dict, set[tuple[str, str]]]] = {
    # Hugging Face Trainer
    "hf_cosine_past_num_training_steps.yaml": (
        "huggingface",
        {"sets": ["total_step=1500"]},
        {("LR001", "warning"), ("LR005", "note")},
    ),
    "hf_cosine_num_cycles_2.yaml": ("huggingface", {}, {("LR001", "warning"), ("LR005", "note")}),
    "hf_cosine_ok.yaml": ("huggingface", {}, {("LR005", "note")}),
    "hf_min_lr_rate_above_1.yaml": ("huggingface", {}, {("LR013", "warning"), ("LR005", "note")}),
    "hf_min_lr_rate_ok.yaml": ("huggingface", {}, {("LR005", "note")}),
    # mmengine
    "mmengine/cosine_t_max_not_updated.py": ("mmengine", {"steps_per_epoch": 100}, {("LR001", "warning")}),
    "mmengine/cosine_eta_min_above_lr.py": ("mmengine", {"steps_per_epoch": 100}, {("LR013", "warning")}),
    "mmengine/cosine_ok.py": ("mmengine", {"steps_per_epoch": 100}, set()),
    "mmengine/polylr_end_not_updated.py": ("mmengine", {}, {("LR003", "warning")}),
    "mmengine/polylr_ok.py": ("mmengine", {}, set()),
    "mmengine/multistep_1x_milestones_in_2x.py": (
        "mmengine",
        {"steps_per_epoch": 100},
        {("LR004", "warning")},
    ),
    "mmengine/multistep_ok.py": ("mmengine", {"steps_per_epoch": 100}, set()),
    # timm
    "timm_warmup_longer_than_finetune.yaml": ("timm", {"steps_per_epoch": 500}, {("LR003", "warning")}),
    "timm_milestones_beyond_epochs.yaml": ("timm", {"steps_per_epoch": 500}, {("LR004", "warning")}),
    "timm_min_lr_above_lr.yaml": ("timm", {"steps_per_epoch": 500}, {("LR013", "warning")}),
    "timm_warmup_lr_above_lr.yaml": ("timm", {"steps_per_epoch": 500}, {("LR019", "warning")}),
    "timm_ok.yaml": ("timm", {"steps_per_epoch": 500}, set()),
    # DeepSpeed
    "deepspeed/warmup_decay_warmup_beyond_total.json": ("deepspeed", {}, {("LR016", "warning")}),
    "deepspeed/warmup_decay_ok.json": ("deepspeed", {}, set()),
    # nanoGPT
    "nanogpt_lr_decay_iters_beyond_max_iters.py": ("nanogpt", {}, {("LR003", "warning")}),
    "nanogpt_min_lr_above_learning_rate.py": ("nanogpt", {}, {("LR013", "warning")}),
    "nanogpt_ok.py": ("nanogpt", {}, set()),
    # torchtitan
    "torchtitan_warmup_beyond_steps.toml": ("torchtitan", {}, {("LR016", "warning")}),
    "torchtitan_ok.toml": ("torchtitan", {}, set()),
    # axolotl
    "axolotl/cosine_min_lr_warmup_beyond_max_steps.yaml": (
        "axolotl",
        {},
        {("LR003", "warning"), ("LR005", "note")},
    ),
    "axolotl/cosine_min_lr_ok.yaml": ("axolotl", {}, {("LR005", "note")}),
    # LightningCLI (steps the scheduler once per epoch)
    "lightning/plateau_mode_max_on_loss.yaml": (
        "lightning",
        {"steps_per_epoch": 100},
        {("LR011", "warning")},
    ),
    "lightning/plateau_val_acc_max_ok.yaml": ("lightning", {"steps_per_epoch": 100}, {("LR011", "note")}),
    "lightning/cosine_t_max_in_steps_stepped_per_epoch.yaml": (
        "lightning",
        {"steps_per_epoch": 390},
        {("LR003", "warning")},
    ),
    "lightning/cosine_ok.yaml": ("lightning", {"steps_per_epoch": 390}, set()),
    "lightning/exponential_gamma_above_1.yaml": (
        "lightning",
        {"steps_per_epoch": 100},
        {("LR015", "warning")},
    ),
    "lightning/exponential_gamma_negative.yaml": (
        "lightning",
        {"steps_per_epoch": 100},
        {("LR014", "warning")},
    ),
    "lightning/exponential_ok.yaml": ("lightning", {"steps_per_epoch": 100}, set()),
    # Megatron-LM (launch scripts: one scheduler step per iteration, megatron-core's own scheduler)
    "megatron/decay_iters_beyond_train_iters.sh": ("megatron", {}, {("LR003", "warning"), ("LR005", "note")}),
    "megatron/warmup_iters_beyond_train_iters.sh": (
        "megatron",
        {},
        {("LR003", "warning"), ("LR005", "note")},
    ),
    "megatron/decay_iters_ok.sh": ("megatron", {}, {("LR005", "note")}),
    # Composer / llm-foundry (one scheduler step per trainer batch)
    "composer/t_warmup_beyond_max_duration.yaml": ("composer", {}, {("LR003", "warning")}),
    "composer/cosine_with_warmup_ok.yaml": ("composer", {}, set()),
    # torchtune (one scheduler step per optimizer step, the recipe's epochs x steps an epoch)
    "torchtune/warmup_beyond_max_steps.yaml": ("torchtune", {}, {("LR003", "warning"), ("LR005", "note")}),
    "torchtune/cosine_ok.yaml": ("torchtune", {}, {("LR005", "note")}),
    # fairseq (one scheduler step_update per update)
    "fairseq/warmup_updates_beyond_max_update.yaml": (
        "fairseq",
        {},
        {("LR003", "warning"), ("LR005", "note")},
    ),
    "fairseq/polynomial_decay_ok.yaml": ("fairseq", {}, {("LR005", "note")}),
    # detectron2 (one scheduler step per iteration; build_lr_scheduler drops STEPS beyond MAX_ITER)
    "detectron2/steps_beyond_max_iter.yaml": ("detectron2", {}, {("LR016", "warning")}),
    "detectron2/multistep_ok.yaml": ("detectron2", {}, set()),
}


def findings(name: str) -> list[Finding]:
    _, options, _ = CASES[name]
    config = lrplot.load(FOREIGN / name, **options)
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = simulate(config, plans=plans)
    return lint(config, result, plans=plans)


def test_every_foreign_fixture_is_listed() -> None:
    on_disk = {str(p.relative_to(FOREIGN)) for p in FOREIGN.rglob("*") if p.is_file()}
    assert on_disk == set(CASES)


def test_every_format_with_a_mistake_has_a_correct_file_too() -> None:
    buggy = {fmt for fmt, _, found in CASES.values() if any(s == "warning" for _, s in found)}
    clean = {fmt for fmt, _, found in CASES.values() if not any(s == "warning" for _, s in found)}
    assert buggy <= clean


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_fixture_is_claimed_by_its_own_format_alone(name: str) -> None:
    path = FOREIGN / name
    assert claimants(path, read(path)) == [CASES[name][0]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_foreign_file_gives_exactly_its_findings(name: str) -> None:
    if CASES[name][0] == "timm":
        pytest.importorskip("timm")
    assert {(f.id, f.severity) for f in findings(name)} == CASES[name][2]


@pytest.mark.parametrize("name", sorted(n for n, (_, _, found) in CASES.items() if found))
def test_each_warning_names_a_line_of_the_file_and_a_step_or_key(name: str) -> None:
    if CASES[name][0] == "timm":
        pytest.importorskip("timm")
    for finding in findings(name):
        assert finding.where is not None and re.search(
            rf"{re.escape(Path(name).name)}:\d+$", finding.where
        ), finding
        assert finding.suggestion, finding


# the fix each warning prints, in the file's own keys: applied with --set KEY=VALUE on the file
# (the file's grammar, before translation), it removes the warning
# (every milestone beyond the run: no one key fixes it, the suggestion says what to move)
# (Megatron asserts --lr-warmup-iters < --lr-decay-iters, so a warmup beyond the run comes with a
# decay beyond it: no one key fixes both)
NO_ONE_KEY_FIX = {"mmengine/multistep_1x_milestones_in_2x.py", "megatron/warmup_iters_beyond_train_iters.sh"}
FIXED = sorted(
    n
    for n, (_, _, found) in CASES.items()
    if any(s == "warning" for _, s in found) and n not in NO_ONE_KEY_FIX
)


@pytest.mark.parametrize("name", FIXED)
def test_the_printed_fix_removes_the_warning(name: str) -> None:
    if CASES[name][0] == "timm":
        pytest.importorskip("timm")
    _, options, _ = CASES[name]
    for finding in [f for f in findings(name) if f.severity == "warning"]:
        assert finding.fix is not None, finding.line()
        # the fix names the file's own key (never lrplot's internal curves.N.scheduler.KEYWORD)
        assert not finding.fix.as_set().startswith(("curves.", "lrplot.")), finding.fix.as_set()
        assert finding.fix.shown() in finding.suggestion, finding.line()
        trial = {**options, "sets": [*options.get("sets", []), finding.fix.as_set()]}
        config = lrplot.load(FOREIGN / name, **trial)
        plans = plan(config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            after = lint(config, simulate(config, plans=plans), plans=plans)
        assert not [f for f in after if f.severity == "warning"], [f.line() for f in after]


def _cli_args(name: str) -> list[str]:
    _, options, _ = CASES[name]
    args = ["validate", "--strict", str(FOREIGN / name)]
    if "steps_per_epoch" in options:
        args += ["--steps-per-epoch", str(options["steps_per_epoch"])]
    for assignment in options.get("sets", []):
        args += ["--set", assignment]
    return args


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_strict_fails_each_mistake_and_passes_each_correct_file(cli, name: str) -> None:
    if CASES[name][0] == "timm":
        pytest.importorskip("timm")
    result = cli(*_cli_args(name))
    warned = any(severity == "warning" for _, severity in CASES[name][2])
    assert result.exit_code == (1 if warned else 0), result.stderr
    for check_id, severity in CASES[name][2]:
        assert f"{severity} [{check_id}]" in result.stderr


def test_torchtitan_own_warning_shows_under_validate_and_fails_strict_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", *_cli_args("torchtitan_warmup_beyond_steps.toml")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "torchtitan warns: Warmup steps (200) exceed total steps (10)" in done.stderr
    assert "torchtitan_warmup_beyond_steps.toml:" in done.stderr


# the key each fix names, as the file writes it (issue 25: never lrplot's internal keyword)
FILE_KEYS = {
    "hf_cosine_num_cycles_2.yaml": "lr_scheduler_kwargs.num_cycles=0.5",
    "hf_min_lr_rate_above_1.yaml": "lr_scheduler_kwargs.min_lr_rate=",
    "axolotl/cosine_min_lr_warmup_beyond_max_steps.yaml": "warmup_steps=200",
    "deepspeed/warmup_decay_warmup_beyond_total.json": "scheduler.params.warmup_num_steps=",
    "mmengine/cosine_t_max_not_updated.py": "param_scheduler.0.T_max=100",
    "mmengine/polylr_end_not_updated.py": "param_scheduler.0.end=20000",
    "timm_warmup_longer_than_finetune.yaml": "warmup_epochs=3",
    "torchtitan_warmup_beyond_steps.toml": "lr_scheduler.warmup_steps=",
    "nanogpt_lr_decay_iters_beyond_max_iters.py": "lr_decay_iters=5001",
    "lightning/cosine_t_max_in_steps_stepped_per_epoch.yaml": "lr_scheduler.init_args.T_max=50",
    "megatron/decay_iters_beyond_train_iters.sh": "lr_decay_iters=20000",
    "composer/t_warmup_beyond_max_duration.yaml": 'scheduler.t_warmup="319ba"',
    "torchtune/warmup_beyond_max_steps.yaml": "lr_scheduler.num_warmup_steps=50",
    "fairseq/warmup_updates_beyond_max_update.yaml": "lr_scheduler.warmup_updates=5000",
    "detectron2/steps_beyond_max_iter.yaml": "SOLVER.STEPS=[60000]",
}


@pytest.mark.parametrize("name", sorted(FILE_KEYS))
def test_each_fix_names_the_key_the_file_writes(name: str) -> None:
    if CASES[name][0] == "timm":
        pytest.importorskip("timm")
    fixes = [f.fix.as_set() for f in findings(name) if f.severity == "warning" and f.fix is not None]
    assert any(fix.startswith(FILE_KEYS[name]) for fix in fixes), fixes
