"""The compact case set that proves the torch-free engine on a torch release.

Every recurrence the torch-free engine runs, at the places where torch releases changed
their formulas: resumed schedulers (``last_epoch`` 5 and 37), milestones, restarts (integer
and fractional epochs), cycles with momentum and beta1, SWALR, SequentialLR's first step
and its children after a milestone, one to three param groups. Each case is one lrplot
curve (lrplot's YAML schema, no label) and its number of steps.

Used twice: tools/record_torch_goldens.py steps each case with a real torch release by
hand (tests/fixtures/torch_releases/), and lrplot.plan.releases runs it once against an
installed torch whose source lrplot has not seen. Standard library only: the recorder
loads this file by path in a venv that has torch but not lrplot's dependencies.
"""

from __future__ import annotations

from typing import Any

SGD = {"name": "SGD", "lr": 0.1, "momentum": 0.9}
ADAM = {"name": "Adam", "lr": 0.01, "betas": [0.9, 0.999]}
ADAMW = {"name": "AdamW", "lr": 3.0e-4, "betas": [0.9, 0.95], "weight_decay": 0.1}
TWO = {"param_groups": [{"name": "a"}, {"name": "b", "lr": 0.05}]}
THREE = {"param_groups": [{"name": "a"}, {"name": "b", "lr": 0.05}, {"name": "c", "lr": 0.2}]}


def _resumed(optimizer: dict[str, Any]) -> dict[str, Any]:
    return {**optimizer, "initial_lr": optimizer["lr"]}


