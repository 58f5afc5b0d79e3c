"""megatron-core's ``OptimizerParamScheduler``, built and stepped as Megatron-LM's training loop does.

Megatron-LM (NVIDIA/Megatron-LM at core_v0.16.0, 3bec9aa97dda898d16ff5a89bac0ed2b6682b172, the
release of the megatron-core 0.16.0 wheel) builds the scheduler in
``megatron/training/training.py`` ``get_optimizer_param_scheduler`` (lines 1355-1407) in *samples*:

- iteration-based (``--train-iters``): ``lr_decay_steps = lr_decay_iters * global_batch_size``
  (``lr_decay_iters`` defaults to ``train_iters``), warmup ``lr_warmup_fraction * lr_decay_steps``
  or ``lr_warmup_iters * global_batch_size``, WSD's ``lr_wsd_decay_iters * global_batch_size``,
  weight-decay increments over ``train_iters * global_batch_size``;
- sample-based (``--train-samples``): the ``*_samples`` values as they are
  (``lr_decay_samples`` defaults to ``train_samples``, warmup fraction of it likewise).

``init_lr`` is ``--lr-warmup-init``; the constructor calls ``step(0)``, so the first iteration
uses the lr at 0 samples. ``train_step`` (lines 1727-1730) calls, after each successful
``optimizer.step()``, ``opt_param_scheduler.step(increment=get_num_microbatches() *
micro_batch_size * data_parallel_size)``: the global batch of that iteration, which under
``--rampup-batch-size`` is the ramping one. The loop (``train``, lines 2684-2736) updates the
microbatch calculator from ``consumed_train_samples`` before each iteration and adds that batch
after it. :class:`MegatronTrainLoop` makes the same calls with megatron-core's own
``OptimizerParamScheduler`` and ``num_microbatches_calculator`` classes, so step *k* of the
curve is the lr Megatron's *k*-th iteration used.

The two modules are megatron-core's files, loaded without running ``megatron/core/__init__.py``
(which imports the model-parallel stack, Transformer Engine probes and torch.distributed): the
scheduler's only import from the package, ``megatron.core.utils.log_single_rank``, is the
function ``megatron/core/_rank_utils.py`` defines and ``utils`` re-exports; it is given to the
scheduler module while it loads (and ``sys.modules`` is left as it was, so a later full import
of ``megatron.core.utils`` runs the real one).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

from lrplot.errors import LrplotError
from lrplot.facts import Length, ScheduleFacts
from lrplot.plan.drivers.unexecuted import register_unexecuted

SCHEDULER_MODULE = "megatron.core.optimizer_param_scheduler"
CALCULATOR_MODULE = "megatron.core.num_microbatches_calculator"
INSTALL_HINT = (
    "pip install 'lrplot[megatron]' (or `pip install --no-deps megatron-core`: only its scheduler is used)"
)


def _core() -> ModuleType:
    try:
        importlib.import_module("megatron")  # a namespace package: nothing runs
    except ModuleNotFoundError:
        raise ModuleNotFoundError("No module named 'megatron'", name="megatron") from None
    return register_unexecuted("megatron.core")


def load_scheduler_module() -> ModuleType:
    """``megatron.core.optimizer_param_scheduler`` from the installed wheel, ``megatron.core`` unexecuted."""
    loaded = sys.modules.get(SCHEDULER_MODULE)
    if loaded is not None:
        return loaded
    _core()
    rank_utils = importlib.import_module("megatron.core._rank_utils")
    spec = importlib.util.find_spec(SCHEDULER_MODULE)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(
            "No module named 'megatron.core.optimizer_param_scheduler'", name="megatron"
        )
    module = importlib.util.module_from_spec(spec)
    utils_name = "megatron.core.utils"
    real_utils = sys.modules.get(utils_name)
    if real_utils is None:  # only what the module imports from it: the same function object
        substitute = ModuleType(utils_name)
        substitute.log_single_rank = rank_utils.log_single_rank  # type: ignore[attr-defined]
        sys.modules[utils_name] = substitute
    try:
        spec.loader.exec_module(module)
    finally:
        if real_utils is None:
            del sys.modules[utils_name]
    sys.modules[SCHEDULER_MODULE] = module
    return module


def load_calculator_module() -> ModuleType:
    """``megatron.core.num_microbatches_calculator`` (it imports only the standard library)."""
    _core()
    return importlib.import_module(CALCULATOR_MODULE)


def scheduler_arguments(
    *,
    lr: float,
    min_lr: float,
    lr_decay_style: str,
    global_batch_size: int,
    train_iters: int | None,
    train_samples: int | None,
    lr_warmup_init: float = 0.0,
    lr_decay_iters: int | None = None,
    lr_decay_samples: int | None = None,
    lr_warmup_fraction: float | None = None,
    lr_warmup_iters: int = 0,
    lr_warmup_samples: int = 0,
    lr_wsd_decay_style: str = "exponential",
    lr_wsd_decay_iters: int | None = None,
    lr_wsd_decay_samples: int | None = None,
    start_weight_decay: float = 0.0,
    end_weight_decay: float = 0.0,
    weight_decay_incr_style: str = "constant",
) -> dict[str, Any]:
    """``OptimizerParamScheduler``'s keywords as ``get_optimizer_param_scheduler`` computes them."""
    if train_iters:
        decay_iters = train_iters if lr_decay_iters is None else lr_decay_iters
        lr_decay_steps: float = decay_iters * global_batch_size
        wd_incr_steps = train_iters * global_batch_size
        wsd_decay_steps = None if lr_wsd_decay_iters is None else lr_wsd_decay_iters * global_batch_size
        warmup = (
            lr_warmup_fraction * lr_decay_steps
            if lr_warmup_fraction is not None
            else lr_warmup_iters * global_batch_size
        )
    else:
        assert train_samples
        lr_decay_steps = train_samples if lr_decay_samples is None else lr_decay_samples
        wd_incr_steps = train_samples
        wsd_decay_steps = lr_wsd_decay_samples
        warmup = lr_warmup_fraction * lr_decay_steps if lr_warmup_fraction is not None else lr_warmup_samples
    return {
        "init_lr": lr_warmup_init,
        "max_lr": lr,
        "min_lr": min_lr,
        "lr_warmup_steps": warmup,
        "lr_decay_steps": lr_decay_steps,
        "lr_decay_style": lr_decay_style,
        "start_wd": start_weight_decay,
        "end_wd": end_weight_decay,
        "wd_incr_steps": wd_incr_steps,
        "wd_incr_style": weight_decay_incr_style,
        "use_checkpoint_opt_param_scheduler": False,
        "override_opt_param_scheduler": False,
        "wsd_decay_steps": wsd_decay_steps,
        "lr_wsd_decay_style": lr_wsd_decay_style,
    }


