"""OneCycleLR, CyclicLR and SWALR constructed without torch (torch 2.13's constructors).

Each function writes into the param groups exactly what torch's ``__init__`` writes
(``initial_lr``, ``max_lr``, ``min_lr``, ``swa_lr``, cycled ``momentum`` or ``betas``) and
returns the scheduler's state with torch's attribute names, after its first step, so the
engine's recurrences (:mod:`lrplot.engines.cycles`) continue it as they continue a torch
object. Only certainly valid arguments get here (see the domains below); ``None`` means
"let torch decide".
"""

from __future__ import annotations

from typing import Any

from lrplot.plan.cycle_steps import cyclic_step, one_cycle_step, swalr_step
from lrplot.plan.domains import REQUIRED, FreeScheduler, between, boolean, int_at_least, integer, number


def _per_group(value: Any) -> bool:
    """A number, or a list of numbers (one per group: its length is checked at construction)."""
    if isinstance(value, list):
        return bool(value) and all(number(v) for v in value)
    return number(value)


def _positive(value: Any) -> bool:
    return number(value) and value > 0


def _optional_positive_int(value: Any) -> bool:
    return value is None or (integer(value) and value > 0)


def _choice(*choices: str) -> Any:
    return lambda value: isinstance(value, str) and value in choices


def _only_fresh(value: Any) -> bool:
    return integer(value) and value == -1


def _pct(value: Any) -> bool:
    return isinstance(value, float) and between(0.0, 1.0)(value)


CYCLE_SCHEDULERS: dict[str, dict[str, tuple[Any, Any]]] = {
    "OneCycleLR": {
        "max_lr": (_per_group, REQUIRED),
        "total_steps": (_optional_positive_int, None),
        "epochs": (_optional_positive_int, None),
        "steps_per_epoch": (_optional_positive_int, None),
        "pct_start": (_pct, 0.3),
        "anneal_strategy": (_choice("cos", "linear"), "cos"),
        "cycle_momentum": (boolean, True),
        "base_momentum": (_per_group, 0.85),
        "max_momentum": (_per_group, 0.95),
        "div_factor": (_positive, 25.0),
        "final_div_factor": (_positive, 1e4),
        "three_phase": (boolean, False),
        "last_epoch": (_only_fresh, -1),
    },
    "CyclicLR": {
        "base_lr": (_per_group, REQUIRED),
        "max_lr": (_per_group, REQUIRED),
        "step_size_up": (int_at_least(1), 2000),
        "step_size_down": (lambda v: v is None or int_at_least(1)(v), None),
        "mode": (_choice("triangular", "triangular2", "exp_range"), "triangular"),
        "gamma": (_positive, 1.0),
        "scale_mode": (_choice("cycle", "iterations"), "cycle"),
        "cycle_momentum": (boolean, True),
        "base_momentum": (_per_group, 0.8),
        "max_momentum": (_per_group, 0.9),
        "last_epoch": (_only_fresh, -1),
    },
    "SWALR": {
        "swa_lr": (_per_group, REQUIRED),
        "anneal_epochs": (int_at_least(0), 10),
        "anneal_strategy": (_choice("cos", "linear"), "cos"),
        "last_epoch": (_only_fresh, -1),
    },
}


def _format_param(value: Any, groups: list[dict[str, Any]]) -> list[Any] | None:
    """torch's _format_param: one value per group (None where torch would raise)."""
    if isinstance(value, list):
        return list(value) if len(value) == len(groups) else None
    return [value] * len(groups)


def construct_cycle(kind: str, keywords: dict[str, Any], groups: list[dict[str, Any]]) -> Any:
    """The scheduler's state after torch's constructor and first step, or None to let torch decide.

    The optimizer has momentum or betas in its defaults (SGD, Adam, AdamW all do), so
    cycle_momentum never raises; which key cycles follows the param groups.
    """
    optimizer = "Adam" if "betas" in groups[0] else "SGD"
    return {"OneCycleLR": _one_cycle, "CyclicLR": _cyclic, "SWALR": _swalr}[kind](keywords, groups, optimizer)


def _momentum_key(optimizer: str) -> str:
    return "betas" if optimizer == "Adam" else "momentum"


