"""The torch-free path: same doubles as torch stepped by hand, same accept/refuse as torch.

For every covered class, random keywords (valid and invalid mixed) go to both torch's own
constructor (then its own loop) and lrplot's torch-free planner. Whenever the planner
accepts, torch must accept too and give bit-identical values (lr and the recorded momentum
or beta1); whenever torch refuses (at construction or while stepping), the planner must
have declined, so the config takes the torch path and torch's own message reaches the user.
``LRPLOT_FUZZ_EXAMPLES`` raises the example counts.
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.plan.cycles import CYCLE_SCHEDULERS
from lrplot.plan.free import OPTIMIZERS, REQUIRED, SCHEDULERS, plan_free, torch_free_verified
from tests.conftest import ROOT, lrplot_noting_torch

EXAMPLES = int(os.environ.get("LRPLOT_FUZZ_EXAMPLES", "40"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=os.environ.get("LRPLOT_FUZZ_EXAMPLES") is None,
)
pytestmark = pytest.mark.skipif(not torch_free_verified(), reason="verified for this torch only")

INVALID = st.sampled_from([-1, 0, -0.5, 1.5, 2, 7.0, True, False, "x", None, math.nan, math.inf, [], [0.1]])


def mixed(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid values, sometimes anything torch may refuse."""
    return st.one_of(valid, valid, valid, INVALID)


unit = st.floats(0.0, 1.0)
positive = st.floats(1e-3, 3.0)
count = st.integers(1, 60)
per_group = st.one_of(positive, st.lists(positive, min_size=1, max_size=3))

KEYWORDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "StepLR": {"step_size": count, "gamma": unit},
    "MultiStepLR": {"milestones": st.lists(st.integers(-3, 120), max_size=5), "gamma": unit},
    "ConstantLR": {"factor": unit, "total_iters": st.integers(0, 60)},
    "LinearLR": {"start_factor": unit, "end_factor": unit, "total_iters": st.integers(0, 60)},
    "ExponentialLR": {"gamma": st.floats(0.5, 1.05)},
    "PolynomialLR": {"total_iters": st.integers(0, 60), "power": st.floats(0.0, 4.0)},
    "CosineAnnealingLR": {"T_max": count, "eta_min": st.one_of(st.just(0), st.floats(0.0, 0.5))},
    "CosineAnnealingWarmRestarts": {
        "T_0": count,
        "T_mult": st.integers(1, 3),
        "eta_min": st.floats(0.0, 0.5),
    },
    "OneCycleLR": {
        "max_lr": per_group,
        "total_steps": st.integers(1, 250),
        "epochs": st.integers(1, 20),
        "steps_per_epoch": st.integers(1, 20),
        "pct_start": st.floats(0.0, 1.0),
        "anneal_strategy": st.sampled_from(["cos", "linear"]),
        "cycle_momentum": st.booleans(),
        "base_momentum": st.floats(0.5, 0.9),
        "max_momentum": st.floats(0.8, 0.99),
        "div_factor": st.floats(1.0, 100.0),
        "final_div_factor": st.floats(1.0, 1e4),
        "three_phase": st.booleans(),
    },
    "CyclicLR": {
        "base_lr": per_group,
        "max_lr": per_group,
        "step_size_up": count,
        "step_size_down": st.one_of(st.none(), count),
        "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]),
        "gamma": st.floats(0.9, 1.0),
        "scale_mode": st.sampled_from(["cycle", "iterations"]),
        "cycle_momentum": st.booleans(),
        "base_momentum": st.floats(0.5, 0.85),
        "max_momentum": st.floats(0.85, 0.99),
    },
    "SWALR": {
        "swa_lr": per_group,
        "anneal_epochs": st.integers(0, 40),
        "anneal_strategy": st.sampled_from(["cos", "linear"]),
    },
}
REQUIRED_NAMES = {
    kind: {
        name for name, (_, default) in {**SCHEDULERS, **CYCLE_SCHEDULERS}[kind].items() if default is REQUIRED
    }
    for kind in KEYWORDS
}


