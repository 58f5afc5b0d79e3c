"""Megatron-LM launch scripts against megatron-core's own scheduler, driven as Megatron's loop drives it.

Two oracles, neither lrplot's code:

- the arguments: each real script is run by **bash itself** (in a temporary folder, with
  ``torchrun``/``python`` replaced by a stub that writes its argv as JSON, positional
  arguments given), and that argv parsed with argparse as Megatron's parser types those flags
  (``allow_abbrev=False``, nargs 3 for ``--rampup-batch-size``; megatron/training/arguments.py
  and training_config.py at core_v0.16.0): so lrplot's reading of bash-as-data is checked against
  bash, not against itself;
- the schedule: :func:`megatron_lrs` is ``megatron/training/training.py`` at core_v0.16.0
  (3bec9aa97dda898d16ff5a89bac0ed2b6682b172) written out — ``init_num_microbatches_calculator``,
  ``update_train_iters`` (1128-1158), ``get_optimizer_param_scheduler`` (1355-1407) and the
  ``train``/``train_step`` loop (2684-2736, 1727-1730) — with megatron-core 0.16.0's own
  ``OptimizerParamScheduler`` and microbatch calculator on a real torch optimizer, recording the
  lr every iteration's ``optimizer.step()`` used.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import megatron as megatron_format
from lrplot.read.shell import Unresolved, parse_shell
from tests.conftest import FIXTURES, ROOT

if importlib.util.find_spec("megatron.core") is None:
    pytest.skip(
        "megatron-core is not installed (pip install --no-deps megatron-core)", allow_module_level=True
    )

from lrplot.plan.drivers import megatron as driver

MEGATRON = FIXTURES / "megatron"
SCRIPTS = sorted(MEGATRON.glob("*.sh"))
BASH = shutil.which("bash")


def megatron_parser() -> argparse.ArgumentParser:
    """The schedule's flags as Megatron's argparse defines them (types, defaults, nargs)."""
    parser = argparse.ArgumentParser(allow_abbrev=False)
    add = parser.add_argument
    add("--lr", type=float, default=None)
    add("--min-lr", type=float, default=0.0)
    add("--lr-decay-style", default="linear")
    add("--lr-wsd-decay-style", default="exponential")
    for name in ("lr-decay-iters", "lr-decay-samples", "lr-wsd-decay-iters", "lr-wsd-decay-samples",
                 "train-iters", "train-samples", "micro-batch-size", "global-batch-size"):  # fmt: skip
        add(f"--{name}", type=int, default=None)
    add("--lr-warmup-fraction", type=float, default=None)
    add("--lr-warmup-iters", type=int, default=0)
    add("--lr-warmup-samples", type=int, default=0)
    add("--lr-warmup-init", type=float, default=0.0)
    add("--rampup-batch-size", type=int, nargs=3, default=None)
    add("--decrease-batch-size-if-needed", action="store_true")
    add("--weight-decay", type=float, default=0.01)
    add("--start-weight-decay", type=float, default=None)
    add("--end-weight-decay", type=float, default=None)
    add("--weight-decay-incr-style", default="constant")
    return parser


def megatron_args(argv: list[str], data_parallel_size: int = 1) -> SimpleNamespace:
    args, _ = megatron_parser().parse_known_args(argv)
    # validate_args (arguments.py): the global batch default and the weight-decay defaults
    args.data_parallel_size = data_parallel_size
    if args.global_batch_size is None:
        args.global_batch_size = args.micro_batch_size * data_parallel_size
    if args.weight_decay_incr_style == "constant":
        args.start_weight_decay = args.end_weight_decay = args.weight_decay
    return SimpleNamespace(**vars(args))


def megatron_lrs(args: SimpleNamespace) -> list[float]:
    """The lr of every iteration of Megatron-LM's training loop (module docstring)."""
    import torch

    calculators = driver.load_calculator_module()
    scheduler_module = driver.load_scheduler_module()
    calculators.init_num_microbatches_calculator(
        0, args.rampup_batch_size, args.global_batch_size, args.micro_batch_size,
        args.data_parallel_size, args.decrease_batch_size_if_needed,
    )  # fmt: skip
    try:
        # update_train_iters
        if not args.train_iters:
            if args.rampup_batch_size is None:
                args.train_iters = args.train_samples // args.global_batch_size
            else:
                iterations = consumed = 0
                while consumed <= int(args.rampup_batch_size[2]) and consumed <= args.train_samples:
                    calculators.update_num_microbatches(consumed, consistency_check=False)
                    consumed += calculators.get_current_global_batch_size()
                    iterations += 1
                calculators.update_num_microbatches(0, consistency_check=False)
                if args.train_samples > consumed:
                    iterations += (args.train_samples - consumed) // args.global_batch_size
                args.train_iters = iterations
            from_iters = False
        else:
            from_iters = True
        # get_optimizer_param_scheduler
        if from_iters:
            if args.lr_decay_iters is None:
                args.lr_decay_iters = args.train_iters
            lr_decay_steps = args.lr_decay_iters * args.global_batch_size
            wd_incr_steps = args.train_iters * args.global_batch_size
            wsd_decay_steps = None
            if args.lr_wsd_decay_iters is not None:
                wsd_decay_steps = args.lr_wsd_decay_iters * args.global_batch_size
            if args.lr_warmup_fraction is not None:
                lr_warmup_steps = args.lr_warmup_fraction * lr_decay_steps
            else:
                lr_warmup_steps = args.lr_warmup_iters * args.global_batch_size
        else:
            if args.lr_decay_samples is None:
                args.lr_decay_samples = args.train_samples
            lr_decay_steps = args.lr_decay_samples
            wd_incr_steps = args.train_samples
            wsd_decay_steps = args.lr_wsd_decay_samples
            if args.lr_warmup_fraction is not None:
                lr_warmup_steps = args.lr_warmup_fraction * lr_decay_steps
            else:
                lr_warmup_steps = args.lr_warmup_samples
        optimizer = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=args.lr)
        scheduler = scheduler_module.OptimizerParamScheduler(
            optimizer, init_lr=args.lr_warmup_init, max_lr=args.lr, min_lr=args.min_lr,
            lr_warmup_steps=lr_warmup_steps, lr_decay_steps=lr_decay_steps, lr_decay_style=args.lr_decay_style,
            start_wd=args.start_weight_decay, end_wd=args.end_weight_decay, wd_incr_steps=wd_incr_steps,
            wd_incr_style=args.weight_decay_incr_style, use_checkpoint_opt_param_scheduler=False,
            override_opt_param_scheduler=False, wsd_decay_steps=wsd_decay_steps,
            lr_wsd_decay_style=args.lr_wsd_decay_style,
        )  # fmt: skip
        # train(): the loop
        used: list[float] = []
        consumed_train_samples = 0
        iteration = 0
        while iteration < args.train_iters:
            calculators.update_num_microbatches(consumed_train_samples, consistency_check=False)
            calculators.update_num_microbatches(consumed_train_samples, consistency_check=True)
            used.append(optimizer.param_groups[0]["lr"])  # what optimizer.step() uses
            increment = calculators.get_num_microbatches() * args.micro_batch_size * args.data_parallel_size
            scheduler.step(increment=increment)
            consumed_train_samples += (
                args.data_parallel_size * args.micro_batch_size * calculators.get_num_microbatches()
            )
            iteration += 1
        return used
    finally:
        calculators.destroy_num_microbatches_calculator()


