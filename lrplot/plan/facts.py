"""The schedule facts (:class:`lrplot.facts.ScheduleFacts`) of a planned scheduler.

torch's classes and Hugging Face's ``get_*`` schedules declare theirs here, from their
keywords (torch's defaults filled in); a driver declares its own with a class method
``facts(keywords)`` (see :mod:`lrplot.plan.drivers`). The linter reads only these facts and
the simulated values, so this is the one place that knows a keyword's meaning.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

from lrplot.facts import Length, Milestones, Plateau, ScheduleFacts, Unit
from lrplot.plan.keywords import KeywordSpec
from lrplot.plan.plans import SchedulerPlan


def keyword(plan: SchedulerPlan, name: str) -> Any:
    """A keyword as planned (run expressions evaluated), else the class's default."""
    if name in plan.keywords:
        return plan.keywords[name]
    try:
        parameter = KeywordSpec.of(plan.cls).parameters.get(name)
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def facts_of(plan: SchedulerPlan, interval: str = "step") -> ScheduleFacts:
    """What ``plan`` declares about its schedule; empty facts when nothing is known."""
    declared = getattr(plan.cls, "facts", None)
    if callable(declared) and getattr(plan.cls, "lrplot_driver", False):
        try:
            facts = declared(plan.keywords)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return ScheduleFacts()  # the driver's own construction reports bad keywords
        return facts if isinstance(facts, ScheduleFacts) else ScheduleFacts()
    stepped: Unit = "epoch" if interval == "epoch" else "step"
    name = plan.name.rsplit(".", 1)[-1]
    if plan.name.startswith("transformers."):
        return _transformers(plan, stepped)
    lengths: list[Length] = []

    def add(key: str, shape: Any, target: float | None = None, floor: float | None = None) -> None:
        value = keyword(plan, key)
        if _whole(value):
            lengths.append(Length(key, value, shape, target, floor))

    floor_value: float | None = None
    floor_key = None
    unbounded = False
    factor: float | None = None
    factor_key = None
    milestones = keyword(plan, "milestones") if name in ("MultiStepLR", "SequentialLR") else None
    declared_milestones = (
        Milestones("milestones", tuple(m for m in milestones if _integer(m)))
        if isinstance(milestones, list)
        else None
    )
    if name in ("CosineAnnealingLR", "CosineAnnealingWarmRestarts"):
        eta_min = keyword(plan, "eta_min")
        floor_value = float(eta_min) if _number(eta_min) else 0.0
        floor_key = ("eta_min",)
        if name == "CosineAnnealingLR":
            add("T_max", "decay", floor=floor_value)
            lengths[-1:] = [replace(length, after="climbs") for length in lengths[-1:]]
        else:
            add("T_0", "decay", floor=floor_value)
            lengths[-1:] = [replace(length, after="repeats") for length in lengths[-1:]]
            t_mult = keyword(plan, "T_mult")
            if lengths and _whole(t_mult):
                lengths.append(replace(lengths[-1], shape="period", multiplier=t_mult))
    elif name == "LinearLR":
        start, end = keyword(plan, "start_factor"), keyword(plan, "end_factor")
        if _number(start) and _number(end) and start != end:
            add("total_iters", "warmup" if end > start else "decay", target=float(end))
    elif name == "ConstantLR":
        factor = keyword(plan, "factor")
        if _number(factor) and factor < 1:
            add("total_iters", "warmup", target=1.0)
    elif name == "PolynomialLR":
        add("total_iters", "decay", target=0.0)
    elif name == "MultiStepLR":
        milestones, gamma = keyword(plan, "milestones"), keyword(plan, "gamma")
        whole = isinstance(milestones, list) and milestones and all(_whole(m) for m in milestones)
        if whole and _number(gamma) and gamma < 1:
            lengths.append(Length("milestones", max(milestones), "steps"))
    elif name == "CyclicLR":
        up, down = keyword(plan, "step_size_up"), keyword(plan, "step_size_down")
        if _whole(up):
            total = up + (down if _whole(down) else up)
            lengths.append(Length("step_size_up", total, "period", written=up, after="repeats"))
    elif name in ("ExponentialLR", "StepLR", "MultiplicativeLR"):
        gamma = keyword(plan, "gamma")
        unbounded = name == "MultiplicativeLR" or (_number(gamma) and 0 < gamma < 1)
        if _number(gamma):
            factor, factor_key = float(gamma), ("gamma",)
    elif name == "OneCycleLR":
        return _one_cycle(plan, stepped)
    factor_every, factor_every_key = None, None
    if name == "ExponentialLR":
        factor_every = 1
    elif name == "StepLR" and _whole(keyword(plan, "step_size")):
        factor_every, factor_every_key = keyword(plan, "step_size"), ("step_size",)
    if name == "MultiStepLR" and _number(keyword(plan, "gamma")):
        factor, factor_key = float(keyword(plan, "gamma")), ("gamma",)
    elif name == "ReduceLROnPlateau":
        mode = keyword(plan, "mode")
        return ScheduleFacts(
            stepped_in=stepped, mode=mode if isinstance(mode, str) else "min", mode_key=("mode",),
            plateau=_plateau(plan),
        )  # fmt: skip
    return ScheduleFacts(
        floor=floor_value, floor_key=floor_key, lengths=tuple(lengths), stepped_in=stepped,
        unbounded_decay=unbounded, milestones=declared_milestones, factor=factor, factor_key=factor_key,
        factor_every=factor_every, factor_every_key=factor_every_key,
    )  # fmt: skip


