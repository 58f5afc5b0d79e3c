"""Megatron-LM launch scripts and YAML argument files → megatron-core's lr schedule.

A launch script (``train_gpt3_175b_distributed.sh``: ``TRAINING_ARGS=(--lr 6.0e-5 ...)``,
``torchrun ... pretrain_gpt.py ${TRAINING_ARGS[@]}``) is read as data by
:mod:`lrplot.read.shell` (nothing is run); a YAML argument file (``--yaml-cfg``,
``examples/gpt3/gpt_config.yaml``) is Megatron's arguments as keys. The arguments the schedule
depends on are read with Megatron's types and defaults (NVIDIA/Megatron-LM core_v0.16.0,
3bec9aa97dda898d16ff5a89bac0ed2b6682b172: ``megatron/training/training_config.py``
``TrainingConfig``/``SchedulerConfig``, ``megatron/training/arguments.py``) and checked as
``validate_args`` checks them (lines 760-790, 867-875); the run length is ``--train-iters``, or
for ``--train-samples`` ``update_train_iters`` (``megatron/training/training.py`` 1128-1158).
The curve is megatron-core's own ``OptimizerParamScheduler`` driven as the training loop drives
it (:mod:`lrplot.plan.drivers.megatron`).

A value only the running shell knows (``$1``, ``$(...)``, a variable set in an ``if`` block or
the environment) is refused only when the schedule depends on it, naming the argument and
``--set NAME=VALUE`` (Megatron's argument name, as ``--set train_iters=5000``), which this format
takes before reading the file's value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.facts import FileKey
from lrplot.formats.base import Converted, FormatOptions, Identification, by_keys, capped, referenced_file
from lrplot.formats.megatron_args import (
    LAUNCH,
    OPTIMIZERS,
    Arguments,
    check_rampup,
    check_scheduler,
    train_iters_of,
)
from lrplot.formats.trainer_args import check_options
from lrplot.read.shell import Unresolved

NAME = "Megatron-LM"
FORM = "Megatron-LM"
DRIVER = "lrplot.plan.drivers.megatron.MegatronTrainLoop"
# --set on the script's own arguments (train_iters=...) is read by the format itself (options.sets)
TAKES_SETS = True

# Megatron's own argument names (dest form), weighted by how surely one means Megatron.
_WEIGHTS = {
    LAUNCH: 0.35, "lr_decay_style": 0.35, "lr_warmup_fraction": 0.3, "lr_warmup_iters": 0.3,
    "lr_warmup_samples": 0.3, "lr_decay_iters": 0.3, "lr_decay_samples": 0.3, "lr_warmup_init": 0.3,
    "lr_wsd_decay_style": 0.3, "train_samples": 0.2, "train_iters": 0.2, "tensor_model_parallel_size": 0.2,
    "model_parallel": 0.15, "micro_batch_size": 0.05, "global_batch_size": 0.05,
}  # fmt: skip
PROGRAMS = (
    "pretrain_",
    "train_rl",
)  # pretrain_gpt.py, pretrain_bert.py, pretrain_t5.py, pretrain_mamba.py ...
_EXPECTED = ("lr_decay_style", "train_iters", "global_batch_size")
# keys of the formats that also say lr and batch sizes: another trainer's file
_CONFLICTS = ("lr_scheduler_type", "num_train_epochs", "trainer", "scheduler", "optimizer_config", "curves")


def identify(path: Path | None, data: Any) -> Identification:
    """Megatron's argument names (``lr_decay_style``, ``lr_warmup_fraction``, ...) at the top level."""
    if not isinstance(data, dict) or (path is not None and path.suffix.lower() in (".py", ".toml", ".json")):
        return Identification(NAME, 0.0, missing=_EXPECTED)
    found = by_keys(NAME, data, _WEIGHTS, expected=_EXPECTED)
    launch = data.get(LAUNCH)
    program = launch.get("program") if isinstance(launch, dict) else None
    if isinstance(program, str) and program.startswith(PROGRAMS):  # Megatron-LM's entry points
        found = Identification(
            NAME, round(min(1.0, found.score + 0.3), 6), (*found.seen, "pretrain_*.py"), found.missing
        )
    return capped(found, tuple(key for key in _CONFLICTS if key in data))


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """Megatron's schedule arguments → one curve drawn by megatron-core's scheduler, per iteration."""
    check_options(options)
    prefix = options.prefix
    script = LAUNCH in data
    if not script and isinstance(data.get("yaml_cfg"), str):
        pass  # an argument file naming itself (load_yaml adds it): nothing to follow
    elif script and isinstance(data.get("yaml_cfg"), str):
        data, prefix = _yaml_cfg(data, options, prefix), ()
        script = False
    converted = Converted(data={}, form=FORM)
    args = Arguments(data, options, prefix, script)
    values = {
        dest: args.get(dest) for dest in ("lr", "min_lr", "lr_decay_style", "train_iters", "train_samples")
    }
    lr, min_lr = values["lr"], values["min_lr"]
    if lr is None:
        raise LrplotError(
            f"no {args.flag('lr')}: Megatron's scheduler needs the peak lr; give --set lr=VALUE",
            key_path=args.base,
        )
    if min_lr > lr:
        raise LrplotError(
            f"{args.flag('min_lr')} {min_lr} > {args.flag('lr')} {lr} (Megatron asserts min_lr <= lr)",
            key_path=args.where("min_lr"),
        )
    if min_lr < 0:
        raise LrplotError(
            f"{args.flag('min_lr')} {min_lr}: Megatron asserts it is >= 0", key_path=args.where("min_lr")
        )
    if args.given("step_batch_size_schedule"):
        # Megatron-LM main after core_v0.16.0 (NVIDIA/Megatron-LM PR #4411) steps the global batch
        # at sample or token thresholds, which changes how samples map to iterations; the
        # megatron-core 0.16.0 calculator lrplot runs has no such schedule, so it is not guessed.
        raise LrplotError(
            "--step-batch-size-schedule changes the global batch during the run (Megatron-LM main, "
            "after core_v0.16.0, whose microbatch calculator lrplot runs): not drawn yet",
            key_path=args.where("step_batch_size_schedule"),
        )
    train_iters, train_samples = values["train_iters"], values["train_samples"]
    schedule = _schedule(args, converted, train_iters, train_samples)
    schedule.update(lr=lr, min_lr=min_lr, lr_decay_style=values["lr_decay_style"])
    mbs, dp, gbs = _batch(args, converted, options)
    schedule["global_batch_size"] = gbs
    rampup = args.get("rampup_batch_size")
    decrease = args.get("decrease_batch_size_if_needed")
    if rampup is not None:
        check_rampup(args, rampup, gbs)
    if train_iters:
        total = train_iters
    else:
        total = train_iters_of(train_samples, gbs, rampup)
        converted.derived.update(train_samples=train_samples)
    if total < 1:
        raise LrplotError(
            f"{args.flag('train_samples')} {train_samples} is less than one global batch ({gbs}): "
            "Megatron would run no iteration",
            key_path=args.where("train_samples"),
        )
    check_scheduler(args, schedule, gbs)
    optimizer_name = args.get("optimizer")
    torch_name = OPTIMIZERS.get(optimizer_name)
    if torch_name is None:
        torch_name = "AdamW"
        converted.notes.append(
            f"optimizer {printable(optimizer_name, 40)} drawn as AdamW: Megatron's scheduler sets only its lr"
        )
    _notes(args, converted)
    keywords: dict[str, Any] = {
        "name": DRIVER,
        "schedule": schedule,
        "micro_batch_size": mbs,
        "data_parallel_size": dp,
        "rampup_batch_size": rampup,
        "decrease_batch_size_if_needed": decrease,
    }
    optimizer: dict[str, Any] = {"name": torch_name, "lr": lr}
    if schedule["weight_decay_incr_style"] != "constant":
        optimizer["weight_decay"] = schedule["start_weight_decay"]
    style = schedule["lr_decay_style"]
    if style == "WSD":
        style = f"WSD ({schedule['lr_wsd_decay_style']})"
    converted.data = {
        "title": f"{_title(options.path)} (Megatron-LM)",
        "total_step": total,
        "curves": [{"label": f"Megatron {style}", "optimizer": optimizer, "scheduler": keywords}],
    }
    origins = converted.origins
    origins[("curves", 0, "optimizer", "lr")] = args.where("lr")
    origins[("total_step",)] = args.where("train_iters" if train_iters else "train_samples")
    if train_iters:  # a run-length fix is the script's own --train-iters (the same number)
        converted.file_keys[("curves", 0, "total_step")] = FileKey(("train_iters",))
    for dest in schedule:
        if args.given(dest):
            origins[("curves", 0, "scheduler", "schedule", dest)] = args.where(dest)
    origins[("curves", 0, "scheduler")] = args.where(
        "lr_decay_style" if args.given("lr_decay_style") else "lr"
    )
    converted.derived.update(train_iters=total, global_batch_size=gbs)
    return converted