STUB = """#!{python}
import json, os, sys
with open(os.environ["ARGV_OUT"], "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def bash_argv(script: Path, tmp_path: Path) -> list[str]:
    """The argv bash gives the script's Python program (after its .py file): bash runs the script."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name in ("torchrun", "python", "python3", "deepspeed"):
        stub = stubs / name
        stub.write_text(STUB.format(python=sys.executable))
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "argv.jsonl"
    work = tmp_path / "work"
    work.mkdir()
    (work / "pretrain_gpt.py").write_text("")  # scripts that check they run from the repository's root
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "ARGV_OUT": str(out), "HOME": str(tmp_path)}
    done = subprocess.run(
        [BASH, str(script), "ckpt", "tb", "vocab.json", "merges.txt", "data_prefix"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    argv = json.loads(out.read_text().splitlines()[0])
    index = next(i for i, word in enumerate(argv) if word.endswith(".py"))
    return argv[index + 1 :]


def lrplot_lrs(path: Path, sets: list[str] = (), **options: Any) -> list[float]:
    config = lrplot.load(path, sets=list(sets), **options)
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


# Each real script, shortened (the same --set given to lrplot and appended to Megatron's argv,
# where argparse's last value wins) so the whole schedule runs in a test: warmup, decay, floor.
SHORT = {
    "bert_train_bert_340m_distributed": ["train_iters=3000", "lr_decay_iters=2970"],
    "gpt3_train_gpt3_175b_distributed": [
        "train_iters=3000",
        "lr_decay_iters=2580",
        "rampup_batch_size=16 16 400000",
    ],
    "llama_train_llama3_8b_h100_fp8": [
        "train_samples=384000",
        "lr_decay_samples=383232",
        "lr_warmup_samples=768",
    ],
    "mixtral_train_mixtral_8x7b_distributed": [
        "train_iters=2500",
        "lr_decay_iters=1600",
        "lr_warmup_iters=50",
    ],
    "t5_train_t5_220m_distributed": ["train_iters=2000", "lr_decay_iters=2000"],
    "mamba_train": [  # its case on MODEL_SCALE="800M" gives --global-batch-size 32
        "train_samples=64000",
        "lr_warmup_samples=640",
        "lr_decay_samples=63360",
    ],
}


def _argv_of(sets: list[str]) -> list[str]:
    argv: list[str] = []
    for text in sets:
        key, _, value = text.partition("=")
        argv += [f"--{key.replace('_', '-')}", *value.split()]
    return argv


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_real_scripts_match_megatron_bit_for_bit(script: Path, tmp_path: Path) -> None:
    sets = SHORT[script.stem]
    argv = bash_argv(script, tmp_path)
    expected = megatron_lrs(megatron_args([*argv, *_argv_of(sets)]))
    ours = lrplot_lrs(script, sets)
    assert len(ours) == len(expected) and ours == expected


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_reader_sees_the_arguments_bash_passes(script: Path, tmp_path: Path) -> None:
    """Every schedule flag lrplot reads from the script has the value bash gives it."""
    argv = bash_argv(script, tmp_path)
    read = parse_shell(script.read_text(), name=script.name).data
    parsed = vars(megatron_parser().parse_known_args(argv)[0])
    for dest in parsed:
        if dest not in read:
            assert f"--{dest.replace('_', '-')}" not in argv
            continue
        mine = read[dest]
        if isinstance(mine, Unresolved) or (
            isinstance(mine, list) and any(isinstance(m, Unresolved) for m in mine)
        ):
            continue  # run-time values: bash got them from the stub's arguments or a case block
        words = mine if isinstance(mine, list) else [mine]
        flag = f"--{dest.replace('_', '-')}"
        at = len(argv) - 1 - argv[::-1].index(flag)
        assert [str(w) for w in words] == argv[at + 1 : at + 1 + len(words)] or mine is True, dest


def test_the_real_scripts_full_length_are_drawn_at_their_length() -> None:
    config = lrplot.load(MEGATRON / "mixtral_train_mixtral_8x7b_distributed.sh")
    assert config.curves[0].total_step == 500_000  # --train-iters 500000
    config = lrplot.load(MEGATRON / "gpt3_gpt_config.yaml")
    # train_samples 268554688 with the ramp 32 -> 128 over 65324160 samples (update_train_iters)
    args = SimpleNamespace(
        rampup_batch_size=[32, 32, 65324160], global_batch_size=128, train_samples=268554688
    )
    calculators = driver.load_calculator_module()
    calculators.init_num_microbatches_calculator(0, args.rampup_batch_size, 128, 2, 1, False)
    try:
        iterations = consumed = 0
        while consumed <= args.rampup_batch_size[2] and consumed <= args.train_samples:
            calculators.update_num_microbatches(consumed, consistency_check=False)
            consumed += calculators.get_current_global_batch_size()
            iterations += 1
        iterations += (args.train_samples - consumed) // 128
    finally:
        calculators.destroy_num_microbatches_calculator()
    assert config.curves[0].total_step == iterations


def test_yaml_argument_file_matches_megatron(tmp_path: Path) -> None:
    import yaml

    path = MEGATRON / "gpt3_gpt_config.yaml"
    data = yaml.safe_load(path.read_text())
    sets = [
        "train_samples=512000",
        "lr_decay_samples=480000",
        "lr_warmup_samples=4096",
        "rampup_batch_size=32 32 100000",
    ]
    for text in sets:
        key, _, value = text.partition("=")
        data[key] = [int(v) for v in value.split()] if " " in value else int(value)
    args = SimpleNamespace(**{k: data.get(k) for k in vars(megatron_parser().parse_args([]))})
    args.data_parallel_size = 1
    args.start_weight_decay = args.end_weight_decay = args.weight_decay
    assert lrplot_lrs(path, sets) == megatron_lrs(args)


STYLES = st.sampled_from(["constant", "linear", "cosine", "inverse-square-root", "WSD"])


@settings(max_examples=60, deadline=None)
@given(
    style=STYLES,
    wsd=st.sampled_from(["exponential", "linear", "cosine", "minus_sqrt"]),
    samples=st.booleans(),
    length=st.integers(20, 300),
    warmup=st.sampled_from(["none", "fraction", "count"]),
    gbs=st.sampled_from([8, 16, 24, 64]),
    mbs=st.sampled_from([1, 2, 4]),
    rampup=st.booleans(),
    init=st.sampled_from([0.0, 1e-6]),
    arrays=st.booleans(),
    wd_style=st.sampled_from(["constant", "linear", "cosine"]),
)
def test_random_scripts_match_megatron(
    tmp_path_factory, style, wsd, samples, length, warmup, gbs, mbs, rampup, init, arrays, wd_style
) -> None:
    unit = "samples" if samples else "iters"
    scale = gbs if samples else 1
    argv = ["--lr", "3.0e-4", "--min-lr", "3.0e-5", "--micro-batch-size", str(mbs), "--global-batch-size",
            str(gbs), f"--train-{unit}", str(length * scale), "--lr-decay-style", style,
            "--lr-warmup-init", str(init), f"--lr-decay-{unit}", str(int(length * 0.9) * scale)]  # fmt: skip
    if warmup == "fraction":
        argv += ["--lr-warmup-fraction", "0.1"]
    elif warmup == "count":
        argv += [f"--lr-warmup-{unit}", str(max(1, length // 8) * scale)]
    if style == "WSD":
        argv += ["--lr-wsd-decay-style", wsd, f"--lr-wsd-decay-{unit}", str(max(1, length // 4) * scale)]
    if rampup:
        argv += [
            "--rampup-batch-size",
            str(gbs // 4 if gbs % 4 == 0 else gbs),
            str(gbs // 4 or 1),
            str(length * gbs // 3),
        ]
    if wd_style != "constant":
        argv += [
            "--weight-decay-incr-style",
            wd_style,
            "--start-weight-decay",
            "0.0",
            "--end-weight-decay",
            "0.1",
        ]
    if arrays:
        body = "\n".join(f"    {a} {b}" for a, b in _pairs(argv))
        text = f"LR=3.0e-4\nTRAINING_ARGS=(\n{body}\n)\ntorchrun --nproc_per_node 1 pretrain_gpt.py ${{TRAINING_ARGS[@]}} --fp16\n"
    else:
        text = (
            "python pretrain_gpt.py \\\n"
            + " \\\n".join(f"    {a} {b}".rstrip() for a, b in _pairs(argv))
            + "\n"
        )
    path = tmp_path_factory.mktemp("mg") / "train.sh"
    path.write_text(text)
    args = megatron_args(argv)
    try:
        expected = megatron_lrs(args)
    except (AssertionError, ZeroDivisionError):  # Megatron refuses it: so must lrplot, in one line
        with pytest.raises(LrplotError):
            lrplot_lrs(path)
        return
    assert lrplot_lrs(path) == expected


def _pairs(argv: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for word in argv:
        if word.startswith("--"):
            pairs.append((word, ""))
        else:
            flag, value = pairs[-1]
            pairs[-1] = (flag, f"{value} {word}".strip())
    return pairs


def test_warmup_starts_at_lr_warmup_init_and_steps_in_samples() -> None:
    text = "python pretrain_gpt.py --lr 1e-3 --train-iters 10 --lr-warmup-iters 4 --global-batch-size 8 --micro-batch-size 2\n"
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "lrplot_megatron_warmup.sh"
    path.write_text(text)
    try:
        lrs = lrplot_lrs(path)
    finally:
        path.unlink()
    assert lrs[:5] == [0.0, 0.00025, 0.0005, 0.00075, 0.001]
    assert len(lrs) == 10 and lrs[-1] > 0.0  # linear to min_lr 0 at iteration 10 (used from 11)


# What only the running shell knows, when the schedule depends on it: one line, the flag, --set.
RUN_TIME = [
    ("ITERS=$1\npython pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size 8 --train-iters $ITERS\n",
     "--train-iters is $1, known only when the script runs ($1: an argument given", "train_iters", 2),
    ("python pretrain_gpt.py --lr $(cat lr.txt) --micro-batch-size 1 --global-batch-size 8 --train-iters 10\n",
     "--lr is $(cat lr.txt), known only when the script runs (the output of a command", "lr", 1),
    ("N=$((SLURM_NNODES * 8))\npython pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size $N --train-iters 10\n",
     "--global-batch-size is $((SLURM_NNODES * 8)), known only when the script runs ($SLURM_NNODES is not set in the script",
     "global_batch_size", 2),
    ('if [ "$X" = 1 ]; then\n  GBS=16\nfi\npython pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size $GBS --train-iters 9\n',
     "set inside an if/for/case block", "global_batch_size", 4),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "dest", "line"), RUN_TIME)
def test_run_time_values_are_refused_naming_the_flag_and_set(
    cli, tmp_path: Path, text, message, dest, line
) -> None:
    path = tmp_path / "train.sh"
    path.write_text(text)
    result = cli("plot", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert f"give it with --set {dest}=VALUE" in lines[0] and f"train.sh:{line}" in lines[0]
    given = cli("plot", path, "-o", tmp_path / "out.csv", "--set", f"{dest}=16")
    assert given.exit_code == 0, given.stderr


def test_literal_arithmetic_and_defaults_are_expanded_as_bash_does(tmp_path: Path) -> None:
    text = (
        "GPUS=8\nNODES=${NODES:-2}\nexport WORLD=$(($GPUS*$NODES))\nMBS=2\n"
        "GBS=$(( WORLD * MBS * 4 ))\nSTEPS='100'\nARGS=(\n  --global-batch-size $GBS  # global\n"
        '  --micro-batch-size "$MBS"\n)\nARGS+=(--train-iters ${STEPS})\n'
        "python pretrain_gpt.py ${ARGS[@]} --lr=1e-4 2>&1 | tee log.txt\n"
    )
    data = parse_shell(text).data
    assert isinstance(data["global_batch_size"], Unresolved)  # NODES: the environment may set it
    text = text.replace("${NODES:-2}", "2")
    data = parse_shell(text).data
    assert data["global_batch_size"] == "128" and data["micro_batch_size"] == "2"
    assert data["train_iters"] == "100" and data["lr"] == "1e-4"
    if BASH is not None:
        path = tmp_path / "t.sh"
        path.write_text(text)
        argv = bash_argv(path, tmp_path)
        assert argv == [
            "--global-batch-size",
            "128",
            "--micro-batch-size",
            "2",
            "--train-iters",
            "100",
            "--lr=1e-4",
        ]


BAD = [
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1\n", "neither --train-iters nor --train-samples", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --train-iters 10 --train-samples 100\n",
     "both --train-iters and --train-samples", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --train-iters 1e4\n",
     "--train-iters 1e4: Megatron reads it as an int", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --train-iters 10 --lr-decay-style cosin\n",
     "--lr-decay-style cosin: not one of Megatron's choices", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --train-iters 10 --lr-warmup-iters 10\n",
     "the warmup (--lr-warmup-iters) is not shorter than the decay", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --train-iters 10 --lr-decay-style WSD\n",
     "--lr-decay-style WSD needs --lr-wsd-decay-iters", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 3 --global-batch-size 16 --train-iters 10\n",
     "--global-batch-size 16 is not divisible by micro-batch-size 3", 1),
    ("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --train-iters 10\n",
     "no --global-batch-size: Megatron uses micro-batch-size x data-parallel size, and the number of GPUs is unknown", 1),
    ("echo hello\n", "runs no Python program", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "line"), BAD)
def test_bad_scripts_fail_in_one_line(cli, tmp_path: Path, text: str, message: str, line: int | None) -> None:
    path = tmp_path / "train.sh"
    if "global-batch-size" not in text and "GPUs" not in message:
        text = text.replace("--micro-batch-size 1", "--micro-batch-size 1 --global-batch-size 8")
    path.write_text(text)
    result = cli("plot", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    if line is not None:
        assert f"train.sh:{line}" in lines[0]


def test_world_size_gives_the_global_batch(tmp_path: Path) -> None:
    path = tmp_path / "train.sh"
    path.write_text("python pretrain_gpt.py --lr 1e-4 --micro-batch-size 2 --train-iters 10 --lr-warmup-iters 2 "
                    "--tensor-model-parallel-size 2\n")  # fmt: skip
    config = lrplot.load(path, world_size=8)
    assert any("global batch size 8 = micro-batch-size 2 x data-parallel size 4" in n for n in config.notes)
    assert lrplot_lrs(path, world_size=8) == megatron_lrs(
        megatron_args(
            ["--lr", "1e-4", "--micro-batch-size", "2", "--train-iters", "10", "--lr-warmup-iters", "2"], 4
        )
    )


def test_identification_claims_scripts_and_argument_files_only() -> None:
    for path in SCRIPTS:
        data = parse_shell(path.read_text(), name=path.name).data
        assert megatron_format.identify(path, data).confident, path
    assert not megatron_format.identify(None, {"lr": 1e-4, "train_iters": 10}).confident
    assert not megatron_format.identify(
        None, {"lr_decay_style": "cosine", "lr_scheduler_type": "cosine"}
    ).confident


def test_a_real_subprocess_draws_a_launch_script(tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(MEGATRON / "t5_train_t5_220m_distributed.sh"),
         "--set", "train_iters=2000", "--set", "lr_decay_iters=2000", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "--load: a checkpoint found there resumes the schedule" in done.stderr


def test_the_scheduler_module_is_megatron_cores_own_file() -> None:
    """In a fresh interpreter: other tests (NeMo's loader) may import megatron.core themselves."""
    probe = (
        "import sys; from lrplot.plan.drivers import megatron as driver; "
        "print(driver.load_scheduler_module().__file__); print('megatron.core.parallel_state' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    file, package_ran = done.stdout.split()
    installed = Path(importlib.util.find_spec("megatron.core").submodule_search_locations[0])
    assert Path(file) == installed / "optimizer_param_scheduler.py"
    assert package_ran == "False"  # the package __init__ did not run


def test_a_comment_after_a_quote_closed_on_a_later_line_is_dropped_as_bash_drops_it(tmp_path: Path) -> None:
    """One scanner finds quotes, comments and array parentheses (lrplot/read/shell.py ``_scan``):
    a ``# (comment`` after a quote that opened on an earlier line is no word and opens no array."""
    text = 'NOTE="a long\nnote" # (see --lr 9)\nARGS=(--train-iters 50 # 10 (old\n  --lr 2e-4)\npython pretrain_gpt.py ${ARGS[@]}\n'
    data = parse_shell(text).data
    assert data["train_iters"] == "50" and data["lr"] == "2e-4"
    if BASH is not None:
        path = tmp_path / "t.sh"
        path.write_text(text)
        argv = bash_argv(path, tmp_path)
        assert argv == ["--train-iters", "50", "--lr", "2e-4"]


def test_a_step_batch_size_schedule_is_refused_naming_it(cli, tmp_path: Path) -> None:
    """Megatron-LM main's --step-batch-size-schedule (after core_v0.16.0) changes the batch
    over the run; drawn at one batch size it would be a wrong curve, so it is refused."""
    path = tmp_path / "s.sh"
    path.write_text(
        "ARGS=(--lr 1e-4 --lr-decay-style cosine --train-samples 100000 --global-batch-size 8\n"
        '  --micro-batch-size 1 --step-batch-size-schedule "0:8 50K:16")\n'
        "torchrun pretrain_gpt.py ${ARGS[@]}\n"
    )
    result = cli("plot", path, "-o", tmp_path / "s.csv")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--step-batch-size-schedule" in lines[0] and "s.sh:" in lines[0]


# Learning rates as scripts write them (LLaMA-Factory-sized fine-tuning rates among them): the
# last bit of min_lr + coeff * (max_lr - min_lr) depends on the exact operands and their order,
# so any recomputation of megatron-core's expression would show here as 1.5000000000000002e-06.
LRS = st.sampled_from(["1.5e-6", "1.5e-5", "1e-5", "2e-5", "3.0e-4", "6.0e-4", "1.0e-4", "5e-5", "7e-6"])


@settings(max_examples=60, deadline=None)
@given(
    style=STYLES,
    lr=LRS,
    floor=st.sampled_from(["0.0", "0.1", "0.01", "0.5"]),
    init=st.sampled_from(["0.0", "1e-7", "1.5e-7"]),
    length=st.integers(10, 200),
    warmup=st.sampled_from([0, 1, 3, 7]),
    gbs=st.sampled_from([1, 4, 8, 32]),
)
def test_the_lr_is_megatron_cores_own_expression_bit_for_bit(
    tmp_path_factory, style, lr, floor, init, length, warmup, gbs
) -> None:
    min_lr = repr(float(lr) * float(floor))
    argv = ["--lr", lr, "--min-lr", min_lr, "--micro-batch-size", "1", "--global-batch-size", str(gbs),
            "--train-iters", str(length), "--lr-decay-style", style, "--lr-warmup-init", init,
            "--lr-warmup-iters", str(min(warmup, length - 1))]  # fmt: skip
    if style == "WSD":
        argv += ["--lr-wsd-decay-style", "cosine", "--lr-wsd-decay-iters", str(max(1, length // 3))]
    path = tmp_path_factory.mktemp("mg") / "train.sh"
    path.write_text(
        "python pretrain_gpt.py \\\n" + " \\\n".join(f"    {a} {b}" for a, b in _pairs(argv)) + "\n"
    )
    try:
        expected = megatron_lrs(megatron_args(argv))
    except (AssertionError, ZeroDivisionError):
        with pytest.raises(LrplotError):
            lrplot_lrs(path)
        return
    ours = lrplot_lrs(path)
    assert np.asarray(ours).tobytes() == np.asarray(expected).tobytes()


# A case on a literal subject (Megatron-LM's examples/mamba/train.sh picks its size so): lrplot
# runs the branch bash runs. Each script is run by bash itself and lrplot must read what it passes.
CASE_SCRIPTS = {
    "one_line_branches": (
        'MODEL_SIZE=13B\ncase "$MODEL_SIZE" in\n  7B) HIDDEN=4096; LR=3e-4;;\n'
        "  13B) HIDDEN=5120; LR=2e-4;;\n  70B) HIDDEN=8192; LR=1.5e-4;;\n"
        '  *) echo "unknown size $MODEL_SIZE"; exit 1;;\nesac\n'
        "python pretrain_gpt.py --lr $LR --hidden-size $HIDDEN --train-iters 100\n"
    ),
    "quoted_patterns_and_arrays": (
        'MODEL_SCALE="8B" # or "800M"\n\ncase "${MODEL_SCALE}" in\n    "800M")\n'
        "        GLOBAL_BATCH_SIZE=32\n        ARGS=(--lr 6e-4 --min-lr 6e-5)\n        ;;\n"
        '    "8B")\n        GLOBAL_BATCH_SIZE=8\n        ARGS=(--lr 3e-4)\n        ARGS+=(--min-lr 3e-5)\n'
        "        ;;\nesac\n"
        "torchrun --nproc_per_node 8 pretrain_gpt.py ${ARGS[@]} --global-batch-size ${GLOBAL_BATCH_SIZE} \\\n"
        "    --train-samples 1000\n"
    ),
    "alternatives_and_globs": (
        "SIZE=llama-70b\nLR=1e-4\ncase $SIZE in\n  (*-7b|*-8b) GBS=256 ;;\n  llama-[0-9][0-9]b)\n"
        "    GBS=1024\n    LR=1.5e-4\n    ;;\n  llama-70b) GBS=1 ;;\n  *) GBS=2 ;;\nesac\n"
        "python pretrain_gpt.py --lr $LR --global-batch-size $GBS --train-iters 10\n"
    ),
    "no_branch_matches": (
        "GBS=64\nMODE=finetune\ncase \"$MODE\" in\n  pre*) GBS=1024;;\n  '*') GBS=1;;\nesac\n"
        "python pretrain_gpt.py --lr 1e-4 --global-batch-size $GBS --train-iters 10\n"
    ),
    "patterns_from_variables": (
        'WIDE="*-70b"\nSIZE=llama-70b\ncase "$SIZE" in\n  "$WIDE") GBS=1 ;;  # quoted: literal\n'
        "  $WIDE) GBS=512; ITERS=20 ;;\nesac\n"
        "python pretrain_gpt.py --global-batch-size $GBS --train-iters $ITERS\n"
    ),
    "one_line_case": (
        "S=a\ncase $S in a|b) X=1;; *) X=2;; esac; ITERS=20\n"
        "python pretrain_gpt.py --lr 1e-4 --hidden-size $X --train-iters $ITERS\n"
    ),
    "nested_case": (
        "FAMILY=gpt\nSIZE=small\ncase $FAMILY in\n  gpt)\n    case $SIZE in\n"
        "      small) LR=6e-4 ;;\n      large) LR=2e-4 ;;\n    esac\n    ITERS=500\n    ;;\n"
        "  bert) LR=1e-4; ITERS=9 ;;\nesac\npython pretrain_gpt.py --lr $LR --train-iters $ITERS\n"
    ),
}


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("name", sorted(CASE_SCRIPTS))
def test_a_case_on_a_literal_subject_runs_the_branch_bash_runs(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.sh"
    path.write_text(CASE_SCRIPTS[name])
    argv = bash_argv(path, tmp_path)
    read = parse_shell(path.read_text(), name=path.name).data
    ours: list[str] = []
    for dest, value in read.items():
        if dest != "__launch__":
            ours += [f"--{dest.replace('_', '-')}", *(value if isinstance(value, list) else [value])]
    assert not any(isinstance(word, Unresolved) for word in ours)
    assert ours == argv


def test_the_real_mamba_script_reads_its_case_as_bash_does(tmp_path: Path) -> None:
    """examples/mamba/train.sh: MODEL_SCALE="800M" picks GLOBAL_BATCH_SIZE=32 and tensor parallel 1."""
    data = parse_shell((MEGATRON / "mamba_train.sh").read_text()).data
    assert data["global_batch_size"] == "32" and data["tensor_model_parallel_size"] == "1"
    if BASH is not None:
        argv = bash_argv(MEGATRON / "mamba_train.sh", tmp_path)
        assert argv[argv.index("--global-batch-size") + 1] == "32"


CASE_REFUSED = [
    ('case "$1" in\n  7B) ITERS=10;;\n  *) ITERS=20;;\nesac\n'
     "python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size 8 --train-iters $ITERS\n",
     'set by the case on "$1" (line 1), and $1: an argument given to the script when it runs', 5),
    ('case "$MODEL_SIZE" in\n  7B) ITERS=10;;\nesac\n'
     "python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size 8 --train-iters $ITERS\n",
     'set by the case on "$MODEL_SIZE" (line 1), and $MODEL_SIZE is not set in the script', 4),
    ("S=$(hostname)\ncase $S in\n  a*) ITERS=10;;\nesac\n"
     "python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size 8 --train-iters $ITERS\n",
     "set by the case on $S (line 2), and the output of a command run by the script", 5),
    ("S=7B\ncase $S in\n  7B) ITERS=10;&\n  13B) ITERS=20;;\nesac\n"
     "python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size 8 --train-iters $ITERS\n",
     "whose branch 7B) ends in ;&, which lrplot does not follow (only ;;)", 6),
    ("S=7B\ncase $S in\n  7*) ITERS=10;;&\n  *B) ITERS=20;;\nesac\n"
     "python pretrain_gpt.py --lr 1e-4 --micro-batch-size 1 --global-batch-size 8 --train-iters $ITERS\n",
     "whose branch 7*) ends in ;;&", 6),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "line"), CASE_REFUSED)
def test_a_case_on_a_run_time_subject_is_refused_naming_the_case(
    cli, tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = tmp_path / "train.sh"
    path.write_text(text)
    result = cli("plot", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "--train-iters is $ITERS" in lines[0] and "give it with --set train_iters=VALUE" in lines[0]
    assert f"train.sh:{line}" in lines[0]
    assert cli("plot", path, "-o", tmp_path / "out.csv", "--set", "train_iters=16").exit_code == 0


# Random literal subjects and glob patterns: the branch lrplot takes is the one bash takes.
_PATTERN_TOKENS = st.sampled_from(
    ["a", "b", "7", "B", "-", "!", "^", "]", "*", "?", "[ab]", "[!a]", "[^7]", "[a-c]", "[]a]", "[!]]",
     "[[:digit:]]", "[[:upper:]b]", "[", '"*"', "'?'", "\\*", '"[a]"', "'['"]
)  # fmt: skip
_PATTERNS = st.lists(_PATTERN_TOKENS, min_size=1, max_size=5).map("".join)


def _near(subject: str) -> st.SearchStrategy[str]:
    """Patterns written after the subject, one token per character: most match, some just miss."""

    def tokens(char: str) -> st.SearchStrategy[str]:
        quoted = "'" + char + "'" if char != "'" else '"\'"'
        return st.sampled_from(
            [
                quoted,
                "?",
                "*",
                f"[{quoted}b]",
                f"[!{quoted}]",
                f"[^{quoted}]",
                "[!a]",
                "[[:digit:]]",
                "[a-c]",
                "[]!^-]",
            ]
        )

    return st.tuples(*(tokens(char) for char in subject)).map("".join) if subject else st.just("''")


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    subject=st.text(alphabet="ab7B-!^]*?[", max_size=5),
    default=st.booleans(),
)
def test_random_case_patterns_choose_the_branch_bash_chooses(
    tmp_path_factory, data, subject, default
) -> None:
    patterns = st.one_of(_PATTERNS, _near(subject))
    clauses = data.draw(st.lists(st.lists(patterns, min_size=1, max_size=3), min_size=1, max_size=4))
    body = "".join(f"  {'|'.join(alternatives)}) CHOSEN={n} ;;\n" for n, alternatives in enumerate(clauses))
    if default:
        body += "  *) CHOSEN=default ;;\n"
    text = (
        f"CHOSEN=none\nS='{subject}'\ncase \"$S\" in\n{body}esac\npython pretrain_gpt.py --chosen $CHOSEN\n"
    )
    tmp = tmp_path_factory.mktemp("case")
    path = tmp / "t.sh"
    path.write_text(text)
    assert [parse_shell(text).data["chosen"]] == bash_argv(path, tmp)[1:], text


def test_an_exit_in_the_branch_bash_takes_stops_the_script(cli, tmp_path: Path) -> None:
    path = tmp_path / "train.sh"
    path.write_text(CASE_SCRIPTS["one_line_branches"].replace("MODEL_SIZE=13B", "MODEL_SIZE=1B"))
    if BASH is not None:
        done = subprocess.run([BASH, str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and "unknown size 1B" in done.stdout  # bash never launches
    result = cli("plot", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "train.sh:6: the script exits before it runs its Python program" in lines[0]


def test_assignments_after_a_semicolon_are_read_as_bash_runs_them(tmp_path: Path) -> None:
    text = 'ITERS=99\nLR=1e-4; ITERS=20; GBS=8\nif [ -n "$X" ]; then\n  A=1; GBS=16\nfi\n'
    text += "python pretrain_gpt.py --lr $LR --train-iters $ITERS --global-batch-size $GBS\n"
    data = parse_shell(text).data
    assert data["lr"] == "1e-4" and data["train_iters"] == "20"
    assert isinstance(data["global_batch_size"], Unresolved)  # set again inside the if (run-time)
    assert "set inside an if/for/case block (line 4)" in data["global_batch_size"].why
    if BASH is not None:
        path = tmp_path / "t.sh"
        path.write_text(text)
        assert bash_argv(path, tmp_path)[:4] == ["--lr", "1e-4", "--train-iters", "20"]


def test_deeply_nested_cases_are_bounded_and_named() -> None:
    """A case in a taken branch is run by recursion: deeper than MAX_CASE_NESTING, its variables
    are unknown (named) instead of a RecursionError; a case longer than MAX_CASE_LINES is read
    as an unknown block."""
    from lrplot.read.shell import MAX_CASE_NESTING

    text = "S=a\n" + "case $S in a)\n" * 100 + "ITERS=1\n" + ";;\nesac\n" * 100
    data = parse_shell(text + "python pretrain_gpt.py --train-iters $ITERS\n").data
    assert isinstance(data["train_iters"], Unresolved)
    assert f"set by a case nested more than {MAX_CASE_NESTING} deep (line 18)" in data["train_iters"].why
    text = "S=a\n" + "case $S in a)\n" * 400 + "ITERS=1\n" + ";;\nesac\n" * 400
    data = parse_shell(text + "python pretrain_gpt.py --train-iters $ITERS\n").data
    assert "set inside an if/for/case block" in data["train_iters"].why
    shallow = "S=a\n" + "case $S in a)\n" * 3 + "ITERS=1\n" + ";;\nesac\n" * 3
    assert parse_shell(shallow + "python pretrain_gpt.py --train-iters $ITERS\n").data["train_iters"] == "1"