class MegatronTrainLoop:
    """Megatron-LM's ``train`` loop around ``OptimizerParamScheduler``, one call per iteration.

    ``schedule`` holds Megatron's arguments for the scheduler (see :func:`scheduler_arguments`);
    ``micro_batch_size``, ``data_parallel_size``, ``rampup_batch_size`` and
    ``decrease_batch_size_if_needed`` build the microbatch calculator as
    ``init_num_microbatches_calculator`` does.
    """

    lrplot_driver = True
    library = "megatron-core"

    def __init__(
        self,
        optimizer: Any,
        schedule: dict[str, Any],
        micro_batch_size: int,
        data_parallel_size: int = 1,
        rampup_batch_size: list[int] | None = None,
        decrease_batch_size_if_needed: bool = False,
    ) -> None:
        self.optimizer = optimizer
        try:
            calculators = load_calculator_module()
            module = load_scheduler_module()
        except ModuleNotFoundError as missing:
            raise LrplotError(
                f"drawing a Megatron-LM schedule needs megatron-core ({missing}): {INSTALL_HINT}"
            ) from None
        self.calculator = calculators._build_num_microbatches_calculator(
            0,
            rampup_batch_size,
            int(schedule["global_batch_size"]),
            micro_batch_size,
            data_parallel_size,
            decrease_batch_size_if_needed,
        )
        self.micro_batch_size = micro_batch_size
        self.data_parallel_size = data_parallel_size
        self.consumed_samples = 0
        self.calculator.update(0, consistency_check=True)
        self.scheduler = module.OptimizerParamScheduler(optimizer, **scheduler_arguments(**schedule))

    @classmethod
    def changes(cls, keywords: dict[str, Any]) -> set[str]:
        """Megatron's scheduler also sets each group's weight decay; drawn when it changes."""
        style = (keywords.get("schedule") or {}).get("weight_decay_incr_style", "constant")
        return set() if style == "constant" else {"weight_decay"}

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Warmup end, decay end and floor, in iterations (one ``step()`` per iteration).

        Megatron counts them in samples (``get_optimizer_param_scheduler``); with a constant
        global batch one iteration is ``global_batch_size`` samples. Under
        ``--rampup-batch-size`` the iteration of a sample count is not one number: nothing is
        declared. A warmup written as ``--lr-warmup-fraction`` is a share of the decay, so it
        is declared through the decay only (no iteration count fixes a fraction).
        """
        schedule = dict(keywords.get("schedule") or {})
        name = "Megatron's schedule"
        if keywords.get("rampup_batch_size") is not None or not schedule:
            return ScheduleFacts(name=name)
        arguments = scheduler_arguments(**schedule)
        gbs = int(schedule["global_batch_size"])
        iterations = bool(schedule.get("train_iters"))
        unit: Any = "iteration" if iterations else "sample"
        per_unit = 1.0 if iterations else 1.0 / gbs
        based = "iters" if iterations else "samples"

        def calls(samples: float) -> int:
            return max(0, round(samples / gbs))

        lengths = []
        warmup = arguments["lr_warmup_steps"]
        if warmup and schedule.get("lr_warmup_fraction") is None:
            lengths.append(
                Length(
                    f"lr_warmup_{based}", calls(warmup), "warmup", target=1.0, unit=unit,
                    per_unit=per_unit, key=("schedule", f"lr_warmup_{based}"),
                )
            )  # fmt: skip
        style = arguments["lr_decay_style"]
        if style in ("linear", "cosine", "WSD"):
            given = schedule.get(f"lr_decay_{based}") is not None
            keyword = f"lr_decay_{based}" if given else f"train_{based}"
            lengths.append(
                Length(
                    keyword, calls(arguments["lr_decay_steps"]), "decay", floor=float(schedule["min_lr"]),
                    unit=unit, per_unit=per_unit, key=("schedule", keyword),
                )
            )  # fmt: skip
        return ScheduleFacts(
            name=name,
            peak=float(schedule["lr"]),
            peak_key=("schedule", "lr"),
            floor=float(schedule["min_lr"]),
            floor_key=("schedule", "min_lr"),
            lengths=tuple(lengths),
        )

    def step(self) -> None:
        """``train_step``'s ``opt_param_scheduler.step(increment=...)``, then the loop's bookkeeping."""
        increment = self.calculator.get() * self.micro_batch_size * self.data_parallel_size
        self.scheduler.step(increment=increment)
        self.consumed_samples += increment
        self.calculator.update(self.consumed_samples, consistency_check=True)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