@st.composite
def scheduler_keywords(draw: Any, kind: str) -> dict[str, Any]:
    corrupt = draw(st.booleans())  # half the examples all valid, half with values torch may refuse
    keywords = {}
    for name, valid in KEYWORDS[kind].items():
        if name in REQUIRED_NAMES[kind] or draw(st.booleans()):
            keywords[name] = draw(mixed(valid) if corrupt else valid)
    if draw(st.integers(0, 3)) == 0:
        keywords["last_epoch"] = draw(
            st.one_of(st.integers(-2, 40), st.just(-1), INVALID) if corrupt else st.just(-1)
        )
    if corrupt and draw(st.integers(0, 20)) == 0:
        keywords["not_a_keyword"] = 1
    return keywords


@st.composite
def optimizers(draw: Any) -> dict[str, Any]:
    corrupt = draw(st.integers(0, 3)) == 0

    def mixed(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(valid, valid, valid, INVALID) if corrupt else valid

    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    spec: dict[str, Any] = {"name": name}
    candidates = {
        "momentum": st.floats(0.0, 0.99),
        "weight_decay": st.floats(0.0, 0.1),
        "betas": st.lists(st.floats(0.0, 0.999), min_size=2, max_size=2),
        "eps": st.floats(0.0, 1e-6),
    }
    for key, valid in candidates.items():
        relevant = (key == "momentum") == (name == "SGD") or key == "weight_decay"
        if relevant and draw(st.booleans()):
            spec[key] = draw(mixed(valid))
    groups = draw(st.lists(mixed(positive), min_size=1, max_size=3))
    spec["param_groups"] = [{"lr": lr} for lr in groups]
    if draw(st.booleans()):
        initial = draw(mixed(positive))
        for group in spec["param_groups"]:
            group["initial_lr"] = initial
    return spec


def by_hand(
    optimizer: dict[str, Any], scheduler: dict[str, Any], steps: int
) -> tuple[list[list[float]], Any]:
    """torch's own objects and the tutorial loop; raises whatever torch raises."""
    import torch
    from torch.optim import lr_scheduler, swa_utils

    keywords = {k: v for k, v in optimizer.items() if k not in ("name", "param_groups")}
    groups = [
        {**g, "params": [torch.nn.Parameter(torch.zeros(1))]} for g in optimizer.get("param_groups") or [{}]
    ]
    opt = getattr(torch.optim, optimizer["name"])(groups, **keywords)
    kind = scheduler["name"]
    cls = swa_utils.SWALR if kind == "SWALR" else getattr(lr_scheduler, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = cls(opt, **{k: v for k, v in scheduler.items() if k != "name"})
        lrs: list[list[float]] = [[] for _ in opt.param_groups]
        momenta: list[list[float]] = [[] for _ in opt.param_groups]
        for step in range(steps):
            for i, group in enumerate(opt.param_groups):
                lrs[i].append(group["lr"])
                momenta[i].append(group["betas"][0] if "betas" in group else group.get("momentum"))
            if step < steps - 1:
                sched.step()
        sched.step()  # the training loop's last call: torch raises here past OneCycleLR's total_steps
    return lrs, momenta


def check(optimizer: dict[str, Any], scheduler: dict[str, Any], steps: int) -> bool:
    """The property; returns whether the torch-free path drew the curve."""
    config_data = {"total_step": steps, "curves": [{"optimizer": optimizer, "scheduler": scheduler}]}
    try:
        config = lrplot.loads(yaml.safe_dump(config_data))
    except LrplotError:
        assume(False)  # refused before any torch class is involved
    free = plan_free(config)
    try:
        expected, momenta = by_hand(optimizer, scheduler, steps)
    except Exception:
        assert free is None, "torch refuses this, so the torch-free path must decline"
        return False
    if free is None:
        return False
    result = lrplot.simulate(config)
    curve = result.curves[0]
    assert curve.engine == "no-torch"
    for group, lrs, momentum in zip(curve.groups, expected, momenta, strict=True):
        assert group.lr.tobytes() == np.array(lrs, dtype=np.float64).tobytes()  # NaN too, bit for bit
        if group.momentum is not None:
            assert group.momentum.tobytes() == np.array(momentum, dtype=np.float64).tobytes()
    cycles = scheduler["name"] in ("OneCycleLR", "CyclicLR") and scheduler.get("cycle_momentum", True)
    assert (curve.groups[0].momentum is not None) == bool(cycles)
    return True


def _property(kind: str) -> Any:
    @PROPERTY
    @given(optimizers(), scheduler_keywords(kind), st.integers(1, 200))
    def prop(optimizer: dict[str, Any], keywords: dict[str, Any], steps: int) -> None:
        check(optimizer, {"name": kind, **keywords}, steps)

    return prop


@pytest.mark.parametrize("kind", sorted(KEYWORDS))
def test_torch_free_matches_torch_by_hand_and_refuses_only_what_torch_refuses(kind: str) -> None:
    _property(kind)()


@pytest.mark.parametrize("kind", sorted(KEYWORDS))
def test_certainly_valid_arguments_take_the_torch_free_path(kind: str) -> None:
    """The domain is not vacuous: plain valid arguments are drawn without torch."""

    @PROPERTY
    @given(st.data())
    def prop(data: Any) -> None:
        keywords = {name: data.draw(KEYWORDS[kind][name]) for name in REQUIRED_NAMES[kind]}
        if kind == "OneCycleLR":
            keywords["total_steps"] = 300
            keywords["pct_start"] = data.draw(st.sampled_from([0.1, 0.25, 0.3, 0.5]))
        if isinstance(keywords.get("max_lr"), list) or isinstance(keywords.get("base_lr"), list):
            keywords = {k: (v[0] if isinstance(v, list) else v) for k, v in keywords.items()}
        if isinstance(keywords.get("swa_lr"), list):
            keywords["swa_lr"] = keywords["swa_lr"][0]
        optimizer = {"name": data.draw(st.sampled_from(sorted(OPTIMIZERS))), "lr": 0.1}
        if kind == "LinearLR":
            keywords["start_factor"] = data.draw(st.floats(0.01, 1.0))
        if kind == "ConstantLR":
            keywords["factor"] = data.draw(st.floats(0.01, 1.0))
        assert check(optimizer, {"name": kind, **keywords}, data.draw(st.integers(1, 200)))

    prop()


def test_the_tables_match_torchs_own_signatures() -> None:
    """Names and defaults of every covered keyword, against the installed torch's classes."""
    import torch
    from torch.optim import lr_scheduler, swa_utils

    for kind, table in {**SCHEDULERS, **CYCLE_SCHEDULERS}.items():
        cls = swa_utils.SWALR if kind == "SWALR" else getattr(lr_scheduler, kind)
        parameters = inspect.signature(cls).parameters
        for name, (_, default) in table.items():
            assert name in parameters, (kind, name)
            expected = parameters[name].default
            assert (default is REQUIRED) == (expected is inspect.Parameter.empty), (kind, name)
            if default is not REQUIRED:
                assert default == expected and type(default) is type(expected), (kind, name)
    for kind, table in OPTIMIZERS.items():
        parameters = inspect.signature(getattr(torch.optim, kind)).parameters
        for name, (_, default) in table.items():
            assert parameters[name].default == default, (kind, name)


def test_every_shipped_scheduler_config_it_covers_is_bit_identical_to_the_torch_engine() -> None:
    covered = 0
    for path in sorted((ROOT / "configs").rglob("*.yaml")):
        config = lrplot.load(path)
        if plan_free(config) is None:
            continue
        covered += 1
        free, real = lrplot.simulate(config), lrplot.simulate(config, engine="torch")
        assert {c.engine for c in free.curves} == {"no-torch"}
        assert free.warnings == real.warnings
        for a, b in zip(free.curves, real.curves, strict=True):
            assert a.markers == b.markers
            for ga, gb in zip(a.groups, b.groups, strict=True):
                assert ga.lr.tobytes() == gb.lr.tobytes()
                assert (ga.momentum is None) == (gb.momentum is None)
                if ga.momentum is not None:
                    assert ga.momentum.tobytes() == gb.momentum.tobytes()
    assert covered >= 12


def test_a_covered_plot_validate_and_check_never_import_torch_and_an_uncovered_one_does(tmp_path) -> None:
    for recipe in ("configs/llm_warmup_cosine.yaml", "configs/lambda_lr.yaml"):  # SequentialLR, LambdaLR
        plot = lrplot_noting_torch("plot", ROOT / recipe, "-o", tmp_path / "recipe.png")
        assert plot.returncode == 0, plot.stderr
        assert "torch not imported" in plot.stderr and "no-torch" in plot.stdout
        validated = lrplot_noting_torch("validate", ROOT / recipe)
        assert validated.returncode == 0 and "torch not imported" in validated.stderr, validated.stderr
    covered = ROOT / "configs/schedulers/one_cycle_lr.yaml"
    plot = lrplot_noting_torch("plot", covered, "-o", tmp_path / "a.png")
    assert plot.returncode == 0, plot.stderr
    assert "torch not imported" in plot.stderr and (tmp_path / "a.png").stat().st_size > 0
    assert "no-torch" in plot.stdout
    check_run = lrplot_noting_torch("validate", covered)
    assert check_run.returncode == 0, check_run.stderr
    assert "torch not imported" in check_run.stderr
    snapshot = tmp_path / "snapshot.csv"
    assert lrplot_noting_torch("check", covered, "--against", snapshot, "--update").returncode == 0
    checked = lrplot_noting_torch("check", covered, "--against", snapshot)
    assert checked.returncode == 0, checked.stderr
    assert "torch not imported" in checked.stderr
    uncovered = lrplot_noting_torch(
        "plot", ROOT / "configs/schedulers/reduce_lr_on_plateau.yaml", "-o", tmp_path / "b.csv"
    )
    assert uncovered.returncode == 0, uncovered.stderr
    assert "torch imported" in uncovered.stderr
    uncovered_check = lrplot_noting_torch("validate", ROOT / "configs/schedulers/reduce_lr_on_plateau.yaml")
    assert uncovered_check.returncode == 0, uncovered_check.stderr
    assert "torch imported" in uncovered_check.stderr


def test_a_value_torch_refuses_reaches_the_user_in_torchs_words(tmp_path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("total_step: 10\ncurves:\n  - scheduler: {name: LinearLR, start_factor: 0}\n")
    result = lrplot_noting_torch("plot", config, "-o", tmp_path / "c.csv")
    assert result.returncode == 2
    assert "Starting multiplicative factor expected to be greater than 0" in result.stderr
    assert "torch imported" in result.stderr


def _same(free: Any, real: Any, engine: str = "no-torch") -> None:
    assert {c.engine for c in free.curves} == {engine}
    assert free.warnings == real.warnings
    for a, b in zip(free.curves, real.curves, strict=True):
        assert (a.markers, a.scheduler, a.optimizer) == (b.markers, b.scheduler, b.optimizer)
        for ga, gb in zip(a.groups, b.groups, strict=True):
            assert ga.lr.tobytes() == gb.lr.tobytes()
            assert (ga.momentum is None) == (gb.momentum is None)
            if ga.momentum is not None:
                assert ga.momentum.tobytes() == gb.momentum.tobytes()


@st.composite
def valid_scheduler(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(KEYWORDS)))
    keywords = {name: draw(KEYWORDS[kind][name]) for name in REQUIRED_NAMES[kind]}
    for name, strategy in KEYWORDS[kind].items():
        if name not in keywords and draw(st.booleans()):
            keywords[name] = draw(strategy)
    if kind == "OneCycleLR":
        keywords["total_steps"] = 2000
    return {"name": kind, **keywords}


def check_segments_against_torch(
    parts: list[tuple[dict[str, Any], int]],
    interval: str,
    per_epoch: int,
    continued: bool,
    optimizer: dict[str, Any],
    *,
    fast: bool = True,
) -> None:
    """One curve of ``parts`` (segments when several) on ``optimizer``, and with ``continued``
    a second curve taking over its optimizer: the no-torch doubles (and, with ``fast``, the
    torch-constructed fast path's) equal the torch engine's, and torch accepts what the
    planner accepted."""
    first = {"label": "a", "optimizer": optimizer, "interval": interval, "steps_per_epoch": per_epoch}
    if len(parts) == 1:
        first["scheduler"], first["total_step"] = parts[0]
    else:
        first["segments"] = [{"scheduler": scheduler, "steps": steps} for scheduler, steps in parts]
    curves = [first]
    if continued:
        curves.append(
            {"label": "b", "optimizer": {"from": "a"}, "scheduler": parts[-1][0], "total_step": 30,
             "interval": interval, "steps_per_epoch": per_epoch}
        )  # fmt: skip
    try:
        config = lrplot.loads(yaml.safe_dump({"curves": curves}))
    except LrplotError:
        assume(False)
    if plan_free(config) is None:
        return  # torch decides (a per-group list of the wrong length)
    try:
        real = lrplot.simulate(config, engine="torch")
    except LrplotError:
        raise AssertionError("the torch-free planner accepted what torch refuses") from None
    _same(lrplot.simulate(config), real)
    if fast:
        _same(lrplot.simulate(config, engine="fast"), real, "fast")  # the torch-constructed fast path


def segment_cases(schedulers: st.SearchStrategy[dict[str, Any]]) -> list[st.SearchStrategy[Any]]:
    """The arguments of :func:`check_segments_against_torch`, with schedulers from ``schedulers``."""
    return [
        st.lists(st.tuples(schedulers, st.integers(1, 60)), min_size=1, max_size=3),
        st.sampled_from(["step", "epoch"]),
        st.integers(1, 7),
        st.booleans(),
        st.builds(
            lambda name, lrs: {"name": name, "param_groups": [{"lr": lr} for lr in lrs]},
            st.sampled_from(sorted(OPTIMIZERS)),
            st.lists(positive, min_size=1, max_size=3),
        ),
    ]


@PROPERTY
@given(*segment_cases(valid_scheduler()))
def test_segments_intervals_and_continued_optimizers_match_the_torch_engine(
    parts: list[tuple[dict[str, Any], int]],
    interval: str,
    per_epoch: int,
    continued: bool,
    optimizer: dict[str, Any],
) -> None:
    """Segments on one optimizer, epoch intervals and ``optimizer: {from:}``: the torch engine's doubles."""
    check_segments_against_torch(parts, interval, per_epoch, continued, optimizer)


@PROPERTY
@given(st.integers(1, 30), st.integers(1, 3), st.floats(0.0, 0.5), st.integers(1, 9), st.integers(1, 300))
def test_fractional_epochs_of_warm_restarts_match_the_torch_engine(
    t_0: int, t_mult: int, eta_min: float, per_epoch: int, steps: int
) -> None:
    scheduler = {"name": "CosineAnnealingWarmRestarts", "T_0": t_0, "T_mult": t_mult, "eta_min": eta_min}
    data = {
        "total_step": steps,
        "interval": "fractional_epoch",
        "steps_per_epoch": per_epoch,
        "curves": [{"optimizer": {"name": "SGD", "lr": 0.5}, "scheduler": scheduler}],
    }
    config = lrplot.loads(yaml.safe_dump(data))
    assert plan_free(config) is not None
    real = lrplot.simulate(config, engine="torch")
    _same(lrplot.simulate(config), real)
    _same(lrplot.simulate(config, engine="fast"), real, "fast")


def test_the_version_is_read_without_importing_torch_and_agrees_with_torch() -> None:
    from importlib import metadata

    import torch

    from lrplot.plan.free import installed_torch

    assert installed_torch() == metadata.version("torch") == torch.__version__