def _yaml_cfg(data: dict[str, Any], options: FormatOptions, prefix: KeyPath) -> dict[str, Any]:
    """``--yaml-cfg FILE``: Megatron then reads its arguments from that file only (load_yaml)."""
    from lrplot.read.yaml_source import load_yaml_file

    value = data["yaml_cfg"]
    if isinstance(value, Unresolved):
        raise LrplotError(
            f"--yaml-cfg is {printable(str(value), 60)}, known only when the script runs; "
            "draw the YAML argument file itself",
            key_path=(*prefix, "yaml_cfg"),
        )
    path = referenced_file(
        value, "yaml_cfg", (*prefix, "yaml_cfg"), options, "Megatron reads every argument from it"
    )
    loaded = load_yaml_file(path).data
    if not isinstance(loaded, dict):
        raise LrplotError(f"--yaml-cfg {printable(value)}: not a mapping of Megatron's arguments")
    return loaded


def _schedule(args: Arguments, converted: Converted, train_iters: Any, train_samples: Any) -> dict[str, Any]:
    """The scheduler's arguments, checked as ``validate_args`` checks them."""
    if train_iters and train_samples:
        raise LrplotError(
            f"both {args.flag('train_iters')} and {args.flag('train_samples')}: Megatron asserts "
            "one of iteration- or sample-based training",
            key_path=args.where("train_samples"),
        )
    if not train_iters and not train_samples:
        raise LrplotError(
            f"neither {args.flag('train_iters')} nor {args.flag('train_samples')}: the run length is "
            "unknown; give --set train_iters=N (or train_samples=N)",
            key_path=args.base,
        )
    schedule: dict[str, Any] = {
        "train_iters": train_iters or None,
        "train_samples": None if train_iters else train_samples,
    }
    fraction = args.get("lr_warmup_fraction")
    based, other = ("iters", "samples") if train_iters else ("samples", "iters")
    for dest in (f"lr_decay_{other}", f"lr_warmup_{other}"):
        value = args.get(dest)
        if value not in (None, 0):
            training = "iteration" if train_iters else "sample"
            raise LrplotError(
                f"{args.flag(dest)} {value} with {training}-based training "
                f"({args.flag('train_' + based)}): Megatron asserts {training}-based warmup and decay",
                key_path=args.where(dest),
            )
    if fraction is not None and args.get(f"lr_warmup_{based}") != 0:
        raise LrplotError(
            f"both {args.flag('lr_warmup_fraction')} and {args.flag('lr_warmup_' + based)}: Megatron "
            "takes only one of them",
            key_path=args.where(f"lr_warmup_{based}"),
        )
    for dest in (
        "lr_warmup_init", "lr_decay_iters", "lr_decay_samples", "lr_warmup_iters", "lr_warmup_samples",
        "lr_wsd_decay_style", "lr_wsd_decay_iters", "lr_wsd_decay_samples",
    ):  # fmt: skip
        schedule[dest] = args.get(dest)
    schedule["lr_warmup_fraction"] = fraction
    style = args.get("weight_decay_incr_style")
    start, end = args.get("start_weight_decay"), args.get("end_weight_decay")
    if style == "constant":
        if start is not None or end is not None:
            raise LrplotError(
                f"{args.flag('start_weight_decay')}/{args.flag('end_weight_decay')} with "
                f"{args.flag('weight_decay_incr_style')} constant: Megatron asserts they are unset",
                key_path=args.where("start_weight_decay" if start is not None else "end_weight_decay"),
            )
        try:
            weight_decay = args.get("weight_decay")
        except LrplotError:
            weight_decay = 0.0  # constant: the schedule of the lr does not depend on it
        start = end = weight_decay
    elif start is None or end is None:
        raise LrplotError(
            f"{args.flag('weight_decay_incr_style')} {style} needs {args.flag('start_weight_decay')} and "
            f"{args.flag('end_weight_decay')} (Megatron asserts both are set)",
            key_path=args.where("weight_decay_incr_style"),
        )
    schedule.update(start_weight_decay=start, end_weight_decay=end, weight_decay_incr_style=style)
    return schedule


