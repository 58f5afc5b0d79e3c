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
ZERO_FIRST = ("LR005", "note")  # a warmup from 0: the first step at lr 0 (every one of these formats)
RTE_EPOCH = {"steps_per_epoch": 250}  # fairseq batches RTE by tokens: an epoch's updates are given
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
    "deepspeed/warmup_min_lr_above_max.json": ("deepspeed", {}, {("LR019", "warning")}),
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
    "torchtune/cosine_num_cycles_2.yaml": ("torchtune", {}, {("LR001", "warning"), ("LR005", "note")}),
    "torchtune/cosine_ok.yaml": ("torchtune", {}, {("LR005", "note")}),
    # DeepSpeed's OneCycle (its own keys, no torch class): a run shorter than the cycle (LR008)
    "deepspeed/one_cycle_run_shorter_than_cycle.json": (
        "deepspeed",
        {"sets": ["lrplot.total_step=600"]},
        {("LR008", "warning")},
    ),
    "deepspeed/one_cycle_ok.json": ("deepspeed", {"sets": ["lrplot.total_step=5000"]}, set()),
    # fairseq (one scheduler step_update per update)
    "fairseq/warmup_updates_beyond_max_update.yaml": (
        "fairseq",
        {},
        {("LR003", "warning"), ("LR005", "note")},
    ),
    "fairseq/polynomial_decay_ok.yaml": ("fairseq", {}, {("LR005", "note")}),
    # fairseq's cosine with restarts (its own keys: lr_period_updates after the warmup, t_mult)
    "fairseq/cosine_restarts_cut_in_a_period.yaml": ("fairseq", {}, {("LR009", "warning"), ZERO_FIRST}),
    "fairseq/cosine_restarts_ok.yaml": ("fairseq", {}, {ZERO_FIRST}),
    # fairseq's reduce_lr_on_plateau (its own keys: checkpoint.best_checkpoint_metric and
    # maximize_best_checkpoint_metric set torch's monitor and mode)
    "fairseq/plateau_min_on_accuracy.yaml": ("fairseq", RTE_EPOCH, {("LR011", "warning"), ZERO_FIRST}),
    "fairseq/plateau_max_on_accuracy_ok.yaml": ("fairseq", RTE_EPOCH, {ZERO_FIRST}),
    # detectron2 (one scheduler step per iteration; build_lr_scheduler drops STEPS beyond MAX_ITER)
    "detectron2/steps_beyond_max_iter.yaml": ("detectron2", {}, {("LR016", "warning")}),
    "detectron2/warmup_iters_beyond_max_iter.yaml": ("detectron2", {}, {("LR003", "warning")}),
    "detectron2/multistep_ok.yaml": ("detectron2", {}, set()),
    # detectron2 LazyConfig (warmup_length is a share of train.max_iter; one step per iteration)
    "detectron2_lazy/warmup_beyond_max_iter.py": ("detectron2_lazy", {}, {("LR003", "warning")}),
    "detectron2_lazy/cosine_ok.py": ("detectron2_lazy", {}, set()),
}

