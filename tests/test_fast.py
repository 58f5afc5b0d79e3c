"""The exact fast engine: bit-identical to real torch stepping, verified under random parameters."""

from __future__ import annotations

import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.plan.choice import covered_names, torch_verified

EXAMPLES = int(os.environ.get("LRPLOT_FUZZ_EXAMPLES", "60"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("LRPLOT_FUZZ_EXAMPLES") is None,
)
pytestmark = pytest.mark.skipif(
    not torch_verified(), reason="the fast engine is verified for this torch only"
)

fraction = st.floats(min_value=0.01, max_value=1.0)
small = st.integers(min_value=1, max_value=60)
schedulers = st.one_of(
    st.builds(lambda s, g: {"name": "StepLR", "step_size": s, "gamma": g}, small, fraction),
    st.builds(
        lambda m, g: {"name": "MultiStepLR", "milestones": m, "gamma": g},
        st.lists(st.integers(0, 120), min_size=1, max_size=5),  # repeats count, as in torch
        fraction,
    ),
    st.builds(
        lambda f, t: {"name": "ConstantLR", "factor": f, "total_iters": t}, fraction, st.integers(0, 60)
    ),
    st.builds(
        lambda a, b, t: {"name": "LinearLR", "start_factor": a, "end_factor": b, "total_iters": t},
        fraction,
        st.floats(0.0, 1.0),
        small,
    ),
    st.builds(lambda g: {"name": "ExponentialLR", "gamma": g}, st.floats(0.5, 1.05)),
    st.builds(
        lambda t, p: {"name": "PolynomialLR", "total_iters": t, "power": p}, small, st.floats(0.0, 4.0)
    ),
    st.builds(
        lambda t, e: {"name": "CosineAnnealingLR", "T_max": t, "eta_min": e},
        small,
        st.one_of(st.just(0), st.floats(0.0, 0.5)),
    ),
    st.builds(
        lambda e: {"name": "LambdaLR", "lr_lambda": e},
        st.sampled_from(
            ["step % 40 / 100.", "max(0, 1 - step / 100)", "0.5 ** (step // 20)", "cos(step / 7) ** 2"]
        ),
    ),
    st.builds(
        lambda e: {"name": "MultiplicativeLR", "lr_lambda": e},
        st.sampled_from(["0.95", "0.99 if step < 50 else 0.9", "1 + 0.01 * sin(step)"]),
    ),
    st.builds(
        lambda t, m, e: {"name": "CosineAnnealingWarmRestarts", "T_0": t, "T_mult": m, "eta_min": e},
        small,
        st.integers(1, 3),
        st.one_of(st.just(0), st.floats(0.0, 0.5)),
    ),
)
simple = schedulers
schedulers = st.one_of(
    simple,
    st.builds(
        lambda children: {"name": "ChainedScheduler", "schedulers": children},
        st.lists(simple.filter(lambda s: "lr_lambda" not in s), min_size=1, max_size=3),
    ),
    st.builds(
        lambda children, cuts: {
            "name": "SequentialLR",
            "schedulers": children,
            "milestones": cuts[: len(children) - 1],
        },
        st.lists(simple.filter(lambda s: "T_0" not in s), min_size=1, max_size=4),
        st.lists(st.integers(1, 150), min_size=3, max_size=3, unique=True).map(sorted),
    ),
)


def both_engines(config: dict[str, Any]) -> tuple[Any, Any]:
    loaded = lrplot.loads(yaml.safe_dump(config))
    return lrplot.simulate(loaded, engine="torch"), lrplot.simulate(loaded, engine="fast")


def assert_identical(slow: Any, fast: Any) -> None:
    assert [c.engine for c in slow.curves] == ["torch"] * len(slow.curves)
    assert [c.engine for c in fast.curves] == ["fast"] * len(fast.curves)
    for a, b in zip(slow.curves, fast.curves, strict=True):
        for ga, gb in zip(a.groups, b.groups, strict=True):
            assert ga.lr.tobytes() == gb.lr.tobytes()


@PROPERTY
@given(
    schedulers,
    st.lists(st.floats(1e-4, 3.0), min_size=1, max_size=3),
    st.sampled_from(["SGD", "Adam", "AdamW"]),
    st.integers(min_value=1, max_value=300),
)
def test_fast_engine_is_bit_identical_under_random_parameters(
    scheduler: dict[str, Any], lrs: list[float], optimizer: str, steps: int
) -> None:
    if (
        scheduler["name"] == "ChainedScheduler"
        and any("T_0" in c for c in scheduler["schedulers"])
        and len(lrs) > 1
    ):
        lrs = lrs[:1]
    if scheduler["name"] in ("LambdaLR", "MultiplicativeLR") and len(lrs) > 1:
        scheduler = {**scheduler, "lr_lambda": [scheduler["lr_lambda"]] * len(lrs)}
    config = {
        "total_step": steps,
        "curves": [
            {
                "optimizer": {"name": optimizer, "param_groups": [{"lr": lr} for lr in lrs]},
                "scheduler": scheduler,
            }
        ],
    }
    assert_identical(*both_engines(config))


@PROPERTY
@given(schedulers, st.integers(min_value=0, max_value=80), st.floats(0.1, 2.0))
def test_fast_engine_resumes_with_last_epoch_like_torch(
    scheduler: dict[str, Any], last_epoch: int, initial: float
) -> None:
    if scheduler["name"] == "SequentialLR":  # resuming a SequentialLR is not a real scenario
        return
    if scheduler["name"] == "ChainedScheduler":  # it has no last_epoch; its children do
        resumed = {
            **scheduler,
            "schedulers": [{**c, "last_epoch": last_epoch} for c in scheduler["schedulers"]],
        }
    else:
        resumed = {**scheduler, "last_epoch": last_epoch}
    config = {
        "total_step": 120,
        "curves": [{"optimizer": {"initial_lr": initial, "lr": initial * 0.5}, "scheduler": resumed}],
    }
    assert_identical(*both_engines(config))


@PROPERTY
@given(
    st.sampled_from(["min", "max"]),
    st.sampled_from(["rel", "abs"]),
    st.floats(0.05, 0.95),
    st.integers(0, 6),
    st.integers(0, 4),
    st.sampled_from(
        ["lr", "max(0.2, 1 - step / 30)", "1.0 if step % 9 else 0.5", "sin(step / 3)", "step % 7"]
    ),
    st.lists(st.floats(1e-3, 2.0), min_size=1, max_size=3),
)
def test_fast_plateau_with_expression_metrics_is_bit_identical(
    mode: str, threshold_mode: str, factor: float, patience: int, cooldown: int, metric: str, lrs: list[float]
) -> None:
    config = {
        "total_step": 150,
        "curves": [
            {
                "optimizer": {"param_groups": [{"lr": lr} for lr in lrs]},
                "scheduler": {
                    "name": "ReduceLROnPlateau",
                    "mode": mode,
                    "threshold_mode": threshold_mode,
                    "factor": factor,
                    "patience": patience,
                    "cooldown": cooldown,
                    "min_lr": 1e-3,
                },
                "metric": metric,
            }
        ],
    }
    assert_identical(*both_engines(config))


def test_fast_plateau_replays_a_csv_log(tmp_path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("val_loss\n" + "".join(f"{1.0 / (1 + i % 17)!r}\n" for i in range(200)))
    config = {
        "total_step": 200,
        "curves": [
            {
                "scheduler": {"name": "ReduceLROnPlateau", "patience": 2},
                "metric": {"csv": str(log), "column": "val_loss"},
            }
        ],
    }
    assert_identical(*both_engines(config))


def test_long_cosine_is_identical_over_a_million_steps() -> None:
    config = {
        "total_step": 1_000_000,
        "curves": [{"scheduler": {"name": "CosineAnnealingLR", "T_max": 9973, "eta_min": 0.01}}],
    }
    assert_identical(*both_engines(config))


def test_auto_uses_the_fast_engine_only_where_it_applies() -> None:
    result = lrplot.simulate(lrplot.load("configs/schedulers/reduce_lr_on_plateau.yaml"))
    assert {c.engine for c in result.curves} == {"fast"}  # torch builds it, the recurrences continue
    result = lrplot.simulate(lrplot.load("configs/schedulers/chained_scheduler.yaml"))
    assert {c.engine for c in result.curves} == {"no-torch"}  # tests/test_free_composite.py
    result = lrplot.simulate(lrplot.load("configs/schedulers/cyclic_lr.yaml"))
    assert {c.engine for c in result.curves} == {"no-torch"}  # tests/test_free.py
    result = lrplot.simulate(lrplot.load("configs/cosine_annealing.yaml"), engine="fast")
    assert {c.engine for c in result.curves} == {"fast"}
    result = lrplot.simulate(lrplot.load("configs/cosine_annealing_tutorial.yaml"), engine="fast")
    assert [c.engine for c in result.curves] == ["fast", "fast", "fast"]  # continued optimizers too
    uncovered = lrplot.loads(
        "total_step: 50\ncurves:\n  - scheduler:\n      name: SequentialLR\n      milestones: [10]\n"
        "      schedulers:\n        - {name: ConstantLR}\n        - {name: CosineAnnealingWarmRestarts, T_0: 5}\n"
    )
    assert {c.engine for c in lrplot.simulate(uncovered).curves} == {"torch"}


def test_fast_engine_refuses_what_it_does_not_cover() -> None:
    config = lrplot.loads(
        "total_step: 50\ncurves:\n  - scheduler:\n      name: SequentialLR\n      milestones: [10]\n"
        "      schedulers:\n        - {name: ConstantLR}\n        - {name: CosineAnnealingWarmRestarts, T_0: 5}\n"
    )
    with pytest.raises(
        LrplotError, match="--engine fast cannot draw this curve: it does not cover SequentialLR"
    ):
        lrplot.simulate(config, engine="fast")


def test_llm_warmup_cosine_runs_on_the_fast_engine_bit_for_bit() -> None:
    config = lrplot.load("configs/llm_warmup_cosine.yaml")
    slow, fast = lrplot.simulate(config, engine="torch"), lrplot.simulate(config, engine="fast")
    assert_identical(slow, fast)


def test_fast_engine_errors_name_the_step() -> None:
    config = lrplot.loads(
        "total_step: 20\ncurves:\n  - {label: boom, scheduler: {name: LambdaLR, lr_lambda: '1 / (5 - step)'}}\n"
    )
    with pytest.raises(LrplotError, match="'1 / \\(5 - step\\)' failed while stepping from step 4 to 5"):
        lrplot.simulate(config, engine="fast")


def test_summary_and_cli_say_which_engine_drew_each_curve(tmp_path, cli) -> None:
    from tests.conftest import ROOT

    config = ROOT / "configs/cosine_annealing_tutorial.yaml"
    for engine, expected in (("auto", "no-torch"), ("fast", "fast"), ("torch", "torch")):
        result = cli("plot", config, "-o", tmp_path / "a.csv", "--json", "--engine", engine)
        assert [row["engine"] for row in __import__("json").loads(result.stdout)["curves"]] == [expected] * 3
    torch_only = cli(
        "plot", ROOT / "configs/cosine_annealing.yaml", "-o", tmp_path / "a.csv", "--engine", "torch"
    )
    assert "torch" in torch_only.stdout and " fast" not in torch_only.stdout


def test_every_covered_scheduler_is_in_the_property_strategy() -> None:
    assert set(covered_names()) == {
        "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
        "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts", "ChainedScheduler",
        "ReduceLROnPlateau", "SequentialLR", "OneCycleLR", "CyclicLR", "SWALR",
    }  # fmt: skip