def _batch(args: Arguments, converted: Converted, options: FormatOptions) -> tuple[int, int, int]:
    """Micro batch, data-parallel size and global batch, as ``validate_args`` settles them."""
    mbs = args.get("micro_batch_size")
    gbs = args.get("global_batch_size")
    needs_dp = gbs is None or args.get("decrease_batch_size_if_needed")
    if mbs is None:
        if gbs is None or args.given("rampup_batch_size"):
            raise LrplotError(
                f"no {args.flag('micro_batch_size')}: Megatron requires it; give --set micro_batch_size=N",
                key_path=args.base,
            )
        mbs = 1  # the schedule's increments are the global batch; mbs only checks divisibility
    if mbs < 1:
        raise LrplotError(
            f"{args.flag('micro_batch_size')} {mbs}: must be positive",
            key_path=args.where("micro_batch_size"),
        )
    dp = 1
    if needs_dp:
        world, why = _world_size(args, options)
        if world is None:
            need = "no --global-batch-size: Megatron uses micro-batch-size x data-parallel size" if gbs is None else (  # noqa: E501
                "--decrease-batch-size-if-needed rounds each batch to micro-batch-size x data-parallel size"
            )  # fmt: skip
            raise LrplotError(
                f"{need}, and the number of GPUs is unknown; "
                "give --world-size N (or --set global_batch_size=N)",
                key_path=args.base,
            )
        model = (
            args.get("tensor_model_parallel_size")
            * args.get("pipeline_model_parallel_size")
            * args.get("context_parallel_size")
        )
        if world % model:
            raise LrplotError(
                f"world size {world} ({why}) is not divisible by tensor x pipeline x context parallel "
                f"size {model}: Megatron refuses it; give --world-size N",
                key_path=args.where("tensor_model_parallel_size"),
            )
        dp = world // model
        converted.notes.append(
            f"data-parallel size {dp}: world size {world} ({why}) / model-parallel size {model}"
        )
    if gbs is None:
        gbs = mbs * dp
        converted.notes.append(f"global batch size {gbs} = micro-batch-size {mbs} x data-parallel size {dp}")
    if gbs < 1:
        raise LrplotError(
            f"{args.flag('global_batch_size')} {gbs}: must be positive",
            key_path=args.where("global_batch_size"),
        )
    if (
        args.get("rampup_batch_size") is None
        and not args.get("decrease_batch_size_if_needed")
        and gbs % (mbs * dp)
    ):
        raise LrplotError(
            f"{args.flag('global_batch_size')} {gbs} is not divisible by micro-batch-size {mbs} x "
            f"data-parallel size {dp}: Megatron refuses it",
            key_path=args.where("global_batch_size"),
        )
    return mbs, dp, gbs


