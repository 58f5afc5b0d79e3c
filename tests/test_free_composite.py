"""The torch-free path for SequentialLR, ChainedScheduler, LambdaLR and MultiplicativeLR.

The same property as tests/test_free.py, for the schedulers that wrap others or lrplot's
expressions: random children, milestones (in order or not, wrong lengths, zero, negative),
expressions (some refused by lrplot, some failing at a step), last_epoch resumes and 1-3
param groups go to torch's own constructors (then its own loop, stepped by hand) and to
the torch-free planner. Whenever the planner accepts, torch accepts and gives the same
doubles, and lrplot's torch engine the same warnings; whenever torch refuses at
construction, the planner has declined. An expression that fails at a later step cannot
be foreseen without evaluating it there: then the torch-free run must fail with the very
message the torch path gives. ``LRPLOT_FUZZ_EXAMPLES`` raises the example counts.
"""

from __future__ import annotations

import inspect
import math
import warnings
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import assume, event, given
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.expressions import compile_expression
from lrplot.plan.composite import (
    CHAINED_CHILDREN,
    COMPOSITE_SCHEDULERS,
    LAMBDA_SCHEDULERS,
    SEQUENTIAL_CHILDREN,
)
from lrplot.plan.free import OPTIMIZERS, plan_free, torch_free_verified
from tests.test_free import (
    INVALID,
    KEYWORDS,
    PROPERTY,
    REQUIRED_NAMES,
    check_segments_against_torch,
    optimizers,
    scheduler_keywords,
    segment_cases,
)

pytestmark = pytest.mark.skipif(not torch_free_verified(), reason="verified for this torch only")

GOOD_EXPRESSIONS = [
    "0.97", "1", "0.5 ** (step // 20)", "max(0.0, 1 - step / 50)", "min(1.0, (step + 1) / 10)",
    "0.99 if step < 30 else 0.9", "step % 40 / 100.", "math.cos(math.pi * step / 80) + 1.01",
    "0.5 ** (epoch // 7)", "1.0001",
]  # fmt: skip
BAD_EXPRESSIONS = [
    "1 / step",  # fails at construction for LambdaLR, at step 1's factor for MultiplicativeLR
    "1 / (step - 7)",  # fails at a later step
    "math.sqrt(12 - step)",  # fails past step 12
    "step +",  # refused by lrplot
    "x * 2",  # an unknown name
    "__import__('os')",
    "",
]
expression = st.one_of(st.sampled_from(GOOD_EXPRESSIONS), st.floats(0.5, 1.05))
lr_lambda = st.one_of(expression, expression, st.lists(expression, min_size=1, max_size=3))
bad_lr_lambda = st.one_of(
    st.sampled_from(BAD_EXPRESSIONS), INVALID, st.lists(st.sampled_from(BAD_EXPRESSIONS))
)
LAMBDA_KEYWORDS = {"lr_lambda": lr_lambda}


@st.composite
def lambda_keywords(draw: Any) -> dict[str, Any]:
    corrupt = draw(st.booleans())
    keywords = {"lr_lambda": draw(st.one_of(lr_lambda, bad_lr_lambda) if corrupt else lr_lambda)}
    if draw(st.integers(0, 3)) == 0:
        keywords["last_epoch"] = draw(st.one_of(st.integers(-2, 40), INVALID) if corrupt else st.just(-1))
    return keywords