# Cases that are a real file of tests/fixtures/<format>/ with a few lines changed, written out by
# the test (no near-copies on disk): name -> (the real file, (line as it is, line as the case has it)).
# Each change must match its line exactly once, so a changed source file cannot void a case.
MEGATRON = "megatron/mixtral_train_mixtral_8x7b_distributed.sh"  # NVIDIA/Megatron-LM core_v0.16.0
TRAIN_20K = ("    --train-iters 500000\n", "    --train-iters 20000\n")
DECAY_64 = ("    --lr-decay-iters 320000\n", "    --lr-decay-iters 12800\n")  # the original's 64% of the run
TORCHTUNE = "torchtune/llama3_2_1B_lora_single_device.yaml"
STEPS_1000 = ("max_steps_per_epoch: null\n", "max_steps_per_epoch: 1000\n")
COMPOSER = "composer/finetune_llama-3-8b_domain_adapt.yaml"
DETECTRON2 = "detectron2/Base-RetinaNet.yaml"
ONE_CYCLE = "huggingface/deepspeed/deepspeedexamples_qanet_ds_bsz512_1cycle.json"  # DeepSpeedExamples QANet
ROBERTA = "fairseq/roberta/config/pretraining/base.yaml"
COSINE_RESTARTS = (
    ("  _name: polynomial_decay\n", "  _name: cosine\n  lr_period_updates: 1000\n  lr_shrink: 1.0\n"),
    ("  warmup_updates: 10000\n", "  warmup_updates: 400\n"),
)
RTE = "fairseq/roberta/config/finetuning/rte.yaml"
PLATEAU = ("  _name: polynomial_decay\n", "  _name: reduce_lr_on_plateau\n")
VARIANTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    # RoBERTa's RTE fine-tune (best_checkpoint_metric: accuracy) on reduce_lr_on_plateau; with
    # maximize_best_checkpoint_metric false its ReduceLROnPlateau runs in mode min on an accuracy
    # (the mirror of facebookresearch/fairseq#2205, where the flag was ignored)
    "fairseq/plateau_min_on_accuracy.yaml": (
        RTE,
        (
            PLATEAU,
            ("  maximize_best_checkpoint_metric: true\n", "  maximize_best_checkpoint_metric: false\n"),
        ),
    ),
    "fairseq/plateau_max_on_accuracy_ok.yaml": (RTE, (PLATEAU,)),
    # restarts every 1,000 updates after a 400-update warmup: a run of 3,600 updates ends 20% into
    # its fourth period, near the top; 4,400 ends where a period ends
    "fairseq/cosine_restarts_cut_in_a_period.yaml": (
        ROBERTA,
        (*COSINE_RESTARTS, ("  max_update: 125000\n", "  max_update: 3600\n")),
    ),
    "fairseq/cosine_restarts_ok.yaml": (
        ROBERTA,
        (*COSINE_RESTARTS, ("  max_update: 125000\n", "  max_update: 4400\n")),
    ),
    "megatron/decay_iters_ok.sh": (MEGATRON, (TRAIN_20K, DECAY_64)),
    # --train-iters shortened to 20000, --lr-decay-iters left at 320000: the decay 6% done at the end
    "megatron/decay_iters_beyond_train_iters.sh": (MEGATRON, (TRAIN_20K,)),
    # --train-iters shortened to 2000 and --lr-warmup-iters 5000: the warmup never finishes
    "megatron/warmup_iters_beyond_train_iters.sh": (
        MEGATRON,
        (
            ("    --train-iters 500000\n", "    --train-iters 2000\n"),
            DECAY_64,
            ("    --lr-warmup-iters 500\n", "    --lr-warmup-iters 5000\n"),
        ),
    ),
    "torchtune/cosine_ok.yaml": (TORCHTUNE, (STEPS_1000,)),
    # a short run (50 steps) with num_warmup_steps left at 100
    "torchtune/warmup_beyond_max_steps.yaml": (
        TORCHTUNE,
        (("max_steps_per_epoch: null\n", "max_steps_per_epoch: 50\n"),),
    ),
    # num_cycles: 2 on the cosine (issue 25): two full waves, the run ends back at the peak
    "torchtune/cosine_num_cycles_2.yaml": (
        TORCHTUNE,
        (STEPS_1000, ("  num_warmup_steps: 100\n", "  num_warmup_steps: 100\n  num_cycles: 2\n")),
    ),
    "composer/cosine_with_warmup_ok.yaml": (COMPOSER, ()),
    "composer/t_warmup_beyond_max_duration.yaml": (
        COMPOSER,
        (("  t_warmup: 100ba\n", "  t_warmup: 5000ba\n"),),
    ),
    "detectron2/multistep_ok.yaml": (DETECTRON2, ()),
    # MAX_ITER cut to 70000 with STEPS (60000, 80000) left: detectron2 drops 80000 and warns
    "detectron2/steps_beyond_max_iter.yaml": (DETECTRON2, (("  MAX_ITER: 90000\n", "  MAX_ITER: 70000\n"),)),
    # detectron2's Colab tutorial's fine-tune: MAX_ITER 300, STEPS [] ("do not decay"), WARMUP_ITERS at
    # its default 1000: build_lr_scheduler fits the warmup to the run, which is all warmup
    "detectron2/warmup_iters_beyond_max_iter.yaml": (
        DETECTRON2,
        (("  STEPS: (60000, 80000)\n", "  STEPS: []\n"), ("  MAX_ITER: 90000\n", "  MAX_ITER: 300\n")),
    ),
    # the example's OneCycle (a cycle of 1000 + 100 steps) in a 600-step run, and in a 5000-step one
    "deepspeed/one_cycle_run_shorter_than_cycle.json": (ONE_CYCLE, ()),
    "deepspeed/one_cycle_ok.json": (ONE_CYCLE, ()),
}