def _world_size(args: Arguments, options: FormatOptions) -> tuple[int | None, str]:
    if options.world_size is not None:
        return options.world_size, "--world-size"
    launch = args.data.get(LAUNCH)
    if isinstance(launch, dict):
        nproc, nodes = launch.get("nproc_per_node"), launch.get("nnodes", "1")
        if isinstance(nproc, str) and isinstance(nodes, str) and nproc.isdigit() and nodes.isdigit():
            return int(nproc) * int(nodes), f"torchrun --nproc_per_node {nproc} --nnodes {nodes}"
    return None, ""


def _notes(args: Arguments, converted: Converted) -> None:
    if args.given("decoupled_lr"):
        converted.notes.append(
            "--decoupled-lr gives the embedding and output layers their own peak lr: "
            "drawn is the other parameters' lr"
        )
    load = args.raw("load")
    if load is not None and not args.get("finetune"):
        converted.notes.append(
            "--load: a checkpoint found there resumes the schedule at its iteration; drawn from iteration 0 "
            "(as --finetune or a first run does)"
        )
    if args.get("skip_train"):
        converted.notes.append(
            "--skip-train: Megatron runs no training iteration; drawn is the schedule it would run"
        )


def _title(path: Path | None) -> str:
    return path.stem if path is not None else "Megatron-LM"