OUTSIDERS = ["CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "ReduceLROnPlateau", "SequentialLR"]


@st.composite
def child(draw: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """A child scheduler: mostly of a covered class, sometimes one the domain declines inside."""
    kind = draw(st.sampled_from(allowed) if draw(st.integers(0, 9)) else st.sampled_from(OUTSIDERS))
    if kind in LAMBDA_SCHEDULERS:
        return {"name": kind, **draw(lambda_keywords())}
    if kind == "ReduceLROnPlateau":
        return {"name": kind}
    if kind == "SequentialLR":  # nested
        return {"name": kind, "milestones": [5], "schedulers": [{"name": "ExponentialLR", "gamma": 0.9}] * 2}
    keywords = draw(scheduler_keywords(kind))
    if kind == "OneCycleLR":
        keywords.setdefault("total_steps", 500)
    return {"name": kind, **keywords}


@st.composite
def milestones_for(draw: Any, children: int) -> list[Any]:
    """Milestones for ``children`` schedulers: mostly increasing, sometimes anything."""
    if draw(st.integers(0, 3)):
        return sorted(draw(st.sets(st.integers(1, 150), min_size=children - 1, max_size=children - 1)))
    return draw(
        st.one_of(
            st.lists(st.integers(-3, 150), max_size=4),  # out of order, zero, negative, wrong length
            st.lists(st.sampled_from([5, 5.0, 0.5, True, "x", None]), max_size=3),
        )
    )


@st.composite
def composite(draw: Any, kind: str) -> dict[str, Any]:
    if kind in LAMBDA_SCHEDULERS:
        return {"name": kind, **draw(lambda_keywords())}
    allowed = SEQUENTIAL_CHILDREN if kind == "SequentialLR" else CHAINED_CHILDREN
    children = draw(st.lists(child(allowed), min_size=1, max_size=3))
    spec: dict[str, Any] = {"name": kind, "schedulers": children}
    if kind == "SequentialLR":
        spec["milestones"] = draw(milestones_for(len(children)))
        if draw(st.integers(0, 3)) == 0:
            spec["last_epoch"] = draw(st.one_of(st.integers(-2, 60), INVALID))
    elif draw(st.integers(0, 9)) == 0:
        spec["last_epoch"] = 3  # ChainedScheduler takes no such keyword
    return spec


def _functions(value: Any) -> Any:
    """lrplot's evaluator for an lr_lambda, as a user's script would pass it to torch."""
    if isinstance(value, list):
        return [_functions(v) for v in value]
    return compile_expression(value, ("step",), aliases={"epoch": "step"}).function


def _build(optimizer: Any, spec: dict[str, Any]) -> Any:
    from torch.optim import lr_scheduler

    keywords = {k: v for k, v in spec.items() if k not in ("name", "schedulers")}
    if "lr_lambda" in keywords:
        keywords["lr_lambda"] = _functions(keywords["lr_lambda"])
    cls = getattr(lr_scheduler, spec["name"])
    if spec["name"] == "ChainedScheduler":
        return cls([_build(optimizer, c) for c in spec["schedulers"]], optimizer=optimizer, **keywords)
    if spec["name"] == "SequentialLR":
        return cls(optimizer, schedulers=[_build(optimizer, c) for c in spec["schedulers"]], **keywords)
    return cls(optimizer, **keywords)


class _SteppingFailed(Exception):
    pass


def by_hand(optimizer: dict[str, Any], scheduler: dict[str, Any], steps: int) -> list[list[float]]:
    """torch's own objects and the tutorial loop; raises what torch raises at construction,
    ``_SteppingFailed`` for what it raises while stepping."""
    import torch

    keywords = {k: v for k, v in optimizer.items() if k not in ("name", "param_groups")}
    groups = [{**g, "params": [torch.nn.Parameter(torch.zeros(1))]} for g in optimizer["param_groups"]]
    opt = getattr(torch.optim, optimizer["name"])(groups, **keywords)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = _build(opt, scheduler)
        lrs: list[list[float]] = [[] for _ in opt.param_groups]
        try:
            for step in range(steps):
                for i, group in enumerate(opt.param_groups):
                    lrs[i].append(float(group["lr"]))
                if step < steps - 1:
                    sched.step()
        except Exception as exc:
            raise _SteppingFailed(str(exc)) from exc
    return lrs


def _has_expression(spec: dict[str, Any]) -> bool:
    return "lr_lambda" in spec or any(_has_expression(c) for c in spec.get("schedulers", []))


def check(optimizer: dict[str, Any], scheduler: dict[str, Any], steps: int) -> bool:
    """The property; returns whether the torch-free path drew the curve."""
    data = {"total_step": steps, "curves": [{"optimizer": optimizer, "scheduler": scheduler}]}
    try:
        config = lrplot.loads(yaml.safe_dump(data))
    except LrplotError:
        assume(False)  # refused before any torch class is involved
    free = plan_free(config)
    try:
        expected = by_hand(optimizer, scheduler, steps)
    except _SteppingFailed:
        event("torch fails while stepping: " + ("declined" if free is None else "same message"))
        if free is None:
            return False
        assert _has_expression(scheduler), "torch fails while stepping: only an expression may do that"
        with pytest.raises(LrplotError) as on_torch:
            lrplot.simulate(config, engine="torch")
        with pytest.raises(LrplotError) as torch_free:
            lrplot.simulate(config)
        assert str(torch_free.value) == str(on_torch.value)
        return False
    except Exception:
        event("torch refuses at construction: declined")
        assert free is None, "torch refuses this, so the torch-free path must decline"
        return False
    event("torch accepts: " + ("declined" if free is None else "torch-free, identical"))
    if free is None:
        return False
    result, real = lrplot.simulate(config), lrplot.simulate(config, engine="torch")
    curve = result.curves[0]
    assert curve.engine == "no-torch"
    assert result.warnings == real.warnings and curve.markers == real.curves[0].markers
    for group, lrs, torch_group in zip(curve.groups, expected, real.curves[0].groups, strict=True):
        assert group.lr.tobytes() == np.array(lrs, dtype=np.float64).tobytes()  # NaN too, bit for bit
        assert group.lr.tobytes() == torch_group.lr.tobytes()
    return True


KINDS = sorted([*COMPOSITE_SCHEDULERS, *LAMBDA_SCHEDULERS])


@pytest.mark.parametrize("kind", KINDS)
def test_torch_free_matches_torch_by_hand_and_refuses_only_what_torch_refuses(kind: str) -> None:
    @PROPERTY
    @given(optimizers(), composite(kind), st.integers(1, 200))
    def prop(optimizer: dict[str, Any], scheduler: dict[str, Any], steps: int) -> None:
        check(optimizer, scheduler, steps)

    prop()


def _valid_child(draw: Any, kind: str) -> dict[str, Any]:
    if kind in LAMBDA_SCHEDULERS:
        return {"name": kind, "lr_lambda": draw(expression)}
    keywords = {name: draw(KEYWORDS[kind][name]) for name in REQUIRED_NAMES[kind]}
    for name, strategy in KEYWORDS[kind].items():
        if name not in keywords and draw(st.booleans()):
            keywords[name] = draw(strategy)
    if kind in ("LinearLR", "ConstantLR"):
        keywords["start_factor" if kind == "LinearLR" else "factor"] = draw(st.floats(0.01, 1.0))
    if kind in ("LinearLR", "PolynomialLR"):
        keywords["total_iters"] = draw(st.integers(1, 60))
    return {"name": kind, **keywords}


@st.composite
def valid_composite(draw: Any, kind: str | None = None) -> dict[str, Any]:
    kind = kind or draw(st.sampled_from(KINDS))
    if kind in LAMBDA_SCHEDULERS:
        return _valid_child(draw, kind)
    allowed = SEQUENTIAL_CHILDREN if kind == "SequentialLR" else CHAINED_CHILDREN
    children = [
        _valid_child(draw, c) for c in draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3))
    ]
    spec: dict[str, Any] = {"name": kind, "schedulers": children}
    if kind == "SequentialLR":
        spec["milestones"] = sorted(
            draw(st.sets(st.integers(1, 150), min_size=len(children) - 1, max_size=len(children) - 1))
        )
    return spec