def variant_text(name: str) -> str:
    """A variant case's file: its real source with each change applied (each matching once)."""
    source, changes = VARIANTS[name]
    text = (FIXTURES / source).read_text(encoding="utf-8")
    for before, after in changes:
        assert text.count(before) == 1, (name, before)
        text = text.replace(before, after)
    return text


@pytest.fixture(scope="module", autouse=True)
def _variants(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Write the variant cases once, under their case names (a finding's file:line names them)."""
    folder = tmp_path_factory.mktemp("variants")
    for name in VARIANTS:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(variant_text(name), encoding="utf-8")
    WRITTEN.update({name: folder / name for name in VARIANTS})


WRITTEN: dict[str, Path] = {}


def path_of(name: str) -> Path:
    """A case's file: on disk under lint/foreign/, or its variant as written for this module."""
    return WRITTEN[name] if name in VARIANTS else FOREIGN / name


def findings(name: str) -> list[Finding]:
    _, options, _ = CASES[name]
    config = lrplot.load(path_of(name), **options)
    plans = plan(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = simulate(config, plans=plans)
    return lint(config, result, plans=plans)


def test_every_foreign_fixture_is_listed() -> None:
    on_disk = {str(p.relative_to(FOREIGN)) for p in FOREIGN.rglob("*") if p.is_file()}
    assert on_disk == set(CASES) - set(VARIANTS)


def test_each_variant_changes_its_source_or_is_its_source() -> None:
    for name, (source, changes) in VARIANTS.items():
        text = variant_text(name)
        assert (text != (FIXTURES / source).read_text(encoding="utf-8")) == bool(changes), name


def test_every_format_with_a_mistake_has_a_correct_file_too() -> None:
    buggy = {fmt for fmt, _, found in CASES.values() if any(s == "warning" for _, s in found)}
    clean = {fmt for fmt, _, found in CASES.values() if not any(s == "warning" for _, s in found)}
    assert buggy <= clean


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_fixture_is_claimed_by_its_own_format_alone(name: str) -> None:
    path = path_of(name)
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
FIXED = sorted(n for n, (_, _, found) in CASES.items() if any(s == "warning" for _, s in found))


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
        config = lrplot.load(path_of(name), **trial)
        plans = plan(config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            after = lint(config, simulate(config, plans=plans), plans=plans)
        assert not [f for f in after if f.severity == "warning"], [f.line() for f in after]


def _cli_args(name: str) -> list[str]:
    _, options, _ = CASES[name]
    args = ["validate", "--strict", str(path_of(name))]
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
    # Megatron asserts warmup < decay: the one key for a warmup and a decay beyond the run is the run
    "megatron/warmup_iters_beyond_train_iters.sh": "train_iters=12800",
    "composer/t_warmup_beyond_max_duration.yaml": "scheduler.t_warmup=319ba",
    "torchtune/warmup_beyond_max_steps.yaml": "lr_scheduler.num_warmup_steps=50",
    "torchtune/cosine_num_cycles_2.yaml": "lr_scheduler.num_cycles=0.5",
    "fairseq/warmup_updates_beyond_max_update.yaml": "lr_scheduler.warmup_updates=5000",
    "detectron2/steps_beyond_max_iter.yaml": "SOLVER.STEPS=[60000]",
    "detectron2/warmup_iters_beyond_max_iter.yaml": "SOLVER.WARMUP_ITERS=30",
    # mmdetection's 2x milestones in a 1x run, scaled into it: its 1x milestones
    "mmengine/multistep_1x_milestones_in_2x.py": "param_scheduler.1.milestones=[8, 11]",
    "deepspeed/one_cycle_run_shorter_than_cycle.json": "scheduler.params.cycle_first_step_size=500",
    "fairseq/cosine_restarts_cut_in_a_period.yaml": "optimization.max_update=3400",
    "fairseq/plateau_min_on_accuracy.yaml": "checkpoint.maximize_best_checkpoint_metric=true",
    "detectron2_lazy/warmup_beyond_max_iter.py": "lr_multiplier.warmup_length=1.0",
}

# what the warning says, in the file's own keys and units (issue 25's items for these formats)
MESSAGES = {
    "composer/t_warmup_beyond_max_duration.yaml": (
        "scheduler.t_warmup is 5000ba (5,000 steps) but the run steps it 3,195 times",
        "set scheduler.t_warmup: 319ba",
    ),
    "megatron/warmup_iters_beyond_train_iters.sh": (
        "lr_warmup_iters is 5,000 but the run steps it 2,000 times: the warmup never finishes",
        "lr_decay_iters is beyond the run too: run the schedule's whole length, set train_iters: 12800",
    ),
    "torchtune/cosine_num_cycles_2.yaml": ("lr_scheduler.num_cycles", "set lr_scheduler.num_cycles: 0.5"),
    "detectron2/warmup_iters_beyond_max_iter.yaml": (
        "SOLVER.WARMUP_ITERS is 1,000 but the run steps it 300 times: the warmup is fitted to the run, "
        "so the whole run is warmup",
        "set SOLVER.WARMUP_ITERS: 30",
    ),
    "mmengine/multistep_1x_milestones_in_2x.py": (
        "milestones 16 (1,600 steps), 22 (2,200 steps) are never reached",
        "scale them to this one, param_scheduler[1].milestones: [8, 11]",
    ),
    "deepspeed/one_cycle_run_shorter_than_cycle.json": (
        "DeepSpeed's OneCycle's scheduler.params.cycle_first_step_size is 1,000 (a cycle of 1,100 steps) "
        "but the run steps it 600 times",
        "set scheduler.params.cycle_first_step_size: 500",
    ),
    "fairseq/plateau_min_on_accuracy.yaml": (
        "checkpoint.maximize_best_checkpoint_metric is false (mode 'min') but its metric 'accuracy' "
        "looks like a score",
        "set checkpoint.maximize_best_checkpoint_metric: true",
    ),
    "fairseq/cosine_restarts_cut_in_a_period.yaml": (
        "the run ends inside a cycle of fairseq's cosine that began at step 3,400",
        "end the run where a cycle ends: optimization.max_update: 3400 or optimization.max_update: 4400",
    ),
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_warning_says_the_mistake_and_its_fix_in_the_files_terms(cli, name: str) -> None:
    said, fix = MESSAGES[name]
    result = cli(*_cli_args(name))
    assert result.exit_code == 1, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "warning [" in line)
    assert said in warning and fix in warning, warning


@pytest.mark.parametrize("name", sorted(FILE_KEYS))
def test_each_fix_names_the_key_the_file_writes(name: str) -> None:
    if CASES[name][0] == "timm":
        pytest.importorskip("timm")
    fixes = [f.fix.as_set() for f in findings(name) if f.severity == "warning" and f.fix is not None]
    assert any(fix.startswith(FILE_KEYS[name]) for fix in fixes), fixes
