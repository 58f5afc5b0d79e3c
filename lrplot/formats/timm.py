"""timm's train.py argument YAML (``train.py --config args.yaml``): one curve drawn by timm itself.

The file is read as train.py reads it (huggingface/pytorch-image-models, train.py at
aa4b5850c1543fa488abf260f18390eda46cf85d, ``_parse_args``, lines 461-475): its keys become the
argument parser's defaults, so string values are converted by each argument's type and
train.py's own defaults fill the rest. What train.py computes outside the timm package is
reproduced here, cited line by line: the lr from ``lr_base`` and the global batch, the updates
per epoch from the training loader's length, and the number of epochs the run takes. The
schedule itself is timm's: the translated curve names the driver
``lrplot.plan.drivers.timm.TrainPy`` with train.py's arguments, so timm's ``scheduler_kwargs``
and ``create_scheduler_v2`` build it, stepped as train.py does. Nothing here imports torch or timm.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.facts import FileKey
from lrplot.formats.base import CONFLICTED, Converted, FormatOptions, Identification, missing_option
from lrplot.limits import in_range

NAME = "timm train.py"
FORM = "timm train.py"
DRIVER = "lrplot.plan.drivers.timm.TrainPy"

# The train.py arguments that decide the lr, the schedule and the updates per epoch, declared
# as train.py declares them (same types, nargs, defaults).
ARGUMENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("dataset", {"default": ""}),
    ("train_num_samples", {"default": None, "type": int}),
    ("resume", {"default": "", "type": str}),
    ("batch_size", {"type": int, "default": 128}),
    ("grad_accum_steps", {"type": int, "default": 1}),
    ("opt", {"default": "sgd", "type": str}),
    ("layer_decay", {"type": float, "default": None}),
    ("sched", {"type": str, "default": "cosine"}),
    ("sched_on_updates", {"action": "store_true", "default": False}),
    ("lr", {"type": float, "default": None}),
    ("lr_base", {"type": float, "default": 0.1}),
    ("lr_base_size", {"type": int, "default": 256}),
    ("lr_base_scale", {"type": str, "default": ""}),
    ("lr_noise", {"type": float, "nargs": "+", "default": None}),
    ("lr_noise_pct", {"type": float, "default": 0.67}),
    ("lr_noise_std", {"type": float, "default": 1.0}),
    ("lr_cycle_mul", {"type": float, "default": 1.0}),
    ("lr_cycle_decay", {"type": float, "default": 0.5}),
    ("lr_cycle_limit", {"type": int, "default": 1}),
    ("lr_k_decay", {"type": float, "default": 1.0}),
    ("warmup_lr", {"type": float, "default": 1e-5}),
    ("min_lr", {"type": float, "default": 0}),
    ("epochs", {"type": int, "default": 300}),
    ("start_epoch", {"default": None, "type": int}),
    ("decay_milestones", {"default": [90, 180, 270], "type": int, "nargs": "+"}),
    ("decay_epochs", {"type": float, "default": 90}),
    ("warmup_epochs", {"type": int, "default": 5}),
    ("warmup_prefix", {"action": "store_true", "default": False}),
    ("cooldown_epochs", {"type": int, "default": 0}),
    ("patience_epochs", {"type": int, "default": 10}),
    ("decay_rate", {"type": float, "default": 0.1}),
    ("aug_repeats", {"type": float, "default": 0}),
    ("seed", {"type": int, "default": 42}),
    ("eval_metric", {"default": "top1", "type": str}),
    ("train_img_sizes", {"type": int, "nargs": "+", "default": None}),
    ("naflex_loader", {"action": "store_true", "default": False}),
)
# What timm's scheduler_kwargs() reads (timm/scheduler/scheduler_factory.py): passed on as args.
SCHEDULE_ARGS = (
    "sched", "epochs", "decay_epochs", "decay_milestones", "warmup_epochs", "cooldown_epochs",
    "patience_epochs", "decay_rate", "min_lr", "warmup_lr", "warmup_prefix", "lr_noise", "lr_noise_pct",
    "lr_noise_std", "seed", "lr_cycle_mul", "lr_cycle_decay", "lr_cycle_limit", "lr_k_decay",
    "lr_decay_fn", "lr_stable_timescale", "eval_metric", "sched_on_updates", "start_epoch",
)  # fmt: skip
# Newer train.py arguments (timm 1.0.30+, wsd / rsqrt), passed through as written.
NEWER = ("lr_decay_fn", "lr_stable_timescale")
CYCLIC = ("cosine", "tanh", "poly")
ITERABLE_DATASETS = ("tfds/", "wds/", "hfds/", "hfids/")
# Keys most train.py forks would use for the schedule; ones train.py does not know get a note.
_SCHEDULE_PREFIXES = ("lr", "sched", "warmup", "cooldown", "decay", "min_lr")
_SIGNATURE = {"sched", "epochs", "warmup_epochs", "warmup_lr", "min_lr", "opt", "batch_size", "model"}
_CONFLICTS = ("lr0", "lrf", "warmup_bias_lr", "nbs")  # Ultralytics' own names, never train.py's
# train.py's own spellings (not epochs, model, batch_size, min_lr, which every trainer has);
# Ultralytics also has warmup_epochs, which its own claim then shares (lrplot.formats.conflicts)
_OWN_SPELLINGS = ("opt", "warmup_lr", "warmup_epochs")


def identify(path: Path | None, data: Any) -> Identification:
    """A flat mapping (train.py's arguments) with its ``sched`` and a few of its other names.

    A nested table is no argument of train.py's (but ``model_kwargs``/``opt_kwargs``): it
    conflicts, as a config of some other trainer that names its schedule ``sched``.
    """
    if not isinstance(data, dict) or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=("sched",))
    seen = tuple(sorted(_SIGNATURE & set(data)))
    if not isinstance(data.get("sched"), str):
        # train.py's own spellings without its sched: too little to claim, but evidence of timm's
        # arguments in a file another format claims (lrplot.formats.conflicts)
        own = tuple(k for k in _OWN_SPELLINGS if k in data and not isinstance(data[k], (dict, list)))
        if own:
            return Identification(NAME, round(min(0.1 * len(own), 0.3), 6), own, ("sched",))
        return Identification(NAME, 0.0, tuple(k for k in seen if k != "sched"), ("sched",))
    nested = tuple(
        k for k, v in data.items() if isinstance(v, dict) and k not in ("model_kwargs", "opt_kwargs")
    )
    score = 0.9 if len(seen) >= 3 else 0.3
    missing = () if len(seen) >= 3 else tuple(sorted(_SIGNATURE - set(seen)))
    conflicting = (*nested, *(k for k in _CONFLICTS if k in data))
    return Identification(NAME, min(score, CONFLICTED) if conflicting else score, seen, missing, conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """The run train.py would make from these arguments, as one lrplot curve."""
    args = parse_arguments(data)
    converted = Converted(data={}, form=FORM)
    notes = converted.notes
    sched = args.sched
    _refuse_unsupported(args, data, options)
    world_size = options.world_size or 1
    lr, lr_note = learning_rate(args, world_size)
    if lr_note:
        notes.append(lr_note)
    updates = updates_per_epoch(args, options, world_size)
    if options.world_size is None and (not args.lr or options.steps_per_epoch is None):
        notes.append("one training process assumed (train.py's world size); give --world-size N for N GPUs")
    start_epoch = args.start_epoch or 0
    if args.resume and args.start_epoch is None:
        notes.append(
            "resume is set: train.py continues from the checkpoint's epoch, which lrplot cannot read; "
            "drawn from epoch 0 (--set scheduler.args.start_epoch=N to start at N)"
        )
    if args.layer_decay:
        notes.append(
            f"layer_decay {args.layer_decay}: timm scales each layer's lr by its depth (lr_scale); "
            "the curve is the unscaled lr"
        )
    unknown = sorted(
        k for k in data if k.startswith(_SCHEDULE_PREFIXES) and k not in _KNOWN and k not in NEWER
    )
    if unknown:
        notes.append(f"not arguments of timm's train.py, ignored: {', '.join(unknown)}")
    epochs = run_epochs(args, updates)
    if epochs <= start_epoch:
        raise LrplotError(
            f"start_epoch {start_epoch} leaves nothing to train of the {epochs} epochs",
            key_path=("start_epoch",),
        )
    schedule = {key: getattr(args, key) for key in SCHEDULE_ARGS if hasattr(args, key)}
    if sched in ("wsd", "rsqrt") and "decay_epochs" not in data:
        schedule["decay_epochs"] = None  # create_scheduler_v2's own default for these (0.2 of the run)
    curve = {
        "label": f"timm {sched}",
        "optimizer": {"name": "SGD", "lr": lr},
        "scheduler": {"name": DRIVER, "args": schedule, "updates_per_epoch": updates, "epochs": epochs},
    }
    converted.data = {
        "title": f"{data.get('model') or 'timm'}: {sched} (timm train.py)",
        "total_step": (epochs - start_epoch) * updates,
        "steps_per_epoch": updates,
        "curves": [curve],
    }
    origins = converted.origins
    origins[("curves", 0, "scheduler")] = ("sched",)
    origins[("curves", 0, "scheduler", "name")] = ("sched",)
    origins[("curves", 0, "optimizer", "lr")] = ("lr",) if args.lr else ("lr_base",)
    origins[("total_step",)] = ("epochs",)
    origins[("steps_per_epoch",)] = ("batch_size",)
    for key in schedule:
        if key in data:
            origins[("curves", 0, "scheduler", "args", key)] = (key,)
        # train.py's argument of the same name, written or not (a default: the fix adds the key)
        converted.file_keys[("curves", 0, "scheduler", "args", key)] = FileKey((key,))
    converted.derived = {"updates_per_epoch": updates, "epochs": epochs, "lr": lr, "world_size": world_size}
    return converted


_KNOWN = {name for name, _ in ARGUMENTS}


def parse_arguments(data: dict[str, Any]) -> argparse.Namespace:
    """train.py's arguments with the file's values as defaults, converted as argparse does."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    for name, keywords in ARGUMENTS:
        parser.add_argument("--" + name.replace("_", "-"), dest=name, **keywords)
    parser.set_defaults(**{str(k): v for k, v in data.items()})
    try:
        return parser.parse_args([])
    except argparse.ArgumentError as exc:
        key = (exc.argument_name or "").split("/")[0].lstrip("-").replace("-", "_")
        raise LrplotError(
            f"{key}: {exc.message} (train.py could not read {data.get(key)!r} either)",
            key_path=(key,) if key in data else None,
        ) from None


def learning_rate(args: argparse.Namespace, world_size: int) -> tuple[float, str | None]:
    """train.py lines 837-849: without ``lr``, lr_base scaled by the global batch size."""
    if args.lr:
        return args.lr, None
    batch_size_reference = float(args.batch_size)
    global_batch_size = batch_size_reference * world_size * args.grad_accum_steps
    batch_ratio = global_batch_size / args.lr_base_size
    lr_base_scale = args.lr_base_scale
    if not lr_base_scale:
        on = args.opt.lower()
        lr_base_scale = "sqrt" if any([o in on for o in ("ada", "lamb")]) else "linear"
    if lr_base_scale == "sqrt":
        batch_ratio = batch_ratio**0.5
    lr = args.lr_base * batch_ratio
    return lr, (
        f"lr {lr:g} = lr_base {args.lr_base:g} scaled ({lr_base_scale}) by the global batch "
        f"{global_batch_size:g} (batch_size x world size x grad_accum_steps) / lr_base_size "
        f"{args.lr_base_size}, as train.py computes it"
    )


def updates_per_epoch(args: argparse.Namespace, options: FormatOptions, world_size: int) -> int:
    """train.py line 1079: ``(len(loader_train) + grad_accum_steps - 1) // grad_accum_steps``.

    ``len(loader_train)`` is what timm's ``create_loader`` (timm/data/loader.py) makes for
    training: ``drop_last=True`` batches of the sampler, torch's ``DistributedSampler``
    (ceil(N / world size) samples) when distributed, timm's ``RepeatAugSampler`` with
    ``aug_repeats``, all N samples in one process. ``--steps-per-epoch`` gives the updates directly.
    """
    if options.steps_per_epoch is not None:
        return options.steps_per_epoch
    if options.dataset_size is None:
        raise missing_option(
            FORM,
            "the updates per epoch depend on the training set's size",
            "--dataset-size N (images in the train split) or --steps-per-epoch N (updates per epoch)",
        )
    size = options.dataset_size
    if world_size > 1 and args.aug_repeats:  # RepeatAugSampler, timm/data/distributed_sampler.py
        num_samples = int(math.ceil(size * args.aug_repeats / world_size))  # noqa: RUF046 (as timm writes it)
        if size >= 256:  # selected_round=256, selected_ratio = world size
            selected = int(math.floor(size // 256 * 256 / world_size))  # noqa: RUF046
        else:
            selected = int(math.ceil(size / world_size))  # noqa: RUF046
        samples = min(selected, num_samples)
    elif world_size > 1:  # torch.utils.data.DistributedSampler, drop_last=False
        samples = math.ceil(size / world_size)
    else:
        samples = size
    batches = samples // args.batch_size
    if batches < 1:
        raise LrplotError(
            f"{samples} training samples per process make no full batch of {args.batch_size} "
            "(timm's training loader drops the last partial batch)",
            key_path=("batch_size",),
        )
    accum = args.grad_accum_steps
    return (batches + accum - 1) // accum


def run_epochs(args: argparse.Namespace, updates: int) -> int:
    """The epochs train.py runs: create_scheduler_v2's returned ``num_epochs``.

    timm/scheduler/scheduler_factory.py (timm 1.0.31): cyclic schedules (cosine, tanh, poly)
    last ``get_cycle_length() + cooldown``, wsd / rsqrt their warmup + stable + decay +
    cooldown, the others ``epochs`` (+ ``warmup_epochs`` with ``warmup_prefix``). lrplot's
    timm driver compares this with timm's own answer and refuses the file (exit 2, a bug in
    lrplot to report) if they ever differ: the curve would be a guess.
    """
    _integer(args, "epochs")
    _integer(args, "warmup_epochs", minimum=0)
    _integer(args, "cooldown_epochs", minimum=0)
    on_epochs = not args.sched_on_updates
    scale = 1 if on_epochs else updates
    t_initial, warmup_t, cooldown_t = (
        args.epochs * scale,
        args.warmup_epochs * scale,
        args.cooldown_epochs * scale,
    )
    if args.sched in CYCLIC:
        cycles = max(1, args.lr_cycle_limit)
        if args.lr_cycle_mul == 1.0:
            t = t_initial * cycles
        else:
            t = int(math.floor(-t_initial * (args.lr_cycle_mul**cycles - 1) / (1 - args.lr_cycle_mul)))  # noqa: RUF046
        total = (t + warmup_t if args.warmup_prefix else t) + cooldown_t
    elif args.sched in ("wsd", "rsqrt"):
        total = (t_initial + warmup_t if args.warmup_prefix else t_initial) + cooldown_t
    else:
        return args.epochs + (args.warmup_epochs if args.warmup_prefix else 0)
    return total if on_epochs else total // updates


def _integer(args: argparse.Namespace, key: str, minimum: int = 1) -> None:
    value = getattr(args, key)
    in_range(value, key, key_path=(key,))
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LrplotError(
            f"{key} should be an integer >= {minimum} (train.py counts whole epochs), got {value!r}",
            key_path=(key,),
        )


def _refuse_unsupported(args: argparse.Namespace, data: dict[str, Any], options: FormatOptions) -> None:
    """What the file alone cannot say, or lrplot cannot draw, as one line each."""
    if args.sched == "plateau":
        raise LrplotError(
            "sched: plateau (deprecated in timm) lowers the lr when the eval metric stalls; the file "
            "holds no metric, so lrplot cannot draw it",
            key_path=("sched",),
        )
    if options.steps_per_epoch is not None:
        return
    dataset = str(args.dataset or "")
    if dataset.startswith(ITERABLE_DATASETS) or args.naflex_loader or args.train_img_sizes:
        what = "an iterable dataset" if dataset.startswith(ITERABLE_DATASETS) else "timm's scheduled loader"
        key = (
            "dataset"
            if dataset.startswith(ITERABLE_DATASETS)
            else ("naflex_loader" if args.naflex_loader else "train_img_sizes")
        )
        raise LrplotError(
            f"{what} sets its own number of batches per epoch; give --steps-per-epoch N "
            "(optimizer updates per epoch, as train.py logs them)",
            key_path=(key,) if key in data else None,
        )
    if args.aug_repeats and (options.world_size or 1) <= 1:
        raise LrplotError(
            "aug_repeats needs distributed training (timm's loader asserts it); give --world-size N",
            key_path=("aug_repeats",),
        )
