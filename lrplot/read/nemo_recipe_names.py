"""What NeMo 2.0's schedule makers are: the optim factories' and lr-scheduler wrappers' parameters.

Transcribed from NVIDIA/NeMo at 8cfedd7203462cb251a914e700e5605444277561 (these files are not
in the ``nemo_toolkit`` wheel installed here, which lacks ``nemo.collections.llm`` and
``nemo.lightning.pytorch``): ``nemo/collections/llm/recipes/optim/adam.py`` and ``sgd.py``
(each factory's parameters in order and defaults), ``nemo/lightning/pytorch/optim/
lr_scheduler.py`` (each wrapper's ``__init__`` parameters and defaults, and the keys its
``scheduler()`` passes to the ``nemo.core.optim.lr_scheduler`` class).
"""

from __future__ import annotations

from typing import Any

# nemo/collections/llm/recipes/optim/{adam,sgd}.py at 8cfedd7: parameters in order, defaults,
# and whether the missing-min_lr rule is ``min_lr if min_lr is not None`` (True) or ``min_lr or``.
FACTORIES: dict[str, tuple[dict[str, Any], bool]] = {
    "distributed_fused_adam_with_cosine_annealing": (
        {"precision": "bf16-mixed", "warmup_steps": 2000, "constant_steps": 0, "adam_beta1": 0.9,
         "adam_beta2": 0.95, "max_lr": 1e-4, "min_lr": None, "clip_grad": 1.0}, True),
    "pytorch_adam_with_cosine_annealing": (
        {"warmup_steps": 2000, "constant_steps": 0, "max_lr": 1e-5, "min_lr": None, "weight_decay": 0.01,
         "foreach": False}, False),
    "te_adam_with_cosine_annealing": (
        {"warmup_steps": 2000, "constant_steps": 0, "max_lr": 1e-5, "min_lr": None, "weight_decay": 0.01},
        False),
    "pytorch_sgd_with_cosine_annealing": (
        {"warmup_steps": 2000, "constant_steps": 0, "max_lr": 1e-5, "min_lr": None, "wd": 1e-4}, False),
}  # fmt: skip
FLAT = ("pytorch_adam_with_flat_lr", "te_adam_with_flat_lr", "pytorch_sgd_with_flat_lr")
# nemo/lightning/pytorch/optim/lr_scheduler.py at 8cfedd7: wrapper -> (nemo.core.optim class,
# its __init__ parameters in order with their defaults, the keys it passes to the class).
_STEP = {"interval": "step", "frequency": 1, "monitor": "val_loss"}


def _wrapper(
    cls: str, passed: tuple[str, ...], **defaults: Any
) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    return cls, {**defaults, **_STEP}, passed


_WARM = ("warmup_steps", "warmup_ratio", "min_lr")
_POLY = ("min_lr", "power", "cycle")
WRAPPERS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "WarmupPolicyScheduler": _wrapper(
        "WarmupPolicy", _WARM, warmup_steps=750, warmup_ratio=None, max_steps=10, min_lr=0.0
    ),
    "WarmupHoldPolicyScheduler": _wrapper(
        "WarmupHoldPolicy", ("warmup_steps", "warmup_ratio", "hold_steps", "hold_ratio", "min_lr"),
        warmup_steps=750, warmup_ratio=None, hold_steps=None, hold_ratio=None, max_steps=10, min_lr=0.0,
    ),
    "SquareAnnealingScheduler": _wrapper("SquareAnnealing", ("min_lr",), max_steps=10, min_lr=1e-5),
    "SquareRootAnnealingScheduler": _wrapper("SquareRootAnnealing", ("min_lr",), max_steps=10, min_lr=0.0),
    "NoamAnnealingScheduler": _wrapper(
        "NoamAnnealing", ("d_model", *_WARM),
        d_model=None, warmup_steps=750, warmup_ratio=None, max_steps=10, min_lr=0.0,
    ),
    "NoamHoldAnnealingScheduler": _wrapper(
        "NoamHoldAnnealing", ("decay_rate", "min_lr"), max_steps=10, decay_rate=0.5, min_lr=0.0
    ),
    "WarmupAnnealingScheduler": _wrapper(
        "WarmupAnnealing", _WARM, warmup_steps=750, warmup_ratio=None, max_steps=10, min_lr=0.0
    ),
    "InverseSquareRootAnnealingScheduler": _wrapper(
        "InverseSquareRootAnnealing", ("min_lr",), max_steps=10, min_lr=0.0
    ),
    "T5InverseSquareRootAnnealingScheduler": _wrapper(
        "T5InverseSquareRootAnnealing", ("min_lr",), max_steps=10, min_lr=0.0
    ),
    "PolynomialDecayAnnealingScheduler": _wrapper(
        "PolynomialDecayAnnealing", _POLY, max_steps=10, min_lr=0.0, power=1.0, cycle=False
    ),
    "PolynomialHoldDecayAnnealingScheduler": _wrapper(
        "PolynomialHoldDecayAnnealing", _POLY, max_steps=10, min_lr=0.0, power=1.0, cycle=False
    ),
    "CosineAnnealingScheduler": _wrapper(
        "CosineAnnealing", ("warmup_steps", "constant_steps", "min_lr"),
        max_steps=10, warmup_steps=750, constant_steps=80000, min_lr=6e-5,
    ),
}  # fmt: skip
MARKERS = (*FACTORIES, *FLAT, *WRAPPERS)