def _one_cycle(plan: SchedulerPlan, stepped: Unit) -> ScheduleFacts:
    """OneCycleLR: one cycle over ``total_steps`` (else ``epochs`` x ``steps_per_epoch``), peak ``max_lr``."""
    max_lr = keyword(plan, "max_lr")
    first = max_lr[0] if isinstance(max_lr, list) and max_lr else max_lr
    peak = float(first) if _number(first) else None
    total, epochs, per_epoch = (keyword(plan, key) for key in ("total_steps", "epochs", "steps_per_epoch"))
    lengths: tuple[Length, ...] = ()
    if _whole(total):
        lengths = (Length("total_steps", total, "cycle"),)
    elif _whole(epochs) and _whole(per_epoch):
        lengths = (Length("epochs", epochs * per_epoch, "cycle", unit="epoch", per_unit=per_epoch),)
    return ScheduleFacts(peak=peak, peak_key=("max_lr",), lengths=lengths, stepped_in=stepped)


def _plateau(plan: SchedulerPlan) -> Plateau:
    """ReduceLROnPlateau's patience, cooldown, factor, eps and min_lr (torch's defaults filled in)."""
    patience, cooldown = keyword(plan, "patience"), keyword(plan, "cooldown")
    cut, eps, min_lr = keyword(plan, "factor"), keyword(plan, "eps"), keyword(plan, "min_lr")
    floors = min_lr if isinstance(min_lr, list) else [min_lr]
    return Plateau(
        patience=patience if _integer(patience) else None,
        cooldown=cooldown if _integer(cooldown) else 0,
        cut=float(cut) if _number(cut) else None,
        eps=float(eps) if _number(eps) else None,
        min_lrs=tuple(float(floor) if _number(floor) else 0.0 for floor in floors) or (0.0,),
    )


# Hugging Face's schedules by their get_scheduler name (or function): what follows the warmup.
_HF_DECAYS = {
    "linear": 0.0, "get_linear_schedule_with_warmup": 0.0,
    "cosine": 0.0, "get_cosine_schedule_with_warmup": 0.0,
    "cosine_with_restarts": 0.0, "get_cosine_with_hard_restarts_schedule_with_warmup": 0.0,
    "polynomial": None, "get_polynomial_decay_schedule_with_warmup": None,
    "cosine_with_min_lr": None, "get_cosine_with_min_lr_schedule_with_warmup": None,
    "warmup_stable_decay": None, "get_wsd_schedule": None,
}  # fmt: skip


def _transformers(plan: SchedulerPlan, stepped: Unit) -> ScheduleFacts:
    """``transformers.get_scheduler(name, ...)`` or one ``get_*_schedule_with_warmup`` function."""
    function = plan.name.rsplit(".", 1)[-1]
    kind = plan.keywords.get("name") if function == "get_scheduler" else function
    extra = plan.keywords.get("scheduler_specific_kwargs") or {}
    extra_key: tuple[str, ...] = ("scheduler_specific_kwargs",) if function == "get_scheduler" else ()
    if not isinstance(extra, dict):
        extra = {}

    def option(name: str) -> Any:
        return extra.get(name, plan.keywords.get(name))

    def key(name: str) -> tuple[str, ...]:
        return (*extra_key, name) if name in extra else (name,)

    lengths: list[Length] = []
    warmup = plan.keywords.get("num_warmup_steps")
    if _whole(warmup):
        lengths.append(Length("num_warmup_steps", warmup, "warmup", target=1.0))
    total = plan.keywords.get("num_training_steps")
    floor_factor = None
    floor_key = None
    floor = None
    if str(kind) in ("cosine_with_min_lr", "get_cosine_with_min_lr_schedule_with_warmup"):
        if _number(option("min_lr_rate")):
            floor_factor, floor_key = float(option("min_lr_rate")), key("min_lr_rate")
        elif _number(option("min_lr")):
            floor, floor_key = float(option("min_lr")), key("min_lr")
    if _whole(total) and str(kind) in _HF_DECAYS:
        target = _HF_DECAYS[str(kind)]
        cosine = str(kind) in ("cosine", "get_cosine_schedule_with_warmup")
        after = "climbs" if cosine else "flat"
        lengths.append(Length("num_training_steps", total, "decay", target=target or 0.0, after=after))
        cycles = option("num_cycles")
        if cosine and _number(cycles) and cycles > 0.5:
            # transformers' cosine: 0.5 * (1 + cos(pi * 2 * num_cycles * progress)); its first
            # bottom is at progress 1 / (2 num_cycles), where more than half a wave climbs back
            start = warmup if _whole(warmup) else 0
            bottom = start + max(1, round((total - start) / (2 * cycles)))
            lengths.append(
                Length(
                    "num_cycles", bottom, "decay", target=0.0, after="climbs", key=key("num_cycles"),
                    written=cycles, fix_value=0.5,
                )
            )  # fmt: skip
    return ScheduleFacts(
        name=f"Hugging Face's {kind}",
        floor=floor,
        floor_factor=floor_factor,
        floor_key=floor_key,
        lengths=tuple(lengths),
        stepped_in=stepped,
    )