def _set_momentum(group: dict[str, Any], key: str, value: Any) -> None:
    if key == "betas":
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _one_cycle(keywords: dict[str, Any], groups: list[dict[str, Any]], optimizer: str) -> Any:
    total_steps = keywords["total_steps"]
    if total_steps is None:
        if keywords["epochs"] is None or keywords["steps_per_epoch"] is None:
            return None
        total_steps = keywords["epochs"] * keywords["steps_per_epoch"]
    pct_start = keywords["pct_start"]
    if keywords["three_phase"]:
        phases = [
            {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
             "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
            {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
             "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
             "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
        ]  # fmt: skip
    else:
        phases = [
            {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
             "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
            {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
             "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
        ]  # fmt: skip
    start = 0.0
    for phase in phases:  # a zero-length phase divides by zero when reached: torch decides
        if phase["end_step"] - start == 0:
            return None
        start = phase["end_step"]
    max_lrs = _format_param(keywords["max_lr"], groups)
    if max_lrs is None:
        return None
    for max_lr, group in zip(max_lrs, groups, strict=True):
        group["initial_lr"] = max_lr / keywords["div_factor"]
        group["max_lr"] = max_lr
        group["min_lr"] = group["initial_lr"] / keywords["final_div_factor"]
    state = FreeScheduler(
        "OneCycleLR",
        total_steps=total_steps,
        _schedule_phases=phases,
        _anneal_func_type=keywords["anneal_strategy"],
        cycle_momentum=keywords["cycle_momentum"],
    )
    key = _momentum_key(optimizer)
    if state.cycle_momentum:
        state.use_beta1 = key == "betas"
        max_momentums = _format_param(keywords["max_momentum"], groups)
        base_momentums = _format_param(keywords["base_momentum"], groups)
        if max_momentums is None or base_momentums is None:
            return None
        for m_momentum, b_momentum, group in zip(max_momentums, base_momentums, groups, strict=True):
            _set_momentum(group, key, m_momentum)
            group["max_momentum"] = m_momentum
            group["base_momentum"] = b_momentum
    state.base_lrs = [group["initial_lr"] for group in groups]
    state.last_epoch = 0
    one_cycle_step(state, groups, 0)
    return state


def _cyclic(keywords: dict[str, Any], groups: list[dict[str, Any]], optimizer: str) -> Any:
    base_lrs = _format_param(keywords["base_lr"], groups)
    max_lrs = _format_param(keywords["max_lr"], groups)
    if base_lrs is None or max_lrs is None:
        return None
    for lr, group in zip(base_lrs, groups, strict=True):
        group["lr"] = lr
    step_size_up = float(keywords["step_size_up"])
    down = keywords["step_size_down"]
    step_size_down = float(down) if down is not None else step_size_up
    total_size = step_size_up + step_size_down
    mode = keywords["mode"]
    state = FreeScheduler(
        "CyclicLR",
        max_lrs=max_lrs,
        total_size=total_size,
        step_ratio=step_size_up / total_size,
        mode=mode,
        gamma=keywords["gamma"],
        scale_mode="iterations" if mode == "exp_range" else "cycle",
        cycle_momentum=keywords["cycle_momentum"],
    )
    key = _momentum_key(optimizer)
    if state.cycle_momentum and key == "betas" and state.semantics == "2.2":
        return None  # torch 2.2 refuses an optimizer without momentum: its message applies
    if state.cycle_momentum:
        state.use_beta1 = key == "betas"
        state.base_momentums = _format_param(keywords["base_momentum"], groups)
        state.max_momentums = _format_param(keywords["max_momentum"], groups)
        if state.base_momentums is None or state.max_momentums is None:
            return None
        for m_momentum, b_momentum, group in zip(
            state.max_momentums, state.base_momentums, groups, strict=True
        ):
            _set_momentum(group, key, m_momentum)
            group["max_momentum"] = m_momentum
            group["base_momentum"] = b_momentum
    for group in groups:
        group.setdefault("initial_lr", group["lr"])
    # torch's first step runs inside LRScheduler.__init__, before CyclicLR sets its own
    # base_lrs: it uses the groups' initial_lr (an earlier scheduler's, when there was one).
    state.base_lrs = [group["initial_lr"] for group in groups]
    state.last_epoch = 0
    cyclic_step(state, groups, 0)
    state.base_lrs = base_lrs
    return state


def _swalr(keywords: dict[str, Any], groups: list[dict[str, Any]], optimizer: str) -> Any:
    swa_lrs = _format_param(keywords["swa_lr"], groups)
    if swa_lrs is None:
        return None
    for swa_lr, group in zip(swa_lrs, groups, strict=True):
        group["swa_lr"] = swa_lr
    for group in groups:
        group.setdefault("initial_lr", group["lr"])
    state = FreeScheduler(
        "SWALR",
        anneal_epochs=keywords["anneal_epochs"],
        _anneal_strategy=keywords["anneal_strategy"],
        base_lrs=[group["initial_lr"] for group in groups],
        last_epoch=0,
        _step_count=1,
    )
    swalr_step(state, groups)
    return state
