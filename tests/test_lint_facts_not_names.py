"""The checks read facts, not torch class names (issue 25): torch's classes declare the facts
LR001, LR004, LR005, LR007 and LR012 once read from their names, and no check compares a
scheduler's name with a literal."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import lrplot
from lrplot.facts import ScheduleFacts
from lrplot.plan import plan
from lrplot.plan.facts import facts_of
from tests.conftest import ROOT
from tests.test_lint import loads_findings

CHECKS = sorted((ROOT / "lrplot" / "lint" / "checks").glob("*.py"))


def _scheduler(name: str, **keywords: object) -> dict[str, object]:
    return {"name": name, **keywords}


def _facts(scheduler: dict[str, object]) -> ScheduleFacts:
    config = {
        "total_step": 100,
        "curves": [{"optimizer": {"name": "SGD", "lr": 0.1}, "scheduler": scheduler}],
    }
    return facts_of(plan(lrplot.loads(json.dumps(config)))[0].segments[0].scheduler)


@pytest.mark.parametrize("path", CHECKS, ids=lambda path: path.name)
def test_no_check_compares_a_schedulers_name_with_a_literal(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        named = any(isinstance(side, ast.Attribute) and side.attr == "name" for side in sides)
        literal = any(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in sides)
        member = any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
        assert not (named and (literal or member)), (
            f"{path.name}:{node.lineno} tests a class name: declare a fact"
        )


def test_lambdalr_declares_a_factor_of_the_initial_lr_and_multiplicativelr_of_the_previous() -> None:
    function = "min(1.0, (step + 1) / 10)"
    lambda_facts = _facts(_scheduler("LambdaLR", lr_lambda=function))
    multiplicative = _facts(_scheduler("MultiplicativeLR", lr_lambda="0.99"))
    assert (lambda_facts.factor_function, lambda_facts.factor_function_of) == (("lr_lambda",), "initial")
    assert (multiplicative.factor_function, multiplicative.factor_function_of) == (("lr_lambda",), "previous")
    assert lambda_facts.jumps_by_design and multiplicative.jumps_by_design
    assert _facts(_scheduler("CosineAnnealingLR", T_max=100)).factor_function is None


def test_linearlr_declares_where_its_factors_are_written_and_others_do_not() -> None:
    linear = _facts(_scheduler("LinearLR", start_factor=0.1, total_iters=10))
    assert (linear.start_factor_key, linear.end_factor_key) == (("start_factor",), ("end_factor",))
    cosine = _facts(_scheduler("CosineAnnealingLR", T_max=100))
    assert (cosine.start_factor_key, cosine.end_factor_key, cosine.jumps_by_design) == (None, None, False)
    assert cosine.lengths[0].on_purpose == "use CosineAnnealingWarmRestarts"
    assert _facts(_scheduler("CosineAnnealingWarmRestarts", T_0=10)).lengths[0].on_purpose is None


def test_only_sequentiallr_milestones_hand_over() -> None:
    sequential = _facts(
        _scheduler(
            "SequentialLR",
            schedulers=[
                _scheduler("LinearLR", start_factor=0.1, total_iters=10),
                _scheduler("ExponentialLR", gamma=0.9),
            ],
            milestones=[10],
        )
    )
    staircase = _facts(_scheduler("MultiStepLR", milestones=[30, 60]))
    assert sequential.milestones is not None and sequential.milestones.hands_over
    assert staircase.milestones is not None and not staircase.milestones.hands_over


def test_a_multiplicative_factor_far_below_001_is_not_read_as_an_lr_returned_by_a_lambda() -> None:
    text = """
total_step: 100
curves:
  - optimizer: {name: SGD, lr: 0.1}
    scheduler: {name: MultiplicativeLR, lr_lambda: "0.5"}
"""
    assert "LR012" not in {finding.id for finding in loads_findings(text)}


def test_a_lambda_that_returns_the_lr_is_still_lr012() -> None:
    text = """
total_step: 100
curves:
  - optimizer: {name: SGD, lr: 0.1}
    scheduler: {name: LambdaLR, lr_lambda: "0.001"}
"""
    found = [finding for finding in loads_findings(text) if finding.id == "LR012"]
    assert len(found) == 1 and found[0].message.startswith("lr_lambda never returns more than 0.001")