@pytest.mark.parametrize("kind", KINDS)
def test_certainly_valid_arguments_take_the_torch_free_path(kind: str) -> None:
    """The domain is not vacuous: plain valid arguments are drawn without torch."""

    @PROPERTY
    @given(valid_composite(kind), st.sampled_from(sorted(OPTIMIZERS)), st.integers(1, 200))
    def prop(scheduler: dict[str, Any], name: str, steps: int) -> None:
        assert check({"name": name, "param_groups": [{"lr": 0.1}]}, scheduler, steps)

    prop()


@PROPERTY
@given(*segment_cases(valid_composite()))
def test_segments_intervals_and_continued_optimizers_match_the_torch_engine(
    parts: list[tuple[dict[str, Any], int]],
    interval: str,
    per_epoch: int,
    continued: bool,
    optimizer: dict[str, Any],
) -> None:
    """Segments on one optimizer, epoch intervals and ``optimizer: {from:}``: the torch engine's doubles."""
    check_segments_against_torch(parts, interval, per_epoch, continued, optimizer, fast=False)


def test_the_tables_match_torchs_own_signatures() -> None:
    from torch.optim import lr_scheduler

    from lrplot.plan.domains import REQUIRED

    for kind, table in {**COMPOSITE_SCHEDULERS, **LAMBDA_SCHEDULERS}.items():
        parameters = inspect.signature(getattr(lr_scheduler, kind)).parameters
        for name, (_, default) in table.items():
            assert name in parameters, (kind, name)
            expected = parameters[name].default
            assert (default is REQUIRED) == (expected is inspect.Parameter.empty), (kind, name)
            if default is not REQUIRED:
                assert default == expected and type(default) is type(expected), (kind, name)
    assert set(inspect.signature(lr_scheduler.ChainedScheduler).parameters) == {"schedulers", "optimizer"}


def test_the_warmup_cosine_recipe_restarts_the_cosine_at_its_milestone_as_torch_does() -> None:
    """The shipped LLM recipe, drawn without torch: warmup ends at the peak lr, then cosine."""
    from tests.conftest import ROOT

    config = lrplot.load(ROOT / "configs/llm_warmup_cosine.yaml")
    assert plan_free(config) is not None
    curve = lrplot.simulate(config).curves[0]
    assert curve.engine == "no-torch" and curve.markers == [2000]
    lr = curve.groups[0].lr
    assert (
        lr[0] == 3.0e-4 * 1.0e-3
        and math.isclose(lr[2000], 3.0e-4)
        and math.isclose(lr[-1], 3.0e-5, rel_tol=1e-6)
    )


@pytest.mark.parametrize(
    "name",
    ["torch.optim.lr_scheduler.LambdaLR", "torch.optim.swa_utils.LambdaLR", "torch.optim.lr_scheduler.SWALR",
     "torch.optim.swa_utils.SWALR", "torch.optim.swa_utils.StepLR", "lr_scheduler.LambdaLR"],
)  # fmt: skip
def test_a_module_qualified_name_is_planned_without_torch_only_where_torch_has_it(name: str) -> None:
    keywords = (
        {"swa_lr": 0.05} if name.endswith("SWALR") else {"step_size": 3} if name.endswith("StepLR") else {}
    )
    data = {"total_step": 10, "curves": [{"scheduler": {"name": name, "lr_lambda": "0.9", **keywords}}]}
    if keywords:
        del data["curves"][0]["scheduler"]["lr_lambda"]
    config = lrplot.loads(yaml.safe_dump(data))
    try:
        lrplot.simulate(config, engine="torch")
    except LrplotError:
        assert plan_free(config) is None
    else:
        assert plan_free(config) is not None