# Schedulers that step by a recurrence (``get_lr``) and take ``last_epoch``.
_PLAIN: list[tuple[str, dict[str, Any]]] = [
    ("step", {"name": "StepLR", "step_size": 7, "gamma": 0.5}),
    ("multistep", {"name": "MultiStepLR", "milestones": [3, 10, 10, 40], "gamma": 0.3}),
    ("constant", {"name": "ConstantLR", "factor": 0.25, "total_iters": 9}),
    ("linear", {"name": "LinearLR", "start_factor": 0.05, "end_factor": 0.9, "total_iters": 23}),
    ("exponential", {"name": "ExponentialLR", "gamma": 0.97}),
    ("polynomial", {"name": "PolynomialLR", "total_iters": 30, "power": 2.0}),
    ("cosine", {"name": "CosineAnnealingLR", "T_max": 17, "eta_min": 0.001}),
    ("warm_restarts", {"name": "CosineAnnealingWarmRestarts", "T_0": 6, "T_mult": 1, "eta_min": 0.0}),
    ("warm_restarts_mult", {"name": "CosineAnnealingWarmRestarts", "T_0": 4, "T_mult": 2, "eta_min": 0.01}),
    ("lambda", {"name": "LambdaLR", "lr_lambda": "0.95 ** step"}),
    ("multiplicative", {"name": "MultiplicativeLR", "lr_lambda": "0.9 + 0.001 * step"}),
]


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []

    def add(case_id: str, steps: int, **curve: Any) -> None:
        cases.append({"id": case_id, "steps": steps, "curve": curve})

    for name, scheduler in _PLAIN:
        add(f"{name}", 90, optimizer=SGD, scheduler=scheduler)
        add(f"{name}-groups", 60, optimizer={**SGD, **TWO}, scheduler=scheduler)
        for epoch in (5, 37):
            add(
                f"{name}-resumed-{epoch}",
                70,
                optimizer=_resumed(SGD),
                scheduler={**scheduler, "last_epoch": epoch},
            )
    add("cosine-three-groups", 50, optimizer={**ADAMW, **THREE}, scheduler=_PLAIN[6][1])
    add("cosine-long", 3000, optimizer=ADAMW, scheduler={"name": "CosineAnnealingLR", "T_max": 700})
    add(
        "warm_restarts-fractional",
        80,
        optimizer=SGD,
        interval="fractional_epoch",
        steps_per_epoch=7,
        scheduler={"name": "CosineAnnealingWarmRestarts", "T_0": 3, "T_mult": 2},
    )
    add(
        "warm_restarts-epoch",
        80,
        optimizer=SGD,
        interval="epoch",
        steps_per_epoch=4,
        scheduler={"name": "CosineAnnealingWarmRestarts", "T_0": 5},
    )
    # SequentialLR: warmup then decay, each kind of child after the milestone, resumed.
    warmup = {"name": "LinearLR", "start_factor": 0.01, "end_factor": 1.0, "total_iters": 10}
    for name, child in _PLAIN:
        if name.startswith("warm_restarts"):
            continue
        add(
            f"sequential-{name}",
            70,
            optimizer=ADAMW,
            scheduler={"name": "SequentialLR", "milestones": [10], "schedulers": [warmup, child]},
        )
        add(
            f"sequential-first-{name}",
            40,
            optimizer=ADAMW,
            scheduler={"name": "SequentialLR", "milestones": [12], "schedulers": [child, warmup]},
        )
    add(
        "sequential-three",
        90,
        optimizer={**SGD, **TWO},
        scheduler={
            "name": "SequentialLR",
            "milestones": [5, 30],
            "schedulers": [
                {"name": "ConstantLR", "factor": 0.5, "total_iters": 5},
                {"name": "ExponentialLR", "gamma": 0.9},
                {"name": "CosineAnnealingLR", "T_max": 40},
            ],
        },
    )
    add(
        "sequential-resumed",
        60,
        optimizer=_resumed(ADAMW),
        scheduler={
            "name": "SequentialLR",
            "milestones": [10],
            "last_epoch": 4,
            "schedulers": [warmup, {"name": "CosineAnnealingLR", "T_max": 50}],
        },
    )
    add(
        "chained",
        70,
        optimizer={**SGD, **TWO},
        scheduler={
            "name": "ChainedScheduler",
            "schedulers": [
                {"name": "ConstantLR", "factor": 0.1, "total_iters": 4},
                {"name": "ExponentialLR", "gamma": 0.95},
                {"name": "MultiplicativeLR", "lr_lambda": "0.99"},
            ],
        },
    )
    # Segments: a scheduler per segment on the same optimizer (the second one resumed).
    add(
        "segments-resume",
        0,
        optimizer={**ADAMW, "initial_lr": 3.0e-4},
        segments=[
            {"steps": 40, "scheduler": {"name": "CosineAnnealingLR", "T_max": 100}},
            {"steps": 40, "scheduler": {"name": "CosineAnnealingLR", "T_max": 100, "last_epoch": 39}},
        ],
    )
    # Cycles: OneCycleLR and CyclicLR with momentum (SGD) and beta1 (Adam), SWALR.
    for anneal in ("cos", "linear"):
        for optimizer in (SGD, ADAM):
            label = optimizer["name"].lower()
            add(
                f"one_cycle-{anneal}-{label}",
                100,
                optimizer=optimizer,
                scheduler={
                    "name": "OneCycleLR",
                    "max_lr": 0.5,
                    "total_steps": 100,
                    "anneal_strategy": anneal,
                },
            )
    add(
        "one_cycle-three-phase",
        120,
        optimizer={**SGD, **TWO},
        scheduler={"name": "OneCycleLR", "max_lr": [0.5, 0.2], "total_steps": 120, "three_phase": True},
    )
    for mode in ("triangular", "triangular2", "exp_range"):
        add(
            f"cyclic-{mode}",
            90,
            optimizer=SGD,
            scheduler={
                "name": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 8,
                "step_size_down": 5, "mode": mode, "gamma": 0.97,
            },
        )  # fmt: skip
    add(
        "cyclic-adam",
        60,
        optimizer=ADAM,
        scheduler={"name": "CyclicLR", "base_lr": 0.001, "max_lr": 0.01, "step_size_up": 6},
    )
    add(
        "cyclic-no-momentum-adam",
        60,
        optimizer=ADAM,
        scheduler={
            "name": "CyclicLR",
            "base_lr": 0.001,
            "max_lr": 0.01,
            "step_size_up": 6,
            "cycle_momentum": False,
        },
    )
    for strategy in ("cos", "linear"):
        add(
            f"swalr-{strategy}",
            60,
            optimizer=SGD,
            scheduler={"name": "SWALR", "swa_lr": 0.05, "anneal_epochs": 13, "anneal_strategy": strategy},
        )
    add("swalr-zero", 20, optimizer=SGD, scheduler={"name": "SWALR", "swa_lr": 0.05, "anneal_epochs": 0})
    return cases


CASES: list[dict[str, Any]] = _cases()


def case_steps(case: dict[str, Any]) -> int:
    """The number of recorded steps of a case (its segments' sum when it has segments)."""
    segments = case["curve"].get("segments")
    return sum(s["steps"] for s in segments) if segments else case["steps"]


def config_of(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """An lrplot config (the YAML schema, as a mapping) drawing the cases as its curves."""
    curves = []
    for case in cases:
        curve = {"label": case["id"], **case["curve"]}
        if "segments" not in curve:
            curve["total_step"] = case["steps"]
        curves.append(curve)
    return {"title": "torch release cases", "curves": curves}
